#!/usr/bin/env bash
# Without shared_preload_libraries, CREATE EXTENSION works, and every
# function that uses samplers fails with object_not_in_prerequisite_state
# naming the setting.  simulate needs no shared memory and works.  The
# server keeps running.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/test/lib.sh"
NS_PORT=54331
trap ns_cluster_stop EXIT

ns_cluster_start "shared_preload_libraries = ''"
ns_query postgres "CREATE EXTENSION negsamp" >/dev/null

check() {
    local sql=$1 out
    out=$(ns_psql -d postgres -v VERBOSITY=verbose -c "$sql" 2>&1 || true)
    ns_expect "sqlstate of: $sql" "$(echo "$out" | grep -o '55000' | head -1)" "55000"
    ns_expect "hint of: $sql" \
        "$(echo "$out" | grep -c 'Add negsamp to shared_preload_libraries')" "1"
}
check "SELECT negsamp.create_sampler('s', 'uniform', cardinality => 10)"
check "SELECT negsamp.drop_sampler('s')"
check "SELECT negsamp.reset_sampler('s')"
check "SELECT negsamp.sample_array('s', 3)"
check "SELECT * FROM negsamp.sample('s', 3)"
check "SELECT negsamp.negatives('s', 1, 3)"
check "SELECT * FROM negsamp.samplers"
check "SELECT * FROM negsamp.item_counts('s')"
check "SELECT * FROM negsamp.distribution_stats('s')"
check "SELECT * FROM negsamp.count_histogram('s')"

# simulate runs a private sampler, the same as with the preload.
ns_expect "simulate without preload" \
    "$(ns_query postgres "SELECT string_agg(call || ':' || coverage || ':' || min_count || ':' || max_count, ' ' ORDER BY call)
                          FROM negsamp.simulate('threshold', 8, 2, 5, seed => 7)")" \
    "1:0.25:0:1 2:0.5:0:1 3:0.75:0:1 4:1:1:1 5:1:1:2"

# Loading the library by hand in a session does not help, and does no harm.
out=$(ns_psql -d postgres -c "LOAD 'negsamp'" -c "SELECT negsamp.sample_array('s', 3)" 2>&1 || true)
ns_expect "LOAD then draw" "$(echo "$out" | grep -c 'must be loaded via shared_preload_libraries')" "1"

ns_expect "server still up" "$(ns_query postgres 'SELECT 1')" "1"
ns_expect "no crash in the log" "$(grep -c 'terminated by signal' "$NS_DIR/server.log" || true)" "0"
