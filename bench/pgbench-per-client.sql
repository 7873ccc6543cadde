-- pgbench transaction: :calls draws of 128 negatives from the client's own
-- sampler, pgbench_0 to pgbench_7 for clients 0 to 7.
\set sampler :client_id
SELECT count(negsamp.sample_array('pgbench_' || :sampler, 128)) FROM generate_series(1, :calls);
