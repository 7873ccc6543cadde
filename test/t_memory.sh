#!/usr/bin/env bash
# Shared-memory limits.  With the default negsamp.max_memory (64 MB), a
# create that does not fit fails with out_of_memory (53200) and a hint that
# names the setting, while the other samplers keep working.  Dropping a
# sampler frees its block for the next create, and many create/drop cycles
# leave the free space as it was.  With all negsamp.max_samplers slots in
# use, in any database, a create fails with insufficient_resources (53000).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/test/lib.sh"
NS_PORT=54361
trap ns_cluster_stop EXIT

arena_bytes=$((64 * 1024 * 1024))

# Run one statement expected to fail, and print its error, detail and hint
# lines.  Messages are verbose, so the error line starts with the SQLSTATE.
error_of() {
    local db=$1 sql=$2
    if ns_psql -d "$db" -v VERBOSITY=verbose -At -c "$sql" 2>&1 >/dev/null; then
        echo "statement succeeded"
    fi | grep -v '^LOCATION:' || true
}

ns_cluster_start
ns_query postgres "CREATE EXTENSION negsamp" >/dev/null
start_time=$(ns_query postgres "SELECT pg_postmaster_start_time()")
ns_expect "default max_memory" "$(ns_query postgres "SHOW negsamp.max_memory")" "64MB"
ns_expect "default max_samplers" "$(ns_query postgres "SHOW negsamp.max_samplers")" "64"

# max_fit(strategy) finds by bisection the largest dense catalog of that
# strategy that can be created now, creating and dropping a sampler named
# 'probe' at each step.  8388608 items never fit in 64 MB: every strategy
# needs at least 8 bytes per item.
ns_psql -d postgres <<'SQL'
CREATE FUNCTION max_fit(strategy text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  fits bigint := 0;
  too_big bigint := 8388608;
  mid bigint;
BEGIN
  WHILE too_big - fits > 1 LOOP
    mid := (fits + too_big) / 2;
    BEGIN
      PERFORM negsamp.create_sampler('probe', strategy, cardinality => mid);
      PERFORM negsamp.drop_sampler('probe');
      fits := mid;
    EXCEPTION WHEN out_of_memory THEN
      too_big := mid;
    END;
  END LOOP;
  RETURN fits;
END $$;
SQL

echo "-- an empty arena"
empty_fit=$(ns_query postgres "SELECT max_fit('frequency')")
echo "  largest frequency sampler in an empty arena: $empty_fit items"
# A dense frequency sampler needs 20 bytes per item plus a header.
ns_expect "empty arena holds about 64 MB / 20 bytes" \
    "$(( empty_fit <= arena_bytes / 20 && empty_fit >= (arena_bytes - 4096) / 20 ))" "1"
ns_expect "no sampler left by max_fit" "$(ns_query postgres "SELECT count(*) FROM negsamp.samplers")" "0"

echo "-- fill the arena with 1,000,000-item frequency samplers"
created=0
for i in 1 2 3 4 5 6 7 8; do
    if ns_query postgres "SELECT negsamp.create_sampler('f$i', 'frequency', cardinality => 1000000, seed => $i)" \
        >/dev/null 2>&1; then
        created=$i
    else
        break
    fi
done
ns_expect "three samplers of 1,000,000 items fit" "$created" "3"
memory_bytes=$(ns_query postgres "SELECT memory_bytes FROM negsamp.samplers WHERE name = 'f1'")
ns_expect "memory_bytes is 20 bytes per item plus less than 1 kB" \
    "$(( memory_bytes >= 20000000 && memory_bytes < 20001024 ))" "1"
ns_expect "all three have the same size" \
    "$(ns_query postgres "SELECT count(DISTINCT memory_bytes) FROM negsamp.samplers")" "1"

out=$(error_of postgres "SELECT negsamp.create_sampler('f4', 'frequency', cardinality => 1000000)")
ns_expect "fourth create: error" "$(echo "$out" | grep '^ERROR:')" \
    'ERROR:  53200: not enough shared memory for sampler "f4"'
ns_expect "fourth create: hint names negsamp.max_memory" \
    "$(echo "$out" | grep -c '^HINT:.*increase negsamp.max_memory')" "1"
used=$(ns_query postgres "SELECT sum(memory_bytes) FROM negsamp.samplers")
free=$((arena_bytes - used))
ns_expect "fourth create: detail gives the free bytes" "$(echo "$out" | grep '^DETAIL:')" \
    "DETAIL:  The sampler needs $memory_bytes bytes; $free of the $arena_bytes bytes in negsamp.max_memory are free, the largest free block is $free bytes."
ns_expect "failed create left no sampler" \
    "$(ns_query postgres "SELECT string_agg(name, ',' ORDER BY name) FROM negsamp.samplers")" "f1,f2,f3"

echo "-- the other samplers keep working"
for i in 1 2 3; do
    ns_expect "draw from f$i" \
        "$(ns_query postgres "SELECT cardinality(negsamp.sample_array('f$i', 100, exclude => '{0,1,2}'))")" "100"
    ns_expect "counts of f$i" \
        "$(ns_query postgres "SELECT (SELECT sum(draws) FROM negsamp.item_counts('f$i')), calls, draws
                              FROM negsamp.samplers WHERE name = 'f$i'")" "100|1|100"
done

fit_with_three=$(ns_query postgres "SELECT max_fit('frequency')")
echo "  largest frequency sampler beside three: $fit_with_three items"
ns_expect "largest fit beside three is the free space" \
    "$(( fit_with_three < 1000000 && fit_with_three * 20 <= free && (fit_with_three + 1) * 20 > free - 4096 ))" "1"

echo "-- dropping a sampler frees its block"
ns_expect "drop f2" "$(ns_query postgres "SELECT negsamp.drop_sampler('f2')")" "t"
ns_query postgres "SELECT negsamp.create_sampler('f4', 'frequency', cardinality => 1000000, seed => 2)" >/dev/null
ns_expect "f4 fits in f2's place" \
    "$(ns_query postgres "SELECT string_agg(name, ',' ORDER BY name) FROM negsamp.samplers")" "f1,f3,f4"
ns_expect "draw from f4" "$(ns_query postgres "SELECT cardinality(negsamp.sample_array('f4', 1000))")" "1000"
ns_expect "f1 unaffected" \
    "$(ns_query postgres "SELECT calls, draws FROM negsamp.samplers WHERE name = 'f1'")" "1|100"
ns_expect "drop f4" "$(ns_query postgres "SELECT negsamp.drop_sampler('f4')")" "t"

echo "-- 1,000 create/drop cycles leave the free space as it was"
fit_before=$(ns_query postgres "SELECT max_fit('frequency')")
uniform_fit_before=$(ns_query postgres "SELECT max_fit('uniform')")
start=$(date +%s%N)
ns_psql -d postgres <<'SQL'
DO $$
BEGIN
  FOR i IN 1..1000 LOOP
    PERFORM negsamp.create_sampler('cycle', 'frequency', cardinality => 1000000);
    IF i % 10 = 0 THEN
      PERFORM negsamp.sample_array('cycle', 10);
    END IF;
    PERFORM negsamp.drop_sampler('cycle');
  END LOOP;
END $$;
SQL
echo "  1,000 cycles took $(( ($(date +%s%N) - start) / 1000000 )) ms"
ns_expect "largest frequency fit after the cycles" "$(ns_query postgres "SELECT max_fit('frequency')")" "$fit_before"

# Mixed sizes, strategies and failed creates, with up to three live at once.
ns_psql -d postgres <<'SQL'
DO $$
DECLARE
  n bigint;
  strategies text[] := '{uniform,frequency,threshold}';
BEGIN
  PERFORM setseed(0.25);
  FOR i IN 1..300 LOOP
    n := 1 + floor(random() * 1500000)::bigint;
    BEGIN
      PERFORM negsamp.create_sampler('mixed' || (i % 3), strategies[1 + i % 3], cardinality => n);
    EXCEPTION WHEN out_of_memory THEN
      NULL;
    END;
    PERFORM negsamp.drop_sampler('mixed' || ((i + 1) % 3), if_exists => true);
  END LOOP;
  FOR j IN 0..2 LOOP
    PERFORM negsamp.drop_sampler('mixed' || j, if_exists => true);
  END LOOP;
END $$;
SQL
ns_expect "largest frequency fit after mixed cycles" "$(ns_query postgres "SELECT max_fit('frequency')")" "$fit_before"
ns_expect "largest uniform fit after mixed cycles" "$(ns_query postgres "SELECT max_fit('uniform')")" "$uniform_fit_before"
ns_query postgres "SELECT negsamp.create_sampler('largest', 'frequency', cardinality => $fit_before)" >/dev/null
ns_expect "a sampler of the largest fit draws" \
    "$(ns_query postgres "SELECT cardinality(negsamp.sample_array('largest', 10))")" "10"
ns_query postgres "SELECT negsamp.drop_sampler(name) FROM negsamp.samplers" >/dev/null
ns_expect "empty arena again" "$(ns_query postgres "SELECT max_fit('frequency')")" "$empty_fit"

echo "-- all sampler slots in use"
ns_query postgres "CREATE DATABASE other" >/dev/null
ns_query other "CREATE EXTENSION negsamp" >/dev/null
# Slots are shared by all databases: 40 here, 24 in the other.
ns_query postgres "SELECT negsamp.create_sampler('s' || i, 'uniform', cardinality => 10) FROM generate_series(1, 40) i" >/dev/null
ns_query other "SELECT negsamp.create_sampler('o' || i, 'uniform', cardinality => 10) FROM generate_series(1, 24) i" >/dev/null
for db in postgres other; do
    out=$(error_of $db "SELECT negsamp.create_sampler('extra', 'uniform', cardinality => 10)")
    ns_expect "$db: 65th create: error" "$(echo "$out" | grep '^ERROR:')" \
        'ERROR:  53000: cannot create sampler "extra": all 64 sampler slots are in use'
    ns_expect "$db: 65th create: hint names negsamp.max_samplers" \
        "$(echo "$out" | grep -c '^HINT:.*increase negsamp.max_samplers')" "1"
done
ns_expect "samplers still draw" "$(ns_query other "SELECT negsamp.sample_array('o24', 10, seed => 1) IS NOT NULL")" "t"
ns_expect "drop one in the other database" "$(ns_query other "SELECT negsamp.drop_sampler('o7')")" "t"
ns_query postgres "SELECT negsamp.create_sampler('extra', 'uniform', cardinality => 10)" >/dev/null
ns_expect "its slot is reused here" "$(ns_query postgres "SELECT count(*) FROM negsamp.samplers")" "41"
out=$(error_of other "SELECT negsamp.create_sampler('extra', 'uniform', cardinality => 10)")
ns_expect "full again" "$(echo "$out" | grep -o '^ERROR:  [0-9A-Z]*')" "ERROR:  53000"

ns_expect "postmaster not restarted" "$(ns_query postgres "SELECT pg_postmaster_start_time()")" "$start_time"
ns_expect "no crash in the log" "$(grep -c 'terminated by signal' "$NS_DIR/server.log" || true)" "0"
