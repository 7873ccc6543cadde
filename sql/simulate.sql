-- simulate: a private sampler in backend memory, which equals a shared
-- sampler with the same seed driven by the same calls.  Then its limits and
-- argument errors.

-- Threshold by hand, n = 8 and k = 2: after call c <= 4 the 2c drawn items
-- are at the maximum count and held back, so the single-draw distribution
-- is uniform over the 8 - 2c others (entropy ln(8 - 2c)) and Gini is
-- 1 - coverage.  After call 4 every count is 1 (entropy ln 8, Gini 0);
-- call 5 raises two items to 2, leaving 6 eligible items, and Gini
-- (-1 - 3 - 5 - ... + 2 * (5 + 7)) / (8 * 10) = 12 / 80.
SELECT call, coverage, min_count, max_count,
       round(entropy::numeric, 12) AS entropy, round(gini::numeric, 12) AS gini
FROM negsamp.simulate('threshold', 8, 2, 5, seed => 7);
SELECT round(ln(8.0 - 2 * c), 12) AS expected_entropy,
       round(1 - least(2 * c, 8) / 8.0, 12) AS expected_gini
FROM generate_series(1, 3) c;
SELECT round(ln(8.0), 12) AS entropy_after_4, round(ln(6.0), 12) AS entropy_after_5,
       round(12 / 80.0, 12) AS gini_after_5;

-- Rows come every report_every calls and after the last call.
SELECT call, coverage, min_count, max_count
FROM negsamp.simulate('threshold', 8, 2, 7, seed => 7, report_every => 3);
SELECT call FROM negsamp.simulate('uniform', 8, 2, 6, report_every => 3);
SELECT call FROM negsamp.simulate('uniform', 8, 2, 2, report_every => 10);
-- No calls, no rows; k = 0 draws nothing.
SELECT count(*) FROM negsamp.simulate('frequency', 8, 2, 0);
SELECT call, coverage, min_count, max_count, gini
FROM negsamp.simulate('frequency', 8, 0, 2);

-- The same seed gives the same rows; a NULL seed draws from a strong
-- random seed, as an unseeded sampler does.
SELECT (SELECT array_agg(s ORDER BY call) FROM negsamp.simulate('frequency', 100, 9, 20, seed => 3) s) =
       (SELECT array_agg(s ORDER BY call) FROM negsamp.simulate('frequency', 100, 9, 20, seed => 3) s)
       AS same_rows;
SELECT count(*), max(call) FROM negsamp.simulate('frequency', 100, 9, 20, seed => NULL);

-- Equal to a shared sampler with the same seed, driven by the same calls:
-- one sample_array call of k = 7 at a time, with distribution_stats after
-- each, against simulate with the same strategy, mode, temperature and
-- seed.  The statistics come from the same code on the same counts, so
-- they are compared exactly.
CREATE TEMP TABLE configs (name text, strategy text, mode text,
                           temperature float8, seed bigint);
INSERT INTO configs VALUES
    ('u', 'uniform', NULL, NULL, 11),
    ('f', 'frequency', NULL, NULL, 12),
    ('fc', 'frequency', 'softmax', 0.2, 13),
    ('fs', 'frequency', 'softsum', NULL, 14),
    ('t', 'threshold', NULL, NULL, 15),
    ('tc', 'threshold', 'softmax', 0.5, -16);
SELECT negsamp.create_sampler(name, strategy, cardinality => 50, mode => mode,
                              temperature => temperature, seed => seed)
FROM configs ORDER BY name;
CREATE TEMP TABLE shared_run (name text, call integer, coverage float8,
                              min_count bigint, max_count bigint,
                              entropy float8, gini float8);
DO $$
DECLARE
    config record;
BEGIN
    FOR config IN SELECT name FROM configs LOOP
        FOR c IN 1..30 LOOP
            PERFORM negsamp.sample_array(config.name, 7);
            INSERT INTO shared_run
            SELECT config.name, c, d.coverage, d.min_count, d.max_count,
                   d.entropy, d.gini
            FROM negsamp.distribution_stats(config.name) d;
        END LOOP;
    END LOOP;
END
$$;
-- simulate takes its defaults where the sampler has none.
CREATE TEMP TABLE simulated AS
SELECT c.name, s.*
FROM configs c,
     negsamp.simulate(c.strategy, 50, 7, 30,
                      mode => coalesce(c.mode, 'softmax'),
                      temperature => coalesce(c.temperature, 1.0),
                      seed => c.seed) s;
SELECT c.name,
       (SELECT count(*) FROM simulated s WHERE s.name = c.name) AS simulated_rows,
       (SELECT count(*) FROM shared_run r WHERE r.name = c.name) AS shared_rows,
       (SELECT count(*) FROM simulated s JOIN shared_run r USING (name, call)
        WHERE s.name = c.name
          AND (s.coverage, s.min_count, s.max_count, s.entropy, s.gini) =
              (r.coverage, r.min_count, r.max_count, r.entropy, r.gini)) AS equal_rows
FROM configs c ORDER BY c.name;
-- Some of the rows compared, rounded.
SELECT name, call, coverage, min_count, max_count,
       round(entropy::numeric, 10) AS entropy, round(gini::numeric, 10) AS gini
FROM simulated WHERE call IN (1, 15, 30) AND name IN ('f', 't') ORDER BY name, call;
-- With report_every, the reported rows are a subset of the same run.
SELECT s.call, (s.coverage, s.min_count, s.max_count, s.entropy, s.gini) =
               (r.coverage, r.min_count, r.max_count, r.entropy, r.gini) AS equal
FROM negsamp.simulate('frequency', 50, 7, 30, seed => 12, report_every => 7) s
JOIN shared_run r ON r.name = 'f' AND r.call = s.call ORDER BY s.call;
-- The entropy of the last row is that of the shared sampler's item_counts.
SELECT c.name,
       round(s.entropy::numeric, 10) AS simulated_entropy,
       round((SELECT -sum(probability * ln(probability)) FILTER (WHERE probability > 0)
              FROM negsamp.item_counts(c.name))::numeric, 10) AS item_counts_entropy
FROM configs c JOIN simulated s ON s.name = c.name AND s.call = 30 ORDER BY c.name;

-- Nothing is left behind: no sampler, no memory context.
SELECT count(*) AS samplers FROM negsamp.samplers;
SELECT count(*) FROM negsamp.simulate('frequency', 1000, 10, 50);
SELECT count(*) AS samplers FROM negsamp.samplers;
SELECT count(*) AS simulate_contexts FROM pg_backend_memory_contexts
WHERE name LIKE 'negsamp simulate%';

-- The work limit: calls * (k + 1) plus cardinality per reported row, at
-- most 10,000,000,000 units.
SELECT count(*) FROM negsamp.simulate('uniform', 100000, 100, 100000000,
                                      report_every => 100000000);
SELECT count(*) FROM negsamp.simulate('uniform', 1000000, 10, 20000);
-- The memory limit, 1 GB by the estimate.
SELECT count(*) FROM negsamp.simulate('frequency', 100000000, 10, 1);
SELECT count(*) FROM negsamp.simulate('uniform', 10000000, 10000000, 1);
-- A long simulation stops at a cancel between calls.
SET statement_timeout = '200ms';
SELECT count(*) FROM negsamp.simulate('uniform', 1000, 10, 100000000,
                                      report_every => 100000000);
RESET statement_timeout;

-- Mode and temperature: the uniform strategy accepts the defaults,
-- 'softmax' and 1.0, and NULL.  Mode softsum accepts the default
-- temperature.  Other values are checked as create_sampler checks them.
SELECT count(*) FROM negsamp.simulate('uniform', 10, 2, 3);
SELECT count(*) FROM negsamp.simulate('uniform', 10, 2, 3, mode => NULL, temperature => NULL);
SELECT count(*) FROM negsamp.simulate('uniform', 10, 2, 3, mode => 'softmax', temperature => 1);
SELECT count(*) FROM negsamp.simulate('frequency', 10, 2, 3, mode => 'softsum');
SELECT count(*) FROM negsamp.simulate('frequency', 10, 2, 3, mode => NULL, temperature => NULL);
SELECT count(*) FROM negsamp.simulate('threshold', 10, 2, 3, temperature => 0.01);
SELECT * FROM negsamp.simulate('uniform', 10, 2, 3, mode => 'softsum');
SELECT * FROM negsamp.simulate('uniform', 10, 2, 3, temperature => 2);
SELECT * FROM negsamp.simulate('uniform', 10, 2, 3, temperature => 'NaN');
SELECT * FROM negsamp.simulate('frequency', 10, 2, 3, mode => 'softplus');
SELECT * FROM negsamp.simulate('frequency', 10, 2, 3, mode => 'softsum', temperature => 0.5);
SELECT * FROM negsamp.simulate('frequency', 10, 2, 3, temperature => 0);
SELECT * FROM negsamp.simulate('threshold', 10, 2, 3, temperature => '-Infinity');

-- Other argument errors.
SELECT * FROM negsamp.simulate(NULL, 10, 2, 3);
SELECT * FROM negsamp.simulate('popularity', 10, 2, 3);
SELECT * FROM negsamp.simulate('uniform', NULL, 2, 3);
SELECT * FROM negsamp.simulate('uniform', 0, 2, 3);
SELECT * FROM negsamp.simulate('uniform', 3000000000, 2, 3);
SELECT * FROM negsamp.simulate('uniform', 10, NULL, 3);
SELECT * FROM negsamp.simulate('uniform', 10, -1, 3);
SELECT * FROM negsamp.simulate('uniform', 10, 11, 3);
SELECT * FROM negsamp.simulate('uniform', 10, 2, NULL);
SELECT * FROM negsamp.simulate('uniform', 10, 2, -1);
SELECT * FROM negsamp.simulate('uniform', 10, 2, 3, report_every => 0);
SELECT * FROM negsamp.simulate('uniform', 10, 2, 3, report_every => NULL);

SELECT negsamp.drop_sampler(name) FROM negsamp.samplers ORDER BY name COLLATE "C";
