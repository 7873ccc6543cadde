/*-------------------------------------------------------------------------
 *
 * stats.c
 *	  Summary statistics of a sampler's counts and of its single-draw
 *	  distribution, shared by simulate and the SQL functions here:
 *	  distribution_stats and count_histogram.
 *
 * Everything here works on a copy of the counts in item index order, so it
 * runs without locks, and gives bit-identical results for a shared sampler
 * and a private one with the same counts.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "negsamp.h"
#include "utils/builtins.h"

#define ST_SORT sort_counts
#define ST_ELEMENT_TYPE int64
#define ST_COMPARE(a, b) ((*(a) > *(b)) - (*(a) < *(b)))
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

#define DISTRIBUTION_STATS_COLUMNS	14
#define COUNT_HISTOGRAM_COLUMNS		2

/* Allocate count elements of type, beyond 1 GB if need be */
#define huge_array(type, count) \
	((type *) palloc_extended(mul_size(sizeof(type), (Size) (count)), MCXT_ALLOC_HUGE))
#define huge_zero_array(type, count) \
	((type *) palloc_extended(mul_size(sizeof(type), (Size) (count)), \
							  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO))

/*
 * Group counts[n] into its distinct values, ascending, with the number of
 * items that have each.  Memory comes from the current memory context, at
 * most 3 * n int64 values at once.  O(n) when the counts span fewer than n
 * values, which is the usual case, else O(n log n).
 */
void
NegsampCountHistogram(const int64 *counts, int64 n, NegsampHistogram *hist)
{
	int64		min_count = PG_INT64_MAX;
	int64		max_count = PG_INT64_MIN;
	int64		nvalues = 0;

	for (int64 i = 0; i < n; i++)
	{
		min_count = Min(min_count, counts[i]);
		max_count = Max(max_count, counts[i]);
	}

	if ((uint64) max_count - (uint64) min_count < (uint64) n)
	{
		/* Tally each value in an array indexed by value - min_count */
		int64		range = max_count - min_count + 1;
		int64	   *tally = huge_zero_array(int64, range);

		for (int64 i = 0; i < n; i++)
			tally[counts[i] - min_count]++;
		for (int64 v = 0; v < range; v++)
			if (tally[v] > 0)
				nvalues++;

		hist->values = huge_array(int64, nvalues);
		hist->items = huge_array(int64, nvalues);
		nvalues = 0;
		for (int64 v = 0; v < range; v++)
			if (tally[v] > 0)
			{
				hist->values[nvalues] = min_count + v;
				hist->items[nvalues] = tally[v];
				nvalues++;
			}
		pfree(tally);
	}
	else
	{
		/* Sort a copy, then count the runs of equal values */
		int64	   *sorted = huge_array(int64, n);

		memcpy(sorted, counts, sizeof(int64) * n);
		sort_counts(sorted, n);
		for (int64 i = 0; i < n; i++)
			if (i == 0 || sorted[i] != sorted[i - 1])
				nvalues++;

		hist->values = huge_array(int64, nvalues);
		hist->items = huge_array(int64, nvalues);
		nvalues = 0;
		for (int64 i = 0; i < n; i++)
		{
			if (i == 0 || sorted[i] != sorted[i - 1])
			{
				hist->values[nvalues] = sorted[i];
				hist->items[nvalues] = 0;
				nvalues++;
			}
			hist->items[nvalues - 1]++;
		}
		pfree(sorted);
	}
	hist->nvalues = nvalues;
}

/*
 * Fill in the statistics of the counts from their histogram: coverage,
 * extremes, mean, population standard deviation and Gini coefficient.
 */
static void
count_statistics(const NegsampHistogram *hist, int64 n, NegsampStats *stats)
{
	double		total = 0.0;
	double		squares = 0.0;
	double		gini_sum = 0.0;
	int64		before = 0;

	stats->items = n;
	stats->min_count = hist->values[0];
	stats->max_count = hist->values[hist->nvalues - 1];
	stats->distinct_counts = hist->nvalues;
	stats->covered = n - (hist->values[0] == 0 ? hist->items[0] : 0);

	for (int64 v = 0; v < hist->nvalues; v++)
		total += (double) hist->values[v] * (double) hist->items[v];
	stats->mean_count = total / (double) n;

	/*
	 * Sorted ascending, G = sum_i (2i - n - 1) x_i / (n * sum x), i = 1..n.
	 * The m items of value x at ranks r+1..r+m add x * m * (2r + m - n).
	 */
	for (int64 v = 0; v < hist->nvalues; v++)
	{
		double		value = (double) hist->values[v];
		double		items = (double) hist->items[v];
		double		deviation = value - stats->mean_count;

		squares += items * deviation * deviation;
		gini_sum += value * items * (2.0 * (double) before + items - (double) n);
		before += hist->items[v];
	}
	stats->stddev_count = sqrt(squares / (double) n);
	stats->gini = (total > 0.0) ? gini_sum / ((double) n * total) : 0.0;
}

/*
 * Fill in the statistics of the single-draw distribution prob[n]: entropy
 * in nats and divided by ln n, the ratio of the largest to the smallest
 * non-zero probability, and the KL divergence from uniform in nats.
 */
static void
probability_statistics(const double *prob, int64 n, NegsampStats *stats)
{
	double		entropy = 0.0;
	double		divergence = 0.0;
	double		max_prob = 0.0;
	double		min_prob = 0.0;

	for (int64 i = 0; i < n; i++)
	{
		double		p = prob[i];

		if (p <= 0.0)
			continue;
		entropy -= p * log(p);

		/*
		 * KL(p || uniform) = sum p ln(n p), summed directly rather than as
		 * ln n - entropy, which loses its digits near uniform.
		 */
		divergence += p * log((double) n * p);
		max_prob = Max(max_prob, p);
		min_prob = (min_prob == 0.0) ? p : Min(min_prob, p);
	}

	stats->entropy = entropy;

	/* Rounding can take either value a few ulps past its bound */
	stats->normalized_entropy = (n == 1) ? 1.0 : Min(entropy / log((double) n), 1.0);
	stats->kl_from_uniform = Max(divergence, 0.0);
	stats->probability_ratio = (min_prob > 0.0) ? max_prob / min_prob : 0.0;
}

/*
 * Compute the statistics of a sampler from its counts in item index order
 * (and its fixed weights when weighted).  s supplies the strategy, mode,
 * temperature and n; its arrays are not read, so the header of a snapshot
 * will do.  calls and draws come from s.  Memory comes from the current
 * memory context: at most 3 * n values of 8 bytes at once.  O(n) when the
 * counts span fewer than n values.
 */
void
NegsampComputeStats(const NegsampSampler *s, const int64 *counts,
					const double *weights, NegsampStats *stats)
{
	NegsampHistogram hist;
	double	   *prob = huge_array(double, s->n);

	memset(stats, 0, sizeof(NegsampStats));
	stats->calls = s->calls;
	stats->draws = s->draws;

	NegsampCountHistogram(counts, s->n, &hist);
	count_statistics(&hist, s->n, stats);
	pfree(hist.values);
	pfree(hist.items);

	NegsampProbabilities(s, counts, weights, prob);
	probability_statistics(prob, s->n, stats);
	pfree(prob);
}

/*
 * distribution_stats(name) returns one row: the statistics of the sampler's
 * counts and of its single-draw distribution now.
 */
PG_FUNCTION_INFO_V1(distribution_stats);
Datum
distribution_stats(PG_FUNCTION_ARGS)
{
	char	   *name;
	NegsampSnapshot *snap;
	NegsampStats stats;
	TupleDesc	tupdesc;
	Datum		values[DISTRIBUTION_STATS_COLUMNS];
	bool		nulls[DISTRIBUTION_STATS_COLUMNS];
	int			col = 0;

	NegsampCheckLoaded();
	name = NegsampNameArg(fcinfo, 0);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	snap = NegsampTakeSnapshot(name);
	NegsampComputeStats(&snap->header, snap->counts, snap->weights, &stats);

	memset(nulls, 0, sizeof(nulls));
	values[col++] = Int64GetDatum(stats.items);
	values[col++] = Int64GetDatum(stats.calls);
	values[col++] = Int64GetDatum(stats.draws);
	values[col++] = Float8GetDatum((double) stats.covered / (double) stats.items);
	values[col++] = Int64GetDatum(stats.min_count);
	values[col++] = Int64GetDatum(stats.max_count);
	values[col++] = Float8GetDatum(stats.mean_count);
	values[col++] = Float8GetDatum(stats.stddev_count);
	values[col++] = Int64GetDatum(stats.distinct_counts);
	values[col++] = Float8GetDatum(stats.gini);
	values[col++] = Float8GetDatum(stats.entropy);
	values[col++] = Float8GetDatum(stats.normalized_entropy);
	values[col++] = Float8GetDatum(stats.probability_ratio);
	values[col++] = Float8GetDatum(stats.kl_from_uniform);
	Assert(col == DISTRIBUTION_STATS_COLUMNS);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}

/*
 * count_histogram(name) returns table(draws bigint, items bigint): each
 * distinct count of the sampler, ascending, with the number of items that
 * have it.
 */
PG_FUNCTION_INFO_V1(count_histogram);
Datum
count_histogram(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name;
	NegsampSnapshot *snap;
	NegsampHistogram hist;

	NegsampCheckLoaded();
	name = NegsampNameArg(fcinfo, 0);
	InitMaterializedSRF(fcinfo, 0);

	snap = NegsampTakeSnapshot(name);
	NegsampCountHistogram(snap->counts, snap->header.n, &hist);

	for (int64 v = 0; v < hist.nvalues; v++)
	{
		Datum		values[COUNT_HISTOGRAM_COLUMNS];
		bool		nulls[COUNT_HISTOGRAM_COLUMNS] = {false, false};

		values[0] = Int64GetDatum(hist.values[v]);
		values[1] = Int64GetDatum(hist.items[v]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
