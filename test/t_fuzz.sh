#!/usr/bin/env bash
# Fuzz every negsamp function with generated calls of random argument
# values.  They include NULLs, empty, multi-dimensional and NULL-holding
# arrays, huge and negative k, extreme bigint ids, NaN and infinite weights
# and temperatures, names of 0 and 1,000 bytes, and names of odd (valid
# UTF-8) characters.
#
# Each call must either succeed with a valid result or fail with an ERROR
# that is not an internal error (XX000).  The server must not crash.  The
# registry must end up as the successful calls left it, with all shared
# memory free again once every sampler is dropped.
#
# FUZZ_SEED and FUZZ_CALLS override the seed (default 1) and the number of
# calls (default 2000).  A failure lists each failing call with its SQL.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/test/lib.sh"
NS_PORT=54365
trap ns_cluster_stop EXIT

seed=${FUZZ_SEED:-1}
calls=${FUZZ_CALLS:-2000}

ns_cluster_start
ns_query postgres "CREATE EXTENSION negsamp" >/dev/null
start_time=$(ns_query postgres "SELECT pg_postmaster_start_time()")

# The checkers.  fuzz_run(n, query) runs one generated query and records in
# fuzz_log whether it succeeded or which error it raised.  The fuzz_*
# checkers receive a call's arguments and result and raise SQLSTATE NSF01
# when the result is invalid.  fuzz_catalog contains the catalog of every
# sampler that a successful create made and no successful drop removed.
ns_psql -d postgres <<'SQL'
CREATE TABLE fuzz_log (n int PRIMARY KEY, outcome text, sqlstate text, message text, query text);
CREATE TABLE fuzz_catalog (sampler text PRIMARY KEY, cardinality bigint, items bigint[], weights float8[]);

CREATE FUNCTION fuzz_run(n int, query text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  verdict text;
  state text;
  msg text;
BEGIN
  BEGIN
    EXECUTE query INTO verdict;
    INSERT INTO fuzz_log VALUES (n, 'ok', NULL, verdict, query);
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    INSERT INTO fuzz_log VALUES (n, 'error', state, msg, query);
  END;
END $$;

CREATE FUNCTION fuzz_fail(msg text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'NSF01', MESSAGE = 'invalid result: ' || msg;
END $$;

-- A successful create: the sampler is listed with the catalog's size.
CREATE FUNCTION fuzz_created(sampler text, items bigint[], catalog_size bigint, weights float8[])
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  listed bigint;
  expected bigint := coalesce(catalog_size, cardinality(items));
BEGIN
  SELECT s.cardinality INTO listed FROM negsamp.samplers s WHERE s.name = sampler;
  IF NOT FOUND THEN
    RETURN fuzz_fail('created sampler is not listed');
  END IF;
  IF listed IS DISTINCT FROM expected THEN
    RETURN fuzz_fail(format('created sampler has cardinality %s, expected %s', listed, expected));
  END IF;
  IF EXISTS (SELECT 1 FROM fuzz_catalog c WHERE c.sampler = fuzz_created.sampler) THEN
    RETURN fuzz_fail('create succeeded for a name that exists');
  END IF;
  INSERT INTO fuzz_catalog VALUES (sampler, expected, items, weights);
  RETURN 'ok';
END $$;

-- A successful draw of k items: distinct, none excluded, all in the
-- catalog, none of weight 0.
CREATE FUNCTION fuzz_draw(sampler text, k int, exclude bigint[], result bigint[])
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  c fuzz_catalog;
BEGIN
  SELECT * INTO c FROM fuzz_catalog f WHERE f.sampler = fuzz_draw.sampler;
  IF NOT FOUND THEN
    RETURN fuzz_fail('draw succeeded from a sampler that was never created');
  END IF;
  IF result IS NULL THEN
    RETURN fuzz_fail('NULL result');
  END IF;
  IF coalesce(cardinality(result), 0) <> k THEN
    RETURN fuzz_fail(format('%s items for k %s', cardinality(result), k));
  END IF;
  IF array_ndims(result) > 1 THEN
    RETURN fuzz_fail('multi-dimensional result');
  END IF;
  IF array_position(result, NULL) IS NOT NULL THEN
    RETURN fuzz_fail('NULL item in result');
  END IF;
  IF (SELECT count(DISTINCT x) FROM unnest(result) x) <> k THEN
    RETURN fuzz_fail('duplicate item in result');
  END IF;
  IF result && exclude THEN
    RETURN fuzz_fail('excluded item in result');
  END IF;
  IF c.items IS NULL THEN
    IF EXISTS (SELECT 1 FROM unnest(result) x WHERE x < 0 OR x >= c.cardinality) THEN
      RETURN fuzz_fail('item outside the dense catalog');
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(result) x
               JOIN unnest(c.weights) WITH ORDINALITY AS w(weight, i) ON w.i - 1 = x
               WHERE w.weight = 0) THEN
      RETURN fuzz_fail('item of weight 0 in result');
    END IF;
  ELSE
    IF EXISTS (SELECT 1 FROM unnest(result) x
               WHERE NOT EXISTS (SELECT 1 FROM unnest(c.items) i WHERE i = x)) THEN
      RETURN fuzz_fail('item outside the catalog');
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(result) x
               JOIN unnest(c.items, c.weights) AS w(id, weight) ON w.id = x
               WHERE w.weight = 0) THEN
      RETURN fuzz_fail('item of weight 0 in result');
    END IF;
  END IF;
  RETURN 'ok';
END $$;

-- A successful item_counts: one row per catalog item, the counts sum to
-- the sampler's draws, the probabilities to 1.
CREATE FUNCTION fuzz_counts(sampler text, nrows bigint, draws_sum numeric, prob_sum float8,
                            prob_min float8, prob_max float8, distinct_ids bigint)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  c fuzz_catalog;
  listed_draws bigint;
BEGIN
  SELECT * INTO c FROM fuzz_catalog f WHERE f.sampler = fuzz_counts.sampler;
  IF NOT FOUND THEN
    RETURN fuzz_fail('item_counts succeeded for a sampler that was never created');
  END IF;
  SELECT s.draws INTO listed_draws FROM negsamp.samplers s WHERE s.name = sampler;
  IF nrows <> c.cardinality OR distinct_ids <> c.cardinality THEN
    RETURN fuzz_fail(format('%s rows, %s distinct ids for %s items', nrows, distinct_ids, c.cardinality));
  END IF;
  IF draws_sum IS DISTINCT FROM listed_draws THEN
    RETURN fuzz_fail(format('counts sum to %s, samplers.draws is %s', draws_sum, listed_draws));
  END IF;
  IF prob_min < 0 OR prob_max > 1 OR abs(prob_sum - 1) > 1e-6 THEN
    RETURN fuzz_fail(format('probabilities from %s to %s summing to %s', prob_min, prob_max, prob_sum));
  END IF;
  RETURN 'ok';
END $$;

-- A successful drop: the sampler is gone; true only if it existed.
CREATE FUNCTION fuzz_dropped(sampler text, dropped boolean) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM negsamp.samplers s WHERE s.name = sampler) THEN
    RETURN fuzz_fail('sampler still listed after drop');
  END IF;
  DELETE FROM fuzz_catalog f WHERE f.sampler = fuzz_dropped.sampler;
  IF FOUND IS DISTINCT FROM dropped THEN
    RETURN fuzz_fail(format('drop returned %s, sampler existed: %s', dropped, FOUND));
  END IF;
  RETURN 'ok';
END $$;

-- A successful reset: calls, draws and every count are 0.
CREATE FUNCTION fuzz_reset(sampler text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM fuzz_catalog f WHERE f.sampler = fuzz_reset.sampler) THEN
    RETURN fuzz_fail('reset succeeded for a sampler that was never created');
  END IF;
  IF NOT EXISTS (SELECT 1 FROM negsamp.samplers s WHERE s.name = sampler AND s.calls = 0 AND s.draws = 0)
     OR EXISTS (SELECT 1 FROM negsamp.item_counts(sampler) WHERE draws <> 0) THEN
    RETURN fuzz_fail('counts not 0 after reset');
  END IF;
  RETURN 'ok';
END $$;

-- The samplers view lists exactly the samplers in fuzz_catalog.
CREATE FUNCTION fuzz_view() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  difference text;
BEGIN
  SELECT string_agg(coalesce(s.name, f.sampler), ', ') INTO difference
  FROM negsamp.samplers s FULL JOIN fuzz_catalog f ON f.sampler = s.name
  WHERE s.name IS NULL OR f.sampler IS NULL OR s.cardinality <> f.cardinality;
  IF difference IS NOT NULL THEN
    RETURN fuzz_fail('samplers view differs from the successful calls: ' || difference);
  END IF;
  RETURN 'ok';
END $$;

-- Return the largest dense frequency catalog that fits now, by bisection.
CREATE FUNCTION max_fit() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  fits bigint := 0;
  too_big bigint := 8388608;
  mid bigint;
BEGIN
  WHILE too_big - fits > 1 LOOP
    mid := (fits + too_big) / 2;
    BEGIN
      PERFORM negsamp.create_sampler('max fit probe', 'frequency', cardinality => mid);
      PERFORM negsamp.drop_sampler('max fit probe');
      fits := mid;
    EXCEPTION WHEN out_of_memory THEN
      too_big := mid;
    END;
  END LOOP;
  RETURN fits;
END $$;
SQL
empty_fit=$(ns_query postgres "SELECT max_fit()")

# Samplers under the pool names, so that many generated draws find one.
cat >"$NS_DIR/calls.sql" <<'SQL'
SET statement_timeout = '30s';
SELECT fuzz_run(-5, $fz$WITH c AS (SELECT negsamp.create_sampler('fz_u', 'uniform', cardinality => 100, seed => 1)) SELECT fuzz_created('fz_u', NULL, 100, NULL) FROM c$fz$);
SELECT fuzz_run(-4, $fz$WITH c AS (SELECT negsamp.create_sampler('fz_f', 'frequency', cardinality => 1000, seed => 2)) SELECT fuzz_created('fz_f', NULL, 1000, NULL) FROM c$fz$);
SELECT fuzz_run(-3, $fz$WITH c AS (SELECT negsamp.create_sampler('fz_t', 'threshold', cardinality => 50, mode => 'softsum')) SELECT fuzz_created('fz_t', NULL, 50, NULL) FROM c$fz$);
SELECT fuzz_run(-2, $fz$WITH c AS (SELECT negsamp.create_sampler('fz_w', 'uniform', cardinality => 6, weights => '{0,1,2,0,1e-300,3}')) SELECT fuzz_created('fz_w', NULL, 6, '{0,1,2,0,1e-300,3}') FROM c$fz$);
SELECT fuzz_run(-1, $fz$WITH c AS (SELECT negsamp.create_sampler('fz_i', 'frequency', items => '{9223372036854775807,-9223372036854775808,0,82,-1}')) SELECT fuzz_created('fz_i', '{9223372036854775807,-9223372036854775808,0,82,-1}', NULL, NULL) FROM c$fz$);
SQL
chmod 644 "$NS_DIR/calls.sql"

# The generator writes one line per call, SELECT fuzz_run(N, $fz$QUERY$fz$),
# where QUERY calls one negsamp function and passes its result to a fuzz_*
# checker.  It draws from a random.Random seeded with $seed, so a seed
# always gives the same calls.
python3 - "$seed" "$calls" >>"$NS_DIR/calls.sql" <<'PY'
import random
import sys

INT64_MAX = 9223372036854775807
INT64_MIN = -9223372036854775808
INT32_MAX = 2147483647
INT32_MIN = -2147483648

# Characters for random names: ASCII, quotes, backslash, format
# specifiers, whitespace and control characters, multibyte letters,
# combining and zero-width marks, right-to-left text and emoji.  There is
# no NUL, which text cannot contain, and no "$", which could end a $fz$
# quote.
NAME_CHARS = (
    list("abcxyzABC019_-. ") + ["'", '"', "\\", "%s", "%n", "%%", "\n", "\t", "\r", "\x01", "\x7f"]
    + ["é", "ß", "ж", "中", "文", "ש", "ل", "\u0301", "\u200d", "\u200b", "\ufeff", "\U0001f642", "\U0001f468\u200d\U0001f469"]
)

# Names that samplers are created under often, so that draws find them.
POOL = ["fz_u", "fz_f", "fz_t", "fz_w", "fz_i", "ünï", "\U0001f642", "a b", "quote'q",
        "back\\slash", "new\nline", "%s%n", "שלום", "e\u0301", "中文"]


def literal(text):
    """Return a SQL string literal for text."""
    return "'" + text.replace("'", "''") + "'"


class Generator:
    def __init__(self, seed):
        self.rng = random.Random(seed)

    def pick(self, choices):
        return self.rng.choice(choices)

    def chance(self, probability):
        return self.rng.random() < probability

    def random_name(self):
        length = self.rng.randint(1, 40)
        return "".join(self.pick(NAME_CHARS) for _ in range(length))

    def name(self):
        r = self.rng.random()
        if r < 0.6:
            return literal(self.pick(POOL))
        if r < 0.65:
            return "NULL"
        if r < 0.70:
            return "''"
        if r < 0.74:
            return literal("n" * 1000)
        if r < 0.77:
            return literal("é" * 500)                     # 1000 bytes
        if r < 0.80:
            return literal("€" * 21)                      # 63 bytes: the longest valid name
        if r < 0.83:
            return literal("€" * 21 + "x")                # 64 bytes
        if r < 0.85:
            return literal("\U0001f642" * 16)             # 64 bytes
        return literal(self.random_name())

    def int64(self):
        return self.pick([
            "NULL", "0", "1", "-1", "42", str(INT64_MAX), str(INT64_MIN), str(INT64_MIN + 1),
            str(self.rng.randint(INT64_MIN, INT64_MAX)), str(self.rng.randint(-1000, 1000)),
        ])

    def k(self):
        if self.chance(0.6):
            return str(self.rng.randint(0, 20))
        return self.pick([
            "NULL", "0", "1", "2", "3", "5", "16", "100", "1000", "-1", str(INT32_MIN),
            str(INT32_MAX), "134217728", "100000", str(self.rng.randint(0, 50)),
            str(self.rng.randint(INT32_MIN, INT32_MAX)),
        ])

    def id_list(self, count):
        values = []
        for _ in range(count):
            r = self.rng.random()
            if r < 0.1:
                values.append("NULL")
            elif r < 0.2:
                values.append(self.pick([str(INT64_MAX), str(INT64_MIN), "0", "-1"]))
            elif r < 0.7:
                values.append(str(self.rng.randint(0, 120)))
            else:
                values.append(str(self.rng.randint(-10**18, 10**18)))
        return values

    def id_array(self):
        """An array expression for exclude or items, of any shape."""
        r = self.rng.random()
        if r < 0.15:
            return "NULL"
        if r < 0.25:
            return "'{}'::bigint[]"
        if r < 0.30:
            return "'{NULL}'::bigint[]"
        if r < 0.36:
            return "'{{1,2},{3,NULL}}'::bigint[]"
        if r < 0.40:
            return "'[-5:-3]={7,8,9}'::bigint[]"
        if r < 0.44:
            return "'{{{1}},{{2}}}'::bigint[]"
        if r < 0.48:
            return "ARRAY(SELECT generate_series(0, 99999)::bigint)"
        if r < 0.52:
            return f"ARRAY[{INT64_MAX}, {INT64_MIN}, 0]::bigint[]"
        if r < 0.55:
            return "'{5,5,6}'::bigint[]"
        return "ARRAY[" + ",".join(self.id_list(self.rng.randint(1, 12))) + "]::bigint[]"

    def float8(self):
        return self.pick([
            "0", "1", "0.5", "2.5", "-1", "-0.0", "1e308", "1e-300", "5e-324", "'NaN'",
            "'Infinity'", "'-Infinity'", "NULL", str(self.rng.uniform(0, 10)),
        ])

    def weights(self, length):
        r = self.rng.random()
        if r < 0.35:
            return "NULL"
        if r < 0.40:
            return "'{}'::float8[]"
        if r < 0.45:
            return "'{{1,2},{3,4}}'::float8[]"
        if length is not None and length > 200:
            return f"ARRAY(SELECT (g % 3)::float8 FROM generate_series(1, {length}) g)"
        if length is None or self.chance(0.2):
            length = self.rng.randint(0, 6)
        if self.chance(0.6):
            values = [self.pick(["0", "1", "2", "0.5", "3"]) for _ in range(length)]
        else:
            values = [self.float8() for _ in range(length)]
        return "ARRAY[" + ",".join(values) + "]::float8[]"

    def strategy(self):
        r = self.rng.random()
        if r < 0.8:
            return literal(self.pick(["uniform", "frequency", "threshold"]))
        return self.pick(["NULL", "''", "'UNIFORM'", "'popularity'", literal("s" * 1000),
                          literal(self.random_name())])

    def mode(self):
        return self.pick(["NULL", "NULL", "NULL", "'softmax'", "'softsum'", "''", "'SoftMax'",
                          "'hardmax'", literal(self.random_name())])

    def boolean(self):
        return self.pick(["true", "false", "true", "false", "true", "false", "NULL"])

    def draw_name(self):
        if self.chance(0.8):
            return literal(self.pick(POOL))
        return self.name()

    def exclude(self):
        if self.chance(0.5):
            return self.pick(["NULL", "'{}'::bigint[]",
                              "ARRAY[" + ",".join(str(self.rng.randint(0, 120))
                                                  for _ in range(self.rng.randint(1, 8))) + "]::bigint[]"])
        return self.id_array()

    def catalog(self):
        """Return (items, cardinality, length) expressions of a valid catalog."""
        r = self.rng.random()
        if r < 0.5:
            length = self.pick([1, 2, 3, 10, 100, 1000, 50000, self.rng.randint(1, 200)])
            if self.chance(0.03):
                length = 3000000
            return "NULL", str(length), length
        if r < 0.9:
            values = [str(v) for v in self.rng.sample(range(-10**6, 10**6), self.rng.randint(1, 30))]
            if self.chance(0.3):
                values.append(self.pick([str(INT64_MAX), str(INT64_MIN)]))
            shape = "ARRAY[" + ",".join(values) + "]::bigint[]"
            return shape, "NULL", len(values)
        return "ARRAY(SELECT generate_series(1, 100000)::bigint * 7)", "NULL", 100000

    def valid_create(self):
        """Arguments that fit together, with extreme values where they are allowed."""
        name = literal(self.pick(POOL)) if self.chance(0.8) else literal(self.random_name())
        strategy = self.pick(["uniform", "frequency", "threshold"])
        items, cardinality, length = self.catalog()
        weights, mode, temperature = "NULL", "NULL", "NULL"
        if strategy == "uniform":
            if self.chance(0.4):
                if length > 200:
                    weights = f"ARRAY(SELECT (g % 3)::float8 FROM generate_series(1, {length}) g)"
                else:
                    values = [self.pick(["0", "1", "2", "0.5", "1e-300", "5e-324", "1e300"])
                              for _ in range(length - 1)] + ["1"]
                    self.rng.shuffle(values)
                    weights = "ARRAY[" + ",".join(values) + "]::float8[]"
        else:
            mode = self.pick(["NULL", "'softmax'", "'softsum'"])
            if mode != "'softsum'" and self.chance(0.5):
                temperature = self.pick(["1", "0.5", "100", "5e-324", "1e-300", "1e308",
                                         str(self.rng.uniform(0.01, 10))])
        return name, literal(strategy), items, cardinality, weights, mode, temperature

    def wild_create(self):
        name = self.name()
        strategy = self.strategy()
        length = None
        items = "NULL"
        cardinality = "NULL"
        r = self.rng.random()
        if r < 0.3:
            length = self.pick([1, 2, 3, 10, 100, self.rng.randint(1, 200)])
            cardinality = str(length)
        elif r < 0.5:
            cardinality = self.pick(["0", "-1", str(INT64_MAX), str(INT64_MIN), str(INT32_MAX),
                                     str(INT32_MAX + 1), "3000000", "100000000"])
        elif r < 0.8:
            items = self.id_array()
        else:
            items = self.id_array()
            cardinality = self.pick(["5", "NULL", "0"])
        weights = self.weights(length)
        mode = self.mode()
        temperature = self.float8() if self.chance(0.4) else "NULL"
        return name, strategy, items, cardinality, weights, mode, temperature

    def create(self):
        if self.chance(0.5):
            args = self.valid_create()
        else:
            args = self.wild_create()
        name, strategy, items, cardinality, weights, mode, temperature = args
        seed = self.int64()
        call = (f"negsamp.create_sampler({name}, {strategy}, {items}, {cardinality}, "
                f"{weights}, {mode}, {temperature}, {seed})")
        return (f"WITH c AS (SELECT {call}) "
                f"SELECT fuzz_created({name}, {items}, {cardinality}, {weights}) FROM c")

    def sample_array(self):
        name, k, exclude = self.draw_name(), self.k(), self.exclude()
        if self.chance(0.3):
            call = f"negsamp.sample_array({name}, {k}, exclude => {exclude})"
        else:
            call = (f"negsamp.sample_array({name}, {k}, {exclude}, {self.boolean()}, "
                    f"{self.int64()})")
        return f"SELECT fuzz_draw({name}, {k}, {exclude}, {call})"

    def sample(self):
        name, k, exclude = self.draw_name(), self.k(), self.exclude()
        call = f"negsamp.sample({name}, {k}, {exclude}, {self.boolean()}, {self.int64()})"
        return (f"SELECT fuzz_draw({name}, {k}, {exclude}, "
                f"ARRAY(SELECT x FROM {call} x))")

    def negatives(self):
        name, k = self.draw_name(), self.k()
        rows = []
        for _ in range(self.rng.randint(1, 8)):
            item = self.pick(self.id_list(1) + ["NULL"])
            rows.append(f"({self.rng.randint(1, 3)}, ({item})::bigint)")
        where = " WHERE false" if self.chance(0.1) else ""
        return (f"SELECT coalesce(bool_and(fuzz_draw({name}, {k}, items, negs) = 'ok'), true)::text "
                f"FROM (SELECT array_agg(x) AS items, negsamp.negatives({name}, x, {k}) AS negs "
                f"FROM (VALUES {', '.join(rows)}) v(g, x){where} GROUP BY g) t")

    def item_counts(self):
        name = self.name()
        return (f"SELECT fuzz_counts({name}, count(*), sum(draws), sum(probability), "
                f"min(probability), max(probability), count(DISTINCT item_id)) "
                f"FROM negsamp.item_counts({name})")

    def drop(self):
        name = self.name()
        if self.chance(0.3):
            call = f"negsamp.drop_sampler({name})"
        else:
            call = f"negsamp.drop_sampler({name}, {self.boolean()})"
        return f"SELECT fuzz_dropped({name}, {call})"

    def reset(self):
        name = self.name()
        return f"WITH r AS (SELECT negsamp.reset_sampler({name})) SELECT fuzz_reset({name}) FROM r"

    def samplers(self):
        return "SELECT fuzz_view()"

    def call(self):
        makers = [(self.create, 25), (self.sample_array, 20), (self.sample, 12),
                  (self.negatives, 10), (self.item_counts, 10), (self.drop, 10),
                  (self.reset, 8), (self.samplers, 5)]
        total = sum(weight for _, weight in makers)
        r = self.rng.uniform(0, total)
        for maker, weight in makers:
            if r < weight:
                return maker()
            r -= weight
        return makers[0][0]()


def main():
    seed, count = int(sys.argv[1]), int(sys.argv[2])
    generator = Generator(seed)
    out = sys.stdout
    for n in range(1, count + 1):
        query = generator.call()
        assert "$fz$" not in query
        out.write(f"SELECT fuzz_run({n}, $fz${query}$fz$);\n")


if __name__ == "__main__":
    main()
PY

echo "-- $calls generated calls, seed $seed"
t0=$(date +%s)
ns_psql -d postgres -v ON_ERROR_STOP=0 -f "$NS_DIR/calls.sql" >"$NS_DIR/calls.out" 2>&1 || true
echo "  ran in $(( $(date +%s) - t0 )) s"

ns_query postgres "
    SELECT rpad(function_name, 16) || rpad(outcome, 7) || coalesce(sqlstate, '     ') || ' ' || count(*)
    FROM (SELECT coalesce(substring(query FROM 'negsamp\.([a-z_]+)\('), 'samplers') AS function_name,
                 outcome, sqlstate
          FROM fuzz_log WHERE n > 0) l
    GROUP BY function_name, outcome, sqlstate ORDER BY function_name, outcome, sqlstate" | sed 's/^/  /'

# Print the failing calls of a condition on fuzz_log, at most 10.
show_calls() {
    ns_query postgres "SELECT 'call ' || n || ': ' || coalesce(sqlstate, '') || ' ' || message
                       || E'\n    ' || query FROM fuzz_log WHERE $1 ORDER BY n LIMIT 10" >&2
}

check_none() {
    local what=$1 condition=$2 count
    count=$(ns_query postgres "SELECT count(*) FROM fuzz_log WHERE $condition")
    ns_expect "$what" "$count" "0" || { show_calls "$condition"; return 1; }
}

ns_expect "every call ran" "$(ns_query postgres "SELECT count(*) FROM fuzz_log WHERE n > 0")" "$calls"
ns_expect "setup calls succeeded" "$(ns_query postgres "SELECT count(*) FROM fuzz_log WHERE n < 0 AND outcome = 'ok'")" "5"
check_none "calls with an invalid result" "sqlstate = 'NSF01'"
check_none "internal errors (XX000)" "sqlstate = 'XX000'"
check_none "timeouts" "sqlstate = '57014'"
check_none "errors of class 58 (system error)" "sqlstate LIKE '58%'"
check_none "errors without a message" "outcome = 'error' AND coalesce(message, '') = ''"

# The generator must reach both outcomes of every function.
for fn in create_sampler drop_sampler reset_sampler sample sample_array negatives item_counts; do
    pattern="negsamp\\.$fn\\("
    ns_expect "$fn: some calls succeeded" \
        "$(ns_query postgres "SELECT count(*) > 0 FROM fuzz_log WHERE query ~ '$pattern' AND outcome = 'ok'")" "t"
    ns_expect "$fn: some calls failed" \
        "$(ns_query postgres "SELECT count(*) > 0 FROM fuzz_log WHERE query ~ '$pattern' AND outcome = 'error'")" "t"
done

echo "-- the registry after the calls"
ns_expect "samplers view matches the successful calls" "$(ns_query postgres "SELECT fuzz_view()")" "ok"
echo "  $(ns_query postgres "SELECT count(*) FROM fuzz_catalog") samplers left"
ns_expect "every sampler left draws" "$(ns_query postgres "
    SELECT count(*) FROM fuzz_catalog
    WHERE cardinality(negsamp.sample_array(sampler, 1, record => false)) <> 1")" "0"
ns_query postgres "SELECT negsamp.drop_sampler(sampler) FROM fuzz_catalog" >/dev/null
ns_expect "no sampler left after dropping them" "$(ns_query postgres "SELECT count(*) FROM negsamp.samplers")" "0"
ns_expect "all shared memory free again" "$(ns_query postgres "SELECT max_fit()")" "$empty_fit"

echo "-- the server survived"
ns_expect "postmaster not restarted" "$(ns_query postgres "SELECT pg_postmaster_start_time()")" "$start_time"
ns_expect "psql kept its connection" "$(grep -c 'connection to server was lost\|server closed the connection' "$NS_DIR/calls.out" || true)" "0"
for pattern in 'terminated by signal' 'TRAP' 'PANIC' 'WARNING'; do
    ns_expect "no $pattern in the server log" "$(grep -c "$pattern" "$NS_DIR/server.log" || true)" "0" ||
        { grep "$pattern" "$NS_DIR/server.log" | head -5 >&2; exit 1; }
done
