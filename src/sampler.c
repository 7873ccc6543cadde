/*-------------------------------------------------------------------------
 *
 * sampler.c
 *	  Layout of a sampler block, building it from a validated spec, and
 *	  reading counts and single-draw probabilities out of it.
 *
 * Nothing here takes locks: callers hold the sampler's lock (shared to
 * read, exclusive to change), or own a private block.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "negsamp.h"

#include "utils/timestamp.h"
#include "miscadmin.h"

/* Interpolation steps of an id lookup before it turns to binary search */
#define INTERPOLATION_STEPS		4

/* Add room for one array of nelem elements of elem_size bytes */
static Size
add_array(Size *offset, int64 nelem, Size elem_size)
{
	Size		start = *offset;

	*offset = add_size(*offset, MAXALIGN(mul_size((Size) nelem, elem_size)));
	return start;
}

/*
 * Compute the array offsets of a sampler and return its total size.  When s
 * is not NULL, store the offsets in it.
 */
static Size
layout(NegsampSampler *s, NegsampStrategy strategy, int64 n, bool dense,
	   bool weighted)
{
	Size		offset = MAXALIGN(sizeof(NegsampSampler));
	Size		off_ids = 0,
				off_counts = 0,
				off_weights = 0,
				off_tree = 0,
				off_perm = 0,
				off_pos = 0,
				off_bcount = 0,
				off_bstart = 0;

	if (!dense)
		off_ids = add_array(&offset, n, sizeof(int64));
	if (strategy == NEGSAMP_UNIFORM)
	{
		off_counts = add_array(&offset, n, sizeof(int64));
		if (weighted)
		{
			off_weights = add_array(&offset, n, sizeof(double));
			off_tree = add_array(&offset, n + 1, sizeof(double));
		}
	}
	else
	{
		off_perm = add_array(&offset, n, sizeof(uint32));
		off_pos = add_array(&offset, n, sizeof(uint32));
		off_bcount = add_array(&offset, n, sizeof(int64));
		off_bstart = add_array(&offset, n + 1, sizeof(uint32));
	}

	if (s != NULL)
	{
		s->off_ids = off_ids;
		s->off_counts = off_counts;
		s->off_weights = off_weights;
		s->off_tree = off_tree;
		s->off_perm = off_perm;
		s->off_pos = off_pos;
		s->off_bcount = off_bcount;
		s->off_bstart = off_bstart;
		s->total_size = offset;
	}
	return offset;
}

/*
 * Return the bytes a sampler of this shape needs.
 */
Size
NegsampSamplerSize(NegsampStrategy strategy, int64 n, bool dense, bool weighted)
{
	return layout(NULL, strategy, n, dense, weighted);
}

/* Seed the sampler's generator from its seed, or from a strong source */
static void
seed_generator(NegsampSampler *s)
{
	if (s->has_seed)
		pg_prng_seed(&s->prng, (uint64) s->seed);
	else if (!pg_prng_strong_seed(&s->prng))
		pg_prng_seed(&s->prng,
					 (uint64) GetCurrentTimestamp() ^ ((uint64) MyProcPid << 32));
}

/* Put every item in one bucket of count 0, in index order */
static void
reset_buckets(NegsampSampler *s)
{
	uint32	   *perm = NS_PERM(s);
	uint32	   *pos = NS_POS(s);

	for (int64 i = 0; i < s->n; i++)
	{
		perm[i] = (uint32) i;
		pos[i] = (uint32) i;
	}
	s->nbuckets = 1;
	NS_BCOUNT(s)[0] = 0;
	NS_BSTART(s)[0] = 0;
	NS_BSTART(s)[1] = (uint32) s->n;
}

/*
 * Build a Fenwick tree over the weights in O(n): each node adds itself to
 * its parent once its own sum is complete.
 */
static void
build_tree(double *tree, const double *weights, int64 n)
{
	tree[0] = 0.0;
	for (int64 i = 1; i <= n; i++)
		tree[i] = weights[i - 1];
	for (int64 i = 1; i <= n; i++)
	{
		int64		parent = i + (i & -i);

		if (parent <= n)
			tree[parent] += tree[i];
	}
}

/*
 * Fill the block at s, of NegsampSamplerSize() bytes, from a validated spec.
 * Runs in O(n) and raises no errors.
 */
void
NegsampSamplerInit(NegsampSampler *s, const NegsampSpec *spec)
{
	memset(s, 0, sizeof(NegsampSampler));
	s->magic = NEGSAMP_SAMPLER_MAGIC;
	s->strategy = spec->strategy;
	s->mode = spec->mode;
	s->temperature = spec->temperature;
	s->n = spec->n;
	s->dense = spec->dense;
	s->weighted = (spec->weights != NULL);
	s->npositive = spec->npositive;
	s->has_seed = spec->has_seed;
	s->seed = spec->seed;
	s->owner = spec->owner;
	layout(s, spec->strategy, spec->n, spec->dense, s->weighted);

	SpinLockInit(&s->mutex);
	seed_generator(s);

	if (!s->dense)
		memcpy(NS_IDS(s), spec->ids, sizeof(int64) * spec->n);
	if (s->strategy == NEGSAMP_UNIFORM)
	{
		memset(NS_COUNTS(s), 0, sizeof(int64) * spec->n);
		if (s->weighted)
		{
			memcpy(NS_WEIGHTS(s), spec->weights, sizeof(double) * spec->n);
			build_tree(NS_TREE(s), spec->weights, spec->n);
		}
	}
	else
		reset_buckets(s);
}

/*
 * Set all counts, calls and draws to zero; restart a seeded generator.
 * The caller holds the sampler's lock in exclusive mode.
 */
void
NegsampSamplerReset(NegsampSampler *s)
{
	s->changing = true;
	if (s->strategy == NEGSAMP_UNIFORM)
		memset(NS_COUNTS(s), 0, sizeof(int64) * s->n);
	else
		reset_buckets(s);
	s->calls = 0;
	s->draws = 0;
	s->changing = false;

	if (s->has_seed)
	{
		SpinLockAcquire(&s->mutex);
		pg_prng_seed(&s->prng, (uint64) s->seed);
		SpinLockRelease(&s->mutex);
	}
}

/*
 * Return the index of item id, or -1 when the id is not in the catalog.
 */
int64
NegsampItemIndex(const NegsampSampler *s, int64 id)
{
	const int64 *ids;
	int64		lo = 0,
				hi = s->n - 1,
				len;

	if (s->dense)
		return (id >= 0 && id < s->n) ? id : -1;

	/*
	 * Catalog ids are often nearly dense (1..n with gaps), so a few steps
	 * of interpolation find most ids at once.  Excluded ids arrive in no
	 * useful order, and a plain binary search over them was the largest
	 * cost of a draw with many exclusions.
	 */
	ids = NS_IDS(s);
	for (int step = 0; step < INTERPOLATION_STEPS && lo < hi; step++)
	{
		double		span = (double) ids[hi] - (double) ids[lo];
		int64		mid;

		if (id < ids[lo] || id > ids[hi])
			return -1;
		mid = lo + (int64) (((double) id - (double) ids[lo]) / span * (double) (hi - lo));
		mid = Max(lo, Min(hi, mid));
		if (ids[mid] == id)
			return mid;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	if (lo > hi)
		return -1;

	/*
	 * Finish with a binary search written for conditional moves, since its
	 * comparisons are unpredictable.  Invariant: the first id >= id is at
	 * lo .. lo + len.
	 */
	len = hi - lo + 1;
	while (len > 1)
	{
		int64		half = len / 2;

		lo = (ids[lo + half - 1] < id) ? lo + half : lo;
		len -= half;
	}
	lo += (ids[lo] < id);
	return (lo <= hi && ids[lo] == id) ? lo : -1;
}

int64
NegsampItemId(const NegsampSampler *s, uint32 index)
{
	return s->dense ? (int64) index : NS_IDS(s)[index];
}

/*
 * Return the bucket that contains perm position p: the last bucket whose start
 * is at most p.
 */
uint32
NegsampBucketOf(const NegsampSampler *s, uint32 p)
{
	const uint32 *bstart = NS_BSTART(s);
	uint32		lo = 0,
				hi = s->nbuckets - 1;

	while (lo < hi)
	{
		uint32		mid = lo + (hi - lo + 1) / 2;

		if (bstart[mid] <= p)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/*
 * Return the draw count of the item at index.
 */
int64
NegsampItemCount(const NegsampSampler *s, uint32 index)
{
	if (s->strategy == NEGSAMP_UNIFORM)
		return NS_COUNTS(s)[index];
	return NS_BCOUNT(s)[NegsampBucketOf(s, NS_POS(s)[index])];
}

/*
 * Copy the count of every item, in index order, into counts[n].
 */
void
NegsampCopyCounts(const NegsampSampler *s, int64 *counts)
{
	const uint32 *perm;
	const uint32 *bstart;
	const int64 *bcount;

	if (s->strategy == NEGSAMP_UNIFORM)
	{
		memcpy(counts, NS_COUNTS(s), sizeof(int64) * s->n);
		return;
	}

	perm = NS_PERM(s);
	bstart = NS_BSTART(s);
	bcount = NS_BCOUNT(s);
	for (uint32 b = 0; b < s->nbuckets; b++)
		for (uint32 p = bstart[b]; p < bstart[b + 1]; p++)
			counts[perm[p]] = bcount[b];
}

/*
 * Return the weight of an item with the given count under frequency and
 * threshold.  Softmax weights are scaled by exp(-1/(1+min_count)/T), which
 * changes no probability but keeps the largest weight at 1, so a small
 * temperature cannot overflow.
 */
double
NegsampCountWeight(const NegsampSampler *s, int64 count, int64 min_count)
{
	double		x = 1.0 / (1.0 + (double) count);

	if (s->mode == NEGSAMP_MODE_SOFTSUM)
		return x;
	return exp((x - 1.0 / (1.0 + (double) min_count)) / s->temperature);
}

/*
 * Compute the probability that a single draw without exclusions picks each
 * item, from a snapshot of the counts (and the fixed weights of a weighted
 * sampler).  Under threshold, items at the maximum count get 0 unless every
 * item is at the maximum.
 */
void
NegsampProbabilities(const NegsampSampler *s, const int64 *counts,
					 const double *weights, double *prob)
{
	int64		n = s->n;
	int64		min_count = PG_INT64_MAX;
	int64		max_count = PG_INT64_MIN;
	bool		skip_max;
	double		total = 0.0;

	if (s->strategy == NEGSAMP_UNIFORM)
	{
		for (int64 i = 0; i < n; i++)
		{
			prob[i] = weights ? weights[i] : 1.0;
			total += prob[i];
		}
	}
	else
	{
		int64		cached_count = -1;
		double		cached_weight = 0.0;

		for (int64 i = 0; i < n; i++)
		{
			min_count = Min(min_count, counts[i]);
			max_count = Max(max_count, counts[i]);
		}
		skip_max = (s->strategy == NEGSAMP_THRESHOLD && min_count != max_count);

		/* Most items share a few counts, so remember the last weight */
		for (int64 i = 0; i < n; i++)
		{
			if (skip_max && counts[i] == max_count)
				prob[i] = 0.0;
			else
			{
				if (counts[i] != cached_count)
				{
					cached_count = counts[i];
					cached_weight = NegsampCountWeight(s, cached_count, min_count);
				}
				prob[i] = cached_weight;
			}
			total += prob[i];
		}
	}

	for (int64 i = 0; i < n; i++)
		prob[i] = (total > 0.0) ? prob[i] / total : 0.0;
}

/*
 * Check a sampler block read from a file: the header's shape, the layout,
 * and the bucket structure a draw relies on.  Return NULL when the block is
 * sound, else the reason it is not.  O(n).
 */
const char *
NegsampSamplerValidate(const NegsampSampler *s, Size size)
{
	NegsampSampler expected;

	if (s->magic != NEGSAMP_SAMPLER_MAGIC)
		return "a sampler block has a wrong magic number";
	if (s->changing)
		return "a sampler was saved while its counts were being changed";
	if (s->strategy < NEGSAMP_UNIFORM || s->strategy > NEGSAMP_THRESHOLD ||
		s->mode < NEGSAMP_MODE_NONE || s->mode > NEGSAMP_MODE_SOFTSUM ||
		(s->strategy == NEGSAMP_UNIFORM) != (s->mode == NEGSAMP_MODE_NONE) ||
		(s->weighted && s->strategy != NEGSAMP_UNIFORM) ||
		!(s->temperature > 0.0) ||
		s->n < 1 || s->n > NEGSAMP_MAX_ITEMS ||
		s->npositive < 1 || s->npositive > s->n ||
		s->calls < 0 || s->draws < 0)
		return "a sampler header is invalid";

	layout(&expected, s->strategy, s->n, s->dense, s->weighted);
	if (expected.total_size != size || s->total_size != size ||
		expected.off_ids != s->off_ids || expected.off_counts != s->off_counts ||
		expected.off_weights != s->off_weights || expected.off_tree != s->off_tree ||
		expected.off_perm != s->off_perm || expected.off_pos != s->off_pos ||
		expected.off_bcount != s->off_bcount || expected.off_bstart != s->off_bstart)
		return "a sampler layout is invalid";

	if (!s->dense)
		for (int64 i = 1; i < s->n; i++)
			if (NS_IDS(s)[i - 1] >= NS_IDS(s)[i])
				return "a sampler's item ids are not sorted";

	if (s->strategy == NEGSAMP_UNIFORM)
	{
		for (int64 i = 0; i < s->n; i++)
			if (NS_COUNTS(s)[i] < 0)
				return "a sampler has a negative count";
		return NULL;
	}

	if (s->nbuckets < 1 || s->nbuckets > s->n ||
		NS_BSTART(s)[0] != 0 || NS_BSTART(s)[s->nbuckets] != (uint32) s->n)
		return "a sampler's buckets are invalid";
	for (uint32 b = 0; b < s->nbuckets; b++)
		if (NS_BSTART(s)[b] >= NS_BSTART(s)[b + 1] || NS_BCOUNT(s)[b] < 0 ||
			(b > 0 && NS_BCOUNT(s)[b - 1] >= NS_BCOUNT(s)[b]))
			return "a sampler's buckets are invalid";
	for (int64 i = 0; i < s->n; i++)
	{
		uint32		p = NS_POS(s)[i];

		if (p >= (uint32) s->n || NS_PERM(s)[p] != (uint32) i)
			return "a sampler's item order is invalid";
	}
	return NULL;
}

const char *
NegsampStrategyName(NegsampStrategy strategy)
{
	switch (strategy)
	{
		case NEGSAMP_UNIFORM:
			return "uniform";
		case NEGSAMP_FREQUENCY:
			return "frequency";
		case NEGSAMP_THRESHOLD:
			return "threshold";
	}
	return "unknown";
}

const char *
NegsampModeName(NegsampMode mode)
{
	switch (mode)
	{
		case NEGSAMP_MODE_SOFTMAX:
			return "softmax";
		case NEGSAMP_MODE_SOFTSUM:
			return "softsum";
		case NEGSAMP_MODE_NONE:
			return NULL;
	}
	return NULL;
}
