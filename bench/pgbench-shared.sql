-- pgbench transaction: :calls draws of 128 negatives from the sampler
-- that every client shares.  The statement is the same as in
-- pgbench-per-client.sql, so only the sampler differs.
\set sampler 0
SELECT count(negsamp.sample_array('pgbench_' || :sampler, 128)) FROM generate_series(1, :calls);
