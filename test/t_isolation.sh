#!/usr/bin/env bash
# Run the isolation specs in test/isolation/specs with pg_isolation_regress
# against a throwaway cluster, comparing with test/isolation/expected.  On
# failure the differences are printed and kept in /tmp/negsamp-isolation.diffs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/test/lib.sh"
NS_PORT=54364
trap ns_cluster_stop EXIT

pgxs=$(dirname "$($PG_CONFIG --pgxs)")/..
isolation_regress=$pgxs/test/isolation/pg_isolation_regress
specs=$(cd "$top/test/isolation/specs" && ls *.spec | sed 's/\.spec$//')

ns_cluster_start

# pg_isolation_regress runs as the cluster owner, who must be able to write
# its results next to a copy of the inputs.
work=$NS_DIR/isolation
mkdir -p "$work"
cp -r "$top/test/isolation/specs" "$top/test/isolation/expected" "$work/"
[ "$(id -u)" = 0 ] && chown -R postgres: "$work"

echo "== pg_isolation_regress:" $specs
if ! ns_as_owner "$isolation_regress" \
    --host="$NS_DIR" --port="$NS_PORT" --user=postgres \
    --bindir="$PGBIN" --inputdir="$work" --outputdir="$work" \
    --dbname=negsamp_isolation --load-extension=negsamp $specs; then
    if [ -f "$work/regression.diffs" ]; then
        cat "$work/regression.diffs"
        cp "$work/regression.diffs" /tmp/negsamp-isolation.diffs
        echo "differences kept in /tmp/negsamp-isolation.diffs"
    fi
    exit 1
fi
ns_expect "no crash in the log" "$(grep -c 'terminated by signal' "$NS_DIR/server.log" || true)" "0"
