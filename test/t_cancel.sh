#!/usr/bin/env bash
# A long draw (3,000,000 negatives from a 6,000,000-item catalog) that is
# cancelled by statement_timeout, by pg_cancel_backend or ended by
# pg_terminate_backend leaves no lock held: another session draws at once.
# The counts then equal the counts before plus either the whole call (k
# draws, one call) or nothing.  The script also prints how long the call
# takes uncancelled and how long each cancelled call took to return.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/test/lib.sh"
NS_PORT=54362
trap 'ns_cluster_stop' EXIT

k=3000000

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Print "sum of item_counts draws|calls|draws" of a sampler.
counts_of() {
    ns_query postgres "SELECT (SELECT sum(draws) FROM negsamp.item_counts('$1')), calls, draws
                       FROM negsamp.samplers WHERE name = '$1'"
}

# Check that the counts of sampler $1 went from $2 to the current counts by
# adding either nothing or one whole call of k draws, and print which.
check_all_or_nothing() {
    local name=$1 before=$2 label=$3 after sum calls draws sum0 calls0 draws0
    after=$(counts_of "$name")
    IFS='|' read -r sum0 calls0 draws0 <<<"$before"
    IFS='|' read -r sum calls draws <<<"$after"
    ns_expect "$label: draws column equals the sum of item counts" "$draws" "$sum"
    if [ "$sum" = "$sum0" ]; then
        ns_expect "$label: nothing recorded, calls unchanged" "$calls" "$calls0"
        echo "  $label: the call recorded nothing"
    elif [ "$sum" = "$((sum0 + k))" ]; then
        ns_expect "$label: whole call recorded, one more call" "$calls" "$((calls0 + 1))"
        echo "  $label: the call recorded all $k draws"
    else
        echo "FAIL: $label: sum of draws went from $sum0 to $sum, neither +0 nor +$k" >&2
        return 1
    fi
}

# Check that a new session draws from sampler $1 and returns within a
# second, connection included.
check_draw_at_once() {
    local name=$1 label=$2 t0 elapsed out
    t0=$(now_ms)
    out=$(ns_query postgres "SELECT cardinality(negsamp.sample_array('$name', 10))")
    elapsed=$(( $(now_ms) - t0 ))
    ns_expect "$label: next draw from $name returns 10" "$out" "10"
    echo "  $label: next draw took $elapsed ms"
    ns_expect "$label: next draw within a second" "$(( elapsed < 1000 ))" "1"
}

# Start the long call in the background as application_name $1.  Set
# long_pid to the psql process, which writes its output to $NS_DIR/$1.out.
start_long_call() {
    local app=$1 sampler=$2
    ns_psql -d "dbname=postgres application_name=$app" -v VERBOSITY=verbose -At \
        -c "SELECT cardinality(negsamp.sample_array('$sampler', $k))" \
        >"$NS_DIR/$app.out" 2>&1 &
    long_pid=$!
}

# Print the backend pid of the active call of application_name $1, waiting
# up to 10 s for it to appear.
backend_of() {
    local app=$1 pid=
    for _ in $(seq 1000); do
        pid=$(ns_query postgres "SELECT pid FROM pg_stat_activity
                                 WHERE application_name = '$app' AND state = 'active'")
        [ -n "$pid" ] && break
        sleep 0.01
    done
    [ -n "$pid" ] || { echo "FAIL: no active backend for $app" >&2; return 1; }
    echo "$pid"
}

ns_cluster_start "negsamp.max_memory = 256MB"
ns_query postgres "CREATE EXTENSION negsamp" >/dev/null
start_time=$(ns_query postgres "SELECT pg_postmaster_start_time()")
ns_psql -d postgres >/dev/null <<'SQL'
SELECT negsamp.create_sampler('big', 'frequency', cardinality => 6000000, seed => 7);
SELECT negsamp.create_sampler('wide', 'uniform', cardinality => 6000000, seed => 7);
-- Run one draw and return its duration in milliseconds, measured in the
-- server.
CREATE FUNCTION timed_draw(sampler text, k integer) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz := clock_timestamp();
BEGIN
  PERFORM negsamp.sample_array(sampler, k);
  RETURN round(extract(epoch FROM clock_timestamp() - t0) * 1000);
END $$;
SQL

echo "-- uncancelled"
for sampler in big wide; do
    ms=$(ns_query postgres "SELECT timed_draw('$sampler', $k)")
    echo "  sample_array('$sampler', $k) took $ms ms uncancelled"
done
ms_big=$(ns_query postgres "SELECT timed_draw('big', $k)")
echo "  sample_array('big', $k) took $ms_big ms uncancelled, second time"
ns_expect "uncancelled calls recorded" "$(counts_of big)" "$((2 * k))|2|$((2 * k))"

echo "-- statement_timeout of 10 ms, well under the uncancelled call"
for sampler in big wide; do
    before=$(counts_of $sampler)
    t0=$(now_ms)
    out=$(ns_psql -d postgres -v VERBOSITY=verbose -At -c "SET statement_timeout = '10ms'" \
        -c "SELECT cardinality(negsamp.sample_array('$sampler', $k))" 2>&1 || true)
    elapsed=$(( $(now_ms) - t0 ))
    echo "  cancelled call on $sampler returned after $elapsed ms"
    ns_expect "timeout on $sampler: error" "$(echo "$out" | grep '^ERROR:')" \
        "ERROR:  57014: canceling statement due to statement timeout"
    check_all_or_nothing $sampler "$before" "timeout on $sampler"
    check_draw_at_once $sampler "timeout on $sampler"
done

# The same through the set-returning function.
before=$(counts_of big)
out=$(ns_psql -d postgres -v VERBOSITY=verbose -At -c "SET statement_timeout = '10ms'" \
    -c "SELECT count(*) FROM negsamp.sample('big', $k)" 2>&1 || true)
ns_expect "timeout in sample(): error" "$(echo "$out" | grep '^ERROR:')" \
    "ERROR:  57014: canceling statement due to statement timeout"
check_all_or_nothing big "$before" "timeout in sample()"
check_draw_at_once big "timeout in sample()"

echo "-- pg_cancel_backend at several points of the call"
# Delays after the call shows up as active.  The last ones are near or past
# the end of an uncancelled call, where the cancel may come too late.
for delay_ms in 0 20 100 300 $((ms_big - 30)) $((ms_big + 100)); do
    [ "$delay_ms" -ge 0 ] || continue
    before=$(counts_of big)
    app=cancel$delay_ms
    start_long_call $app big
    backend=$(backend_of $app)
    sleep "$(awk -v ms="$delay_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
    t0=$(now_ms)
    # false (with a warning) when the call and its session already ended
    sent=$(ns_query postgres "SELECT pg_cancel_backend($backend)" 2>/dev/null)
    rc=0
    wait $long_pid || rc=$?
    elapsed=$(( $(now_ms) - t0 ))
    echo "  cancel after $delay_ms ms: signal sent: $sent, the call returned $elapsed ms later, psql exit status $rc"
    if [ $rc -eq 0 ]; then
        # The cancel arrived after the call had finished its work.
        ns_expect "cancel after $delay_ms ms: uncancelled result" "$(cat "$NS_DIR/$app.out")" "$k"
    else
        ns_expect "cancel after $delay_ms ms: error" "$(grep '^ERROR:' "$NS_DIR/$app.out")" \
            "ERROR:  57014: canceling statement due to user request"
    fi
    # The picks hold the sampler lock, during which PostgreSQL holds
    # interrupts, so a cancel takes effect only after the last pick.  The
    # bound is loose because a loaded 2-core machine doubles the call time.
    ns_expect "cancel after $delay_ms ms: returned within 10 s" "$(( elapsed < 10000 ))" "1"
    check_all_or_nothing big "$before" "cancel after $delay_ms ms"
    check_draw_at_once big "cancel after $delay_ms ms"
done

echo "-- pg_terminate_backend during the call"
before=$(counts_of big)
start_long_call terminate big
backend=$(backend_of terminate)
sleep "$(awk -v ms="$ms_big" 'BEGIN { printf "%.3f", ms / 3000 }')"
ns_expect "terminate: signal sent" "$(ns_query postgres "SELECT pg_terminate_backend($backend)")" "t"
wait $long_pid || true
ns_expect "terminate: session ended" \
    "$(grep -c 'terminating connection due to administrator command' "$NS_DIR/terminate.out")" "1"
check_all_or_nothing big "$before" "terminate"
check_draw_at_once big "terminate"

echo "-- reset and drop take the lock exclusive and return at once"
t0=$(now_ms)
ns_query postgres "SELECT negsamp.reset_sampler('big')" >/dev/null
ns_expect "reset" "$(counts_of big)" "0|0|0"
ns_expect "drop" "$(ns_query postgres "SELECT negsamp.drop_sampler('big')")" "t"
ns_expect "drop other" "$(ns_query postgres "SELECT negsamp.drop_sampler('wide')")" "t"
ns_expect "reset and drops within a second" "$(( $(now_ms) - t0 < 1000 ))" "1"

ns_expect "postmaster not restarted" "$(ns_query postgres "SELECT pg_postmaster_start_time()")" "$start_time"
ns_expect "no crash in the log" "$(grep -c 'terminated by signal' "$NS_DIR/server.log" || true)" "0"
