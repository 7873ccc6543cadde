#!/usr/bin/env bash
# Statistical check of the draw law.  For each strategy, many seeded draws
# (record => false, one seed per call, so the run is deterministic) are
# compared with the exact law of successive sampling without replacement,
# worked out by enumerating every ordered outcome:
#   - the first pick's distribution and the distribution of ordered
#     k-tuples, by a chi-square test at p = 1e-4;
#   - each item's inclusion frequency, by a z-test at |z| < 4.5.
# A weighted catalog whose excluded items hold almost all the weight must
# draw uniformly among the rest (and finish: a rejection loop would hang
# until statement_timeout).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/test/lib.sh"
NS_PORT=54334
trap ns_cluster_stop EXIT
q() { ns_query postgres "$1"; }

ns_cluster_start "statement_timeout = '120s'"
q "CREATE EXTENSION negsamp" >/dev/null

# The samplers of the cases below; check() gives each one its k, its
# exclusions and the exact law (see test/statistics.py).
q "SELECT negsamp.create_sampler('su', 'uniform', cardinality => 7)" >/dev/null
q "SELECT negsamp.create_sampler('sw', 'uniform', cardinality => 6, weights => '{1,2,3,4,5,6}')" >/dev/null
q "SELECT negsamp.create_sampler('sf', 'frequency', cardinality => 6, temperature => 0.5)" >/dev/null
q "SELECT negsamp.restore_counts('sf', i, c) FROM unnest('{0,1,2,3,4,5}'::bigint[], '{0,1,2,3,0,5}'::bigint[]) AS t(i, c)" >/dev/null
q "SELECT negsamp.create_sampler('ss', 'frequency', cardinality => 6, mode => 'softsum')" >/dev/null
q "SELECT negsamp.restore_counts('ss', i, c) FROM unnest('{0,1,2,3,4,5}'::bigint[], '{0,1,2,3,0,5}'::bigint[]) AS t(i, c)" >/dev/null
q "SELECT negsamp.create_sampler('st', 'threshold', cardinality => 6)" >/dev/null
q "SELECT negsamp.restore_counts('st', i, c) FROM unnest('{0,1,2,3,4,5}'::bigint[], '{2,2,1,0,1,0}'::bigint[]) AS t(i, c)" >/dev/null

draws=40000
run_case() {
    local sampler=$1 k=$2 exclude=$3
    q "SELECT string_agg(array_to_string(negsamp.sample_array('$sampler', $k, exclude => '$exclude', record => false, seed => g), ','), ' ')
       FROM generate_series(1, $draws) g"
}

check() {
    local label=$1 sampler=$2 k=$3 exclude=$4 law=$5
    local out
    out=$(run_case "$sampler" "$k" "$exclude" | python3 "$top/test/statistics.py" "$k" "$exclude" "$law")
    echo "$out" | sed "s/^/  $label: /"
    ns_expect "$label: draw law" "$(echo "$out" | tail -1)" "pass"
}

check "uniform" su 3 "{2}" "weights:1,1,1,1,1,1,1"
check "weighted uniform" sw 3 "{5}" "weights:1,2,3,4,5,6"
check "frequency softmax T=0.5" sf 3 "{1}" "softmax:0.5:0,1,2,3,0,5"
check "frequency softsum" ss 2 "{}" "softsum:0,1,2,3,0,5"
check "threshold, reserved items needed" st 5 "{}" "threshold:0,1,2,3,0,5:2,2,1,0,1,0"
check "threshold with exclusion" st 3 "{3}" "threshold:0,1,2,3,0,5:2,2,1,0,1,0"

# 1,000 items of weight 1 and 5 of weight 1e9; the heavy ones excluded.
q "SELECT negsamp.create_sampler('heavy', 'uniform', cardinality => 1005,
     weights => ARRAY(SELECT CASE WHEN i < 5 THEN 1e9 ELSE 1 END FROM generate_series(0, 1004) i))" >/dev/null
t0=$(date +%s%N)
out=$(q "SELECT string_agg(array_to_string(negsamp.sample_array('heavy', 128, exclude => '{0,1,2,3,4}', record => false, seed => g), ','), ' ')
         FROM generate_series(1, 2000) g" | python3 "$top/test/statistics.py" first-uniform 5 1005)
echo "  heavy exclusions: 2,000 calls of k = 128 in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
echo "$out" | sed 's/^/  heavy exclusions: /'
ns_expect "heavy exclusions: uniform among the light items" "$(echo "$out" | tail -1)" "pass"
