-- distribution_stats and count_histogram: exact values on small seeded
-- samplers, checked against values worked out by hand and against the same
-- statistics computed in SQL from item_counts.

-- Statistics computed in SQL from item_counts, for comparison: population
-- standard deviation, Gini from the counts sorted ascending,
-- sum((2i - n - 1) * x_i) / (n * sum(x)), entropy and KL divergence from
-- uniform in nats.
CREATE FUNCTION expected_stats(name text,
    OUT items bigint, OUT coverage float8, OUT min_count bigint,
    OUT max_count bigint, OUT mean_count float8, OUT stddev_count float8,
    OUT distinct_counts bigint, OUT gini float8, OUT entropy float8,
    OUT normalized_entropy float8, OUT probability_ratio float8,
    OUT kl_from_uniform float8)
LANGUAGE sql AS $$
    WITH c AS (
        SELECT draws, probability,
               row_number() OVER (ORDER BY draws) AS rank,
               count(*) OVER () AS n
        FROM negsamp.item_counts(name)
    )
    SELECT count(*),
           avg((draws > 0)::int)::float8,
           min(draws), max(draws), avg(draws)::float8, stddev_pop(draws)::float8,
           count(DISTINCT draws),
           CASE WHEN sum(draws) = 0 THEN 0
                ELSE sum((2 * rank - n - 1) * draws) / (max(n) * sum(draws)) END::float8,
           -sum(probability * ln(probability)) FILTER (WHERE probability > 0),
           CASE WHEN count(*) = 1 THEN 1
                ELSE -sum(probability * ln(probability)) FILTER (WHERE probability > 0)
                     / ln(count(*)) END,
           max(probability) / min(probability) FILTER (WHERE probability > 0),
           sum(probability * ln(n * probability)) FILTER (WHERE probability > 0)
    FROM c
$$;

-- The columns of both, rounded to 10 digits, side by side.
CREATE FUNCTION compare_stats(name text)
RETURNS TABLE (statistic text, actual numeric, expected numeric)
LANGUAGE sql AS $$
    SELECT x.statistic, round(x.actual::numeric, 10), round(x.expected::numeric, 10)
    FROM negsamp.distribution_stats(name) a, expected_stats(name) e,
    LATERAL (VALUES
        ('items', a.items::float8, e.items::float8),
        ('coverage', a.coverage, e.coverage),
        ('min_count', a.min_count, e.min_count),
        ('max_count', a.max_count, e.max_count),
        ('mean_count', a.mean_count, e.mean_count),
        ('stddev_count', a.stddev_count, e.stddev_count),
        ('distinct_counts', a.distinct_counts, e.distinct_counts),
        ('gini', a.gini, e.gini),
        ('entropy', a.entropy, e.entropy),
        ('normalized_entropy', a.normalized_entropy, e.normalized_entropy),
        ('probability_ratio', a.probability_ratio, e.probability_ratio),
        ('kl_from_uniform', a.kl_from_uniform, e.kl_from_uniform)) AS x(statistic, actual, expected)
$$;

SELECT negsamp.create_sampler('fi', 'frequency', items => '{10,20,30,40}', seed => 2);
SELECT negsamp.create_sampler('si', 'frequency', items => '{10,20,30,40}',
                              mode => 'softsum', seed => 2);
SELECT negsamp.create_sampler('ti', 'threshold', items => '{10,20,30,40}', seed => 2);

-- A fresh sampler: no draws, every item equally likely, so the entropy is
-- ln 4, its normalized value 1 and the divergence from uniform 0.
SELECT items, calls, draws, coverage, min_count, max_count, mean_count,
       stddev_count, distinct_counts, gini,
       round(entropy::numeric, 12) AS entropy, round(ln(4)::numeric, 12) AS ln_4,
       round(normalized_entropy::numeric, 12) AS normalized_entropy,
       round(probability_ratio::numeric, 12) AS probability_ratio,
       round(kl_from_uniform::numeric, 12) AS kl_from_uniform
FROM negsamp.distribution_stats('fi');
SELECT * FROM negsamp.count_histogram('fi');

-- Give item 10 two draws and item 20 one, through exclusions: counts
-- 2, 1, 0, 0.
SELECT negsamp.sample_array(s, 1, exclude => '{20,30,40}') FROM unnest('{fi,si,ti}'::text[]) s;
SELECT negsamp.sample_array(s, 1, exclude => '{20,30,40}') FROM unnest('{fi,si,ti}'::text[]) s;
SELECT negsamp.sample_array(s, 1, exclude => '{10,30,40}') FROM unnest('{fi,si,ti}'::text[]) s;

-- The count statistics by hand: coverage 2/4, mean 3/4, variance
-- (1.25^2 + 0.25^2 + 2 * 0.75^2) / 4 = 0.6875, three distinct counts, and
-- Gini = (sum of |x_i - x_j| over ordered pairs = 14) / (2 * 4^2 * 0.75)
-- = 7/12.
SELECT items, calls, draws, coverage, min_count, max_count, mean_count,
       round(stddev_count::numeric, 12) AS stddev_count,
       round(sqrt(0.6875), 12) AS expected_stddev,
       distinct_counts,
       round(gini::numeric, 12) AS gini, round(7 / 12.0, 12) AS expected_gini
FROM negsamp.distribution_stats('fi');
SELECT * FROM negsamp.count_histogram('fi');

-- The single-draw distribution by hand.  softmax at T = 1: weights e^(1/3),
-- e^(1/2), e, e; the largest over the smallest is e^(2/3).
WITH p AS (
    SELECT w / sum(w) OVER () AS p
    FROM unnest(ARRAY[exp(1/3.0), exp(0.5), exp(1.0), exp(1.0)]) w
)
SELECT round(a.entropy::numeric, 12) AS entropy,
       round(-sum(p * ln(p)), 12) AS expected_entropy,
       round(a.normalized_entropy::numeric, 12) AS normalized_entropy,
       round(-sum(p * ln(p)) / ln(4.0), 12) AS expected_normalized,
       round(a.probability_ratio::numeric, 12) AS probability_ratio,
       round(exp(2 / 3.0), 12) AS expected_ratio,
       round(a.kl_from_uniform::numeric, 12) AS kl_from_uniform,
       round(ln(4.0) + sum(p * ln(p)), 12) AS expected_kl
FROM negsamp.distribution_stats('fi') a, p
GROUP BY a.entropy, a.normalized_entropy, a.probability_ratio, a.kl_from_uniform;

-- softsum: weights 1/3, 1/2, 1, 1; the ratio is 3.
WITH p AS (
    SELECT w / sum(w) OVER () AS p FROM unnest(ARRAY[1/3.0, 0.5, 1.0, 1.0]) w
)
SELECT round(a.entropy::numeric, 12) AS entropy,
       round(-sum(p * ln(p)), 12) AS expected_entropy,
       round(a.probability_ratio::numeric, 12) AS probability_ratio,
       round(a.kl_from_uniform::numeric, 12) AS kl_from_uniform,
       round(ln(4.0) + sum(p * ln(p)), 12) AS expected_kl
FROM negsamp.distribution_stats('si') a, p
GROUP BY a.entropy, a.probability_ratio, a.kl_from_uniform;

-- threshold: item 10, at the maximum count, has probability 0, so the
-- entropy and the ratio (e / e^(1/2)) leave it out.  The KL divergence
-- from uniform is ln 4 minus the entropy.
WITH p AS (
    SELECT w / sum(w) OVER () AS p FROM unnest(ARRAY[exp(0.5), exp(1.0), exp(1.0)]) w
)
SELECT round(a.entropy::numeric, 12) AS entropy,
       round(-sum(p * ln(p)), 12) AS expected_entropy,
       round(a.probability_ratio::numeric, 12) AS probability_ratio,
       round(exp(0.5), 12) AS expected_ratio,
       round(a.kl_from_uniform::numeric, 12) AS kl_from_uniform,
       round(ln(4.0) + sum(p * ln(p)), 12) AS expected_kl
FROM negsamp.distribution_stats('ti') a, p
GROUP BY a.entropy, a.probability_ratio, a.kl_from_uniform;

-- Weighted uniform, weights 0, 1, 1, 2: probabilities 0, 1/4, 1/4, 1/2,
-- so the entropy is 1.5 ln 2, three quarters of ln 4, the ratio 2 and the
-- divergence ln 4 - 1.5 ln 2 = 0.5 ln 2.  Draws do not change it.
SELECT negsamp.create_sampler('wi', 'uniform', items => '{1,2,3,4}',
                              weights => '{0,1,1,2}', seed => 5);
SELECT count(negsamp.sample_array('wi', 2)) FROM generate_series(1, 10);
SELECT items, calls, draws, coverage, min_count, max_count,
       round(entropy::numeric, 12) AS entropy, round(1.5 * ln(2.0), 12) AS expected_entropy,
       round(normalized_entropy::numeric, 12) AS normalized_entropy,
       round(probability_ratio::numeric, 12) AS probability_ratio,
       round(kl_from_uniform::numeric, 12) AS kl_from_uniform,
       round(0.5 * ln(2.0), 12) AS expected_kl
FROM negsamp.distribution_stats('wi');
-- Item 1 has weight 0 and is never drawn.
SELECT * FROM negsamp.count_histogram('wi') ORDER BY draws LIMIT 1;

-- A catalog of one item: entropy 0, normalized entropy 1 by definition.
SELECT negsamp.create_sampler('one', 'frequency', cardinality => 1, seed => 1);
SELECT negsamp.sample_array('one', 1) FROM generate_series(1, 3);
SELECT items, calls, draws, coverage, min_count, max_count, mean_count,
       stddev_count, distinct_counts, gini, entropy, normalized_entropy,
       probability_ratio, kl_from_uniform
FROM negsamp.distribution_stats('one');

-- Equal non-zero counts have Gini 0: threshold with n = 20 and k = 5 gives
-- every item a count of 1 after 4 calls.
SELECT negsamp.create_sampler('even', 'threshold', cardinality => 20, seed => 3);
SELECT count(negsamp.sample_array('even', 5)) FROM generate_series(1, 4);
SELECT coverage, min_count, max_count, distinct_counts, gini,
       round(normalized_entropy::numeric, 12) AS normalized_entropy
FROM negsamp.distribution_stats('even');
SELECT * FROM negsamp.count_histogram('even');

-- Larger seeded samplers of every kind after many calls: every statistic
-- equals the one computed in SQL from item_counts.
SELECT negsamp.create_sampler('u', 'uniform', cardinality => 300, seed => 42);
SELECT negsamp.create_sampler('f', 'frequency', cardinality => 300, seed => 42);
SELECT negsamp.create_sampler('fs', 'frequency', cardinality => 300, seed => 42,
                              mode => 'softsum');
SELECT negsamp.create_sampler('fc', 'frequency', cardinality => 300, seed => 42,
                              temperature => 0.05);
SELECT negsamp.create_sampler('t', 'threshold', cardinality => 300, seed => 42);
SELECT negsamp.create_sampler('w', 'uniform', items => ARRAY(SELECT i * 3 FROM generate_series(1, 300) i),
                              weights => ARRAY(SELECT (i % 7)::float8 FROM generate_series(1, 300) i),
                              seed => 42);
SELECT s, count(negsamp.sample_array(s, 17, exclude => ARRAY[g, g + 1]))
FROM unnest('{u,f,fs,fc,t,w}'::text[]) s, generate_series(1, 50) g
GROUP BY s ORDER BY s COLLATE "C";
SELECT s, count(*) AS statistics,
       count(*) FILTER (WHERE actual IS DISTINCT FROM expected) AS mismatches
FROM unnest('{u,f,fs,fc,t,w}'::text[]) s, compare_stats(s)
GROUP BY s ORDER BY s COLLATE "C";
-- One of them in full.
SELECT * FROM compare_stats('f');
-- The probabilities behind the entropy sum to 1.
SELECT s, round(sum(probability)::numeric, 12) AS total_probability
FROM unnest('{u,f,fs,fc,t,w}'::text[]) s, negsamp.item_counts(s)
GROUP BY s ORDER BY s COLLATE "C";
-- calls and draws are those of the samplers view.
SELECT s.name, d.calls = s.calls AS same_calls, d.draws = s.draws AS same_draws,
       d.items = s.cardinality AS same_items
FROM negsamp.samplers s, negsamp.distribution_stats(s.name) d
WHERE s.name IN ('u', 'f', 'fs', 'fc', 't', 'w') ORDER BY s.name COLLATE "C";

-- count_histogram is item_counts grouped by count, ascending.
CREATE FUNCTION histogram_mismatches(name text) RETURNS bigint
LANGUAGE sql AS $$
    SELECT count(*) FROM (
        (SELECT draws, items FROM negsamp.count_histogram(name)
         EXCEPT
         SELECT draws, count(*) FROM negsamp.item_counts(name) GROUP BY draws)
        UNION ALL
        (SELECT draws, count(*) FROM negsamp.item_counts(name) GROUP BY draws
         EXCEPT
         SELECT draws, items FROM negsamp.count_histogram(name))) d
$$;
SELECT s, (SELECT count(*) FROM negsamp.count_histogram(s)) AS distinct_counts,
       histogram_mismatches(s) AS mismatches
FROM unnest('{u,f,fs,fc,t,w}'::text[]) s ORDER BY s COLLATE "C";
SELECT s, bool_and(draws > previous) AS ascending
FROM (SELECT s, draws, lag(draws, 1, -1::bigint) OVER (PARTITION BY s ORDER BY ordinality) AS previous
      FROM unnest('{u,f,fs,fc,t,w}'::text[]) s,
           negsamp.count_histogram(s) WITH ORDINALITY) h
GROUP BY s ORDER BY s COLLATE "C";

-- Counts spread wider than the catalog (restored), which count_histogram
-- groups by sorting rather than tallying.
SELECT negsamp.restore_counts('fi', item, draws)
FROM (VALUES (10, 1000000), (20, 5), (30, 5), (40, 0)) v(item, draws);
SELECT * FROM negsamp.count_histogram('fi');
SELECT histogram_mismatches('fi') AS mismatches;
SELECT statistic, actual, expected FROM compare_stats('fi')
WHERE statistic IN ('coverage', 'min_count', 'max_count', 'mean_count',
                    'distinct_counts', 'gini');
-- Gini by hand: sorted 0, 5, 5, 1000000 give (-3 * 0 - 1 * 5 + 1 * 5
-- + 3 * 1000000) / (4 * 1000010).
SELECT round(gini::numeric, 12) AS gini,
       round(3000000 / (4 * 1000010.0), 12) AS expected_gini
FROM negsamp.distribution_stats('fi');

SELECT * FROM negsamp.distribution_stats('nosuch');
SELECT * FROM negsamp.distribution_stats(NULL);
SELECT * FROM negsamp.count_histogram('nosuch');
SELECT * FROM negsamp.count_histogram('');

DROP FUNCTION histogram_mismatches(text);
DROP FUNCTION compare_stats(text);
DROP FUNCTION expected_stats(text);
SELECT negsamp.drop_sampler(name) FROM negsamp.samplers ORDER BY name COLLATE "C";
