#!/usr/bin/env bash
# Samplers survive restarts: a clean shutdown saves them and the next start
# loads them, so a seeded sampler continues exactly where it stopped.
# negsamp.save = off, save_state() before an immediate stop or a crash,
# and damaged state files are covered too.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/test/lib.sh"
NS_PORT=54333
trap ns_cluster_stop EXIT
q() { ns_query postgres "$1"; }
state_file() { echo "$NS_DIR/data/pg_stat/negsamp.state"; }

ns_cluster_start
q "CREATE EXTENSION negsamp" >/dev/null
q "SELECT negsamp.create_sampler('u', 'uniform', items => '{50,-7,3,900,12,8}', seed => 1)
   , negsamp.create_sampler('w', 'uniform', cardinality => 50, weights => ARRAY(SELECT (i % 3)::float8 FROM generate_series(1, 50) i), seed => 2)
   , negsamp.create_sampler('f', 'frequency', cardinality => 40, seed => 3)
   , negsamp.create_sampler('t', 'threshold', cardinality => 40, mode => 'softsum', seed => 4)" >/dev/null

# Five recorded calls, then remember the sixth call's negatives.
draws5="SELECT negsamp.sample_array(s, 3) FROM unnest('{u,w,f,t}'::text[]) s, generate_series(1, 5) ORDER BY 1"
sixth="SELECT string_agg(negsamp.sample_array(s, 3)::text, ' ' ORDER BY s) FROM unnest('{u,w,f,t}'::text[]) s"
q "$draws5" >/dev/null
expected=$(q "$sixth")
# Replay the first five calls, then restart before the sixth.
q "SELECT negsamp.reset_sampler(s) FROM unnest('{u,w,f,t}'::text[]) s" >/dev/null
q "$draws5" >/dev/null
counts_before=$(q "SELECT string_agg(s || ':' || c.item_id || '=' || c.draws, ',' ORDER BY s, c.item_id) FROM unnest('{u,w,f,t}'::text[]) s, negsamp.item_counts(s) c")
view_before=$(q "SELECT string_agg(row(name, strategy, mode, cardinality, calls, draws, seed, owner)::text, ';' ORDER BY name) FROM negsamp.samplers")

ns_cluster_restart_only restart -m fast
ns_expect "state file removed after loading" "$(test -e "$(state_file)" && echo present || echo absent)" "absent"
ns_expect "log reports the load" "$(grep -c 'negsamp loaded 4 samplers' "$NS_DIR/server.log")" "1"
ns_expect "samplers view after restart" \
    "$(q "SELECT string_agg(row(name, strategy, mode, cardinality, calls, draws, seed, owner)::text, ';' ORDER BY name) FROM negsamp.samplers")" "$view_before"
ns_expect "counts after restart" \
    "$(q "SELECT string_agg(s || ':' || c.item_id || '=' || c.draws, ',' ORDER BY s, c.item_id) FROM unnest('{u,w,f,t}'::text[]) s, negsamp.item_counts(s) c")" "$counts_before"
ns_expect "sixth call continues the seeded sequence" "$(q "$sixth")" "$expected"

# An immediate stop with no call in progress still saves at exit.
q "SELECT negsamp.sample_array('f', 2)" >/dev/null
calls_saved=$(q "SELECT sum(calls) FROM negsamp.samplers")
ns_cluster_restart_only stop -m immediate
ns_cluster_restart_only start
ns_expect "immediate stop keeps every call" "$(q "SELECT sum(calls) FROM negsamp.samplers")" "$calls_saved"

# Kill a backend with SIGKILL in the middle of draws, then wait until the
# postmaster has reinitialised shared memory and accepts connections.
crash_during_draws() {
    local pid
    ns_psql -d postgres -c "SELECT count(negsamp.sample_array('f', 20)) FROM generate_series(1, 10000000)" >/dev/null 2>&1 &
    sleep 1
    pid=$(q "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT count(negsamp.sample_array%' AND pid <> pg_backend_pid()")
    kill -9 "$pid"
    wait || true
    for _ in $(seq 1 60); do q "SELECT 1" >/dev/null 2>&1 && break; sleep 0.5; done
}

# A backend killed in the middle of draws: the postmaster reinitialises
# shared memory and the samplers come back from the last save.
q "SELECT negsamp.save_state()" >/dev/null
crash_during_draws
ns_expect "crash restarted the server" "$(grep -c 'terminated by signal 9' "$NS_DIR/server.log")" "1"
ns_expect "samplers back from the save after a crash" "$(q "SELECT sum(calls) FROM negsamp.samplers")" "$calls_saved"
ns_expect "draws work after the crash" "$(q "SELECT cardinality(negsamp.sample_array('f', 5))")" "5"

# A second crash in the same server life brings back the same save.
crash_during_draws
ns_expect "second crash restarted the server" "$(grep -c 'terminated by signal 9' "$NS_DIR/server.log")" "2"
ns_expect "samplers back from the save after a second crash" "$(q "SELECT sum(calls) FROM negsamp.samplers")" "$calls_saved"

# negsamp.save = off: a clean stop writes nothing.
ns_as_owner sh -c "echo 'negsamp.save = off' >> '$NS_DIR/data/postgresql.conf'"
q "SELECT pg_reload_conf()" >/dev/null
sleep 1
ns_cluster_restart_only restart -m fast
ns_expect "save = off still loads the save_state() file" "$(q "SELECT count(*) FROM negsamp.samplers")" "4"
ns_cluster_restart_only restart -m fast
ns_expect "save = off loses the samplers" "$(q "SELECT count(*) FROM negsamp.samplers")" "0"
ns_as_owner sed -i '/negsamp.save = off/d' "$NS_DIR/data/postgresql.conf"
ns_cluster_restart_only restart -m fast

# Damaged files are ignored with a WARNING and the server starts.
damage() {
    local how=$1 reason=$2
    q "SELECT negsamp.create_sampler('d', 'frequency', cardinality => 1000, seed => 5)" >/dev/null
    ns_cluster_restart_only stop -m fast
    ns_as_owner python3 - "$(state_file)" "$how" <<'PY'
import sys
path, how = sys.argv[1], sys.argv[2]
data = bytearray(open(path, 'rb').read())
if how == 'truncate':
    data = data[: len(data) // 2]
elif how == 'flip':
    data[len(data) // 2] ^= 0xFF
elif how == 'version':
    data[4] = 99
elif how == 'magic':
    data[0] ^= 0xFF
open(path, 'wb').write(bytes(data))
PY
    ns_cluster_restart_only start
    ns_expect "$how: warning names the reason" \
        "$(grep -c "WARNING:  ignoring negsamp state file.*$reason" "$NS_DIR/server.log")" "1"
    ns_expect "$how: server starts with no samplers" "$(q "SELECT count(*) FROM negsamp.samplers")" "0"
}
damage truncate "truncated"
damage flip "checksum does not match"
damage version "format version"
damage magic "magic number"
ns_expect "no crash in the log" "$(grep -c 'terminated by signal [^9]' "$NS_DIR/server.log" || true)" "0"
