# Shell helpers shared by the test driver, the demo and the benchmark:
# build and install negsamp, and run a throwaway PostgreSQL cluster in a
# temporary directory.  PostgreSQL refuses to run as root, so as root the
# cluster runs as the "postgres" account.
#
# Source this file; it defines ns_* functions and these variables:
#   PGBIN     the PostgreSQL server binaries
#   NS_DIR    the cluster's temporary directory (after ns_cluster_start)
#   NS_PORT   the port of its unix socket, which lives in $NS_DIR

PG_CONFIG=${PG_CONFIG:-pg_config}
PGBIN=$($PG_CONFIG --bindir)
NS_PORT=${NS_PORT:-54329}

# Run a command as the cluster's owner.
ns_as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Build and install the extension from the top of the source tree.
ns_build_install() {
    local top=$1
    make -C "$top" -s PG_CONFIG="$PG_CONFIG" >/dev/null
    if [ "$(id -u)" = 0 ]; then
        make -C "$top" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
    else
        sudo make -C "$top" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
    fi
}

# Start a cluster in a new temporary directory.  Extra arguments are lines
# appended to postgresql.conf.
ns_cluster_start() {
    NS_DIR=$(mktemp -d /tmp/negsamp.XXXXXX)
    chmod 755 "$NS_DIR"
    [ "$(id -u)" = 0 ] && chown postgres: "$NS_DIR"
    ns_as_owner "$PGBIN/initdb" -D "$NS_DIR/data" -A trust -U postgres \
        --no-sync >"$NS_DIR/initdb.log" 2>&1 || {
        cat "$NS_DIR/initdb.log"; return 1; }
    {
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$NS_DIR'"
        echo "port = $NS_PORT"
        echo "fsync = off"
        echo "shared_preload_libraries = 'negsamp'"
        for line in "$@"; do echo "$line"; done
    } | ns_as_owner tee -a "$NS_DIR/data/postgresql.conf" >/dev/null
    ns_cluster_restart_only start
}

# Start, stop or restart the running cluster (pg_ctl action, then options).
ns_cluster_restart_only() {
    local action=$1; shift
    ns_as_owner "$PGBIN/pg_ctl" -D "$NS_DIR/data" -l "$NS_DIR/server.log" \
        -w -t 60 "$@" "$action" >/dev/null
}

# Stop the cluster and remove its directory; safe to call twice.
ns_cluster_stop() {
    [ -n "${NS_DIR:-}" ] || return 0
    if [ -f "$NS_DIR/data/postmaster.pid" ]; then
        ns_as_owner "$PGBIN/pg_ctl" -D "$NS_DIR/data" -m fast -w stop \
            >/dev/null 2>&1 || true
    fi
    rm -rf "$NS_DIR"
    NS_DIR=
}

# psql against the cluster, quiet and stopping on the first error.
ns_psql() {
    ns_as_owner "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$NS_DIR" \
        -p "$NS_PORT" -U postgres "$@"
}

# Compare two values; print a failure message and return 1 if they differ.
ns_expect() {
    local what=$1 actual=$2 expected=$3
    if [ "$actual" != "$expected" ]; then
        echo "FAIL: $what: expected [$expected], got [$actual]" >&2
        return 1
    fi
    echo "  ok: $what"
}

# Run one SQL statement and print its unaligned, tuples-only output.
ns_query() {
    local db=$1; shift
    ns_psql -At -d "$db" -c "$1"
}
