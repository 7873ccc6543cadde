#!/usr/bin/env bash
# Concurrent draws lose no update.  pgbench runs 8 clients for 15 s, and
# each call draws 16 negatives from one frequency sampler and inserts them
# into a table.  Afterwards the sampler's counts equal the table item by
# item, and no result has a duplicate or an excluded item.
#
# Meanwhile three background loops run on other samplers.  One creates,
# draws from, resets and drops samplers, and must see no error.  One draws
# from 'victim' while the third drops, recreates and resets it, so a drop
# races a draw, and the drawer may see only undefined_object (42704).  The
# server must not crash.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/test/lib.sh"
NS_PORT=54363
bg_pids=()
stop_all() {
    for pid in "${bg_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    ns_cluster_stop
}
trap stop_all EXIT

duration=15
clients=8
k=16

ns_cluster_start "max_connections = 40"
ns_query postgres "CREATE EXTENSION negsamp" >/dev/null
start_time=$(ns_query postgres "SELECT pg_postmaster_start_time()")
work=$NS_DIR/work
mkdir "$work"

ns_psql -d postgres >/dev/null <<'SQL'
SELECT negsamp.create_sampler('f', 'frequency', cardinality => 10000, seed => 1);
SELECT negsamp.create_sampler('victim', 'frequency', cardinality => 100000);
CREATE TABLE results (exclude bigint[] NOT NULL, negs bigint[] NOT NULL);
-- What the drawer of 'victim' saw: successful draws and each kind of error.
CREATE TABLE race (outcome text, n bigint);
CREATE FUNCTION check_that(ok boolean, description text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF ok IS NOT TRUE THEN
    RAISE EXCEPTION 'check failed: %', description;
  END IF;
END $$;
SQL

# Each call excludes the items 0..49 and two random items.
cat >"$work/draw.sql" <<'SQL'
\set a random(0, 9999)
\set b random(0, 9999)
INSERT INTO results (exclude, negs)
SELECT e, negsamp.sample_array('f', 16, exclude => e)
FROM (SELECT ARRAY[:a, :b]::bigint[] || ARRAY(SELECT generate_series(0, 49)::bigint) AS e) s;
SQL
chmod -R a+rX "$work"

# Draw from 'victim' until the deadline, counting the draws and the
# undefined_object errors by message.  Any other error ends the loop and
# fails the test.  k = 2000 of 100,000 items keeps each call long enough
# for drops to land between its steps.
victim_drawer() {
    ns_psql -d postgres -v duration="$duration" <<'SQL'
SELECT set_config('test.duration', :'duration', false) \g /dev/null
DO $$
DECLARE
  deadline timestamptz := clock_timestamp() + (current_setting('test.duration') || ' s')::interval;
  negs bigint[];
  msg text;
  ok bigint := 0;
  missing bigint := 0;
  dropped bigint := 0;
BEGIN
  FOR i IN 1..1000000 LOOP
    EXIT WHEN clock_timestamp() > deadline;
    BEGIN
      negs := negsamp.sample_array('victim', 2000, exclude => '{1,2,3}');
      IF cardinality(negs) <> 2000
         OR (SELECT count(DISTINCT x) FROM unnest(negs) x) <> 2000
         OR negs && '{1,2,3}'::bigint[] THEN
        RAISE EXCEPTION 'bad draw from victim: %', negs;
      END IF;
      ok := ok + 1;
    EXCEPTION WHEN undefined_object THEN
      GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
      IF msg = 'sampler "victim" does not exist in database "postgres"' THEN
        missing := missing + 1;
      ELSIF msg = 'sampler "victim" was dropped during the call' THEN
        dropped := dropped + 1;
      ELSE
        RAISE;
      END IF;
    END;
  END LOOP;
  INSERT INTO race VALUES ('draws', ok), ('does not exist', missing),
                          ('dropped during the call', dropped);
END $$;
SQL
}

# Drop, recreate and now and then reset 'victim' until the deadline, with
# a random strategy and size.  No error is expected.
victim_dropper() {
    ns_psql -d postgres -v duration="$duration" <<'SQL'
SELECT set_config('test.duration', :'duration', false) \g /dev/null
DO $$
DECLARE
  deadline timestamptz := clock_timestamp() + (current_setting('test.duration') || ' s')::interval;
  strategies text[] := '{uniform,frequency,threshold}';
BEGIN
  PERFORM setseed(0.5);
  FOR i IN 1..100000 LOOP
    EXIT WHEN clock_timestamp() > deadline;
    IF NOT negsamp.drop_sampler('victim', if_exists => true) THEN
      RAISE EXCEPTION 'victim was missing before drop %', i;
    END IF;
    PERFORM pg_sleep(random() * 0.002);
    PERFORM negsamp.create_sampler('victim', strategies[1 + i % 3],
                                   cardinality => 50000 + floor(random() * 50000)::bigint);
    PERFORM pg_sleep(random() * 0.02);
    IF i % 4 = 0 THEN
      PERFORM negsamp.reset_sampler('victim');
    END IF;
  END LOOP;
END $$;
SQL
}

# Create, draw from, reset and drop samplers of other names, checking each
# result, for at most 300 rounds or until the deadline.  Each round is one
# session, and any error fails the test.
churn() {
    local deadline=$(( $(date +%s) + duration )) round completed=0
    for round in $(seq 300); do
        [ "$(date +%s)" -lt "$deadline" ] || break
        ns_psql -d postgres -At -v round="$round" <<'SQL' >/dev/null || { echo "churn round $round failed"; return 1; }
SELECT negsamp.create_sampler('churn' || :round, (ARRAY['uniform','frequency','threshold'])[1 + :round % 3],
                              cardinality => 1000 + :round, seed => :round);
SELECT negsamp.sample_array('churn' || :round, 50, exclude => '{0,1}') AS first \gset
SELECT check_that(cardinality(:'first'::bigint[]) = 50, 'first draw has 50 items');
SELECT check_that((SELECT sum(draws) FROM negsamp.item_counts('churn' || :round)) = 50,
                  'counts sum to 50');
SELECT negsamp.reset_sampler('churn' || :round);
-- A seeded sampler repeats its first draw after a reset.
SELECT check_that(negsamp.sample_array('churn' || :round, 50, exclude => '{0,1}') = :'first'::bigint[],
                  'first draw repeated after reset');
SELECT check_that(calls = 1 AND draws = 50, 'one call after reset')
FROM negsamp.samplers WHERE name = 'churn' || :round;
SELECT check_that(negsamp.drop_sampler('churn' || :round), 'dropped');
SQL
        completed=$round
    done
    echo "churn rounds completed: $completed"
}

echo "-- $clients pgbench clients for $duration s, with three background loops"
victim_drawer >"$work/drawer.log" 2>&1 &
drawer_pid=$!
victim_dropper >"$work/dropper.log" 2>&1 &
dropper_pid=$!
churn >"$work/churn.log" 2>&1 &
churn_pid=$!
bg_pids=("$drawer_pid" "$dropper_pid" "$churn_pid")

pgbench_rc=0
ns_as_owner "$PGBIN/pgbench" -n -h "$NS_DIR" -p "$NS_PORT" -U postgres \
    -c $clients -j 2 -T $duration -f "$work/draw.sql" postgres \
    >"$work/pgbench.log" 2>&1 || pgbench_rc=$?
drawer_rc=0; wait "$drawer_pid" || drawer_rc=$?
dropper_rc=0; wait "$dropper_pid" || dropper_rc=$?
churn_rc=0; wait "$churn_pid" || churn_rc=$?
bg_pids=()

grep -E '^(number of (transactions actually processed|failed transactions)|tps)' "$work/pgbench.log" | sed 's/^/  /'
ns_expect "pgbench exit status" "$pgbench_rc" "0" || { cat "$work/pgbench.log"; exit 1; }
ns_expect "victim drawer saw only undefined_object" "$drawer_rc" "0" || { cat "$work/drawer.log"; exit 1; }
ns_expect "victim dropper saw no error" "$dropper_rc" "0" || { cat "$work/dropper.log"; exit 1; }
ns_expect "churn saw no error" "$churn_rc" "0" || { cat "$work/churn.log"; exit 1; }
sed 's/^/  /' "$work/churn.log"
ns_query postgres "SELECT outcome || ': ' || n FROM race" | sed 's/^/  victim drawer, /'

echo "-- the counts of 'f' match the results"
rows=$(ns_query postgres "SELECT count(*) FROM results")
processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/pgbench.log")
echo "  $rows calls completed"
ns_expect "rows inserted equal pgbench transactions" "$rows" "$processed"
ns_expect "at least 100 calls" "$(( rows >= 100 ))" "1"
ns_expect "samplers.calls and draws" \
    "$(ns_query postgres "SELECT calls, draws FROM negsamp.samplers WHERE name = 'f'")" "$rows|$((k * rows))"
ns_expect "sum of item_counts.draws" \
    "$(ns_query postgres "SELECT sum(draws) FROM negsamp.item_counts('f')")" "$((k * rows))"
ns_expect "items whose count differs from the results" "$(ns_query postgres "
    WITH got AS (SELECT x AS item_id, count(*) AS n FROM results, unnest(negs) x GROUP BY x)
    SELECT count(*) FROM negsamp.item_counts('f') c FULL JOIN got g USING (item_id)
    WHERE c.draws IS DISTINCT FROM coalesce(g.n, 0)")" "0"
ns_expect "results with $k items" "$(ns_query postgres "SELECT count(*) FROM results WHERE cardinality(negs) = $k")" "$rows"
ns_expect "results with a duplicate" "$(ns_query postgres "
    SELECT count(*) FROM results WHERE (SELECT count(DISTINCT x) FROM unnest(negs) x) <> $k")" "0"
ns_expect "results with an excluded item" "$(ns_query postgres "SELECT count(*) FROM results WHERE negs && exclude")" "0"
ns_expect "results outside the catalog" "$(ns_query postgres "
    SELECT count(*) FROM results, unnest(negs) x WHERE x < 0 OR x >= 10000")" "0"

echo "-- the server survived"
ns_expect "postmaster not restarted" "$(ns_query postgres "SELECT pg_postmaster_start_time()")" "$start_time"
ns_expect "no crash in the log" "$(grep -c 'terminated by signal' "$NS_DIR/server.log" || true)" "0"
ns_expect "no churn samplers left" "$(ns_query postgres "SELECT count(*) FROM negsamp.samplers WHERE name LIKE 'churn%'")" "0"
