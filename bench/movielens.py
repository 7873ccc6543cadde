"""Write a synthetic rating set shaped like MovieLens 1M as two CSV files.

The MovieLens 1M README describes 1,000,209 ratings by 6,040 users, movie
ids between 1 and 3,952, and at least 20 ratings per user.  3,706 of those
movies have ratings.  This script draws a set of the same shape from a
fixed seed, so every run benchmarks the same data:

- item ids: 3,706 distinct ids drawn from 1..3,952, so the catalog is
  sparse as in MovieLens;
- item popularity: Zipf-like, weight 1/rank for a random ranking of items;
- ratings per user: 20 plus a log-normal amount, scaled so the total is
  about 1,000,000 and clipped to 20..2,314;
- each user's items: drawn without replacement in proportion to popularity.

NOTE: the cap of 2,314 ratings per user is the most active MovieLens 1M
user's count as recalled, not checked against the data set.

Usage: movielens.py DIRECTORY writes DIRECTORY/items.csv (item_id) and
DIRECTORY/ratings.csv (user_id,item_id).
"""
import os
import sys

import numpy as np

SEED = 20260101
USERS = 6040
ITEMS = 3706
MAX_ITEM_ID = 3952
TARGET_RATINGS = 1_000_209
MIN_PER_USER = 20
MAX_PER_USER = 2314


def ratings_per_user(rng):
    """Return the number of ratings of each user, summing to about TARGET_RATINGS."""
    extra = rng.lognormal(mean=np.log(76.0), sigma=1.14, size=USERS)
    extra *= (TARGET_RATINGS - MIN_PER_USER * USERS) / extra.sum()
    counts = np.clip(np.rint(MIN_PER_USER + extra), MIN_PER_USER, MAX_PER_USER)
    return counts.astype(np.int64)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: movielens.py DIRECTORY")
    directory = sys.argv[1]
    rng = np.random.default_rng(SEED)

    item_ids = np.sort(rng.choice(np.arange(1, MAX_ITEM_ID + 1), ITEMS, replace=False))
    ranks = rng.permutation(ITEMS) + 1
    popularity = 1.0 / ranks
    popularity /= popularity.sum()
    counts = ratings_per_user(rng)

    with open(os.path.join(directory, "items.csv"), "w") as out:
        out.write("\n".join(str(i) for i in item_ids))
        out.write("\n")

    with open(os.path.join(directory, "ratings.csv"), "w") as out:
        for user in range(USERS):
            chosen = rng.choice(ITEMS, counts[user], replace=False, p=popularity)
            user_id = user + 1
            out.write("".join(f"{user_id},{item}\n" for item in item_ids[np.sort(chosen)]))

    print(f"users {USERS}, items {ITEMS}, ratings {int(counts.sum())}, "
          f"ratings per user {int(counts.min())}..{int(counts.max())} "
          f"(median {int(np.median(counts))})")


if __name__ == "__main__":
    main()
