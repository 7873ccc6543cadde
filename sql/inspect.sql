-- item_counts: counts and single-draw probabilities.

SELECT negsamp.create_sampler('fi', 'frequency', items => '{10,20,30,40}', seed => 2);
SELECT negsamp.create_sampler('si', 'frequency', items => '{10,20,30,40}',
                              mode => 'softsum', seed => 2);
SELECT negsamp.create_sampler('ti', 'threshold', items => '{10,20,30,40}', seed => 2);

-- Fresh samplers: every item equally likely.
SELECT * FROM negsamp.item_counts('fi');

-- Give item 10 two draws and item 20 one, through exclusions.
SELECT negsamp.sample_array(s, 1, exclude => '{20,30,40}') FROM unnest('{fi,si,ti}'::text[]) s;
SELECT negsamp.sample_array(s, 1, exclude => '{20,30,40}') FROM unnest('{fi,si,ti}'::text[]) s;
SELECT negsamp.sample_array(s, 1, exclude => '{10,30,40}') FROM unnest('{fi,si,ti}'::text[]) s;

-- softmax, T = 1: weight exp(1/(1+c)): c = 2, 1, 0, 0 give e^(1/3), e^(1/2), e, e.
SELECT item_id, draws, round(probability::numeric, 6) AS probability,
       round((CASE draws WHEN 2 THEN exp(1/3.0) WHEN 1 THEN exp(0.5) ELSE exp(1.0) END
              / (exp(1/3.0) + exp(0.5) + 2 * exp(1.0)))::numeric, 6) AS expected
FROM negsamp.item_counts('fi');
-- softsum: weight 1/(1+c): 1/3, 1/2, 1, 1 over a total of 17/6.
SELECT item_id, draws, round(probability::numeric, 6) AS probability,
       round((CASE draws WHEN 2 THEN 1/3.0 WHEN 1 THEN 0.5 ELSE 1.0 END / (17/6.0))::numeric, 6) AS expected
FROM negsamp.item_counts('si');
-- threshold: the item at the maximum count (10) gets 0, the others softmax.
SELECT item_id, draws, round(probability::numeric, 6) AS probability
FROM negsamp.item_counts('ti');
-- Probabilities sum to 1.
SELECT s, round(sum(probability)::numeric, 12) FROM unnest('{fi,si,ti}'::text[]) s,
       negsamp.item_counts(s) GROUP BY s ORDER BY s;

-- Empirical first picks follow the probabilities (20,000 seeded dry runs).
SELECT c.item_id, round(c.probability::numeric, 2) AS probability,
       round(count(*)::numeric / 20000, 2) AS observed
FROM generate_series(1, 20000) g,
     negsamp.sample('si', 1, record => false, seed => g) x
     JOIN negsamp.item_counts('si') c ON c.item_id = x
GROUP BY c.item_id, c.probability ORDER BY c.item_id;

SELECT * FROM negsamp.item_counts('nosuch');
SELECT * FROM negsamp.item_counts(NULL);

SELECT negsamp.drop_sampler(name) FROM negsamp.samplers ORDER BY name COLLATE "C";
