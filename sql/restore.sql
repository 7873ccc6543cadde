-- restore_counts: replace a sampler's counts from a query.

SELECT negsamp.create_sampler('rf', 'frequency', items => '{10,20,30,40,50}', seed => 1);
SELECT negsamp.create_sampler('ru', 'uniform', cardinality => 5, seed => 1);
SELECT negsamp.sample_array('rf', 2) FROM generate_series(1, 3);

-- Export, change, restore: items absent from the query get 0, draws
-- becomes the new total, calls stay.
CREATE TEMP TABLE snapshot AS SELECT item_id, draws FROM negsamp.item_counts('rf');
SELECT negsamp.restore_counts('rf', item, c)
FROM (VALUES (10::bigint, 5::bigint), (30, 0), (50, 2)) v(item, c);
SELECT item_id, draws, round(probability::numeric, 4) AS probability FROM negsamp.item_counts('rf');
SELECT calls, draws FROM negsamp.samplers WHERE name = 'rf';
-- Draws after a restore follow the restored counts and keep the buckets
-- consistent: the counts still sum to draws.
SELECT count(*) FROM (SELECT negsamp.sample_array('rf', 3) FROM generate_series(1, 20)) d;
SELECT sum(c.draws) = s.draws AS consistent FROM negsamp.item_counts('rf') c, negsamp.samplers s
WHERE s.name = 'rf' GROUP BY s.draws;
-- Round trip from the snapshot.
SELECT negsamp.restore_counts('rf', item_id, draws) FROM snapshot;
SELECT (SELECT array_agg(draws ORDER BY item_id) FROM negsamp.item_counts('rf')) =
       (SELECT array_agg(draws ORDER BY item_id) FROM snapshot) AS round_trip;

SELECT negsamp.restore_counts('ru', i, i * 10) FROM generate_series(0, 4) i;
SELECT item_id, draws FROM negsamp.item_counts('ru');

-- Errors name the item and leave the counts as they were.
SELECT negsamp.restore_counts('rf', item, c) FROM (VALUES (10::bigint, 1::bigint), (11, 1)) v(item, c);
SELECT negsamp.restore_counts('rf', item, c) FROM (VALUES (10::bigint, 1::bigint), (10, 2)) v(item, c);
SELECT negsamp.restore_counts('rf', item, c) FROM (VALUES (10::bigint, -1::bigint)) v(item, c);
SELECT negsamp.restore_counts('rf', item, c) FROM (VALUES (20::bigint, NULL::bigint)) v(item, c);
SELECT negsamp.restore_counts('rf', item, c) FROM (VALUES (NULL::bigint, 1::bigint)) v(item, c);
SELECT negsamp.restore_counts('nosuch', 1, 1);
SELECT (SELECT array_agg(draws ORDER BY item_id) FROM negsamp.item_counts('rf')) =
       (SELECT array_agg(draws ORDER BY item_id) FROM snapshot) AS unchanged;
-- No rows: nothing to restore.
SELECT negsamp.restore_counts('rf', 1, 1) FROM generate_series(1, 0);

-- Counts at the top of the bigint range: a recorded draw that would take
-- their total past it fails and records nothing, and a dry run still
-- draws.  The total bounds every count.
SELECT negsamp.create_sampler('top_u', 'uniform', cardinality => 3, seed => 1);
SELECT negsamp.create_sampler('top_t', 'threshold', cardinality => 3, seed => 1);
SELECT negsamp.restore_counts('top_u', 0, 9223372036854775807);
SELECT negsamp.restore_counts('top_t', i, 3074457345618258602) FROM generate_series(0, 2) i;
SELECT negsamp.sample_array('top_u', 1, exclude => '{0,2}');
SELECT negsamp.sample_array('top_u', 1, exclude => '{1,2}', record => false);
SELECT item_id, draws FROM negsamp.item_counts('top_u');
SELECT cardinality(negsamp.sample_array('top_t', 1));
SELECT negsamp.sample_array('top_t', 2);
SELECT sum(draws) FROM negsamp.item_counts('top_t');

-- save_state is for superusers only.
SELECT has_function_privilege('public', 'negsamp.save_state()', 'execute') AS public_may_save;

SELECT negsamp.drop_sampler(name) FROM negsamp.samplers ORDER BY name COLLATE "C";
