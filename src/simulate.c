/*-------------------------------------------------------------------------
 *
 * simulate.c
 *	  The SQL function simulate: run a private sampler in backend memory
 *	  through a number of calls and report how its counts spread.
 *
 * The private sampler is built from the same spec as a shared one.  Each
 * call draws as NegsampDrawIds does for a shared sampler without exclusions:
 * it takes one 64-bit seed from the sampler's generator, seeds a generator
 * with it, picks, then updates the counts.  So a simulation reports what a
 * shared sampler with the same seed, driven by the same calls, would show.
 * Nothing touches shared memory, so simulate works without
 * shared_preload_libraries, and all its memory is freed when it returns.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "negsamp.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#define SIMULATE_COLUMNS	6

/*
 * Work units a simulation may take.  A call costs one unit per negative
 * plus one per distinct count among the items (the buckets that a draw and
 * its update walk), and a reported row one unit per catalog item.  A unit
 * took about 33 ns in 1,000,000 uniform calls of k = 128 over 10,000 items
 * on a 2-core x86-64 machine, so the limit is minutes of work (a run of two
 * units per call took 7.5 minutes).
 * A build can lower it with -DSIMULATE_MAX_WORK=N to test the check.
 */
#ifndef SIMULATE_MAX_WORK
#define SIMULATE_MAX_WORK	INT64CONST(10000000000)
#endif

/* Backend memory a simulation may use, by the estimate below */
#define SIMULATE_MAX_MEMORY		((Size) 1024 * 1024 * 1024)

/*
 * Memory estimate beyond the sampler block, meant as an upper bound.  Per
 * item: the copy of the counts, then the histogram or the probabilities
 * (32 bytes), and a draw's per-bucket arrays if every item had a count of
 * its own (24 bytes).  Per pick: the picked index and the engine's private
 * hash maps of a draw.  Peak memory measured for 1,000,000 to
 * 10,000,000 items was 2 to 7 times below the estimate.
 */
#define BYTES_PER_ITEM		56
#define BYTES_PER_PICK		160

/* The checked arguments of simulate */
typedef struct SimulateArgs
{
	NegsampSpec spec;
	int32		k;
	int32		calls;
	int32		report_every;
} SimulateArgs;

/* Raise an error when an argument that has no meaning as NULL is NULL */
static void
check_not_null(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", argname)));
}

/*
 * Check mode and temperature.  Their SQL defaults, 'softmax' and 1.0, are
 * passed whatever the strategy, so for the uniform strategy (which has
 * neither) and for mode softsum (which has no temperature) a default value
 * counts as not given.  Any other value is checked as create_sampler
 * checks it.
 */
static void
read_mode(FunctionCallInfo fcinfo, NegsampSpec *spec)
{
	const char *mode = NULL;
	bool		has_temperature = false;
	double		temperature = 1.0;

	if (!PG_ARGISNULL(4))
		mode = text_to_cstring(PG_GETARG_TEXT_PP(4));
	if (!PG_ARGISNULL(5))
	{
		temperature = PG_GETARG_FLOAT8(5);
		has_temperature = (temperature != 1.0);
	}

	if (spec->strategy == NEGSAMP_UNIFORM)
	{
		if (mode != NULL && strcmp(mode, "softmax") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("mode \"%s\" does not apply to the uniform strategy", mode),
					 errhint("Leave mode and temperature at their defaults, or pass NULL, for the uniform strategy.")));
		if (has_temperature)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("temperature %g does not apply to the uniform strategy",
							temperature),
					 errhint("Leave mode and temperature at their defaults, or pass NULL, for the uniform strategy.")));
		mode = NULL;
	}
	NegsampSetMode(spec, mode, has_temperature, temperature);
}

/*
 * Read and check simulate's arguments: strategy, cardinality, k, calls,
 * mode, temperature, seed, report_every.  A NULL seed leaves the sampler
 * unseeded, as in create_sampler.
 */
static void
read_args(FunctionCallInfo fcinfo, SimulateArgs *args)
{
	NegsampSpec *spec = &args->spec;

	memset(args, 0, sizeof(SimulateArgs));
	spec->strategy = NegsampStrategyArg(fcinfo, 0);

	check_not_null(fcinfo, 1, "cardinality");
	NegsampSetCardinality(spec, PG_GETARG_INT64(1));
	spec->npositive = spec->n;

	args->k = NegsampKArg(fcinfo, 2);

	check_not_null(fcinfo, 3, "calls");
	args->calls = PG_GETARG_INT32(3);
	if (args->calls < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid calls %d", args->calls),
				 errhint("calls is the number of draws to simulate and must be 0 or more.")));

	read_mode(fcinfo, spec);

	spec->has_seed = !PG_ARGISNULL(6);
	if (spec->has_seed)
		spec->seed = PG_GETARG_INT64(6);
	spec->owner = GetUserId();

	check_not_null(fcinfo, 7, "report_every");
	args->report_every = PG_GETARG_INT32(7);
	if (args->report_every < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid report_every %d", args->report_every),
				 errhint("report_every is the number of calls between two reported rows and must be at least 1.")));

	if (args->k > spec->n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k %d is larger than the cardinality " INT64_FORMAT,
						args->k, spec->n),
				 errhint("Request at most " INT64_FORMAT " negatives per call.",
						 spec->n)));
}

/*
 * Raise program_limit_exceeded when the simulation would take more memory
 * or work than its limits allow.  n and k are at most PG_INT32_MAX here, so
 * no product overflows 64 bits.
 */
static void
check_limits(const SimulateArgs *args)
{
	const NegsampSpec *spec = &args->spec;
	uint64		memory;
	uint64		reports;
	uint64		work;

	memory = (uint64) NegsampSamplerSize(spec->strategy, spec->n, true, false) +
		(uint64) spec->n * BYTES_PER_ITEM + (uint64) args->k * BYTES_PER_PICK;
	if (memory > SIMULATE_MAX_MEMORY)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("simulation needs about " UINT64_FORMAT " MB of memory, more than the limit of %zu MB",
						memory / (1024 * 1024), SIMULATE_MAX_MEMORY / (1024 * 1024)),
				 errdetail("The estimate is the sampler's own memory plus %d bytes per catalog item and %d bytes per negative of a call. Here cardinality is " INT64_FORMAT " and k is %d.",
						   BYTES_PER_ITEM, BYTES_PER_PICK, spec->n, args->k),
				 errhint("Lower cardinality or k.")));

	/* The minimum work: one distinct count in every call */
	reports = ((uint64) args->calls + args->report_every - 1) / args->report_every;
	work = (uint64) args->calls * ((uint64) args->k + 1) + reports * (uint64) spec->n;
	if (work > (uint64) SIMULATE_MAX_WORK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("simulation needs at least " UINT64_FORMAT " work units, more than the limit of " INT64_FORMAT,
						work, SIMULATE_MAX_WORK),
				 errdetail_plural("A call costs one unit per negative plus one per distinct count among the items, and a reported row one unit per catalog item. Here calls is %d, k is %d, cardinality is " INT64_FORMAT " and " UINT64_FORMAT " row is reported.",
								  "A call costs one unit per negative plus one per distinct count among the items, and a reported row one unit per catalog item. Here calls is %d, k is %d, cardinality is " INT64_FORMAT " and " UINT64_FORMAT " rows are reported.",
								  (unsigned long) reports,
								  args->calls, args->k, spec->n, reports),
				 errhint("Lower calls, k or cardinality, or raise report_every.")));
}

/*
 * Add units to the work done so far, and raise program_limit_exceeded when
 * the total passes the limit.  Calls of the frequency strategy cost more
 * than check_limits assumed when the counts spread over many values.
 */
static void
add_work(uint64 *work, uint64 units, int32 call, const SimulateArgs *args,
		 const NegsampSampler *s)
{
	*work += units;
	if (*work <= (uint64) SIMULATE_MAX_WORK)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("simulation passed the limit of " INT64_FORMAT " work units at call %d of %d",
					SIMULATE_MAX_WORK, call, args->calls),
			 errdetail("A call costs one unit per negative plus one per distinct count among the items, and a reported row one unit per catalog item; the counts had %u distinct values at that call.",
					   Max(s->nbuckets, 1)),
			 errhint("Lower calls, k or cardinality, or raise report_every. Under the frequency strategy, mode \"softsum\" or a lower temperature keeps fewer distinct counts.")));
}

/*
 * Draw one call of k negatives without exclusions and add them to the
 * counts, seeded as NegsampDrawIds seeds a call of a shared sampler.
 * Memory comes from the current memory context.
 */
static void
simulate_call(NegsampSampler *s, int32 k, uint32 *picked)
{
	NegsampDraw *draw = NegsampDrawBegin(s, NULL, 0, NULL);
	pg_prng_state rng;

	NegsampDrawWillApply(draw);

	pg_prng_seed(&rng, pg_prng_uint64(&s->prng));

	/* Pick in the chunks NegsampDrawIds uses, so the picks equal a shared sampler's */
	for (int64 done = 0; done < k; done += NEGSAMP_PICKS_PER_CHECK)
	{
		CHECK_FOR_INTERRUPTS();
		NegsampDrawPick(draw, &rng, Min(NEGSAMP_PICKS_PER_CHECK, k - done), picked + done);
	}
	NegsampApply(s, draw, picked, k);
	NegsampDrawEnd(draw);
}

/* Append the row of the state after call number call */
static void
report_row(ReturnSetInfo *rsinfo, const NegsampSampler *s, int64 *counts,
		   int32 call)
{
	NegsampStats stats;
	Datum		values[SIMULATE_COLUMNS];
	bool		nulls[SIMULATE_COLUMNS];
	int			col = 0;

	NegsampCopyCounts(s, counts);
	NegsampComputeStats(s, counts, NULL, &stats);

	memset(nulls, 0, sizeof(nulls));
	values[col++] = Int32GetDatum(call);
	values[col++] = Float8GetDatum((double) stats.covered / (double) stats.items);
	values[col++] = Int64GetDatum(stats.min_count);
	values[col++] = Int64GetDatum(stats.max_count);
	values[col++] = Float8GetDatum(stats.entropy);
	values[col++] = Float8GetDatum(stats.gini);
	Assert(col == SIMULATE_COLUMNS);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * simulate(strategy, cardinality, k, calls, mode, temperature, seed,
 *			report_every) returns table(call integer, coverage float8,
 *			min_count bigint, max_count bigint, entropy float8, gini float8):
 * one row after every report_every calls and one after the last call.
 */
PG_FUNCTION_INFO_V1(simulate);
Datum
simulate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SimulateArgs args;
	MemoryContext simulation;
	MemoryContext per_call;
	MemoryContext old;
	NegsampSampler *s;
	Size		size;
	uint32	   *picked;
	int64	   *counts;
	uint64		work = 0;

	read_args(fcinfo, &args);
	check_limits(&args);
	InitMaterializedSRF(fcinfo, 0);

	simulation = AllocSetContextCreate(CurrentMemoryContext, "negsamp simulate",
									   ALLOCSET_DEFAULT_SIZES);
	per_call = AllocSetContextCreate(simulation, "negsamp simulate call",
									 ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(simulation);

	size = NegsampSamplerSize(args.spec.strategy, args.spec.n, true, false);
	s = palloc_extended(size, MCXT_ALLOC_HUGE);
	NegsampSamplerInit(s, &args.spec);
	picked = palloc_extended(sizeof(uint32) * Max(args.k, 1), MCXT_ALLOC_HUGE);
	counts = palloc_extended(sizeof(int64) * args.spec.n, MCXT_ALLOC_HUGE);

	MemoryContextSwitchTo(per_call);
	for (int64 call = 1; call <= args.calls; call++)
	{
		CHECK_FOR_INTERRUPTS();

		/* A uniform draw walks no buckets; its call costs one unit */
		add_work(&work, (uint64) args.k + Max(s->nbuckets, 1), call, &args, s);
		simulate_call(s, args.k, picked);
		MemoryContextReset(per_call);

		if (call % args.report_every == 0 || call == args.calls)
		{
			add_work(&work, (uint64) args.spec.n, call, &args, s);
			report_row(rsinfo, s, counts, call);
			MemoryContextReset(per_call);
		}
	}

	MemoryContextSwitchTo(old);
	MemoryContextDelete(simulation);
	return (Datum) 0;
}
