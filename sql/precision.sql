-- Weights far apart: a draw that uses up or excludes the heaviest items
-- must still weigh the rest as the sampling law requires, not by what
-- rounding left of their sums.  Every draw is seeded, so the counts
-- below are exact.

-- Frequency at temperature 0.01: seven items at count 0 outweigh the
-- others by e^50, and the item at count 2 weighs e^-16.7 (5.8e-8) of an
-- item at count 1.  Picking 8 takes the seven first, so the eighth pick
-- is item 9 with probability 2.9e-8 and item 7 or 8 otherwise.
SELECT negsamp.create_sampler('far', 'frequency', cardinality => 10, temperature => 0.01);
SELECT negsamp.restore_counts('far', i, CASE WHEN i < 7 THEN 0 WHEN i < 9 THEN 1 ELSE 2 END)
FROM generate_series(0, 9) i;
SELECT count(*) FILTER (WHERE d[8] = 9) AS eighth_is_item_9,
       count(*) FILTER (WHERE d[8] IN (7, 8)) AS eighth_is_item_7_or_8,
       count(*) FILTER (WHERE d[1:7] @> '{0,1,2,3,4,5,6}' ) AS first_seven_at_count_0
FROM (SELECT negsamp.sample_array('far', 8, record => false, seed => g) AS d
      FROM generate_series(1, 1000) g) s;

-- Temperature 0.001 with every item at count 0 excluded: weighed against
-- count 0, counts 1000 and 1001 would be e^999 (infinite in double
-- precision).  Against the lowest eligible count, count 1001 weighs
-- e^-0.000998 of count 1000, so each half is picked about as often, and
-- the probabilities are finite: 1 / 200 to within 0.1%.
SELECT negsamp.create_sampler('cold', 'frequency', cardinality => 210, temperature => 0.001);
SELECT negsamp.restore_counts('cold', i, CASE WHEN i < 10 THEN 0 WHEN i < 110 THEN 1000 ELSE 1001 END)
FROM generate_series(0, 209) i;
SELECT count(*) FILTER (WHERE item_id >= 110) BETWEEN 850 AND 1150 AS count_1001_about_half,
       bool_and(abs(probability * 200 - 1) < 0.001) AS probabilities_near_1_in_200
FROM (SELECT p.*
      FROM generate_series(1, 2000) g,
           negsamp.sample_with_probabilities('cold', 1,
               exclude => ARRAY(SELECT generate_series(0, 9)::bigint), record => false, seed => g) p) s;

-- Weighted uniform: with the item of weight 1e20 excluded, the three of
-- weight 1 are equally likely.
SELECT negsamp.create_sampler('heavy', 'uniform', items => '{0,1,2,3}', weights => '{1e20,1,1,1}');
SELECT item_id, count(*) BETWEEN 850 AND 1150 AS about_a_third
FROM generate_series(1, 3000) g,
     negsamp.sample('heavy', 1, exclude => '{0}', record => false, seed => g) AS item_id
GROUP BY item_id ORDER BY item_id;
-- And drawing all three after the heavy item takes the heavy one first.
SELECT count(*) FILTER (WHERE d[1] = 0) AS heavy_first,
       count(*) FILTER (WHERE d[2:4] @> '{1,2,3}') AS light_ones_after
FROM (SELECT negsamp.sample_array('heavy', 4, record => false, seed => g) AS d
      FROM generate_series(1, 300) g) s;

SELECT negsamp.drop_sampler(name) FROM unnest('{far,cold,heavy}'::text[]) name;
