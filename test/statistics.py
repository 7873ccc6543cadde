"""Compare draws read from stdin with the exact law of successive sampling.

Usage: statistics.py K EXCLUDE LAW, where stdin contains one draw per
space-separated word (item ids joined by commas) and LAW is one of
  weights:W0,W1,...           fixed weights per item id 0..n-1
  softmax:T:C0,C1,...         frequency softmax from counts
  softsum:C0,C1,...           frequency softsum from counts
  threshold:C0,...:C0,...     threshold softmax (T = 1) from counts
or: statistics.py first-uniform NHEAVY N, for draws that must never contain
ids 0..NHEAVY-1 and whose first picks must be uniform over the rest.
Prints the statistics, then "pass" or "fail" on the last line.
"""
import itertools
import math
import sys


def chi2_critical(df, p=1e-4):
    """Upper quantile of chi-square by the Wilson-Hilferty approximation."""
    z = 3.719  # standard normal upper quantile for p = 1e-4
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


def law_weights(spec):
    """Return the per-item weights and the ids held back by threshold."""
    kind, _, rest = spec.partition(":")
    if kind == "weights":
        return [float(x) for x in rest.split(",")], set()
    if kind == "softmax":
        temperature, counts = rest.split(":")
        counts = [int(c) for c in counts.split(",")]
        return [math.exp((1 / (1 + c)) / float(temperature)) for c in counts], set()
    if kind == "softsum":
        counts = [int(c) for c in rest.split(",")]
        return [1 / (1 + c) for c in counts], set()
    if kind == "threshold":
        _, counts = rest.split(":")
        counts = [int(c) for c in counts.split(",")]
        top = max(counts)
        held = {i for i, c in enumerate(counts) if c == top} if min(counts) != top else set()
        return [math.exp(1 / (1 + c)) for c in counts], held
    raise SystemExit("unknown law " + spec)


def tuple_probabilities(weights, held, k, excluded):
    """Exact probability of every ordered k-tuple."""
    eligible = [i for i in range(len(weights)) if i not in excluded and weights[i] > 0]
    result = {}
    for order in itertools.permutations(eligible, k):
        p = 1.0
        left = set(eligible)
        for item in order:
            free = [i for i in left if i not in held]
            pool = free if free else list(left)
            if item not in pool:
                p = 0.0
                break
            p *= weights[item] / sum(weights[i] for i in pool)
            left.remove(item)
        if p > 0:
            result[order] = p
    return result


def chi2(observed, expected_p, total):
    stat = sum((observed.get(key, 0) - total * p) ** 2 / (total * p) for key, p in expected_p.items())
    unexpected = sum(v for key, v in observed.items() if key not in expected_p)
    return stat, len(expected_p) - 1, unexpected


def main():
    draws = [tuple(int(x) for x in w.split(",")) for w in sys.stdin.read().split()]
    total = len(draws)
    ok = True

    if sys.argv[1] == "first-uniform":
        heavy, n = int(sys.argv[2]), int(sys.argv[3])
        if any(x < heavy for d in draws for x in d):
            print("an excluded heavy item was drawn")
            ok = False
        first = {}
        for d in draws:
            first[(d[0],)] = first.get((d[0],), 0) + 1
        expected = {(i,): 1 / (n - heavy) for i in range(heavy, n)}
        stat, df, unexpected = chi2(first, expected, total)
        print(f"first pick chi2 = {stat:.1f}, df = {df}, critical {chi2_critical(df):.1f}")
        ok = ok and unexpected == 0 and stat < chi2_critical(df)
        print("pass" if ok else "fail")
        return

    k = int(sys.argv[1])
    excluded = {int(x) for x in sys.argv[2].strip("{}").split(",") if x}
    weights, held = law_weights(sys.argv[3])
    exact = tuple_probabilities(weights, held, k, excluded)

    tuples = {}
    for d in draws:
        tuples[d] = tuples.get(d, 0) + 1
    stat, df, unexpected = chi2(tuples, exact, total)
    print(f"ordered {k}-tuples chi2 = {stat:.1f}, df = {df}, critical {chi2_critical(df):.1f}, impossible tuples seen = {unexpected}")
    ok = ok and unexpected == 0 and stat < chi2_critical(df)

    first_p = {}
    for order, p in exact.items():
        first_p[order[:1]] = first_p.get(order[:1], 0) + p
    first = {}
    for d in draws:
        first[d[:1]] = first.get(d[:1], 0) + 1
    stat, df, unexpected = chi2(first, first_p, total)
    print(f"first pick chi2 = {stat:.1f}, df = {df}, critical {chi2_critical(df):.1f}")
    ok = ok and unexpected == 0 and stat < chi2_critical(df)

    inclusion_p = {}
    for order, p in exact.items():
        for item in order:
            inclusion_p[item] = inclusion_p.get(item, 0) + p
    worst = 0.0
    for item, p in inclusion_p.items():
        seen = sum(1 for d in draws if item in d)
        if 0 < p < 1:
            worst = max(worst, abs(seen - total * p) / math.sqrt(total * p * (1 - p)))
        elif seen != round(total * p):
            worst = math.inf
    print(f"inclusion: largest |z| = {worst:.2f} (limit 4.5)")
    ok = ok and worst < 4.5
    print("pass" if ok else "fail")


if __name__ == "__main__":
    main()
