/*-------------------------------------------------------------------------
 *
 * admin.c
 *	  SQL functions that create, drop, reset and list samplers.
 *
 * create_sampler validates every argument and sorts the catalog in backend
 * memory before it touches shared memory, so a bad call leaves nothing
 * behind.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "negsamp.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#define SAMPLERS_COLUMNS	10

/* An item id with its position in the items argument */
typedef struct IdPosition
{
	int64		id;
	int64		position;
} IdPosition;

#define ST_SORT sort_id_positions
#define ST_ELEMENT_TYPE IdPosition
#define ST_COMPARE(a, b) (((a)->id > (b)->id) - ((a)->id < (b)->id))
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Return the sampler name argument, checked: not NULL, not empty, at most
 * NAMEDATALEN - 1 bytes.
 */
char *
NegsampNameArg(FunctionCallInfo fcinfo, int argno)
{
	char	   *name;
	size_t		len;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sampler name must not be null")));

	name = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	len = strlen(name);
	if (len == 0 || len >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid sampler name \"%s\"", name),
				 errdetail("A sampler name has 1 to %d bytes; this one has %zu.",
						   NAMEDATALEN - 1, len)));
	return name;
}

static NegsampStrategy
parse_strategy(const char *value)
{
	if (strcmp(value, "uniform") == 0)
		return NEGSAMP_UNIFORM;
	if (strcmp(value, "frequency") == 0)
		return NEGSAMP_FREQUENCY;
	if (strcmp(value, "threshold") == 0)
		return NEGSAMP_THRESHOLD;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid strategy \"%s\"", value),
			 errhint("Valid strategies are \"uniform\", \"frequency\" and \"threshold\".")));
	return NEGSAMP_UNIFORM;		/* keep compiler quiet */
}

static NegsampMode
parse_mode(const char *value)
{
	if (strcmp(value, "softmax") == 0)
		return NEGSAMP_MODE_SOFTMAX;
	if (strcmp(value, "softsum") == 0)
		return NEGSAMP_MODE_SOFTSUM;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid mode \"%s\"", value),
			 errhint("Valid modes are \"softmax\" and \"softsum\".")));
	return NEGSAMP_MODE_SOFTMAX;	/* keep compiler quiet */
}

/* Check a catalog size against the limit of the item index type */
static void
check_catalog_size(int64 n)
{
	if (n > NEGSAMP_MAX_ITEMS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("catalog of " INT64_FORMAT " items is too large", n),
				 errdetail("A sampler holds at most " INT64_FORMAT " items.",
						   NEGSAMP_MAX_ITEMS)));
}

/*
 * Return the strategy argument, checked: not NULL, a valid strategy name.
 */
NegsampStrategy
NegsampStrategyArg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("strategy must not be null"),
				 errhint("Valid strategies are \"uniform\", \"frequency\" and \"threshold\".")));
	return parse_strategy(text_to_cstring(PG_GETARG_TEXT_PP(argno)));
}

/*
 * Make spec a dense catalog of ids 0..n-1, after checking n.
 */
void
NegsampSetCardinality(NegsampSpec *spec, int64 n)
{
	if (n <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid cardinality " INT64_FORMAT, n),
				 errhint("The cardinality must be at least 1.")));
	check_catalog_size(n);
	spec->n = n;
	spec->dense = true;
}

/*
 * Read the items argument into spec: ids sorted ascending, and for each
 * sorted id its position in the argument (to reorder the weights).
 */
static int64 *
read_items(ArrayType *array, NegsampSpec *spec)
{
	Datum	   *values;
	bool	   *nulls;
	int			nvalues;
	IdPosition *pairs;
	int64	   *positions;

	deconstruct_array(array, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &values, &nulls, &nvalues);
	if (nvalues == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("catalog is empty"),
				 errhint("Pass at least one item id in items, or a positive cardinality.")));
	check_catalog_size(nvalues);

	pairs = palloc(sizeof(IdPosition) * nvalues);
	for (int i = 0; i < nvalues; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("items must not contain null elements"),
					 errdetail("Element %d of items is null.", i + 1)));
		pairs[i].id = DatumGetInt64(values[i]);
		pairs[i].position = i;
	}
	pfree(values);
	pfree(nulls);

	sort_id_positions(pairs, nvalues);

	spec->n = nvalues;
	spec->dense = false;
	spec->ids = palloc(sizeof(int64) * nvalues);
	positions = palloc(sizeof(int64) * nvalues);
	for (int i = 0; i < nvalues; i++)
	{
		if (i > 0 && pairs[i].id == pairs[i - 1].id)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("duplicate item id " INT64_FORMAT " in items", pairs[i].id),
					 errhint("Pass each item id once.")));
		spec->ids[i] = pairs[i].id;
		positions[i] = pairs[i].position;
	}
	pfree(pairs);
	return positions;
}

/*
 * Read the weights argument into spec, in catalog index order.  positions
 * maps each index to the argument position (NULL for a dense catalog).
 */
static void
read_weights(ArrayType *array, NegsampSpec *spec, const int64 *positions)
{
	Datum	   *values;
	bool	   *nulls;
	int			nvalues;
	double		total;

	deconstruct_array(array, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &values, &nulls, &nvalues);
	if ((int64) nvalues != spec->n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weights has %d elements but the catalog has " INT64_FORMAT " items",
						nvalues, spec->n),
				 errhint("Pass one weight per catalog item, in items order or in id order.")));

	spec->weights = palloc(sizeof(double) * spec->n);
	spec->npositive = 0;
	for (int64 i = 0; i < spec->n; i++)
	{
		int64		from = positions ? positions[i] : i;
		double		w;

		if (nulls[from])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("weights must not contain null elements"),
					 errdetail("Element " INT64_FORMAT " of weights is null.", from + 1)));
		w = DatumGetFloat8(values[from]);
		if (isnan(w) || isinf(w) || w < 0.0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid weight %g at element " INT64_FORMAT " of weights", w, from + 1),
					 errhint("Weights must be finite and non-negative.")));
		spec->weights[i] = w;
		if (w > 0.0)
			spec->npositive++;
	}
	total = 0.0;
	for (int64 i = 0; i < spec->n; i++)
		total += spec->weights[i];
	if (isinf(total))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sum of weights is out of range for double precision"),
				 errhint("Scale the weights down; only their ratios matter.")));
	if (spec->npositive == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("all weights are zero"),
				 errhint("Give at least one item a positive weight.")));
	pfree(values);
	pfree(nulls);
}

/*
 * Check mode and temperature against spec->strategy and fill them in.  mode
 * is NULL when not given; temperature is read only when has_temperature.
 */
void
NegsampSetMode(NegsampSpec *spec, const char *mode, bool has_temperature,
			   double temperature)
{
	bool		has_mode = (mode != NULL);

	spec->mode = NEGSAMP_MODE_NONE;
	spec->temperature = 1.0;

	if (spec->strategy == NEGSAMP_UNIFORM)
	{
		if (has_mode || has_temperature)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s does not apply to the uniform strategy",
							has_mode ? "mode" : "temperature"),
					 errhint("Use mode and temperature with the frequency or threshold strategy.")));
		return;
	}

	spec->mode = has_mode ? parse_mode(mode) : NEGSAMP_MODE_SOFTMAX;
	if (!has_temperature)
		return;

	if (spec->mode == NEGSAMP_MODE_SOFTSUM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("temperature does not apply to mode \"softsum\""),
				 errhint("Use temperature with mode \"softmax\".")));
	spec->temperature = temperature;
	if (isnan(spec->temperature) || isinf(spec->temperature) ||
		spec->temperature <= 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid temperature %g", spec->temperature),
				 errhint("The temperature must be finite and greater than 0.")));
}

/*
 * Build a validated spec from create_sampler's arguments: name, strategy,
 * items, cardinality, weights, mode, temperature, seed.
 */
static void
read_spec(FunctionCallInfo fcinfo, NegsampSpec *spec)
{
	bool		has_items = !PG_ARGISNULL(2);
	bool		has_cardinality = !PG_ARGISNULL(3);
	int64	   *positions = NULL;

	memset(spec, 0, sizeof(NegsampSpec));
	spec->strategy = NegsampStrategyArg(fcinfo, 1);

	if (has_items == has_cardinality)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 has_items ? errmsg("items and cardinality cannot both be given")
				 : errmsg("either items or cardinality is required"),
				 errhint("Pass exactly one: items for a list of item ids, or cardinality for ids 0 to cardinality - 1.")));

	if (has_items)
		positions = read_items(PG_GETARG_ARRAYTYPE_P(2), spec);
	else
		NegsampSetCardinality(spec, PG_GETARG_INT64(3));
	spec->npositive = spec->n;

	if (!PG_ARGISNULL(4))
	{
		if (spec->strategy != NEGSAMP_UNIFORM)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("weights apply only to the uniform strategy"),
					 errhint("Frequency and threshold samplers derive their weights from the draw counts.")));
		read_weights(PG_GETARG_ARRAYTYPE_P(4), spec, positions);
	}

	NegsampSetMode(spec,
				   PG_ARGISNULL(5) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(5)),
				   !PG_ARGISNULL(6), PG_ARGISNULL(6) ? 0.0 : PG_GETARG_FLOAT8(6));

	spec->has_seed = !PG_ARGISNULL(7);
	if (spec->has_seed)
		spec->seed = PG_GETARG_INT64(7);
	spec->owner = GetUserId();
}

/*
 * create_sampler(name, strategy, items, cardinality, weights, mode,
 *				  temperature, seed) returns void
 */
PG_FUNCTION_INFO_V1(create_sampler);
Datum
create_sampler(PG_FUNCTION_ARGS)
{
	char	   *name;
	NegsampSpec spec;

	NegsampCheckLoaded();
	name = NegsampNameArg(fcinfo, 0);
	read_spec(fcinfo, &spec);
	NegsampCreate(name, &spec);
	PG_RETURN_VOID();
}

/*
 * drop_sampler(name, if_exists) returns boolean: true if it was dropped.
 */
PG_FUNCTION_INFO_V1(drop_sampler);
Datum
drop_sampler(PG_FUNCTION_ARGS)
{
	char	   *name;

	NegsampCheckLoaded();
	name = NegsampNameArg(fcinfo, 0);
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("if_exists must not be null")));
	PG_RETURN_BOOL(NegsampDrop(name, PG_GETARG_BOOL(1)));
}

/*
 * reset_sampler(name) returns void
 */
PG_FUNCTION_INFO_V1(reset_sampler);
Datum
reset_sampler(PG_FUNCTION_ARGS)
{
	char	   *name;
	NegsampSampler *s;
	int			slot;
	uint64		generation;
	Oid			owner;

	NegsampCheckLoaded();
	name = NegsampNameArg(fcinfo, 0);

	s = NegsampAcquire(name, LW_SHARED, &slot, &generation);
	owner = s->owner;
	NegsampRelease(slot);
	NegsampCheckOwner(name, owner);

	s = NegsampReacquire(name, slot, generation, LW_EXCLUSIVE);
	NegsampSamplerReset(s);
	NegsampRelease(slot);
	PG_RETURN_VOID();
}

/*
 * sampler_list() returns one row per sampler of the current database; the
 * negsamp.samplers view selects from it.
 */
PG_FUNCTION_INFO_V1(sampler_list);
Datum
sampler_list(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	NegsampInfo *infos;
	int			count;

	NegsampCheckLoaded();
	InitMaterializedSRF(fcinfo, 0);
	count = NegsampList(&infos);

	for (int i = 0; i < count; i++)
	{
		NegsampInfo *info = &infos[i];
		Datum		values[SAMPLERS_COLUMNS];
		bool		nulls[SAMPLERS_COLUMNS];
		const char *mode = NegsampModeName(info->mode);
		int			col = 0;

		memset(nulls, 0, sizeof(nulls));
		values[col++] = CStringGetTextDatum(info->name);
		values[col++] = CStringGetTextDatum(NegsampStrategyName(info->strategy));
		if (mode)
			values[col] = CStringGetTextDatum(mode);
		else
			nulls[col] = true;
		col++;
		if (info->mode == NEGSAMP_MODE_SOFTMAX)
			values[col] = Float8GetDatum(info->temperature);
		else
			nulls[col] = true;
		col++;
		values[col++] = Int64GetDatum(info->n);
		values[col++] = Int64GetDatum(info->calls);
		values[col++] = Int64GetDatum(info->draws);
		if (info->has_seed)
			values[col] = Int64GetDatum(info->seed);
		else
			nulls[col] = true;
		col++;
		values[col++] = Int64GetDatum((int64) info->memory_bytes);
		values[col++] = ObjectIdGetDatum(info->owner);
		Assert(col == SAMPLERS_COLUMNS);

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
