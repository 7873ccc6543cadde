/* negsamp--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION negsamp" to load this file. \quit

CREATE FUNCTION create_sampler(
    name text,
    strategy text,
    items bigint[] DEFAULT NULL,
    cardinality bigint DEFAULT NULL,
    weights float8[] DEFAULT NULL,
    mode text DEFAULT NULL,
    temperature float8 DEFAULT NULL,
    seed bigint DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'create_sampler'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION create_sampler(text, text, bigint[], bigint, float8[], text, float8, bigint)
IS 'create a named sampler over a catalog of items with strategy uniform, frequency or threshold';

CREATE FUNCTION drop_sampler(name text, if_exists boolean DEFAULT false)
RETURNS boolean
AS 'MODULE_PATHNAME', 'drop_sampler'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION drop_sampler(text, boolean)
IS 'drop a sampler and free its shared memory; returns false if it did not exist and if_exists';

CREATE FUNCTION reset_sampler(name text)
RETURNS void
AS 'MODULE_PATHNAME', 'reset_sampler'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION reset_sampler(text)
IS 'set all draw counts, calls and draws of a sampler to zero';

CREATE FUNCTION sample(
    name text,
    k integer,
    exclude bigint[] DEFAULT NULL,
    record boolean DEFAULT true,
    seed bigint DEFAULT NULL)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'sample'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 128;

COMMENT ON FUNCTION sample(text, integer, bigint[], boolean, bigint)
IS 'draw k distinct negatives, none of them in exclude, as rows in draw order';

CREATE FUNCTION sample_array(
    name text,
    k integer,
    exclude bigint[] DEFAULT NULL,
    record boolean DEFAULT true,
    seed bigint DEFAULT NULL)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'sample_array'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION sample_array(text, integer, bigint[], boolean, bigint)
IS 'draw k distinct negatives, none of them in exclude, as an array in draw order';

CREATE FUNCTION sample_with_probabilities(
    name text,
    k integer,
    exclude bigint[] DEFAULT NULL,
    record boolean DEFAULT true,
    seed bigint DEFAULT NULL,
    OUT item_id bigint,
    OUT draw_position integer,
    OUT probability float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sample_with_probabilities'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 128;

COMMENT ON FUNCTION sample_with_probabilities(text, integer, bigint[], boolean, bigint)
IS 'the draw of sample() with each negative''s single-draw probability at the start of the call';

CREATE FUNCTION negatives_transfn(internal, text, bigint, integer)
RETURNS internal
AS 'MODULE_PATHNAME', 'negatives_transfn'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION negatives_finalfn(internal, text, bigint, integer)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'negatives_finalfn'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE AGGREGATE negatives(name text, item bigint, k integer) (
    SFUNC = negatives_transfn,
    STYPE = internal,
    FINALFUNC = negatives_finalfn,
    FINALFUNC_EXTRA
);

COMMENT ON AGGREGATE negatives(text, bigint, integer)
IS 'draw k negatives for a group, excluding every item of the group';

-- CREATE AGGREGATE always records an aggregate as immutable, and the
-- planner evaluates two identical immutable aggregate calls of one query
-- once.  Each call of negatives() is a separate draw, so mark it volatile.
UPDATE pg_catalog.pg_proc SET provolatile = 'v'
WHERE oid = 'negatives(text, bigint, integer)'::pg_catalog.regprocedure;

CREATE FUNCTION sampler_list(
    OUT name text,
    OUT strategy text,
    OUT mode text,
    OUT temperature float8,
    OUT cardinality bigint,
    OUT calls bigint,
    OUT draws bigint,
    OUT seed bigint,
    OUT memory_bytes bigint,
    OUT owner regrole)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sampler_list'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE VIEW samplers AS
    SELECT name, strategy, mode, temperature, cardinality, calls, draws,
           seed, memory_bytes, owner
    FROM sampler_list();

COMMENT ON VIEW samplers IS 'one row per sampler of the current database';

CREATE FUNCTION item_counts(name text,
    OUT item_id bigint, OUT draws bigint, OUT probability float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'item_counts'
LANGUAGE C VOLATILE PARALLEL SAFE;

COMMENT ON FUNCTION item_counts(text)
IS 'every catalog item with its draw count and its probability in a single draw without exclusions';

CREATE FUNCTION restore_counts_transfn(internal, text, bigint, bigint)
RETURNS internal
AS 'MODULE_PATHNAME', 'restore_counts_transfn'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION restore_counts_finalfn(internal, text, bigint, bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'restore_counts_finalfn'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE AGGREGATE restore_counts(name text, item bigint, draws bigint) (
    SFUNC = restore_counts_transfn,
    STYPE = internal,
    FINALFUNC = restore_counts_finalfn,
    FINALFUNC_EXTRA
);

COMMENT ON AGGREGATE restore_counts(text, bigint, bigint)
IS 'replace the counts of a sampler with the (item, draws) rows of a query; items absent get 0';

-- Like negatives(), each call changes shared state.
UPDATE pg_catalog.pg_proc SET provolatile = 'v'
WHERE oid = 'restore_counts(text, bigint, bigint)'::pg_catalog.regprocedure;

CREATE FUNCTION save_state()
RETURNS void
AS 'MODULE_PATHNAME', 'save_state'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION save_state()
IS 'write all samplers to the state file now, to survive a crash or an immediate shutdown';

REVOKE ALL ON FUNCTION save_state() FROM PUBLIC;

-- Drawing and inspecting are open to every role; changing a sampler is
-- checked against its owner inside the functions.
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;
GRANT SELECT ON samplers TO PUBLIC;

CREATE FUNCTION distribution_stats(name text,
    OUT items bigint,
    OUT calls bigint,
    OUT draws bigint,
    OUT coverage float8,
    OUT min_count bigint,
    OUT max_count bigint,
    OUT mean_count float8,
    OUT stddev_count float8,
    OUT distinct_counts bigint,
    OUT gini float8,
    OUT entropy float8,
    OUT normalized_entropy float8,
    OUT probability_ratio float8,
    OUT kl_from_uniform float8)
RETURNS record
AS 'MODULE_PATHNAME', 'distribution_stats'
LANGUAGE C VOLATILE PARALLEL SAFE;

COMMENT ON FUNCTION distribution_stats(text)
IS 'statistics of a sampler''s draw counts and of its single-draw distribution now; entropy and KL divergence in nats';

CREATE FUNCTION count_histogram(name text, OUT draws bigint, OUT items bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'count_histogram'
LANGUAGE C VOLATILE PARALLEL SAFE;

COMMENT ON FUNCTION count_histogram(text)
IS 'each distinct draw count of a sampler, ascending, with the number of items that have it';

CREATE FUNCTION simulate(
    strategy text,
    cardinality bigint,
    k integer,
    calls integer,
    mode text DEFAULT 'softmax',
    temperature float8 DEFAULT 1.0,
    seed bigint DEFAULT 0,
    report_every integer DEFAULT 1,
    OUT call integer,
    OUT coverage float8,
    OUT min_count bigint,
    OUT max_count bigint,
    OUT entropy float8,
    OUT gini float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'simulate'
LANGUAGE C VOLATILE PARALLEL SAFE;

COMMENT ON FUNCTION simulate(text, bigint, integer, integer, text, float8, bigint, integer)
IS 'run a private sampler in backend memory for calls draws of k negatives and report coverage, counts, entropy and Gini every report_every calls';
