-- pgbench transaction for the floor: the statement shape of
-- pgbench-shared.sql, but each row only builds a 128-element bigint
-- array.  Adding g keeps the array from being computed once per statement.
\set value 1
SELECT count(array_fill(:value::bigint + g, ARRAY[128])) FROM generate_series(1, :calls) AS g;
