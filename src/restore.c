/*-------------------------------------------------------------------------
 *
 * restore.c
 *	  The restore_counts aggregate: replace a sampler's counts with a
 *	  snapshot read from a query, such as a table saved from item_counts.
 *
 * The final function checks every row and builds the new counts (and,
 * under frequency and threshold, the new item order and buckets) in
 * backend memory, then copies them into the sampler under its lock held
 * exclusive.  A failed restore therefore changes nothing.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/int.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "negsamp.h"

/* One group's rows: (item id, count) pairs */
typedef struct RestoreState
{
	char		name[NAMEDATALEN];
	int64	   *items;
	int64	   *counts;
	int64		nrows;
	int64		capacity;
} RestoreState;

/* An item index with its new count, for ordering items by count */
typedef struct IndexCount
{
	int64		count;
	uint32		index;
} IndexCount;

#define ST_SORT sort_index_counts
#define ST_ELEMENT_TYPE IndexCount
#define ST_COMPARE(a, b) (((a)->count > (b)->count) - ((a)->count < (b)->count))
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * restore_counts_transfn(state, name, item, draws): collect the rows.
 */
PG_FUNCTION_INFO_V1(restore_counts_transfn);
Datum
restore_counts_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	RestoreState *state;
	char	   *name;
	int64		item;
	int64		count;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "restore_counts_transfn called in non-aggregate context");

	NegsampCheckLoaded();
	name = NegsampNameArg(fcinfo, 1);
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("item must not be null in restore_counts()")));
	item = PG_GETARG_INT64(2);
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("count of item " INT64_FORMAT " must not be null", item)));
	count = PG_GETARG_INT64(3);
	if (count < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid count " INT64_FORMAT " for item " INT64_FORMAT, count, item),
				 errhint("Counts must be 0 or more.")));

	if (PG_ARGISNULL(0))
	{
		state = MemoryContextAllocZero(aggcontext, sizeof(RestoreState));
		strlcpy(state->name, name, NAMEDATALEN);
		state->capacity = 1024;
		state->items = MemoryContextAllocHuge(aggcontext, sizeof(int64) * state->capacity);
		state->counts = MemoryContextAllocHuge(aggcontext, sizeof(int64) * state->capacity);
	}
	else
	{
		state = (RestoreState *) PG_GETARG_POINTER(0);
		if (strcmp(state->name, name) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sampler name changed within one group of restore_counts()"),
					 errdetail("The group started with sampler \"%s\", then had \"%s\".",
							   state->name, name)));
	}

	if (state->nrows == state->capacity)
	{
		state->capacity *= 2;
		state->items = repalloc_huge(state->items, sizeof(int64) * state->capacity);
		state->counts = repalloc_huge(state->counts, sizeof(int64) * state->capacity);
	}
	state->items[state->nrows] = item;
	state->counts[state->nrows] = count;
	state->nrows++;
	PG_RETURN_POINTER(state);
}

/*
 * Map the rows to a full counts array in index order.  Raise an error
 * naming the first unknown or duplicate item.  The caller holds the
 * sampler's lock.
 */
static int64 *
rows_to_counts(const NegsampSampler *s, const RestoreState *state, int64 *total)
{
	int64	   *counts = palloc_extended(sizeof(int64) * s->n, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	bool	   *seen = palloc_extended(sizeof(bool) * s->n, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);

	*total = 0;
	for (int64 r = 0; r < state->nrows; r++)
	{
		int64		index = NegsampItemIndex(s, state->items[r]);

		if (index < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("item " INT64_FORMAT " is not in the catalog of sampler \"%s\"",
							state->items[r], state->name)));
		if (seen[index])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("item " INT64_FORMAT " appears more than once", state->items[r]),
					 errhint("Pass each item once.")));
		if (pg_add_s64_overflow(*total, state->counts[r], total))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("total of the restored counts is out of range for bigint")));
		seen[index] = true;
		counts[index] = state->counts[r];
	}
	pfree(seen);
	return counts;
}

/* The new order of items by count, and the buckets over it */
typedef struct BucketOrder
{
	uint32	   *perm;
	uint32	   *pos;
	int64	   *bcount;
	uint32	   *bstart;
	uint32		nbuckets;
} BucketOrder;

static void
build_buckets(const int64 *counts, int64 n, BucketOrder *order)
{
	IndexCount *pairs = palloc_extended(sizeof(IndexCount) * n, MCXT_ALLOC_HUGE);

	for (int64 i = 0; i < n; i++)
	{
		pairs[i].count = counts[i];
		pairs[i].index = (uint32) i;
	}
	sort_index_counts(pairs, n);

	order->perm = palloc_extended(sizeof(uint32) * n, MCXT_ALLOC_HUGE);
	order->pos = palloc_extended(sizeof(uint32) * n, MCXT_ALLOC_HUGE);
	order->bcount = palloc_extended(sizeof(int64) * n, MCXT_ALLOC_HUGE);
	order->bstart = palloc_extended(sizeof(uint32) * (n + 1), MCXT_ALLOC_HUGE);
	order->nbuckets = 0;
	for (int64 p = 0; p < n; p++)
	{
		order->perm[p] = pairs[p].index;
		order->pos[pairs[p].index] = (uint32) p;
		if (p == 0 || pairs[p].count != pairs[p - 1].count)
		{
			order->bcount[order->nbuckets] = pairs[p].count;
			order->bstart[order->nbuckets] = (uint32) p;
			order->nbuckets++;
		}
	}
	order->bstart[order->nbuckets] = (uint32) n;
	pfree(pairs);
}

/*
 * restore_counts_finalfn(state): apply the snapshot and return the number
 * of items restored; NULL when there were no rows.
 */
PG_FUNCTION_INFO_V1(restore_counts_finalfn);
Datum
restore_counts_finalfn(PG_FUNCTION_ARGS)
{
	RestoreState *state;
	NegsampSampler *s;
	int			slot;
	uint64		generation;
	Oid			owner;
	int64	   *counts;
	int64		total;
	BucketOrder order = {0};
	NegsampStrategy strategy;
	int64		n;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (RestoreState *) PG_GETARG_POINTER(0);

	/* Check and build everything with the lock held only shared */
	s = NegsampAcquire(state->name, LW_SHARED, &slot, &generation);
	owner = s->owner;
	strategy = s->strategy;
	n = s->n;
	counts = rows_to_counts(s, state, &total);
	NegsampRelease(slot);

	NegsampCheckOwner(state->name, owner);
	if (strategy != NEGSAMP_UNIFORM)
		build_buckets(counts, n, &order);

	s = NegsampReacquire(state->name, slot, generation, LW_EXCLUSIVE);
	s->changing = true;
	if (strategy == NEGSAMP_UNIFORM)
		memcpy(NS_COUNTS(s), counts, sizeof(int64) * n);
	else
	{
		memcpy(NS_PERM(s), order.perm, sizeof(uint32) * n);
		memcpy(NS_POS(s), order.pos, sizeof(uint32) * n);
		memcpy(NS_BCOUNT(s), order.bcount, sizeof(int64) * order.nbuckets);
		memcpy(NS_BSTART(s), order.bstart, sizeof(uint32) * (order.nbuckets + 1));
		s->nbuckets = order.nbuckets;
	}
	s->draws = total;
	s->changing = false;
	NegsampRelease(slot);

	PG_RETURN_INT64(state->nrows);
}
