-- The negatives aggregate over a small ratings table.

CREATE TABLE ratings (user_id int, item bigint);
INSERT INTO ratings
SELECT u, i FROM generate_series(1, 30) u, generate_series(0, 49) i
WHERE (i * 7 + u) % 5 = 0;   -- 10 items per user

SELECT negsamp.create_sampler('agg', 'frequency', cardinality => 50, seed => 5);

-- Exact seeded output for the first users.
SELECT user_id, negsamp.negatives('agg', item, 4) AS negs
FROM ratings WHERE user_id <= 3 GROUP BY user_id ORDER BY user_id;

-- Every user: 8 distinct negatives, none of them rated, all in the catalog.
CREATE TEMP TABLE negs AS
SELECT user_id, negsamp.negatives('agg', item, 8) AS negs,
       array_agg(item) AS positives
FROM ratings GROUP BY user_id;
SELECT count(*) AS users,
       bool_and(cardinality(negs) = 8) AS k_each,
       bool_and((SELECT count(DISTINCT x) FROM unnest(negs) x) = 8) AS distinct_each,
       bool_and(NOT negs && positives) AS no_positive,
       bool_and(negs <@ ARRAY(SELECT generate_series(0, 49)::bigint)) AS in_catalog
FROM negs;
SELECT calls, draws, (SELECT sum(draws) FROM negsamp.item_counts('agg')) AS counts_sum
FROM negsamp.samplers WHERE name = 'agg';

-- An empty group gives NULL; NULL items are no positives.
SELECT negsamp.negatives('agg', item, 3) IS NULL AS is_null FROM ratings WHERE false;
SELECT cardinality(negsamp.negatives('agg', NULL::bigint, 3)) FROM generate_series(1, 2);

-- Two identical calls in one query draw separately: they record two calls.
SELECT calls AS calls_before FROM negsamp.samplers WHERE name = 'agg';
SELECT count(*) FROM (
  SELECT user_id, negsamp.negatives('agg', item, 8) a, negsamp.negatives('agg', item, 8) b
  FROM ratings GROUP BY user_id) t;
SELECT calls AS calls_after FROM negsamp.samplers WHERE name = 'agg';

-- The sampler name and k must not change within a group, nor be NULL.
SELECT negsamp.negatives(CASE WHEN i < 2 THEN 'agg' ELSE 'other' END, i::bigint, 2)
FROM generate_series(1, 3) i;
SELECT negsamp.negatives('agg', i::bigint, i) FROM generate_series(1, 3) i;
SELECT negsamp.negatives(NULL, i::bigint, 2) FROM generate_series(1, 3) i;
SELECT negsamp.negatives('agg', i::bigint, NULL) FROM generate_series(1, 3) i;
-- Too many negatives for the items left outside a group.
SELECT negsamp.negatives('agg', i::bigint, 45) FROM generate_series(0, 9) i;

SELECT negsamp.drop_sampler('agg');
DROP TABLE ratings;
