/*-------------------------------------------------------------------------
 *
 * engine.c
 *	  One draw of k distinct negatives, and applying it to the counts.
 *
 * A draw picks items one after another, each with probability proportional
 * to its weight among the items still eligible (not excluded, not picked
 * yet), with weights fixed from the counts at the start of the call.  That
 * is successive sampling without replacement, the law of
 * torch.multinomial(weights, k, replacement=False).  No step walks the
 * catalog:
 *
 * - Unweighted uniform, frequency and threshold samplers group items of
 *	 equal weight into buckets, contiguous runs of a permutation (the whole
 *	 catalog is one bucket under unweighted uniform, with the identity as
 *	 permutation).  A pick chooses a bucket in proportion to its eligible
 *	 items times their weight, through a Fenwick tree over the B buckets,
 *	 then a uniform eligible item of the bucket.  While at least half of a
 *	 bucket is eligible, that item is found by rejection: a uniform position
 *	 of the bucket, tried again while the item there is removed (fewer than
 *	 two tries on average).  Once more than half is removed, the bucket's
 *	 eligible items are copied to a private array, at a cost of at most
 *	 twice the items removed from it, and picks swap-remove from that.  So
 *	 the shared arrays are only read, and a draw costs
 *	 O(B + (k + |exclude|) * (log B + log n)).
 *
 * - Weighted uniform samplers keep a Fenwick tree of the fixed weights in
 *	 the sampler.  Removing an item adds its weight to a private hash map
 *	 of per-node deltas along its O(log n) tree path, and a pick descends
 *	 the tree reading node sum minus delta.  Excluded heavy items therefore
 *	 cost nothing at pick time.  Cost: O((k + |exclude|) * log n).
 *
 * The caller holds the sampler's lock, in shared or exclusive mode, from
 * NegsampDrawBegin to the last NegsampDrawPick, and in exclusive mode for
 * NegsampApply.  A private sampler (simulate) needs no lock.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "negsamp.h"

/* Hash set of the items removed during a draw over a large catalog */
typedef struct U32Entry
{
	uint32		key;
	char		status;
} U32Entry;

#define SH_PREFIX u32map
#define SH_ELEMENT_TYPE U32Entry
#define SH_KEY_TYPE uint32
#define SH_KEY key
#define SH_HASH_KEY(tb, key) murmurhash32(key)
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* Hash map uint32 -> double, for the Fenwick node deltas */
typedef struct DeltaEntry
{
	uint32		key;
	char		status;
	double		value;
} DeltaEntry;

#define SH_PREFIX deltamap
#define SH_ELEMENT_TYPE DeltaEntry
#define SH_KEY_TYPE uint32
#define SH_KEY key
#define SH_HASH_KEY(tb, key) murmurhash32(key)
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* Tries before a weighted pick that keeps landing on rounding residue scans */
#define WEIGHTED_MAX_RETRIES	16

struct NegsampDraw
{
	const NegsampSampler *s;
	int64		eligible;		/* items that a pick may still return */

	/* The state after the exclusions, before any pick */
	double		start_total;	/* total eligible weight */
	bool		start_reserved; /* threshold: the top bucket is held back */

	/*
	 * Removed items, excluded or picked: a bitmap over the catalog when it
	 * is small enough to clear on every call, else a hash set.
	 */
	uint64	   *removed_bits;
	u32map_hash *removed;

	/* Bucketed draws */
	const uint32 *perm;			/* NULL means the identity */
	const uint32 *pos;			/* NULL means the identity */
	uint32		nbuckets;
	const uint32 *bstart;		/* nbuckets + 1 entries */
	uint32	   *beligible;		/* eligible items of each bucket */
	uint32	  **bitems;			/* eligible items of a copied bucket, or NULL */
	double	   *bweight;		/* weight of one item of each bucket */
	double	   *fenwick;		/* 1-based, over bucket weights */
	uint32		fenwick_step;	/* highest power of 2 <= nbuckets */
	int64		reserved;		/* threshold: bucket held back, or -1 */
	int64		unreserved_eligible;

	/* Weighted draws */
	const double *weights;
	const double *tree;
	uint32		tree_step;		/* highest power of 2 <= n */
	deltamap_hash *delta;		/* removed weight per tree node */
};

/* Largest catalog whose removed set is a bitmap (8 kB to clear per call) */
#define BITMAP_MAX_ITEMS	65536

static void
removed_create(NegsampDraw *d, int expected)
{
	if (d->s->n <= BITMAP_MAX_ITEMS)
		d->removed_bits = palloc0(sizeof(uint64) * ((d->s->n + 63) / 64));
	else
		d->removed = u32map_create(CurrentMemoryContext, Max(expected * 2, 64), NULL);
}

static inline bool
removed_test(const NegsampDraw *d, uint32 item)
{
	if (d->removed_bits)
		return (d->removed_bits[item / 64] >> (item % 64)) & 1;
	return u32map_lookup(d->removed, item) != NULL;
}

/* Add item to the removed set; return false when it was there already */
static inline bool
removed_add(NegsampDraw *d, uint32 item)
{
	bool		found;

	if (d->removed_bits)
	{
		uint64		bit = UINT64CONST(1) << (item % 64);

		found = (d->removed_bits[item / 64] & bit) != 0;
		d->removed_bits[item / 64] |= bit;
		return !found;
	}
	u32map_insert(d->removed, item, &found);
	return !found;
}

/* Make room for extra more removed items in one step */
static void
removed_reserve(NegsampDraw *d, int extra)
{
	uint64		need;

	if (d->removed_bits)
		return;

	/* SH_GROW rehashes every entry even when the table is large enough */
	need = (uint64) d->removed->members + extra;
	if (need > d->removed->grow_threshold)
		u32map_grow(d->removed, need * 2);
}

static uint32
highest_power_of_two(uint64 n)
{
	uint32		step = 1;

	while ((uint64) step * 2 <= n)
		step *= 2;
	return step;
}

/* ---------------------------------------------------------------------
 * Fenwick tree over buckets (private to one draw)
 * ---------------------------------------------------------------------
 */

static void
fenwick_add(NegsampDraw *d, uint32 bucket, double value)
{
	for (uint32 i = bucket + 1; i <= d->nbuckets; i += i & -i)
		d->fenwick[i] += value;
}

/* Rebuild the bucket tree from the integer eligible counts */
static void
fenwick_rebuild(NegsampDraw *d)
{
	double	   *f = d->fenwick;

	f[0] = 0.0;
	for (uint32 b = 0; b < d->nbuckets; b++)
	{
		bool		held = ((int64) b == d->reserved);

		f[b + 1] = held ? 0.0 : d->bweight[b] * (double) d->beligible[b];
	}
	for (uint32 i = 1; i <= d->nbuckets; i++)
	{
		uint32		parent = i + (i & -i);

		if (parent <= d->nbuckets)
			f[parent] += f[i];
	}
}

static double
fenwick_total(const NegsampDraw *d)
{
	double		total = 0.0;

	for (uint32 i = d->nbuckets; i > 0; i -= i & -i)
		total += d->fenwick[i];
	return total;
}

/* Return the bucket in which cumulative weight u falls */
static uint32
fenwick_search(const NegsampDraw *d, double u)
{
	uint32		position = 0;

	for (uint32 step = d->fenwick_step; step > 0; step >>= 1)
	{
		uint32		next = position + step;

		if (next <= d->nbuckets && u >= d->fenwick[next])
		{
			position = next;
			u -= d->fenwick[next];
		}
	}
	return Min(position, d->nbuckets - 1);
}

/* ---------------------------------------------------------------------
 * Bucketed draws
 * ---------------------------------------------------------------------
 */

static inline uint32
item_at(const NegsampDraw *d, uint32 p)
{
	return d->perm ? d->perm[p] : p;
}

static inline bool
is_removed(const NegsampDraw *d, uint32 item)
{
	return removed_test(d, item);
}

/* Return the bucket whose run of positions contains p */
static uint32
bucket_of(const NegsampDraw *d, uint32 p)
{
	uint32		lo = 0,
				hi = d->nbuckets - 1;

	while (lo < hi)
	{
		uint32		mid = lo + (hi - lo + 1) / 2;

		if (d->bstart[mid] <= p)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static inline uint32
bucket_size(const NegsampDraw *d, uint32 b)
{
	return d->bstart[b + 1] - d->bstart[b];
}

/*
 * Copy the eligible items of bucket b to a private array.  Called once
 * more than half of the bucket is removed, so the scan costs at most twice
 * the removals made in it.
 */
static void
copy_bucket(NegsampDraw *d, uint32 b)
{
	uint32	   *items = palloc(sizeof(uint32) * Max(d->beligible[b], 1));
	uint32		count = 0;

	for (uint32 p = d->bstart[b]; p < d->bstart[b + 1]; p++)
	{
		uint32		item = item_at(d, p);

		if (!is_removed(d, item))
			items[count++] = item;
	}
	Assert(count == d->beligible[b]);
	d->bitems[b] = items;
}

/* Count one item of bucket b as no longer eligible */
static void
count_removal(NegsampDraw *d, uint32 b)
{
	d->beligible[b]--;
	d->eligible--;
	if ((int64) b == d->reserved)
		return;
	d->unreserved_eligible--;
	fenwick_add(d, b, -d->bweight[b]);
}

/*
 * Make an item ineligible before any bucket is copied.  Return false when
 * it already was.
 */
static bool
bucketed_remove(NegsampDraw *d, uint32 item)
{
	if (!removed_add(d, item))
		return false;
	count_removal(d, bucket_of(d, d->pos ? d->pos[item] : item));
	return true;
}

/*
 * Choose the bucket of the next pick.  Rounding can leave a tiny positive
 * sum over buckets that are already empty, and softmax weights can
 * underflow to 0; both are settled from the integer counts.
 */
static uint32
bucketed_choose(NegsampDraw *d, pg_prng_state *rng)
{
	double		total;
	uint32		b;

	if (d->unreserved_eligible == 0)
		return (uint32) d->reserved;

	/* One bucket to choose from (always so under unweighted uniform) */
	if (d->nbuckets == 1 || (d->nbuckets == 2 && d->reserved == 1))
		return 0;

	total = fenwick_total(d);
	b = fenwick_search(d, pg_prng_double(rng) * total);
	if (total > 0.0 && d->beligible[b] > 0 && (int64) b != d->reserved)
		return b;

	fenwick_rebuild(d);
	total = fenwick_total(d);
	b = fenwick_search(d, pg_prng_double(rng) * total);
	if (total > 0.0 && d->beligible[b] > 0 && (int64) b != d->reserved)
		return b;

	/*
	 * Only underflowed weights are left: the limit of the distribution puts
	 * all mass on the lowest count, which is the first non-empty bucket.
	 */
	for (b = 0; b < d->nbuckets; b++)
		if (d->beligible[b] > 0 && (int64) b != d->reserved)
			return b;
	elog(ERROR, "negsamp: no eligible bucket left");
	return 0;					/* keep compiler quiet */
}

static uint32
bucketed_pick(NegsampDraw *d, pg_prng_state *rng)
{
	uint32		b = bucketed_choose(d, rng);
	uint32		item;

	if (d->bitems[b])
	{
		uint32		last = d->beligible[b] - 1;
		uint32		j = (uint32) pg_prng_uint64_range(rng, 0, last);

		item = d->bitems[b][j];
		d->bitems[b][j] = d->bitems[b][last];
		count_removal(d, b);
		return item;
	}

	/* At least half of the bucket is eligible: two tries on average */
	do
	{
		uint32		p = d->bstart[b] +
			(uint32) pg_prng_uint64_range(rng, 0, bucket_size(d, b) - 1);

		item = item_at(d, p);
	} while (is_removed(d, item));

	/* The bucket is known, so skip bucketed_remove's position lookup */
	removed_add(d, item);
	count_removal(d, b);
	if ((uint64) d->beligible[b] * 2 < bucket_size(d, b))
		copy_bucket(d, b);
	return item;
}

static void
bucketed_begin(NegsampDraw *d, int expected)
{
	const NegsampSampler *s = d->s;

	if (s->strategy == NEGSAMP_UNIFORM)
	{
		uint32	   *start = palloc(sizeof(uint32) * 2);

		start[0] = 0;
		start[1] = (uint32) s->n;
		d->perm = NULL;
		d->pos = NULL;
		d->nbuckets = 1;
		d->bstart = start;
	}
	else
	{
		d->perm = NS_PERM(s);
		d->pos = NS_POS(s);
		d->nbuckets = s->nbuckets;
		d->bstart = NS_BSTART(s);
	}

	d->beligible = palloc(sizeof(uint32) * d->nbuckets);
	d->bitems = palloc0(sizeof(uint32 *) * d->nbuckets);
	d->bweight = palloc(sizeof(double) * d->nbuckets);
	d->fenwick = palloc(sizeof(double) * (d->nbuckets + 1));
	d->fenwick_step = highest_power_of_two(d->nbuckets);

	for (uint32 b = 0; b < d->nbuckets; b++)
	{
		d->beligible[b] = bucket_size(d, b);
		if (s->strategy == NEGSAMP_UNIFORM)
			d->bweight[b] = 1.0;
		else
			d->bweight[b] = NegsampCountWeight(s, NS_BCOUNT(s)[b],
											   NS_BCOUNT(s)[0]);
	}

	/* Threshold holds back the items at the maximum count */
	d->reserved = -1;
	d->unreserved_eligible = s->n;
	if (s->strategy == NEGSAMP_THRESHOLD && d->nbuckets > 1)
	{
		d->reserved = d->nbuckets - 1;
		d->unreserved_eligible = d->bstart[d->nbuckets - 1];
	}
	fenwick_rebuild(d);

	removed_create(d, expected);
	d->eligible = s->n;
}

/*
 * After the exclusions: scale the weights so the lowest eligible count has
 * weight 1 and rebuild the bucket tree from the integer counts, then copy
 * the buckets that are mostly removed.  Scaling changes no probability,
 * but without it a small temperature could underflow every weight left
 * once the lowest counts are excluded, and subtracting the excluded weight
 * could lose the remaining total to rounding.
 */
static void
bucketed_after_exclusions(NegsampDraw *d)
{
	const NegsampSampler *s = d->s;

	if (s->strategy != NEGSAMP_UNIFORM)
	{
		bool		skip_reserved = d->unreserved_eligible > 0;

		for (uint32 b = 0; b < d->nbuckets; b++)
		{
			if (d->beligible[b] == 0 || (skip_reserved && (int64) b == d->reserved))
				continue;

			/* Buckets are in ascending count order: b has the lowest count */
			for (uint32 c = 0; c < d->nbuckets; c++)
				d->bweight[c] = NegsampCountWeight(s, NS_BCOUNT(s)[c],
												   NS_BCOUNT(s)[b]);
			break;
		}
		fenwick_rebuild(d);
	}

	for (uint32 b = 0; b < d->nbuckets; b++)
		if ((uint64) d->beligible[b] * 2 < bucket_size(d, b))
			copy_bucket(d, b);
}

/* ---------------------------------------------------------------------
 * Weighted draws
 * ---------------------------------------------------------------------
 */

static double
tree_node(const NegsampDraw *d, uint32 node)
{
	DeltaEntry *e = deltamap_lookup(d->delta, node);
	double		value = d->tree[node];

	if (e)
		value -= e->value;
	return (value > 0.0) ? value : 0.0;
}

static bool
weighted_remove(NegsampDraw *d, uint32 item)
{
	bool		found;
	double		w = d->weights[item];
	uint64		n = (uint64) d->s->n;

	if (w <= 0.0)
		return false;
	if (!removed_add(d, item))
		return false;

	for (uint64 node = (uint64) item + 1; node <= n; node += node & -node)
	{
		DeltaEntry *e = deltamap_insert(d->delta, (uint32) node, &found);

		if (!found)
			e->value = 0.0;
		e->value += w;
	}
	d->eligible--;
	return true;
}

/* Descend the tree to the item in which cumulative weight u falls */
static uint32
weighted_search(const NegsampDraw *d, double u)
{
	uint64		position = 0;
	uint64		n = (uint64) d->s->n;

	for (uint64 step = d->tree_step; step > 0; step >>= 1)
	{
		uint64		next = position + step;

		if (next <= n)
		{
			double		value = tree_node(d, (uint32) next);

			if (u >= value)
			{
				position = next;
				u -= value;
			}
		}
	}
	return (uint32) Min(position, n - 1);
}

static bool
weighted_is_eligible(const NegsampDraw *d, uint32 item)
{
	return d->weights[item] > 0.0 && !removed_test(d, item);
}

static uint32
weighted_pick(NegsampDraw *d, pg_prng_state *rng)
{
	uint32		item;

	for (int attempt = 0; attempt < WEIGHTED_MAX_RETRIES; attempt++)
	{
		double		total = 0.0;

		for (uint64 node = (uint64) d->s->n; node > 0; node -= node & -node)
			total += tree_node(d, (uint32) node);
		item = weighted_search(d, pg_prng_double(rng) * total);
		if (weighted_is_eligible(d, item))
		{
			weighted_remove(d, item);
			return item;
		}
	}

	/*
	 * NOTE: only reached when rounding residue in the tree outweighs every
	 * eligible item, which takes weights more than about 1e15 apart.  The
	 * scan keeps the draw correct at O(n) cost.
	 */
	for (item = 0; item < (uint32) d->s->n; item++)
		if (weighted_is_eligible(d, item))
			break;
	weighted_remove(d, item);
	return item;
}

static void
weighted_begin(NegsampDraw *d, int expected)
{
	const NegsampSampler *s = d->s;

	d->weights = NS_WEIGHTS(s);
	d->tree = NS_TREE(s);
	d->tree_step = highest_power_of_two((uint64) s->n);
	d->delta = deltamap_create(CurrentMemoryContext, Max(expected * 8, 64), NULL);
	removed_create(d, expected);
	d->eligible = s->npositive;
}

/* ---------------------------------------------------------------------
 * Public interface
 * ---------------------------------------------------------------------
 */

/*
 * Start a draw: take the weights from the current counts and remove the
 * excluded ids that are in the catalog, looked up in index when it is not
 * NULL.  Memory comes from the current memory context.
 */
NegsampDraw *
NegsampDrawBegin(const NegsampSampler *s, const int64 *exclude, int nexclude,
				 const NegsampIdIndex *index)
{
	NegsampDraw *d = palloc0(sizeof(NegsampDraw));

	d->s = s;
	if (s->weighted)
		weighted_begin(d, nexclude);
	else
		bucketed_begin(d, nexclude);

	for (int i = 0; i < nexclude; i++)
	{
		int64		item = index ? NegsampIdIndexLookup(index, exclude[i])
			: NegsampItemIndex(s, exclude[i]);

		if (item < 0)
			continue;
		if (s->weighted)
			weighted_remove(d, (uint32) item);
		else
			bucketed_remove(d, (uint32) item);
	}

	if (!s->weighted)
		bucketed_after_exclusions(d);

	if (s->weighted)
	{
		d->start_total = 0.0;
		for (uint64 node = (uint64) s->n; node > 0; node -= node & -node)
			d->start_total += tree_node(d, (uint32) node);
	}
	else
	{
		/* Sum from the integer counts, free of the exclusions' rounding */
		d->start_reserved = (d->reserved >= 0 && d->unreserved_eligible > 0);
		d->start_total = 0.0;
		for (uint32 b = 0; b < d->nbuckets; b++)
			if (!(d->start_reserved && (int64) b == d->reserved))
				d->start_total += d->bweight[b] * (double) d->beligible[b];
	}
	return d;
}

/*
 * Return the probability that a single draw with this draw's exclusions
 * picks item, as it was before the first pick.  Valid after any number of
 * picks, because buckets and weights do not change during a draw.
 */
double
NegsampDrawStartProbability(const NegsampDraw *draw, uint32 item)
{
	double		weight;

	if (draw->start_total <= 0.0)
		return 0.0;
	if (draw->s->weighted)
		weight = draw->weights[item];
	else
	{
		uint32		b = bucket_of(draw, draw->pos ? draw->pos[item] : item);

		if ((int64) b == draw->reserved && draw->start_reserved)
			return 0.0;
		weight = draw->bweight[b];
	}
	return weight / draw->start_total;
}

/*
 * Return how many items the draw may still pick.
 */
int64
NegsampDrawEligible(const NegsampDraw *draw)
{
	return draw->eligible;
}

/*
 * Pick k more items into picked[k], in draw order.  The caller checked that
 * k does not exceed NegsampDrawEligible().
 */
void
NegsampDrawPick(NegsampDraw *draw, pg_prng_state *rng, int k, uint32 *picked)
{
	Assert(k <= draw->eligible);

	/*
	 * Size the hash tables once for the picks to come.  The delta map gets
	 * up to log n entries per pick but shares most of them, so it is left
	 * to grow by itself beyond a first guess.
	 */
	removed_reserve(draw, k);
	if (draw->s->weighted)
	{
		uint64		need_delta = (uint64) draw->delta->members + (uint64) k * 4;

		if (need_delta > draw->delta->grow_threshold)
			deltamap_grow(draw->delta, need_delta * 2);
	}

	for (int i = 0; i < k; i++)
		picked[i] = draw->s->weighted ? weighted_pick(draw, rng)
			: bucketed_pick(draw, rng);
}

/* ---------------------------------------------------------------------
 * Applying a draw to the counts
 * ---------------------------------------------------------------------
 */

typedef struct BucketedPick
{
	uint32		bucket;
	uint32		item;
} BucketedPick;

#define ST_SORT sort_picks
#define ST_ELEMENT_TYPE BucketedPick
#define ST_COMPARE(a, b) (((a)->bucket > (b)->bucket) - ((a)->bucket < (b)->bucket))
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Move the picked items of each bucket to the end of its run, so each
 * bucket splits into its unpicked items (count c) and its picked ones
 * (count c+1).  Then rebuild the bucket list, merging runs of equal
 * count.  Costs O(B + k log k).
 */
static void
apply_bucketed(NegsampSampler *s, const uint32 *picked, int k)
{
	uint32	   *perm = NS_PERM(s);
	uint32	   *pos = NS_POS(s);
	int64	   *bcount = NS_BCOUNT(s);
	uint32	   *bstart = NS_BSTART(s);
	uint32		nb = s->nbuckets;
	BucketedPick *picks = palloc(sizeof(BucketedPick) * k);
	uint32	   *split = palloc(sizeof(uint32) * nb);
	int64	   *old_count = palloc(sizeof(int64) * nb);
	uint32	   *old_start = palloc(sizeof(uint32) * (nb + 1));
	uint32		out = 0;
	int			i = 0;

	for (int j = 0; j < k; j++)
	{
		picks[j].item = picked[j];
		picks[j].bucket = NegsampBucketOf(s, pos[picked[j]]);
	}
	sort_picks(picks, k);

	for (uint32 b = 0; b < nb; b++)
	{
		uint32		end = bstart[b + 1];
		uint32		target = end;

		while (i < k && picks[i].bucket == b)
		{
			uint32		item = picks[i].item;
			uint32		from = pos[item];
			uint32		other;

			target--;
			other = perm[target];
			perm[target] = item;
			pos[item] = target;
			perm[from] = other;
			pos[other] = from;
			i++;
		}
		split[b] = target;
	}

	memcpy(old_count, bcount, sizeof(int64) * nb);
	memcpy(old_start, bstart, sizeof(uint32) * (nb + 1));
	for (uint32 b = 0; b < nb; b++)
	{
		/* Unpicked part, count unchanged */
		if (split[b] > old_start[b] &&
			!(out > 0 && bcount[out - 1] == old_count[b]))
		{
			bcount[out] = old_count[b];
			bstart[out] = old_start[b];
			out++;
		}
		/* Picked part, count + 1 */
		if (old_start[b + 1] > split[b] &&
			!(out > 0 && bcount[out - 1] == old_count[b] + 1))
		{
			bcount[out] = old_count[b] + 1;
			bstart[out] = split[b];
			out++;
		}
	}
	bstart[out] = (uint32) s->n;
	s->nbuckets = out;

	pfree(picks);
	pfree(split);
	pfree(old_count);
	pfree(old_start);
}

/*
 * Add one to the count of each picked item (k distinct indexes) and record
 * the call.  The caller holds the sampler's lock in exclusive mode.
 */
void
NegsampApply(NegsampSampler *s, const uint32 *picked, int k)
{
	if (k == 0)
		return;
	s->changing = true;
	if (s->strategy == NEGSAMP_UNIFORM)
	{
		int64	   *counts = NS_COUNTS(s);

		for (int i = 0; i < k; i++)
			counts[picked[i]]++;
	}
	else
		apply_bucketed(s, picked, k);
	s->calls++;
	s->draws += k;
	s->changing = false;
}
