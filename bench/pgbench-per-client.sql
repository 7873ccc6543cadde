-- pgbench transaction: one draw of 128 negatives from the client's own
-- sampler, pgbench_0 to pgbench_7 for clients 0 to 7.
\set sampler :client_id
SELECT negsamp.sample_array('pgbench_' || :sampler, 128);
