"""Time reference draws of 128 negatives with numpy, and torch if present.

Each strategy is drawn with the law negsamp documents.  Uniform picks 128
distinct items uniformly.  Frequency weights each item by softmax(1/(1+c))
over the draw counts c.  Threshold does the same but gives weight 0 to the
items at the maximum count, unless every item is at it.  numpy draws with
Generator.choice(n, 128, replace=False, p=w), torch with
torch.multinomial(w, 128, replacement=False).  torch is timed for frequency
and threshold only.

Two modes per case, matching sample_array's record argument:
  draw    the weights are computed once, each call only draws;
  record  each call computes the weights from the counts, draws, and adds
          one to the count of each picked item.

The counts start from the histograms that bench/percall.sql exported after
its warm-up calls (how many items have each count), assigned to items in a
random order.  A draw's cost does not depend on which item has which count.

Usage: reference.py HISTOGRAM_TSV SAMPLES_OUT META_OUT
  HISTOGRAM_TSV  lines of strategy, items, count, number of items
  SAMPLES_OUT    appends lines of key, repetition, microseconds per call
  META_OUT       appends lines of key, value (library versions)
Environment: BENCH_REFERENCE_REPS (default 5) repetitions per case, each
timing enough calls to last at least 0.05 s.
"""
import collections
import math
import os
import sys
import time

import numpy as np

K = 128
SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
STRATEGIES = ("uniform", "frequency", "threshold")
MIN_BATCH_SECONDS = 0.05
SEED = 12345


def read_histograms(path):
    """Return {(strategy, n): [(count, items), ...]} from the exported TSV."""
    histograms = collections.defaultdict(list)
    with open(path) as lines:
        for line in lines:
            strategy, n, count, items = line.split("\t")
            histograms[(strategy, int(n))].append((int(count), int(items)))
    return histograms


def initial_counts(histograms, strategy, n, rng):
    """Return an int64 array of n counts with the exported histogram."""
    if strategy == "uniform":
        # fill() writes every page now, so no draw pays for first touches
        counts = np.empty(n, dtype=np.int64)
        counts.fill(0)
        return counts
    pairs = histograms[(strategy, n)]
    counts = np.repeat([c for c, _ in pairs], [m for _, m in pairs]).astype(np.int64)
    if counts.size != n:
        sys.exit(f"histogram of {strategy} at {n} items covers {counts.size} items")
    rng.shuffle(counts)
    return counts


def numpy_weights(strategy, counts):
    """Return normalized weights, or None for uniform."""
    if strategy == "uniform":
        return None
    x = 1.0 / (1.0 + counts)
    w = np.exp(x - x.max())
    if strategy == "threshold":
        top = counts == counts.max()
        if not top.all():
            w[top] = 0.0
    return w / w.sum()


def numpy_draw(rng, w):
    """Draw K items without replacement with weights w.

    Under threshold fewer than K items may have a positive weight.  negsamp
    then takes all of them and the rest from the held-back items at the
    maximum count, which all have the same weight, and so does this.
    """
    try:
        return rng.choice(w.size, K, replace=False, p=w)
    except ValueError:
        positive = np.flatnonzero(w > 0.0)
        held_back = np.flatnonzero(w == 0.0)
        rest = rng.choice(held_back, K - positive.size, replace=False)
        return np.concatenate([rng.permutation(positive), rest])


def make_numpy_call(strategy, mode, counts, rng):
    n = counts.size
    if strategy == "uniform":
        if mode == "draw":
            return lambda: rng.choice(n, K, replace=False)

        def call_uniform():
            picked = rng.choice(n, K, replace=False)
            counts[picked] += 1
            return picked
        return call_uniform

    if mode == "draw":
        w = numpy_weights(strategy, counts)
        return lambda: numpy_draw(rng, w)

    def call():
        picked = numpy_draw(rng, numpy_weights(strategy, counts))
        counts[picked] += 1
        return picked
    return call


def torch_weights(torch, strategy, counts):
    x = 1.0 / (1.0 + counts.to(torch.float64))
    w = torch.softmax(x, 0)
    if strategy == "threshold":
        top = counts == counts.max()
        if not bool(top.all()):
            w[top] = 0.0
    return w


def torch_draw(torch, w, generator):
    """Draw K items without replacement with weights w, as numpy_draw."""
    try:
        return torch.multinomial(w, K, replacement=False, generator=generator)
    except RuntimeError:
        positive = torch.nonzero(w > 0.0).flatten()
        held_back = torch.nonzero(w == 0.0).flatten()
        order = torch.randperm(held_back.numel(), generator=generator)
        rest = held_back[order[:K - positive.numel()]]
        return torch.cat([positive, rest])


def make_torch_call(torch, strategy, mode, counts, generator):
    if mode == "draw":
        w = torch_weights(torch, strategy, counts)
        return lambda: torch_draw(torch, w, generator)

    def call():
        picked = torch_draw(torch, torch_weights(torch, strategy, counts), generator)
        counts[picked] += 1
        return picked
    return call


def check_draw(picked, weights_before, label):
    """Exit unless a draw has K distinct items, none of weight 0 while K
    items of positive weight were there."""
    picked = np.asarray(picked)
    if picked.size != K or np.unique(picked).size != K:
        sys.exit(f"{label}: draw does not have {K} distinct items")
    if (weights_before is not None and np.count_nonzero(weights_before) >= K
            and np.any(weights_before[picked] <= 0.0)):
        sys.exit(f"{label}: draw picked an item of weight 0")


def time_call(call, reps):
    """Return microseconds per call for each repetition.

    Two untimed calls come first: the first large allocations of a process
    can take several times longer than later ones.
    """
    call()
    started = time.perf_counter()
    call()
    second = time.perf_counter() - started
    batch = max(1, math.ceil(MIN_BATCH_SECONDS / max(second, 1e-9)))
    samples = []
    for _ in range(reps):
        started = time.perf_counter()
        for _ in range(batch):
            call()
        samples.append(1e6 * (time.perf_counter() - started) / batch)
    return samples


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    histograms = read_histograms(sys.argv[1])
    reps = int(os.environ.get("BENCH_REFERENCE_REPS", "5"))
    samples_out = open(sys.argv[2], "a")
    meta_out = open(sys.argv[3], "a")

    meta_out.write(f"numpy\t{np.__version__}\n")
    try:
        import threadpoolctl
        libraries = [f"{i['internal_api']} {i.get('version') or ''} {i.get('architecture') or ''}".strip()
                     for i in threadpoolctl.threadpool_info()]
        meta_out.write(f"numpy_threadpools\t{', '.join(libraries) or 'none loaded'}\n")
    except ImportError:
        meta_out.write("numpy_threadpools\tthreadpoolctl not installed\n")
    try:
        import torch
        meta_out.write(f"torch\t{torch.__version__} ({torch.get_num_threads()} threads)\n")
    except ImportError:
        torch = None
        meta_out.write("torch\tnot installed\n")

    rng = np.random.default_rng(SEED)
    for n in SIZES:
        for strategy in STRATEGIES:
            for mode in ("draw", "record"):
                label = f"numpy|{strategy}|{n}|{mode}"
                counts = initial_counts(histograms, strategy, n, rng)
                call = make_numpy_call(strategy, mode, counts, rng)
                weights_before = numpy_weights(strategy, counts)
                check_draw(call(), weights_before, label)
                for rep, value in enumerate(time_call(call, reps), 1):
                    samples_out.write(f"{label}\t{rep}\t{value}\n")
                samples_out.flush()

                if torch is None or strategy == "uniform":
                    continue
                label = f"torch|{strategy}|{n}|{mode}"
                counts_t = torch.from_numpy(initial_counts(histograms, strategy, n, rng))
                generator = torch.Generator().manual_seed(SEED)
                call = make_torch_call(torch, strategy, mode, counts_t, generator)
                weights_before = torch_weights(torch, strategy, counts_t).numpy()
                check_draw(call().numpy(), weights_before, label)
                for rep, value in enumerate(time_call(call, reps), 1):
                    samples_out.write(f"{label}\t{rep}\t{value}\n")
                samples_out.flush()
            print(f"reference: {strategy} at {n} items done", file=sys.stderr)


if __name__ == "__main__":
    main()
