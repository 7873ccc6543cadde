-- sample_with_probabilities: the draw of sample() plus each negative's
-- single-draw probability at the start of the call (for logQ correction).

SELECT negsamp.create_sampler('pu', 'uniform', cardinality => 20, seed => 1);
SELECT negsamp.create_sampler('pw', 'uniform', items => '{1,2,3,4,5,6}',
                              weights => '{1e9,1e9,1,2,3,4}', seed => 1);
SELECT negsamp.create_sampler('pf', 'frequency', cardinality => 8, mode => 'softsum', seed => 1);
SELECT negsamp.create_sampler('pt', 'threshold', cardinality => 8, seed => 1);

-- Same negatives as sample() with the same seed, in draw order.
SELECT array_agg(item_id ORDER BY draw_position) =
       negsamp.sample_array('pu', 6, seed => 77, record => false) AS same_as_sample
FROM negsamp.sample_with_probabilities('pu', 6, seed => 77, record => false);
SELECT * FROM negsamp.sample_with_probabilities('pu', 3, exclude => '{0,1,2,3}', seed => 5, record => false);

-- Weighted, with the two heavy items excluded: weights 1, 2, 3, 4 of 10.
SELECT item_id, draw_position, round(probability::numeric, 6)
FROM negsamp.sample_with_probabilities('pw', 4, exclude => '{1,2}', seed => 3);
-- Drawing every eligible item, the probabilities sum to 1.
SELECT round(sum(probability)::numeric, 12) AS total
FROM negsamp.sample_with_probabilities('pw', 4, exclude => '{1,2}', record => false);
SELECT round(sum(probability)::numeric, 12) AS total
FROM negsamp.sample_with_probabilities('pf', 8, record => false);

-- Without exclusions the probabilities equal item_counts' column.
SELECT negsamp.sample_array('pf', 3) FROM generate_series(1, 3);
SELECT bool_and(abs(s.probability - c.probability) < 1e-12) AS matches_item_counts, count(*)
FROM negsamp.sample_with_probabilities('pf', 8, record => false) s
JOIN negsamp.item_counts('pf') c USING (item_id);

-- Threshold: once one item is at the maximum, it has probability 0 while
-- others remain, and is still drawn last when k needs it.
SELECT negsamp.sample_array('pt', 1);
SELECT draw_position, probability = 0 AS at_maximum
FROM negsamp.sample_with_probabilities('pt', 8, record => false) ORDER BY draw_position;
SELECT round(sum(probability)::numeric, 12) AS total
FROM negsamp.sample_with_probabilities('pt', 8, record => false);

-- A small temperature with the lowest counts excluded: the two items left
-- have equal counts, so each has probability 1/2, neither rounded to 0.
SELECT negsamp.create_sampler('cold', 'frequency', cardinality => 6, temperature => 0.01, seed => 1);
SELECT negsamp.sample_array('cold', 2, exclude => '{1,2,3,4}');
SELECT item_id IN (0, 5) AS was_drawn_before, probability
FROM negsamp.sample_with_probabilities('cold', 2, exclude => '{1,2,3,4}', record => false)
ORDER BY draw_position;

-- record applies as for sample().
SELECT calls, draws FROM negsamp.samplers WHERE name = 'pw';

-- Errors as for sample().
SELECT * FROM negsamp.sample_with_probabilities('pu', 21);
SELECT * FROM negsamp.sample_with_probabilities('pu', -1);
SELECT * FROM negsamp.sample_with_probabilities(NULL, 1);
SELECT * FROM negsamp.sample_with_probabilities('pu', 2147483647);

SELECT negsamp.drop_sampler(name) FROM negsamp.samplers ORDER BY name COLLATE "C";
