/*-------------------------------------------------------------------------
 *
 * draw.c
 *	  SQL functions that draw negatives: sample, sample_array and the
 *	  negatives aggregate.
 *
 * Every draw runs the same steps (NegsampDrawIds): look the sampler up,
 * lock it, remove the exclusions, pick the k items and, when the draw is
 * recorded, add them to the counts before the lock is released.  A
 * recorded draw holds the lock exclusive, a dry run shared.  A cancel
 * during the picks releases the lock and applies nothing.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "negsamp.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

/* State of the negatives aggregate: one group's positives */
typedef struct NegativesState
{
	char		name[NAMEDATALEN];
	int32		k;
	int64	   *items;
	int64		nitems;
	int64		capacity;
} NegativesState;

/*
 * Return the non-null elements of an int8 array of any shape, and their
 * number in *count.  The result may point into the array itself.
 */
int64 *
NegsampIdArray(ArrayType *array, int *count)
{
	Datum	   *values;
	bool	   *nulls;
	int			nvalues;
	int64	   *ids;
	int			n = 0;

	/* Without NULLs the elements are a plain int64 array: use it in place */
	if (!ARR_HASNULL(array))
	{
		*count = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
		return (int64 *) ((char *) array + ARR_OVERHEAD_NONULLS(ARR_NDIM(array)));
	}

	deconstruct_array(array, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &values, &nulls, &nvalues);
	ids = palloc(sizeof(int64) * Max(nvalues, 1));
	for (int i = 0; i < nvalues; i++)
		if (!nulls[i])
			ids[n++] = DatumGetInt64(values[i]);
	pfree(values);
	pfree(nulls);
	*count = n;
	return ids;
}

/*
 * Return the k argument, checked: not NULL, not negative.
 */
int32
NegsampKArg(FunctionCallInfo fcinfo, int argno)
{
	int32		k;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("k must not be null")));
	k = PG_GETARG_INT32(argno);
	if (k < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid k %d", k),
				 errhint("k is the number of negatives to draw and must be 0 or more.")));
	return k;
}

/* Scratch memory of NegsampDrawIds, kept for the backend's life */
static MemoryContext draw_context = NULL;

/*
 * Return true when a cancel or termination request waits.  PostgreSQL holds
 * interrupts while an LWLock is held, so a long draw looks at the flags
 * itself between chunks of picks.
 */
static inline bool
interrupt_waiting(void)
{
	return InterruptPending && (QueryCancelPending || ProcDiePending);
}

/*
 * Draw k distinct negatives from the named sampler, never one of exclude,
 * and return their ids in draw order.  With record, add them to the counts.
 * With has_seed, draw from a generator seeded with seed; otherwise take the
 * next seed from the sampler's generator.  When probabilities is not NULL,
 * set it to a new array holding, for each pick, the probability that a single draw with the
 * same exclusions picks it at the start of the call.
 *
 * A cancel during the picks releases the lock and raises the error at
 * once.  A cancel before the counts are updated leaves them as they were.
 */
int64 *
NegsampDrawIds(const char *name, int32 k, const int64 *exclude, int nexclude,
			   bool record, bool has_seed, int64 seed, double **probabilities)
{
	MemoryContext work;
	MemoryContext old;
	NegsampSampler *s;
	NegsampDraw *draw;
	int			slot;
	uint64		generation;
	int64		eligible;
	int64		n;
	pg_prng_state rng;
	uint64		call_seed = (uint64) seed;
	bool		seeded = has_seed;
	uint32	   *picked = NULL;
	int64	   *ids = NULL;
	LWLockMode	mode;

	/*
	 * Scratch memory for one draw.  The context lives as long as the
	 * backend and is reset before and after each draw, which is cheaper
	 * than creating one per call.  The next draw cleans up after one that
	 * failed.
	 */
	if (draw_context == NULL)
		draw_context = AllocSetContextCreate(TopMemoryContext, "negsamp draw",
											 ALLOCSET_DEFAULT_SIZES);
	work = draw_context;
	MemoryContextReset(work);
	old = MemoryContextSwitchTo(work);

	/*
	 * A recorded draw holds the lock exclusive from the start: taking it
	 * shared to pick and then exclusive to apply made concurrent callers of
	 * one sampler queue twice per call, which cost more than the parallel
	 * picks gained.  Dry runs share the lock.
	 */
	mode = (record && k > 0) ? LW_EXCLUSIVE : LW_SHARED;
	s = NegsampAcquire(name, mode, &slot, &generation);

retry:
	draw = NegsampDrawBegin(s, exclude, nexclude,
							NegsampGetIdIndex(s, slot, generation, nexclude));
	if (mode == LW_EXCLUSIVE)
		NegsampDrawWillApply(draw);
	eligible = NegsampDrawEligible(draw);
	n = s->n;
	if (k > eligible)
	{
		NegsampRelease(slot);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k %d is larger than the " INT64_FORMAT " eligible items of sampler \"%s\"",
						k, eligible, name),
				 errdetail_plural("The catalog has " INT64_FORMAT " item; the others are excluded or have weight 0.",
								  "The catalog has " INT64_FORMAT " items; the others are excluded or have weight 0.",
								  n, n),
				 errhint("Request at most " INT64_FORMAT " negatives.", eligible)));
	}

	/* Allocate for k only once k is known to fit the catalog */
	if (ids == NULL)
	{
		MemoryContextSwitchTo(old);
		ids = palloc(sizeof(int64) * Max(k, 1));
		picked = palloc(sizeof(uint32) * Max(k, 1));
		if (probabilities)
			*probabilities = palloc(sizeof(double) * Max(k, 1));
		MemoryContextSwitchTo(work);
	}

	/* One seed per call from the sampler's generator, kept for a retry */
	if (!seeded)
	{
		SpinLockAcquire(&s->mutex);
		call_seed = pg_prng_uint64(&s->prng);
		SpinLockRelease(&s->mutex);
		seeded = true;
	}
	pg_prng_seed(&rng, call_seed);

	for (int64 done = 0; done < k; done += NEGSAMP_PICKS_PER_CHECK)
	{
		NegsampDrawPick(draw, &rng, Min(NEGSAMP_PICKS_PER_CHECK, k - done), picked + done);
		if (interrupt_waiting() && done + NEGSAMP_PICKS_PER_CHECK < k)
		{
			NegsampRelease(slot);
			CHECK_FOR_INTERRUPTS();

			/*
			 * The request did not raise an error after all (a timeout that
			 * had expired, say): draw again from the same seed, against the
			 * counts as they are now.
			 */
			MemoryContextReset(work);
			s = NegsampReacquire(name, slot, generation, mode);
			goto retry;
		}
	}
	if (s->dense)
		for (int i = 0; i < k; i++)
			ids[i] = (int64) picked[i];
	else
	{
		const int64 *catalog = NS_IDS(s);

		for (int i = 0; i < k; i++)
			ids[i] = catalog[picked[i]];
	}
	if (probabilities)
		for (int i = 0; i < k; i++)
			(*probabilities)[i] = NegsampDrawStartProbability(draw, picked[i]);

	/* A cancel that arrived during the picks takes effect before the update */
	if (interrupt_waiting())
	{
		NegsampRelease(slot);
		CHECK_FOR_INTERRUPTS();
		s = NegsampReacquire(name, slot, generation, mode);
		MemoryContextReset(work);
		goto retry;
	}
	if (mode == LW_EXCLUSIVE)
	{
		if (NegsampApplyWouldOverflow(s, k))
		{
			NegsampRelease(slot);
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("recording this draw would overflow the counts of sampler \"%s\"",
							name),
					 errdetail("The total of the counts would exceed the bigint range."),
					 errhint("Reset the sampler, restore smaller counts, or draw with record => false.")));
		}
		NegsampApply(s, draw, picked, k);
	}
	NegsampRelease(slot);
	NegsampDrawEnd(draw);

	MemoryContextSwitchTo(old);
	MemoryContextReset(work);
	pfree(picked);
	return ids;
}

/* Read the arguments shared by sample and sample_array and draw */
static int64 *
draw_from_args(FunctionCallInfo fcinfo, int32 *k, double **probabilities_out)
{
	char	   *name;
	int64	   *exclude = NULL;
	int			nexclude = 0;

	NegsampCheckLoaded();
	name = NegsampNameArg(fcinfo, 0);
	*k = NegsampKArg(fcinfo, 1);
	if (!PG_ARGISNULL(2))
		exclude = NegsampIdArray(PG_GETARG_ARRAYTYPE_P(2), &nexclude);
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("record must not be null")));
	return NegsampDrawIds(name, *k, exclude, nexclude, PG_GETARG_BOOL(3),
						  !PG_ARGISNULL(4),
						  PG_ARGISNULL(4) ? 0 : PG_GETARG_INT64(4), probabilities_out);
}

/*
 * Build a one-dimensional bigint[] from count ids, copying them in one
 * block: bigint elements have no alignment padding and no NULLs here.
 */
static ArrayType *
id_array(const int64 *ids, int count)
{
	Size		size;
	ArrayType  *array;

	if (count == 0)
		return construct_empty_array(INT8OID);

	size = ARR_OVERHEAD_NONULLS(1) + sizeof(int64) * (Size) count;
	array = palloc_extended(size, MCXT_ALLOC_HUGE);
	SET_VARSIZE(array, size);
	array->ndim = 1;
	array->dataoffset = 0;
	array->elemtype = INT8OID;
	ARR_DIMS(array)[0] = count;
	ARR_LBOUND(array)[0] = 1;
	memcpy((char *) array + ARR_OVERHEAD_NONULLS(1), ids,
		   sizeof(int64) * (Size) count);
	return array;
}

/*
 * sample(name, k, exclude, record, seed) returns setof bigint
 */
PG_FUNCTION_INFO_V1(sample);
Datum
sample(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	int64	   *ids;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		int32		k;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		funcctx->user_fctx = draw_from_args(fcinfo, &k, NULL);
		funcctx->max_calls = k;
		MemoryContextSwitchTo(old);
	}

	funcctx = SRF_PERCALL_SETUP();
	ids = (int64 *) funcctx->user_fctx;
	if (funcctx->call_cntr < funcctx->max_calls)
	{
		/* SRF_RETURN_NEXT advances call_cntr before it reads its argument */
		Datum		id = Int64GetDatum(ids[funcctx->call_cntr]);

		SRF_RETURN_NEXT(funcctx, id);
	}
	SRF_RETURN_DONE(funcctx);
}

/*
 * sample_array(name, k, exclude, record, seed) returns bigint[]
 */
PG_FUNCTION_INFO_V1(sample_array);
Datum
sample_array(PG_FUNCTION_ARGS)
{
	int32		k;
	int64	   *ids = draw_from_args(fcinfo, &k, NULL);

	PG_RETURN_ARRAYTYPE_P(id_array(ids, k));
}

/*
 * sample_with_probabilities(name, k, exclude, record, seed) returns
 * table(item_id bigint, draw_position integer, probability float8): the
 * draw of sample() with each pick's single-draw probability at the start
 * of the call, for the logQ correction of sampled softmax.
 */
PG_FUNCTION_INFO_V1(sample_with_probabilities);
Datum
sample_with_probabilities(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	double	   *probabilities = NULL;
	int32		k;
	int64	   *ids;

	ids = draw_from_args(fcinfo, &k, &probabilities);
	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < k; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = Int64GetDatum(ids[i]);
		values[1] = Int32GetDatum(i + 1);
		values[2] = Float8GetDatum(probabilities[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * negatives_transfn(state, name, item, k): collect one group's items.
 */
PG_FUNCTION_INFO_V1(negatives_transfn);
Datum
negatives_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	NegativesState *state;
	char	   *name;
	int32		k;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "negatives_transfn called in non-aggregate context");

	NegsampCheckLoaded();
	name = NegsampNameArg(fcinfo, 1);
	k = NegsampKArg(fcinfo, 3);

	if (PG_ARGISNULL(0))
	{
		state = MemoryContextAllocZero(aggcontext, sizeof(NegativesState));
		strlcpy(state->name, name, NAMEDATALEN);
		state->k = k;
		state->capacity = 64;
		state->items = MemoryContextAlloc(aggcontext,
										  sizeof(int64) * state->capacity);
	}
	else
	{
		state = (NegativesState *) PG_GETARG_POINTER(0);
		if (strcmp(state->name, name) != 0 || state->k != k)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s changed within one group of negatives()",
							strcmp(state->name, name) != 0 ? "sampler name" : "k"),
					 errdetail("The group started with sampler \"%s\" and k %d, then had sampler \"%s\" and k %d.",
							   state->name, state->k, name, k),
					 errhint("Pass the same sampler name and k for every row of a group.")));
	}

	/* A NULL item is no positive */
	if (!PG_ARGISNULL(2))
	{
		if (state->nitems == state->capacity)
		{
			state->capacity *= 2;
			state->items = repalloc_huge(state->items,
										 sizeof(int64) * state->capacity);
		}
		state->items[state->nitems++] = PG_GETARG_INT64(2);
	}
	PG_RETURN_POINTER(state);
}

/*
 * negatives_finalfn(state): draw k negatives outside the group's items.
 * NULL for an empty group.
 */
PG_FUNCTION_INFO_V1(negatives_finalfn);
Datum
negatives_finalfn(PG_FUNCTION_ARGS)
{
	NegativesState *state;
	int64	   *ids;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (NegativesState *) PG_GETARG_POINTER(0);
	if (state->nitems > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("group of " INT64_FORMAT " items is too large for negatives()",
						state->nitems)));

	ids = NegsampDrawIds(state->name, state->k, state->items,
						 (int) state->nitems, true, false, 0, NULL);
	PG_RETURN_ARRAYTYPE_P(id_array(ids, state->k));
}
