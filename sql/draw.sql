-- sample and sample_array: exact seeded output, properties of every draw,
-- and argument errors.

SELECT negsamp.create_sampler('u', 'uniform', cardinality => 20, seed => 42);
SELECT negsamp.create_sampler('f', 'frequency', cardinality => 20, seed => 42);
SELECT negsamp.create_sampler('t', 'threshold', cardinality => 20, seed => 42);
SELECT negsamp.create_sampler('w', 'uniform', cardinality => 20, seed => 42,
    weights => ARRAY(SELECT (i % 4)::float8 FROM generate_series(0, 19) i));

-- Exact output of a seeded sampler: the same calls give the same
-- negatives on any machine.
SELECT negsamp.sample_array('u', 5);
SELECT negsamp.sample_array('u', 5, exclude => '{0,1,2,3,4}');
SELECT * FROM negsamp.sample('u', 5);
SELECT negsamp.sample_array('f', 5);
SELECT negsamp.sample_array('t', 5);
SELECT negsamp.sample_array('w', 5);

-- After a reset, a seeded sampler repeats itself exactly.
SELECT negsamp.reset_sampler('u');
SELECT negsamp.sample_array('u', 5);

-- PostgreSQL runs a set-returning function in FROM that refers to no outer
-- row once and reuses its rows.  In the select list it runs per row.
SELECT count(DISTINCT a) AS distinct_draws
FROM (SELECT negsamp.sample_array('u', 5, record => false) a FROM generate_series(1, 10)) d;

-- A per-call seed gives the same draw whatever happened before, and
-- leaves the sampler's generator alone.
SELECT negsamp.sample_array('u', 6, seed => 1000, record => false) =
       negsamp.sample_array('u', 6, seed => 1000, record => false) AS same;
SELECT negsamp.sample_array('w', 6, seed => 1000, record => false) =
       negsamp.sample_array('w', 6, seed => 1000, record => false) AS same;
SELECT array_agg(x) = negsamp.sample_array('f', 6, seed => 5, record => false) AS srf_equals_array
FROM negsamp.sample('f', 6, seed => 5, record => false) x;

-- k = 0 draws and records nothing.
SELECT negsamp.sample_array('u', 0);
SELECT count(*) FROM negsamp.sample('u', 0);

-- record => false changes no count, calls or draws.
CREATE TEMP TABLE before AS SELECT * FROM negsamp.item_counts('f');
SELECT calls AS calls_before, draws AS draws_before FROM negsamp.samplers WHERE name = 'f';
SELECT count(*) FROM (SELECT negsamp.sample('f', 7, record => false) FROM generate_series(1, 10)) d;
SELECT calls, draws FROM negsamp.samplers WHERE name = 'f';
SELECT count(*) AS changed FROM before b JOIN negsamp.item_counts('f') a USING (item_id)
WHERE a.draws <> b.draws;

-- Properties over many draws of every strategy: k distinct items, all in
-- the catalog, none excluded; counts sum to k times the recorded calls.
SELECT negsamp.reset_sampler(s) FROM unnest('{u,f,t,w}'::text[]) s;
CREATE TEMP TABLE draws AS
SELECT s.name, g AS call, negsamp.sample_array(s.name, 7, exclude => ARRAY[g % 20, (g * 7) % 20, NULL, 99, -5]) AS negs,
       ARRAY[g % 20, (g * 7) % 20]::bigint[] AS excluded
FROM (VALUES ('u'), ('f'), ('t'), ('w')) s(name), generate_series(1, 200) g;
SELECT name,
       bool_and(cardinality(negs) = 7) AS k_each,
       bool_and((SELECT count(DISTINCT x) FROM unnest(negs) x) = 7) AS distinct_each,
       bool_and(NOT negs && excluded) AS none_excluded,
       bool_and(negs <@ ARRAY(SELECT generate_series(0, 19)::bigint)) AS in_catalog
FROM draws GROUP BY name ORDER BY name;
SELECT name, calls, draws, draws = 7 * calls AS draws_is_k_times_calls,
       (SELECT sum(c.draws) FROM negsamp.item_counts(name) c) = draws AS counts_sum_to_draws
FROM negsamp.samplers WHERE name IN ('u', 'f', 't', 'w') ORDER BY name;

-- Items of weight 0 are never drawn (w has weight 0 at ids 0, 4, 8, ...).
SELECT count(*) AS zero_weight_draws FROM draws, unnest(negs) x
WHERE name = 'w' AND x % 4 = 0;
-- 15 items have positive weight; excluding 10 of them leaves 5.
SELECT negsamp.sample_array('w', 5, exclude => '{1,2,3,5,6,7,9,10,11,13}', record => false);
SELECT negsamp.sample_array('w', 6, exclude => '{1,2,3,5,6,7,9,10,11,13}', record => false);
-- The exact law of a weighted draw without replacement: weights 1, 2, 3
-- give first pick 1 with probability 1/6 and the pair (2, 3) with
-- probability 2/6 * 3/4 + 3/6 * 2/3 = 7/12.
SELECT negsamp.create_sampler('w3', 'uniform', items => '{1,2,3}', weights => '{1,2,3}', seed => 3);
SELECT round(avg((a[1] = 1)::int), 2) AS first_is_1,
       round(avg((a @> '{2,3}')::int), 2) AS pair_2_3
FROM (SELECT negsamp.sample_array('w3', 2, record => false) a FROM generate_series(1, 20000)) d;

-- Threshold covers the catalog evenly: with n = 20 and k = 5, every item
-- has count exactly 1 after 4 calls, and 2 after 8.
SELECT negsamp.create_sampler('cover', 'threshold', cardinality => 20, seed => 9);
SELECT negsamp.sample_array('cover', 5) FROM generate_series(1, 4);
SELECT min(draws), max(draws) FROM negsamp.item_counts('cover');
SELECT count(*) FROM (SELECT negsamp.sample_array('cover', 5) FROM generate_series(1, 4)) d;
SELECT min(draws), max(draws) FROM negsamp.item_counts('cover');
-- Once one item is ahead, it is skipped until all others catch up.
SELECT negsamp.sample_array('cover', 1);
SELECT probability > 0 AS drawable, count(*) FROM negsamp.item_counts('cover')
GROUP BY 1 ORDER BY 1;
SELECT count(*) FROM (SELECT negsamp.sample_array('cover', 1) FROM generate_series(1, 19)) d;
SELECT min(draws), max(draws) FROM negsamp.item_counts('cover');
-- Exclusions can force items at the maximum: 19 of 20 items excluded, so
-- only the item at the maximum is left and it is drawn.
SELECT negsamp.sample_array('cover', 1, exclude => ARRAY(SELECT generate_series(1, 19)::bigint));
SELECT negsamp.sample_array('cover', 1, exclude => ARRAY(SELECT generate_series(1, 19)::bigint));

-- Frequency favours the items drawn least: give items 0..9 a head start of
-- 50 draws each, then the next 100 draws of 5 from 20 go mostly to 10..19.
SELECT negsamp.create_sampler('fav', 'frequency', cardinality => 20,
                              mode => 'softsum', seed => 11);
SELECT count(*) FROM (SELECT negsamp.sample_array('fav', 5, exclude => '{10,11,12,13,14,15,16,17,18,19}')
                      FROM generate_series(1, 100)) d;
SELECT sum(draws) FILTER (WHERE item_id < 10) AS head_start,
       sum(draws) FILTER (WHERE item_id >= 10) AS others
FROM negsamp.item_counts('fav');
CREATE TEMP TABLE fav_before AS SELECT * FROM negsamp.item_counts('fav');
SELECT count(*) FROM (SELECT negsamp.sample_array('fav', 5) FROM generate_series(1, 100)) d;
SELECT sum(a.draws - b.draws) FILTER (WHERE item_id < 10) AS new_to_drawn,
       sum(a.draws - b.draws) FILTER (WHERE item_id >= 10) AS new_to_undrawn
FROM negsamp.item_counts('fav') a JOIN fav_before b USING (item_id);

-- Exclusions: multi-dimensional arrays are read element by element,
-- duplicates and unknown ids are harmless.
SELECT negsamp.sample_array('u', 3, exclude => '{{0,1},{2,3}}', record => false) && '{0,1,2,3}' AS overlap;
SELECT negsamp.sample_array('u', 18, exclude => '{5,5,5,7,1000,-1}', record => false) && '{5,7}' AS overlap;

-- Id lookup in an irregular item-list catalog: excluding a catalog id
-- removes exactly that item, and ids next to catalog ids are not in it.
SELECT negsamp.create_sampler('odd', 'uniform', seed => 3, items => ARRAY(
    SELECT DISTINCT x FROM (
        SELECT (3::numeric ^ i)::bigint AS x FROM generate_series(0, 38) i
        UNION ALL SELECT -(5::numeric ^ i)::bigint FROM generate_series(0, 27) i
        UNION ALL VALUES (0::bigint), (-9223372036854775808), (9223372036854775807),
                         (1000), (1001), (1002), (1004)) v));
SELECT count(*) AS catalog_ids,
       bool_and(NOT negsamp.sample_array('odd', (c.n - 1)::int, exclude => ARRAY[i.item_id], record => false)
                @> ARRAY[i.item_id]) AS each_exclusion_removes_its_item
FROM negsamp.item_counts('odd') i, (SELECT cardinality AS n FROM negsamp.samplers WHERE name = 'odd') c;
SELECT bool_and(cardinality(negsamp.sample_array('odd', c.n::int,
                exclude => ARRAY[x.id - 1, x.id + 1], record => false)) = c.n) AS neighbours_not_in_catalog
FROM (SELECT item_id AS id FROM negsamp.item_counts('odd')
      WHERE item_id NOT IN (-9223372036854775808, 9223372036854775807, 1000, 1001, 1002, -1, 1, 0, 2, 4, 3)) x,
     (SELECT cardinality AS n FROM negsamp.samplers WHERE name = 'odd') c;

-- Many exclusions use a per-session index of the catalog ids, which must
-- follow a sampler dropped and created again under the same name.
SELECT negsamp.create_sampler('many', 'uniform', items => ARRAY(SELECT i * 10 FROM generate_series(1, 40) i));
SELECT array_agg(x ORDER BY x) AS the_complement
FROM unnest(negsamp.sample_array('many', 10,
     exclude => ARRAY(SELECT i * 10 FROM generate_series(1, 30) i) || '{5,15,999}'::bigint[])) x;
SELECT negsamp.drop_sampler('many');
SELECT negsamp.create_sampler('many', 'uniform', items => ARRAY(SELECT i * 10 + 1 FROM generate_series(1, 40) i));
SELECT array_agg(x ORDER BY x) AS the_complement
FROM unnest(negsamp.sample_array('many', 10,
     exclude => ARRAY(SELECT i * 10 + 1 FROM generate_series(11, 40) i) || '{10,20,30}'::bigint[])) x;

-- Ids spread over at most 32 values per item get a table over their span
-- instead of a hash index.  Ids outside the span, out to both ends of
-- bigint, are not in the catalog.
SELECT negsamp.create_sampler('dense_ids', 'uniform', items => ARRAY(SELECT i * 3 FROM generate_series(1, 40) i));
SELECT array_agg(x ORDER BY x) AS the_complement
FROM unnest(negsamp.sample_array('dense_ids', 10,
     exclude => ARRAY(SELECT i * 3 FROM generate_series(1, 30) i)
                || '{-9223372036854775808,9223372036854775807,0,1,121,122}'::bigint[])) x;
SELECT negsamp.drop_sampler('dense_ids');

-- Ids spread wider get a hash index.
SELECT negsamp.create_sampler('sparse_ids', 'uniform', items => ARRAY(SELECT i * 1000 FROM generate_series(1, 40) i));
SELECT array_agg(x ORDER BY x) AS the_complement
FROM unnest(negsamp.sample_array('sparse_ids', 10,
     exclude => ARRAY(SELECT i * 1000 FROM generate_series(1, 30) i)
                || '{-9223372036854775808,9223372036854775807,0,1,40001,999}'::bigint[])) x;
SELECT negsamp.drop_sampler('sparse_ids');

-- The counts equal a tally of the negatives returned, item by item, for
-- frequency and threshold samplers whose counts spread over many buckets
-- (exclusions move picks between them), and the probabilities stay a
-- distribution.
SELECT negsamp.create_sampler('tally_' || strategy, strategy, cardinality => 30, seed => 9)
FROM unnest('{frequency,threshold}'::text[]) strategy;
CREATE TEMP TABLE tally AS
SELECT strategy, unnest(negsamp.sample_array('tally_' || strategy, 1 + g % 13,
                        exclude => ARRAY[g % 30, (g * 7) % 30]::bigint[])) AS item_id
FROM unnest('{frequency,threshold}'::text[]) strategy, generate_series(1, 400) g;
SELECT t.strategy, count(*) AS items,
       bool_and(c.draws = coalesce(t.n, 0)) AS counts_match_tally,
       round(sum(c.probability)::numeric, 12) AS probability_total
FROM (SELECT s.strategy, i.item_id, x.n
      FROM unnest('{frequency,threshold}'::text[]) s(strategy)
      CROSS JOIN generate_series(0, 29) i(item_id)
      LEFT JOIN (SELECT strategy, item_id, count(*) AS n FROM tally GROUP BY 1, 2) x
             ON x.strategy = s.strategy AND x.item_id = i.item_id) t
JOIN LATERAL negsamp.item_counts('tally_' || t.strategy) c ON c.item_id = t.item_id
GROUP BY t.strategy ORDER BY t.strategy;

-- Errors: k too large, negative, NULL; NULL name, record; unknown sampler.
SELECT negsamp.sample_array('u', 21);
SELECT negsamp.sample_array('u', 2147483647);
SELECT negsamp.sample_array('u', 19, exclude => '{0,1}');
SELECT negsamp.sample_array('u', -1);
SELECT negsamp.sample_array('u', NULL);
SELECT negsamp.sample_array(NULL, 3);
SELECT negsamp.sample_array('u', 3, record => NULL);
SELECT * FROM negsamp.sample('nosuch', 3);
SELECT negsamp.sample_array('', 3);
-- A failed call leaves the counts as they were.
SELECT calls, draws FROM negsamp.samplers WHERE name = 'u';

SELECT negsamp.drop_sampler(name) FROM negsamp.samplers ORDER BY name COLLATE "C";
