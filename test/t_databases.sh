#!/usr/bin/env bash
# A sampler belongs to its database: the same name in two databases is two
# samplers, and neither database lists or changes the other's.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/test/lib.sh"
NS_PORT=54332
trap ns_cluster_stop EXIT

ns_cluster_start
for db in one two; do
    ns_query postgres "CREATE DATABASE $db" >/dev/null
    ns_query $db "CREATE EXTENSION negsamp" >/dev/null
done

ns_query one "SELECT negsamp.create_sampler('s', 'uniform', cardinality => 10, seed => 1)" >/dev/null
ns_query two "SELECT negsamp.create_sampler('s', 'frequency', cardinality => 30, seed => 1)" >/dev/null
ns_query one "SELECT negsamp.sample_array('s', 4)" >/dev/null

ns_expect "one sees its own sampler" \
    "$(ns_query one "SELECT strategy, cardinality, calls FROM negsamp.samplers")" "uniform|10|1"
ns_expect "two sees its own sampler" \
    "$(ns_query two "SELECT strategy, cardinality, calls FROM negsamp.samplers")" "frequency|30|0"

ns_query two "SELECT negsamp.drop_sampler('s')" >/dev/null
ns_expect "drop in two leaves one alone" \
    "$(ns_query one "SELECT count(*) FROM negsamp.samplers")" "1"
ns_expect "two has none" "$(ns_query two "SELECT count(*) FROM negsamp.samplers")" "0"
ns_expect "two cannot draw from one's sampler" \
    "$(ns_psql -d two -c "SELECT negsamp.sample_array('s', 1)" 2>&1 | grep -c 'does not exist in database "two"')" "1"

# The samplers of a dropped database are freed by the next create.
ns_query postgres "CREATE DATABASE three" >/dev/null
ns_query three "CREATE EXTENSION negsamp" >/dev/null
ns_query three "SELECT negsamp.create_sampler('big', 'uniform', cardinality => 5000000)" >/dev/null
ns_query postgres "DROP DATABASE three" >/dev/null
ns_query one "SELECT negsamp.create_sampler('big', 'uniform', cardinality => 5000000)" >/dev/null
ns_expect "dropped database's sampler freed" \
    "$(grep -c 'negsamp freed sampler "big" of dropped database' "$NS_DIR/server.log")" "1"
