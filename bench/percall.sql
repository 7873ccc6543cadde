-- Per-call cost of sample_array(name, 128) for each strategy and catalog
-- size, the floor of the same loop, sampler memory and creation time.
--
-- psql variables: calls (calls per timed statement), reps (repetitions),
-- warm (calls with record => true before timing, to spread the counts).
SET bench.calls = :'calls';
SET bench.reps = :'reps';
SET bench.warm = :'warm';

CREATE TABLE bench.percall_sampler AS
SELECT strategy, n, format('%s_%s', strategy, n) AS name
FROM unnest(ARRAY['uniform', 'frequency', 'threshold']) AS strategy,
     unnest(ARRAY[10000, 100000, 1000000, 10000000]::bigint[]) AS n;

-- Create every sampler and time it (repetition 1).  Nothing has been
-- dropped yet, so each sampler takes arena memory that no process has
-- touched before.  Then time re-creation in touched memory (repetitions 2
-- and 3): an untimed create and drop of the largest sampler touches the
-- free space after the samplers, where each later probe is created and
-- dropped again.
DO $$
DECLARE
    s record;
BEGIN
    FOR s IN SELECT * FROM bench.percall_sampler ORDER BY n, strategy LOOP
        INSERT INTO bench.sample VALUES (
            format('create|%s|%s', s.strategy, s.n), 1,
            bench.seconds(format(
                'SELECT negsamp.create_sampler(%L, %L, cardinality => %s)',
                s.name, s.strategy, s.n)));
        INSERT INTO bench.sample
        SELECT format('memory|%s|%s', s.strategy, s.n), 1, memory_bytes
        FROM negsamp.samplers WHERE name = s.name;
    END LOOP;

    PERFORM negsamp.create_sampler('create_probe', 'frequency', cardinality => 10000000);
    PERFORM negsamp.drop_sampler('create_probe');
    FOR rep IN 2..3 LOOP
        FOR s IN SELECT * FROM bench.percall_sampler WHERE n = 10000000 ORDER BY strategy LOOP
            INSERT INTO bench.sample VALUES (
                format('create|%s|%s', s.strategy, s.n), rep,
                bench.seconds(format(
                    'SELECT negsamp.create_sampler(%L, %L, cardinality => %s)',
                    'create_probe', s.strategy, s.n)));
            PERFORM negsamp.drop_sampler('create_probe');
        END LOOP;
    END LOOP;
END
$$;

-- Spread the counts with prior calls, then check one draw of each sampler:
-- 128 distinct ids, all in the catalog.
DO $$
DECLARE
    s record;
    warm integer := current_setting('bench.warm')::integer;
    ids bigint[];
BEGIN
    FOR s IN SELECT * FROM bench.percall_sampler ORDER BY n, strategy LOOP
        PERFORM bench.seconds(format(
            'SELECT count(negsamp.sample_array(%L, 128)) FROM generate_series(1, %s)',
            s.name, warm));
        ids := negsamp.sample_array(s.name, 128, record => false);
        IF cardinality(ids) <> 128
           OR (SELECT count(DISTINCT id) FROM unnest(ids) AS id) <> 128
           OR EXISTS (SELECT 1 FROM unnest(ids) AS id WHERE id < 0 OR id >= s.n) THEN
            RAISE EXCEPTION 'sampler % returned an invalid draw: %', s.name, ids;
        END IF;
        IF s.strategy <> 'uniform' THEN
            INSERT INTO bench.sample VALUES (
                format('buckets|%s|%s|before', s.strategy, s.n), 1,
                bench.distinct_counts(s.name));
        END IF;
    END LOOP;
END
$$;

-- The counts each numpy and torch reference starts from: how many items
-- have each count.
CREATE TABLE bench.count_histogram AS
SELECT s.strategy, s.n, c.draws, count(*) AS items
FROM bench.percall_sampler s, negsamp.item_counts(s.name) c
WHERE s.strategy <> 'uniform'
GROUP BY s.strategy, s.n, c.draws;

-- Timed loops, repetitions interleaved so drift hits every case alike.
-- The call goes in the target list of a plain aggregate: in the shape
-- "generate_series(...) g, LATERAL (SELECT f()) s", a subquery that does
-- not reference g runs once, not once per row.  The record => true runs
-- check that the sampler counted every call.
DO $$
DECLARE
    s record;
    calls integer := current_setting('bench.calls')::integer;
    reps integer := current_setting('bench.reps')::integer;
    record_mode boolean;
    calls_before bigint;
    seconds float8;
BEGIN
    FOR rep IN 1..reps LOOP
        INSERT INTO bench.sample VALUES ('percall|floor', rep,
            1e6 * bench.seconds(format(
                'SELECT count(array_fill(g, ARRAY[128])) FROM generate_series(1::bigint, %s) AS g',
                calls)) / calls);

        FOR s IN SELECT * FROM bench.percall_sampler ORDER BY n, strategy LOOP
            FOREACH record_mode IN ARRAY ARRAY[false, true] LOOP
                calls_before := bench.sampler_calls(s.name);
                seconds := bench.seconds(format(
                    'SELECT count(negsamp.sample_array(%L, 128, record => %L)) FROM generate_series(1, %s)',
                    s.name, record_mode, calls));
                IF record_mode AND bench.sampler_calls(s.name) - calls_before <> calls THEN
                    RAISE EXCEPTION 'sampler % recorded % calls, expected %',
                        s.name, bench.sampler_calls(s.name) - calls_before, calls;
                END IF;
                INSERT INTO bench.sample VALUES (
                    format('percall|%s|%s|%s', s.strategy, s.n,
                           CASE WHEN record_mode THEN 'record' ELSE 'norecord' END),
                    rep, 1e6 * seconds / calls);
            END LOOP;
        END LOOP;
    END LOOP;
END
$$;

INSERT INTO bench.sample
SELECT format('buckets|%s|%s|after', strategy, n), 1, bench.distinct_counts(name)
FROM bench.percall_sampler WHERE strategy <> 'uniform';
