-- Objects shared by the benchmark scripts.  Every measurement is one row
-- of bench.sample; bench/report.py reads them and computes the medians.
CREATE EXTENSION negsamp;
CREATE SCHEMA bench;

CREATE TABLE bench.sample (
    key text NOT NULL,      -- what was measured, fields separated by '|'
    rep integer NOT NULL,   -- repetition, from 1
    value float8 NOT NULL   -- unit given by the key's first field
);

-- Run one statement and return its wall-clock time in seconds.  The
-- statement runs to completion and its rows are discarded.
CREATE FUNCTION bench.seconds(query text) RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz;
BEGIN
    started := clock_timestamp();
    EXECUTE query;
    RETURN extract(epoch FROM clock_timestamp() - started);
END
$$;

-- Return how many calls a sampler has recorded.
CREATE FUNCTION bench.sampler_calls(sampler text) RETURNS bigint
LANGUAGE sql AS $$
    SELECT calls FROM negsamp.samplers WHERE name = sampler
$$;

-- Return the number of distinct draw counts of a sampler, which is the
-- number of buckets of a frequency or threshold sampler.
CREATE FUNCTION bench.distinct_counts(sampler text) RETURNS bigint
LANGUAGE sql AS $$
    SELECT count(DISTINCT draws) FROM negsamp.item_counts(sampler)
$$;
