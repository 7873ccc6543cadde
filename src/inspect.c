/*-------------------------------------------------------------------------
 *
 * inspect.c
 *	  SQL functions that show a sampler's counts and probabilities.
 *
 * Readers copy what they need under the sampler's lock held shared, then
 * compute and emit rows without it, so a reader delays draws by at most
 * one copy of the state.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "negsamp.h"
#include "utils/builtins.h"

#define ITEM_COUNTS_COLUMNS	3

/*
 * Copy the sampler header, ids, counts and weights of the named sampler
 * into backend memory.  The copy's arrays are separate pointers; its
 * header's offsets are not valid.
 */
NegsampSnapshot *
NegsampTakeSnapshot(const char *name)
{
	NegsampSnapshot *snap = palloc0(sizeof(NegsampSnapshot));
	NegsampSampler *s;
	int			slot;
	uint64		generation;

	s = NegsampAcquire(name, LW_SHARED, &slot, &generation);
	snap->header = *s;
	snap->counts = palloc_extended(sizeof(int64) * s->n, MCXT_ALLOC_HUGE);
	NegsampCopyCounts(s, snap->counts);
	if (!s->dense)
	{
		snap->ids = palloc_extended(sizeof(int64) * s->n, MCXT_ALLOC_HUGE);
		memcpy(snap->ids, NS_IDS(s), sizeof(int64) * s->n);
	}
	if (s->weighted)
	{
		snap->weights = palloc_extended(sizeof(double) * s->n, MCXT_ALLOC_HUGE);
		memcpy(snap->weights, NS_WEIGHTS(s), sizeof(double) * s->n);
	}
	NegsampRelease(slot);
	return snap;
}

/*
 * item_counts(name) returns table(item_id bigint, draws bigint,
 * probability float8), one row per catalog item in id order.
 */
PG_FUNCTION_INFO_V1(item_counts);
Datum
item_counts(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name;
	NegsampSnapshot *snap;
	double	   *prob;
	int64		n;

	NegsampCheckLoaded();
	name = NegsampNameArg(fcinfo, 0);
	InitMaterializedSRF(fcinfo, 0);

	snap = NegsampTakeSnapshot(name);
	n = snap->header.n;
	prob = palloc_extended(sizeof(double) * n, MCXT_ALLOC_HUGE);
	NegsampProbabilities(&snap->header, snap->counts, snap->weights, prob);

	for (int64 i = 0; i < n; i++)
	{
		Datum		values[ITEM_COUNTS_COLUMNS];
		bool		nulls[ITEM_COUNTS_COLUMNS] = {false, false, false};

		values[0] = Int64GetDatum(snap->ids ? snap->ids[i] : i);
		values[1] = Int64GetDatum(snap->counts[i]);
		values[2] = Float8GetDatum(prob[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
