#!/usr/bin/env bash
# Without shared_preload_libraries, CREATE EXTENSION works and every
# function fails with object_not_in_prerequisite_state naming the setting;
# the server keeps running.
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

# Loading the library by hand in a session does not help, and does no harm.
out=$(ns_psql -d postgres -c "LOAD 'negsamp'" -c "SELECT negsamp.sample_array('s', 3)" 2>&1 || true)
ns_expect "LOAD then draw" "$(echo "$out" | grep -c 'must be loaded via shared_preload_libraries')" "1"

ns_expect "server still up" "$(ns_query postgres 'SELECT 1')" "1"
ns_expect "no crash in the log" "$(grep -c 'terminated by signal' "$NS_DIR/server.log" || true)" "0"
