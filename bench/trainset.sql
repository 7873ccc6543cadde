-- Training-set generation on the MovieLens-1M-shaped set that
-- bench/movielens.py wrote into ml.items and ml.ratings: 128 negatives per
-- user, none of them an item the user rated.  Three negsamp forms and two
-- plain-SQL baselines run in the same session; every result is checked.
--
-- psql variables: reps (repetitions of each method), slow_reps (of the
-- ORDER BY random() baseline).
SET bench.reps = :'reps';
SET bench.slow_reps = :'slow_reps';

ALTER TABLE ml.ratings ADD PRIMARY KEY (user_id, item_id);
CREATE TABLE ml.users AS SELECT DISTINCT user_id FROM ml.ratings;
ALTER TABLE ml.users ADD PRIMARY KEY (user_id);
CREATE TABLE ml.user_items AS
SELECT user_id, array_agg(item_id ORDER BY item_id) AS items
FROM ml.ratings GROUP BY user_id;
ALTER TABLE ml.user_items ADD PRIMARY KEY (user_id);
VACUUM ANALYZE ml.items, ml.ratings, ml.users, ml.user_items;

SELECT count(*) AS users,
       (SELECT count(*) FROM ml.items) AS items,
       (SELECT count(*) FROM ml.ratings) AS ratings
FROM ml.users;

-- The catalog is the sparse list of item ids, as in MovieLens.
SELECT negsamp.create_sampler('ml_uniform', 'uniform',
                              items => (SELECT array_agg(item_id) FROM ml.items));
SELECT negsamp.create_sampler('ml_frequency', 'frequency',
                              items => (SELECT array_agg(item_id) FROM ml.items));

-- Each method's query returns either (user_id, negatives bigint[]) rows
-- (kind 'arrays') or (user_id, item_id) rows (kind 'rows').  A run
-- materializes the result into a temporary table, so every method pays
-- for writing its output.
CREATE TABLE bench.trainset_method (
    method text PRIMARY KEY,
    position integer NOT NULL,
    kind text NOT NULL CHECK (kind IN ('arrays', 'rows')),
    reps integer NOT NULL,
    query text NOT NULL
);

INSERT INTO bench.trainset_method VALUES
('negsamp_arrays', 1, 'arrays', current_setting('bench.reps')::integer, $q$
SELECT user_id, negsamp.sample_array('ml_uniform', 128, exclude => items) AS negatives
FROM ml.user_items
$q$),
('negsamp_aggregate', 2, 'arrays', current_setting('bench.reps')::integer, $q$
SELECT user_id, negsamp.negatives('ml_uniform', item_id, 128) AS negatives
FROM ml.ratings
GROUP BY user_id
$q$),
('negsamp_srf', 3, 'rows', current_setting('bench.reps')::integer, $q$
SELECT u.user_id, s.item_id
FROM ml.user_items u
CROSS JOIN LATERAL negsamp.sample('ml_uniform', 128, exclude => u.items) AS s(item_id)
$q$),
('negsamp_arrays_frequency', 4, 'arrays', current_setting('bench.reps')::integer, $q$
SELECT user_id, negsamp.sample_array('ml_frequency', 128, exclude => items) AS negatives
FROM ml.user_items
$q$),
-- Random ids with rejection: per user, draw enough random catalog
-- positions that 128 distinct unrated items remain with near certainty
-- (25% more than the expected need, plus 16), drop rated items and
-- repeats, keep the first 128 in draw order.  OFFSET 0 keeps the draws
-- in a subquery of their own, so random() runs once per draw.
('sql_rejection', 5, 'rows', current_setting('bench.reps')::integer, $q$
SELECT u.user_id, s.item_id
FROM ml.user_items u,
     (SELECT array_agg(item_id) AS ids, count(*)::integer AS n FROM ml.items) AS c,
LATERAL (
    SELECT item_id
    FROM (
        SELECT DISTINCT ON (d.item_id) d.item_id, d.draw
        FROM (
            SELECT c.ids[1 + floor(random() * c.n)::integer] AS item_id, draw
            FROM generate_series(
                1, 16 + ceil(1.25 * 128 * c.n / (c.n - cardinality(u.items)))::integer) AS draw
            OFFSET 0
        ) AS d
        WHERE NOT EXISTS (SELECT 1 FROM ml.ratings r
                          WHERE r.user_id = u.user_id AND r.item_id = d.item_id)
        ORDER BY d.item_id, d.draw
    ) AS fresh
    ORDER BY draw
    LIMIT 128
) AS s
$q$),
('sql_order_by_random', 6, 'rows', current_setting('bench.slow_reps')::integer, $q$
SELECT u.user_id, n.item_id
FROM ml.users u
CROSS JOIN LATERAL (
    SELECT i.item_id
    FROM ml.items i
    WHERE NOT EXISTS (SELECT 1 FROM ml.ratings r
                      WHERE r.user_id = u.user_id AND r.item_id = i.item_id)
    ORDER BY random()
    LIMIT 128
) AS n
$q$);

-- Count what is wrong with the result in bench_result: users without
-- exactly 128 negatives, repeated negatives, negatives the user rated,
-- and negatives outside the catalog.
CREATE FUNCTION bench.check_trainset(kind text,
    OUT wrong_size bigint, OUT duplicates bigint, OUT positives bigint,
    OUT outside_catalog bigint)
LANGUAGE plpgsql AS $$
DECLARE
    result_rows text := CASE kind
        WHEN 'arrays' THEN 'SELECT user_id, unnest(negatives) AS item_id FROM bench_result'
        ELSE 'SELECT user_id, item_id FROM bench_result' END;
BEGIN
    EXECUTE format($f$
        WITH r AS MATERIALIZED (%s),
        per_user AS (
            SELECT u.user_id, count(r.item_id) AS n, count(DISTINCT r.item_id) AS distinct_n
            FROM ml.users u LEFT JOIN r USING (user_id)
            GROUP BY u.user_id)
        SELECT (SELECT count(*) FROM per_user WHERE n <> 128)
                 + (SELECT count(*) FROM r WHERE user_id NOT IN (SELECT user_id FROM ml.users)
                                              OR user_id IS NULL OR item_id IS NULL),
               (SELECT coalesce(sum(n - distinct_n), 0) FROM per_user),
               (SELECT count(*) FROM r JOIN ml.ratings p USING (user_id, item_id)),
               (SELECT count(*) FROM r WHERE NOT EXISTS
                    (SELECT 1 FROM ml.items i WHERE i.item_id = r.item_id))
        $f$, result_rows)
    INTO wrong_size, duplicates, positives, outside_catalog;
END
$$;

-- Run every method, repetitions interleaved, and check each result.
DO $$
DECLARE
    m record;
    seconds float8;
    c record;
BEGIN
    FOR rep IN 1..(SELECT max(reps) FROM bench.trainset_method) LOOP
        FOR m IN SELECT * FROM bench.trainset_method WHERE reps >= rep ORDER BY position LOOP
            DROP TABLE IF EXISTS bench_result;
            seconds := bench.seconds('CREATE TEMP TABLE bench_result AS ' || m.query);
            INSERT INTO bench.sample VALUES (format('trainset|%s', m.method), rep, seconds);

            c := bench.check_trainset(m.kind);
            INSERT INTO bench.sample VALUES
                (format('check|%s|wrong_size', m.method), rep, c.wrong_size),
                (format('check|%s|duplicates', m.method), rep, c.duplicates),
                (format('check|%s|positives', m.method), rep, c.positives),
                (format('check|%s|outside_catalog', m.method), rep, c.outside_catalog);
        END LOOP;
    END LOOP;
    DROP TABLE IF EXISTS bench_result;
END
$$;

-- The check, summed over all repetitions of each method.
SELECT m.method,
       count(*) / 4 AS results_checked,
       sum(s.value) FILTER (WHERE s.key LIKE '%|wrong_size') AS users_without_128,
       sum(s.value) FILTER (WHERE s.key LIKE '%|duplicates') AS duplicates,
       sum(s.value) FILTER (WHERE s.key LIKE '%|positives') AS rated_items,
       sum(s.value) FILTER (WHERE s.key LIKE '%|outside_catalog') AS outside_catalog,
       CASE WHEN sum(s.value) = 0 THEN 'ok' ELSE 'WRONG' END AS check
FROM bench.trainset_method m
JOIN bench.sample s ON s.key LIKE 'check|' || m.method || '|%'
GROUP BY m.method, m.position
ORDER BY m.position;
