#!/usr/bin/env bash
# A sampler records the role that created it as its owner.  Any role with
# USAGE on the schema may draw from it and read its counts.  Only its owner
# or a superuser may reset or drop it, and other roles get
# insufficient_privilege (42501) naming the sampler and its owner.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/test/lib.sh"
NS_PORT=54360
trap ns_cluster_stop EXIT

# Run SQL in database postgres as a role, connected as that role.
psql_as() {
    local role=$1; shift
    ns_psql -d postgres -U "$role" "$@"
}

# Run one statement as a role, expecting it to fail, and print the error
# with its SQLSTATE and detail (verbose messages, without the LOCATION line).
error_as() {
    local role=$1 sql=$2
    if psql_as "$role" -v VERBOSITY=verbose -At -c "$sql" 2>&1 >/dev/null; then
        echo "statement succeeded"
    fi | grep -v '^LOCATION:' || true
}

ns_cluster_start
ns_query postgres "CREATE EXTENSION negsamp" >/dev/null
ns_psql -d postgres <<'SQL'
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
CREATE ROLE carol LOGIN;
GRANT USAGE ON SCHEMA negsamp TO alice, bob, carol;
SQL

echo "-- alice creates a sampler and owns it"
psql_as alice -At -c "SELECT negsamp.create_sampler('shared', 'frequency', cardinality => 100, seed => 11)" >/dev/null
ns_expect "owner recorded" \
    "$(ns_query postgres "SELECT owner FROM negsamp.samplers WHERE name = 'shared'")" "alice"
ns_expect "owner is a regrole" \
    "$(ns_query postgres "SELECT owner = 'alice'::regrole FROM negsamp.samplers WHERE name = 'shared'")" "t"

# A reference sampler with the same seed, owned by postgres, shows what the
# first draws of 'shared' must be.
ns_query postgres "SELECT negsamp.create_sampler('reference', 'frequency', cardinality => 100, seed => 11)" >/dev/null
expected_first=$(ns_query postgres "SELECT negsamp.sample_array('reference', 5)")
expected_second=$(ns_query postgres "SELECT negsamp.sample_array('reference', 4, exclude => '{1,2,3}')")

echo "-- bob may draw and read"
ns_expect "bob draws with sample_array" \
    "$(psql_as bob -At -c "SELECT negsamp.sample_array('shared', 5)")" "$expected_first"
ns_expect "bob draws with sample" \
    "$(psql_as bob -At -c "SELECT array_agg(x) FROM negsamp.sample('shared', 4, exclude => '{1,2,3}') x")" \
    "$expected_second"
ns_expect "bob draws with the aggregate" \
    "$(psql_as bob -At -c "SELECT cardinality(negsamp.negatives('shared', i, 3)) FROM generate_series(1, 5) i")" "3"
ns_expect "bob reads item_counts" \
    "$(psql_as bob -At -c "SELECT count(*), sum(draws) FROM negsamp.item_counts('shared')")" "100|12"
ns_expect "bob reads samplers" \
    "$(psql_as bob -At -c "SELECT name, owner, calls, draws FROM negsamp.samplers WHERE name = 'shared'")" \
    "shared|alice|3|12"

echo "-- bob may not reset or drop alice's sampler"
for sql in "SELECT negsamp.reset_sampler('shared')" \
           "SELECT negsamp.drop_sampler('shared')" \
           "SELECT negsamp.drop_sampler('shared', if_exists => true)"; do
    out=$(error_as bob "$sql")
    ns_expect "bob: $sql: error" "$(echo "$out" | grep '^ERROR:')" \
        'ERROR:  42501: must be owner of sampler "shared"'
    ns_expect "bob: $sql: detail" "$(echo "$out" | grep '^DETAIL:')" \
        'DETAIL:  The sampler is owned by role "alice".'
done
ns_expect "sampler unchanged after bob's attempts" \
    "$(ns_query postgres "SELECT calls, draws, (SELECT sum(draws) FROM negsamp.item_counts('shared'))
                          FROM negsamp.samplers WHERE name = 'shared'")" "3|12|12"

# SET ROLE changes the current user, which is what the check uses.
out=$(ns_psql -d postgres -v VERBOSITY=verbose -c "SET ROLE bob" \
    -c "SELECT negsamp.drop_sampler('shared')" 2>&1 || true)
ns_expect "SET ROLE bob: drop rejected" "$(echo "$out" | grep -c '42501: must be owner of sampler "shared"')" "1"
out=$(ns_psql -d postgres -v VERBOSITY=verbose -c "SET ROLE carol" \
    -c "SELECT negsamp.reset_sampler('shared')" 2>&1 || true)
ns_expect "SET ROLE carol: reset rejected" "$(echo "$out" | grep -c '42501: must be owner of sampler "shared"')" "1"

# As for tables, a member of the owning role has the owner's rights.
ns_psql -d postgres -c "GRANT alice TO carol" >/dev/null
ns_expect "carol, member of alice, resets alice's sampler" \
    "$(psql_as carol -At -c "SELECT negsamp.reset_sampler('shared')" -c "SELECT calls FROM negsamp.samplers WHERE name = 'shared'")" "
0"
ns_psql -d postgres -c "REVOKE alice FROM carol" >/dev/null

# A missing sampler is reported as missing, not as a privilege error.
ns_expect "bob drops a missing sampler" \
    "$(error_as bob "SELECT negsamp.drop_sampler('nosuch')" | grep -o '^ERROR:  [0-9A-Z]*')" "ERROR:  42704"
ns_expect "bob drops a missing sampler with if_exists" \
    "$(psql_as bob -At -c "SELECT negsamp.drop_sampler('nosuch', if_exists => true)")" "f"

echo "-- bob owns what bob creates; a name is taken whoever owns it"
out=$(error_as bob "SELECT negsamp.create_sampler('shared', 'uniform', cardinality => 5)")
ns_expect "bob cannot take alice's name" "$(echo "$out" | grep -o '^ERROR:  [0-9A-Z]*')" "ERROR:  42710"
psql_as bob -At -c "SELECT negsamp.create_sampler('bobs', 'uniform', cardinality => 5)" >/dev/null
ns_expect "bob's sampler owner" \
    "$(ns_query postgres "SELECT owner FROM negsamp.samplers WHERE name = 'bobs'")" "bob"
ns_expect "alice cannot drop bob's sampler" \
    "$(error_as alice "SELECT negsamp.drop_sampler('bobs')" | grep '^DETAIL:')" \
    'DETAIL:  The sampler is owned by role "bob".'
ns_expect "bob drops his own sampler" \
    "$(psql_as bob -At -c "SELECT negsamp.drop_sampler('bobs')")" "t"

echo "-- the owner may reset and drop"
psql_as alice -At -c "SELECT negsamp.reset_sampler('shared')" >/dev/null
ns_expect "alice reset her sampler" \
    "$(ns_query postgres "SELECT calls, draws FROM negsamp.samplers WHERE name = 'shared'")" "0|0"
# After a reset a seeded sampler repeats its first draw.
ns_expect "first draw after reset" \
    "$(psql_as alice -At -c "SELECT negsamp.sample_array('shared', 5)")" "$expected_first"
ns_expect "alice drops her sampler" \
    "$(psql_as alice -At -c "SELECT negsamp.drop_sampler('shared')")" "t"
ns_expect "gone" "$(ns_query postgres "SELECT count(*) FROM negsamp.samplers WHERE name = 'shared'")" "0"

echo "-- a superuser may reset and drop any sampler"
psql_as alice -At -c "SELECT negsamp.create_sampler('alices', 'threshold', cardinality => 50, seed => 3)" >/dev/null
psql_as bob -At -c "SELECT negsamp.sample_array('alices', 7)" >/dev/null
ns_query postgres "SELECT negsamp.reset_sampler('alices')" >/dev/null
ns_expect "superuser reset" \
    "$(ns_query postgres "SELECT calls, draws, owner FROM negsamp.samplers WHERE name = 'alices'")" "0|0|alice"
ns_expect "superuser drop" "$(ns_query postgres "SELECT negsamp.drop_sampler('alices')")" "t"

echo "-- the sampler of a dropped role"
psql_as alice -At -c "SELECT negsamp.create_sampler('orphan', 'uniform', cardinality => 10)" >/dev/null
alice_oid=$(ns_query postgres "SELECT oid FROM pg_roles WHERE rolname = 'alice'")
ns_psql -d postgres -c "REVOKE USAGE ON SCHEMA negsamp FROM alice" -c "DROP ROLE alice"
ns_expect "owner shows the old role's oid" \
    "$(ns_query postgres "SELECT owner::oid FROM negsamp.samplers WHERE name = 'orphan'")" "$alice_oid"
out=$(error_as bob "SELECT negsamp.drop_sampler('orphan')")
ns_expect "bob cannot drop it: error" "$(echo "$out" | grep -o '^ERROR:  [0-9A-Z]*')" "ERROR:  42501"
ns_expect "bob cannot drop it: detail" "$(echo "$out" | grep '^DETAIL:')" \
    'DETAIL:  The sampler is owned by role "(dropped role)".'
ns_expect "bob still draws from it" \
    "$(psql_as bob -At -c "SELECT cardinality(negsamp.sample_array('orphan', 4))")" "4"
ns_expect "superuser drops it" "$(ns_query postgres "SELECT negsamp.drop_sampler('orphan')")" "t"

ns_expect "no crash in the log" "$(grep -c 'terminated by signal' "$NS_DIR/server.log" || true)" "0"
