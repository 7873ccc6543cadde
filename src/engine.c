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
 *	 permutation).  Picks come in two ways:
 *
 *	 Proposal: a candidate is a bucket chosen in proportion to all its items
 *	 times their weight (a guide table over the B buckets), then a uniform
 *	 position in it; a removed candidate is rejected.  That gives each
 *	 eligible item its weight over the eligible weight, the law above.  It
 *	 is used while the eligible items hold at least half of the proposal's
 *	 weight, so fewer than two candidates are drawn per pick on average.
 *	 Candidates do not depend on earlier picks, so a batch of them is drawn
 *	 and its random reads of the permutation are prefetched together,
 *	 which matters once the catalog outgrows the cache.
 *
 *	 Exact: a Fenwick tree over the buckets' eligible weight chooses the
 *	 bucket, then rejection finds an eligible item of it while at least half
 *	 of the bucket is eligible.  Once more than half is removed, the
 *	 bucket's eligible items are copied to a private array, at a cost of at
 *	 most twice the items removed from it, and picks swap-remove from that.
 *
 *	 The shared arrays are only read, and a draw costs
 *	 O(B + (k + |exclude|) * (log B + log n)), and O(B + k + |exclude|)
 *	 while it proposes.
 *
 * - Weighted uniform samplers keep a Fenwick tree of the fixed weights in
 *	 the sampler.  Removing an item adds its weight to a private hash map
 *	 of per-node deltas along its O(log n) tree path, and a pick descends
 *	 the tree reading node sum minus delta.  Excluded heavy items therefore
 *	 cost nothing at pick time.  Cost: O((k + |exclude|) * log n).
 *
 * The caller holds the sampler's lock, in shared or exclusive mode, from
 * NegsampDrawBegin to the last NegsampDrawPick, and in exclusive mode for
 * NegsampApply.  NegsampDrawEnd, and any call on a private sampler
 * (simulate), needs no lock.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "negsamp.h"

/*
 * Allocate in the current memory context, beyond 1 GB if need be: a draw
 * of tens of millions of items needs arrays that large.
 */
static inline void *
alloc_huge(Size size)
{
	return palloc_extended(size, MCXT_ALLOC_HUGE);
}

static inline void *
alloc_huge_zero(Size size)
{
	return palloc_extended(size, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

/*
 * Set of the items removed during a draw over a large catalog: open
 * addressing with linear probing over a power-of-two table of item
 * indexes.  The table is at most a quarter full, so most probes end at the
 * first slot and the branch after it is predicted.  Item indexes are below
 * 2^31, so the all-ones value marks an empty slot.
 */
typedef struct ItemSet
{
	uint32	   *slots;
	uint32		shift;			/* 32 - log2(table size) */
	uint32		mask;			/* table size - 1 */
	uint32		members;
} ItemSet;

#define ITEMSET_EMPTY		PG_UINT32_MAX
#define ITEMSET_MIN_BITS	9

/* Fibonacci hashing: the top bits of the product spread runs of indexes */
static inline uint32
itemset_slot(const ItemSet *set, uint32 item)
{
	return (uint32) (item * UINT64CONST(2654435769)) >> set->shift;
}

static void
itemset_init(ItemSet *set, uint64 capacity)
{
	uint32		bits = ITEMSET_MIN_BITS;

	while (((uint64) 1 << bits) < capacity * 4)
		bits++;
	set->slots = alloc_huge(sizeof(uint32) << bits);
	memset(set->slots, 0xFF, sizeof(uint32) << bits);
	set->shift = 32 - bits;
	set->mask = ((uint32) 1 << bits) - 1;
	set->members = 0;
}

static inline bool
itemset_contains(const ItemSet *set, uint32 item)
{
	uint32		i = itemset_slot(set, item);

	for (;;)
	{
		uint32		key = set->slots[i];

		if (key == item)
			return true;
		if (key == ITEMSET_EMPTY)
			return false;
		i = (i + 1) & set->mask;
	}
}

/* Add item; return false when it was there already.  Room was reserved. */
static inline bool
itemset_add(ItemSet *set, uint32 item)
{
	uint32		i = itemset_slot(set, item);

	for (;;)
	{
		uint32		key = set->slots[i];

		if (key == item)
			return false;
		if (key == ITEMSET_EMPTY)
		{
			set->slots[i] = item;
			set->members++;
			return true;
		}
		i = (i + 1) & set->mask;
	}
}

/* Make room for extra more items, keeping the table at most a quarter full */
static void
itemset_reserve(ItemSet *set, uint32 extra)
{
	uint64		need = (uint64) set->members + extra;
	uint32	   *old = set->slots;
	uint32		old_size = set->mask + 1;

	if (need * 4 <= old_size)
		return;
	itemset_init(set, need);
	for (uint32 i = 0; i < old_size; i++)
		if (old[i] != ITEMSET_EMPTY)
			itemset_add(set, old[i]);
	pfree(old);
}

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

/*
 * What applying a pick needs besides the item: its bucket, and its
 * position in perm when the draw read it there.
 */
typedef struct PickInfo
{
	uint32		bucket;
	uint32		position;		/* NO_POSITION when not known */
} PickInfo;

#define NO_POSITION		PG_UINT32_MAX

struct NegsampDraw
{
	const NegsampSampler *s;
	int64		eligible;		/* items that a pick may still return */

	/* The state after the exclusions, before any pick */
	double		start_total;	/* total eligible weight */
	bool		start_reserved; /* threshold: the top bucket is held back */

	/*
	 * Removed items, excluded or picked: the backend's bitmap over the
	 * catalog with a list of the items set in it, or for the largest
	 * catalogs a hash set.
	 */
	uint64	   *removed_bits;
	uint32	   *removed_list;
	uint32		nremoved;
	uint32		removed_capacity;
	ItemSet		removed;

	/* Bucketed draws */
	const uint32 *perm;			/* NULL means the identity */
	const uint32 *pos;			/* NULL means the identity */
	uint32		nbuckets;
	const uint32 *bstart;		/* nbuckets + 1 entries */
	uint32	   *beligible;		/* eligible items of each bucket */
	uint32	  **bitems;			/* eligible items of a copied bucket, or NULL */
	double	   *bweight;		/* weight of one item of each bucket */
	double	   *start_bweight;	/* bweight at the start, once bweight changed */
	bool		exact;			/* picks go through the bucket tree */
	double	   *fenwick;		/* 1-based, over bucket weights */
	double		fenwick_base;	/* tree total at its last rebuild */
	uint32		fenwick_step;	/* highest power of 2 <= nbuckets */
	int64		reserved;		/* threshold: bucket held back, or -1 */
	int64		unreserved_eligible;
	/*
	 * Proposal mode: candidates come from the weights of whole buckets,
	 * excluded and picked items included, and a removed candidate is
	 * rejected.  See propose_picks.
	 */
	bool		proposing;
	double	   *pcum;			/* proposal weight of buckets 0..b */
	uint32	   *guide;			/* first bucket whose pcum exceeds a cut */
	uint32		nguide;
	double		guide_scale;	/* nguide, as a double */
	double		proposal_total;
	double		eligible_weight;	/* unreserved eligible weight */
	int64		sole_bucket;	/* the only bucket of positive weight, or -1 */

	const int64 *counts;		/* prefetched for NegsampApply, or NULL */
	PickInfo   *pick_info;		/* of each pick so far */
	int			npicked;
	int			pick_capacity;

	/* Weighted draws */
	const double *weights;
	const double *tree;
	uint32		tree_step;		/* highest power of 2 <= n */
	deltamap_hash *delta;		/* removed weight per tree node */
	double		weight_base;	/* tree total when the tree was built */
	double		removed_weight; /* weight removed since */
};

/* A hint to start loading a cache line that is about to be used */
#if defined(__GNUC__) || defined(__clang__)
#define prefetch_read(addr)		__builtin_prefetch((addr), 0)
#define prefetch_write(addr)	__builtin_prefetch((addr), 1)
#else
#define prefetch_read(addr)		((void) 0)
#define prefetch_write(addr)	((void) 0)
#endif

/*
 * One step of xoroshiro128**, the generator of pg_prng_uint64, on the same
 * state.  Inlined here because a pick takes one or two steps, and a call
 * into the server for each costs about as much as the step itself.
 */
static inline uint64
rotate_left64(uint64 x, int bits)
{
	return (x << bits) | (x >> (64 - bits));
}

static inline uint64
rng_next(pg_prng_state *state)
{
	uint64		s0 = state->s0;
	uint64		s1 = state->s1;
	uint64		result = rotate_left64(s0 * 5, 7) * 9;

	s1 ^= s0;
	state->s0 = rotate_left64(s0, 24) ^ s1 ^ (s1 << 16);
	state->s1 = rotate_left64(s1, 37);
	return result;
}

/* A uniform double in [0, 1) with 52 random bits, as pg_prng_double */
static inline double
rng_double(pg_prng_state *state)
{
	return (double) (rng_next(state) >> 12) * (1.0 / 4503599627370496.0);
}

/*
 * Largest catalog whose removed set is a bitmap (256 kB, which stays in the
 * L2 cache).  Measured on AMD EPYC, uniform calls of k = 128 took 0.8 us
 * with the bitmap and 1.0 us with the hash set at 1,000,000 items, but
 * 1.25 us with the bitmap and 0.96 us with the hash set at 10,000,000.
 *
 * The bitmap belongs to the backend and outlives the draws.  A draw sets
 * the bits of the items it removes, and NegsampDrawEnd clears them one by
 * one, so a call does not pay for clearing the whole catalog.  A draw that
 * ended in an error leaves the bitmap dirty, and the next draw clears all
 * of it.
 */
#define BITMAP_MAX_ITEMS	(INT64CONST(1) << 21)

static uint64 *backend_bits = NULL;
static Size backend_words = 0;
static bool backend_bits_dirty = false;

static void
removed_create(NegsampDraw *d, int expected)
{
	Size		words;

	if (d->s->n > BITMAP_MAX_ITEMS)
	{
		itemset_init(&d->removed, (uint64) Min((int64) expected, d->s->n));
		return;
	}

	words = ((Size) d->s->n + 63) / 64;
	if (words > backend_words)
	{
		/* Forget the old bitmap first, in case the new allocation fails */
		if (backend_bits)
			pfree(backend_bits);
		backend_bits = NULL;
		backend_words = 0;
		backend_bits = MemoryContextAllocZero(TopMemoryContext,
											  sizeof(uint64) * words);
		backend_words = words;
	}
	else if (backend_bits_dirty)
		memset(backend_bits, 0, sizeof(uint64) * backend_words);
	backend_bits_dirty = true;

	d->removed_bits = backend_bits;
	d->removed_capacity = (uint32) Min((int64) expected, d->s->n) + 65;
	d->removed_list = alloc_huge(sizeof(uint32) * d->removed_capacity);
	d->nremoved = 0;
}

static inline bool
removed_test(const NegsampDraw *d, uint32 item)
{
	if (d->removed_bits)
		return (d->removed_bits[item / 64] >> (item % 64)) & 1;
	return itemset_contains(&d->removed, item);
}

/*
 * Add item to the removed set; return false when it was there already.
 * Room must have been reserved with removed_reserve.
 */
static inline bool
removed_add(NegsampDraw *d, uint32 item)
{
	if (d->removed_bits)
	{
		uint64		bit = UINT64CONST(1) << (item % 64);
		uint64		word = d->removed_bits[item / 64];

		d->removed_bits[item / 64] = word | bit;
		d->removed_list[d->nremoved] = item;
		d->nremoved += (word & bit) == 0;
		return (word & bit) == 0;
	}
	return itemset_add(&d->removed, item);
}

/* Make room for extra more removed items in one step */
static void
removed_reserve(NegsampDraw *d, int extra)
{
	uint64		need;

	if (!d->removed_bits)
	{
		itemset_reserve(&d->removed, (uint32) extra);
		return;
	}
	/* One slot more: removed_add writes before it tests whether the item is new */
	need = (uint64) d->nremoved + extra + 1;
	if (need > d->removed_capacity)
	{
		d->removed_capacity = (uint32) Max(need, (uint64) d->removed_capacity * 2);
		d->removed_list = repalloc_huge(d->removed_list,
										sizeof(uint32) * d->removed_capacity);
	}
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

static double fenwick_total(const NegsampDraw *d);

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
	d->fenwick_base = fenwick_total(d);
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
	uint32	   *items = alloc_huge(sizeof(uint32) * Max(d->beligible[b], 1));
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

/*
 * Fraction of a tree's total at its last rebuild below which the tree is
 * rebuilt.  Sums of doubles carry errors of about 2^-53 of the largest
 * total they held, so 2^-26 keeps the error within 2^-27 of what is left.
 */
#define EXACT_REBUILD_FRACTION	(1.0 / 67108864.0)

static double count_weight(const NegsampSampler *s, int64 count, int64 min_count);

/*
 * Set the weight of one item of each bucket, relative to the lowest count
 * still eligible, which gets weight 1.  Scaling changes no probability, but
 * at small temperatures it keeps the lowest eligible count from
 * underflowing and the counts below it from overflowing: buckets without
 * eligible items get weight 0.  The draw's first weights are kept for
 * NegsampDrawStartProbability.
 */
static void
set_weights(NegsampDraw *d)
{
	const NegsampSampler *s = d->s;
	const int64 *bcount = NS_BCOUNT(s);
	bool		skip_reserved = d->unreserved_eligible > 0;
	int64		lowest = -1;

	if (s->strategy == NEGSAMP_UNIFORM)
		return;					/* one bucket of weight 1 */
	if (d->exact && d->start_bweight == NULL)
	{
		d->start_bweight = alloc_huge(sizeof(double) * d->nbuckets);
		memcpy(d->start_bweight, d->bweight, sizeof(double) * d->nbuckets);
	}

	/* Buckets are in ascending count order */
	for (uint32 b = 0; b < d->nbuckets; b++)
	{
		if (d->beligible[b] > 0 && !(skip_reserved && (int64) b == d->reserved))
		{
			lowest = b;
			break;
		}
	}
	for (uint32 c = 0; c < d->nbuckets; c++)
		d->bweight[c] = (lowest < 0 || d->beligible[c] == 0) ? 0.0
			: count_weight(s, bcount[c], bcount[lowest]);
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

	/*
	 * Once a heavy bucket is used up, what is left of the tree can be below
	 * the rounding of its sums, or its weights can underflow.  Weigh the
	 * buckets again from the lowest count still eligible, and rebuild.
	 */
	if (d->exact && d->beligible[b] == 0 &&
		!(fenwick_total(d) >= d->fenwick_base * EXACT_REBUILD_FRACTION))
	{
		set_weights(d);
		fenwick_rebuild(d);
	}
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
	b = fenwick_search(d, rng_double(rng) * total);
	if (total > 0.0 && d->beligible[b] > 0 && (int64) b != d->reserved)
		return b;

	fenwick_rebuild(d);
	total = fenwick_total(d);
	b = fenwick_search(d, rng_double(rng) * total);
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

/*
 * Return a uniform integer in [0, range), for 0 < range <= 2^32 - 1: the
 * high half of a 32-bit random number times range.  The few products that
 * would bias it are drawn again, so the result is exact.  All but
 * range / 2^32 of the calls take one generator step.
 */
static inline uint32
uniform_below(pg_prng_state *rng, uint32 range)
{
	uint64		m = (uint64) (uint32) (rng_next(rng) >> 32) * range;

	if ((uint32) m < range)
	{
		uint32		threshold = (uint32) (-range) % range;

		while ((uint32) m < threshold)
			m = (uint64) (uint32) (rng_next(rng) >> 32) * range;
	}
	return (uint32) (m >> 32);
}

/* Take a uniform eligible item from copied bucket b */
static uint32
take_from_copy(NegsampDraw *d, uint32 b, pg_prng_state *rng)
{
	uint32		last = d->beligible[b] - 1;
	uint32		j = uniform_below(rng, last + 1);
	uint32		item = d->bitems[b][j];

	d->bitems[b][j] = d->bitems[b][last];
	count_removal(d, b);
	return item;
}

/*
 * A pick whose bucket is chosen and whose first position is drawn, but
 * whose item is not read yet.
 */
typedef struct PendingPick
{
	int			slot;			/* index into picked[] */
	uint32		bucket;
	uint32		position;
} PendingPick;

/*
 * Picks whose items are read together, so that their cache misses overlap.
 * At 10,000,000 items, threshold calls of k = 128 took 1.2 us with 128 and
 * 1.4 us with 64.
 */
#define PICK_BATCH			128

/*
 * Switch to exact picks: rebuild the bucket tree from the eligible counts
 * and copy the buckets that are mostly removed.
 */
static void
start_exact(NegsampDraw *d)
{
	bool		was_proposing = d->proposing;

	d->proposing = false;
	d->exact = true;

	/* Picks made by proposal may have used up the heaviest buckets */
	if (was_proposing)
		set_weights(d);
	fenwick_rebuild(d);
	for (uint32 b = 0; b < d->nbuckets; b++)
		if (d->bitems[b] == NULL && (uint64) d->beligible[b] * 2 < bucket_size(d, b))
			copy_bucket(d, b);
}

/*
 * Build the cumulative proposal weights and a guide table over them.  Cut j
 * of nguide equal parts of the total starts the search at the first bucket
 * whose cumulative weight exceeds it, so a search steps past few buckets.
 */
static void
build_proposal(NegsampDraw *d)
{
	double		cum = 0.0;
	double		step;
	uint32		b = 0;

	d->pcum = alloc_huge(sizeof(double) * d->nbuckets);
	for (uint32 c = 0; c < d->nbuckets; c++)
	{
		if (!((int64) c == d->reserved && d->unreserved_eligible > 0))
			cum += d->bweight[c] * (double) bucket_size(d, c);
		d->pcum[c] = cum;
	}
	d->proposal_total = cum;

	/* One bucket to propose from: always so under unweighted uniform */
	d->sole_bucket = -1;
	for (uint32 c = 0; c < d->nbuckets; c++)
	{
		double		below = (c == 0) ? 0.0 : d->pcum[c - 1];

		if (d->pcum[c] > below)
		{
			if (d->sole_bucket >= 0)
			{
				d->sole_bucket = -1;
				break;
			}
			d->sole_bucket = c;
		}
	}

	/*
	 * Four cuts per bucket: fewer made the searches slower than they made
	 * the build faster, even with hundreds of buckets.  Each cut is lowered
	 * by a relative 1e-12, far more than rounding moves it, so a search
	 * never starts past the bucket it must find.
	 */
	d->nguide = 4 * d->nbuckets;
	d->guide = alloc_huge(sizeof(uint32) * (d->nguide + 1));
	d->guide_scale = (double) d->nguide;
	step = cum / (double) d->nguide;
	for (uint32 j = 0; j < d->nguide; j++)
	{
		double		cut = step * (double) j * (1.0 - 1e-12);

		while (b < d->nbuckets - 1 && d->pcum[b] <= cut)
			b++;
		d->guide[j] = b;
	}
	/* x * nguide rounds to nguide only for x within 2^-53 of 1 */
	d->guide[d->nguide] = b;
}

/* Draw the bucket of a candidate in proportion to its proposal weight */
static inline uint32
propose_bucket(const NegsampDraw *d, pg_prng_state *rng)
{
	double		x = rng_double(rng);
	double		u = x * d->proposal_total;
	uint32		b = d->guide[(uint32) (x * d->guide_scale)];

	/* Buckets of zero weight have pcum equal to the one before: never taken */
	while (b < d->nbuckets - 1 && d->pcum[b] <= u)
		b++;
	return b;
}

/*
 * A candidate of proposal mode: a position drawn from whole buckets, read
 * once a batch of them has been drawn.
 */
typedef struct Candidate
{
	uint32		bucket;
	uint32		position;
} Candidate;

/*
 * Draw a batch of want candidates from whole buckets into batch[]: a bucket
 * in proportion to its weight, then a uniform position in it.
 */
static void
bucket_candidates(const NegsampDraw *d, pg_prng_state *rng, Candidate *batch,
				  int want)
{
	/* A local generator state: the stores below cannot alias it */
	pg_prng_state state = *rng;

	for (int c = 0; c < want; c++)
	{
		uint32		b = (d->sole_bucket >= 0) ? (uint32) d->sole_bucket
			: propose_bucket(d, &state);
		uint32		p = d->bstart[b] + uniform_below(&state, bucket_size(d, b));

		if (d->perm)
			prefetch_read(&d->perm[p]);
		else if (d->counts)
			prefetch_write(&d->counts[p]);
		batch[c].bucket = b;
		batch[c].position = p;
	}
	*rng = state;
}

/*
 * Keep the candidates of batch[] whose items are not removed yet: add them
 * to picked[] and info[], set *kept to their number, and return their
 * total weight.  The bitmap and the list are copied to local variables,
 * because the compiler would reload them after every store of the loop.
 */
static double
accept_candidates(NegsampDraw *d, const Candidate *batch, int want,
				  uint32 *picked, PickInfo *info, int *kept)
{
	uint64	   *bits = d->removed_bits;
	uint32	   *list = d->removed_list;
	uint32		nremoved = d->nremoved;
	uint32	   *beligible = d->beligible;
	const double *bweight = d->bweight;
	double		taken = 0.0;
	int			accepted = 0;

	for (int c = 0; c < want; c++)
	{
		uint32		b = batch[c].bucket;
		uint32		item = item_at(d, batch[c].position);

		if (bits)
		{
			uint64		bit = UINT64CONST(1) << (item % 64);
			uint64		word = bits[item / 64];

			if (word & bit)
				continue;
			bits[item / 64] = word | bit;
			list[nremoved++] = item;
		}
		else if (!itemset_add(&d->removed, item))
			continue;

		picked[accepted] = item;
		info[accepted].bucket = b;
		info[accepted].position = batch[c].position;
		accepted++;
		beligible[b]--;
		taken += bweight[b];
	}
	d->nremoved = nremoved;
	*kept = accepted;
	return taken;
}

/*
 * Pick items by rejection from a fixed proposal, into picked[] and info[]
 * from index done on.  Return the number of items picked so far: k, or
 * fewer when the draw switched to exact picks.
 *
 * A candidate is item i with probability proportional to its weight w_i
 * among all items of the buckets that are not held back, removed ones
 * included.  A removed candidate is rejected, so an accepted one is item i
 * with probability proportional to w_i among the eligible items: the law
 * of the next pick.  Candidates do not depend on earlier picks, so a batch
 * of them is drawn and prefetched before any is read.  Once the eligible
 * items hold less than half of the proposal's weight, the rest of the
 * draw switches to exact picks.
 */
static int
propose_picks(NegsampDraw *d, pg_prng_state *rng, int done, int k,
			  uint32 *picked, PickInfo *info)
{
	Candidate	batch[PICK_BATCH];

	while (done < k)
	{
		int			want = Min(k - done, PICK_BATCH);
		int			accepted;
		double		taken_weight;

		if (d->unreserved_eligible == 0 ||
			d->eligible_weight * 2.0 < d->proposal_total)
		{
			start_exact(d);
			return done;
		}
		if (d->pcum == NULL)
			build_proposal(d);
		bucket_candidates(d, rng, batch, want);
		taken_weight = accept_candidates(d, batch, want, picked + done,
										 info + done, &accepted);
		done += accepted;
		d->eligible -= accepted;
		d->unreserved_eligible -= accepted;
		d->eligible_weight -= taken_weight;
	}
	return done;
}

/*
 * Read the items of the pending picks in draw order.  A position whose
 * item is removed (excluded, or taken by an earlier pick) is drawn again
 * in the same bucket.  While at least half of the bucket is eligible this
 * takes fewer than two tries on average.
 */
static void
resolve_pending(NegsampDraw *d, PendingPick *pending, int npending,
				pg_prng_state *rng, uint32 *picked, PickInfo *info)
{
	for (int i = 0; i < npending; i++)
	{
		uint32		b = pending[i].bucket;
		uint32		p = pending[i].position;
		uint32		item = item_at(d, p);

		while (!removed_add(d, item))
		{
			p = d->bstart[b] + uniform_below(rng, bucket_size(d, b));
			item = item_at(d, p);
		}
		picked[pending[i].slot] = item;
		info[pending[i].slot].position = p;
	}
}

/*
 * Pick k items into picked[k], and what applying them needs into info[k]:
 * by proposal while the draw proposes, then by exact picks.
 *
 * Exact picks are batched too.  Each pick of a batch chooses its bucket and
 * draws a first position, prefetched, before any item is read.  The law
 * stays that of one pick after another.  A pick's bucket depends only on
 * how many items earlier picks took from each bucket.  Within the bucket,
 * its first position is a uniform draw made independently of the earlier
 * picks, and a removed item is drawn again, so it takes a uniform item
 * among those that the earlier picks left.
 */
static void
bucketed_pick_many(NegsampDraw *d, pg_prng_state *rng, int k,
				   uint32 *picked, PickInfo *info)
{
	PendingPick pending[PICK_BATCH];
	int			npending = 0;
	int			start = 0;

	if (d->proposing)
		start = propose_picks(d, rng, 0, k, picked, info);

	for (int i = start; i < k; i++)
	{
		uint32		b = bucketed_choose(d, rng);
		uint32		p;

		info[i].bucket = b;
		if (d->bitems[b])
		{
			picked[i] = take_from_copy(d, b, rng);
			info[i].position = NO_POSITION;
			continue;
		}

		p = d->bstart[b] + uniform_below(rng, bucket_size(d, b));
		if (d->perm)
			prefetch_read(&d->perm[p]);
		else if (d->counts)
			prefetch_write(&d->counts[p]);
		pending[npending].slot = i;
		pending[npending].bucket = b;
		pending[npending].position = p;
		npending++;
		count_removal(d, b);

		/* Copying reads the removed set, which must hold every pick */
		if ((uint64) d->beligible[b] * 2 < bucket_size(d, b))
		{
			resolve_pending(d, pending, npending, rng, picked, info);
			npending = 0;
			copy_bucket(d, b);
		}
		else if (npending == PICK_BATCH)
		{
			resolve_pending(d, pending, npending, rng, picked, info);
			npending = 0;
		}
	}
	resolve_pending(d, pending, npending, rng, picked, info);
}

/*
 * Softmax weights of the counts of recent draws.  The weight of a count
 * depends only on the count, the lowest eligible count and the
 * temperature.  A draw needs one per bucket, and successive draws of one
 * sampler share most of them, so the exp() of each is kept.
 */
#define WEIGHT_CACHE_SIZE	1024

static struct
{
	double		temperature;
	int64		min_count;
	int64		count[WEIGHT_CACHE_SIZE];	/* -1: empty */
	double		weight[WEIGHT_CACHE_SIZE];
}			weight_cache = {.min_count = -1};

static double
count_weight(const NegsampSampler *s, int64 count, int64 min_count)
{
	uint32		slot = (uint32) (count % WEIGHT_CACHE_SIZE);

	if (s->mode != NEGSAMP_MODE_SOFTMAX)
		return NegsampCountWeight(s, count, min_count);
	if (weight_cache.min_count != min_count ||
		weight_cache.temperature != s->temperature)
	{
		for (int i = 0; i < WEIGHT_CACHE_SIZE; i++)
			weight_cache.count[i] = -1;
		weight_cache.min_count = min_count;
		weight_cache.temperature = s->temperature;
	}
	if (weight_cache.count[slot] != count)
	{
		weight_cache.count[slot] = count;
		weight_cache.weight[slot] = NegsampCountWeight(s, count, min_count);
	}
	return weight_cache.weight[slot];
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

	/*
	 * Frequency and threshold weights depend on the lowest eligible count,
	 * so bucketed_after_exclusions sets them.  Until then the exclusions
	 * update a tree of zeros.
	 */
	d->beligible = alloc_huge(sizeof(uint32) * d->nbuckets);
	d->bitems = alloc_huge_zero(sizeof(uint32 *) * d->nbuckets);
	d->bweight = alloc_huge_zero(sizeof(double) * d->nbuckets);
	d->fenwick = alloc_huge_zero(sizeof(double) * (d->nbuckets + 1));
	d->fenwick_step = highest_power_of_two(d->nbuckets);

	for (uint32 b = 0; b < d->nbuckets; b++)
		d->beligible[b] = bucket_size(d, b);
	if (s->strategy == NEGSAMP_UNIFORM)
		d->bweight[0] = 1.0;

	/* Threshold holds back the items at the maximum count */
	d->reserved = -1;
	d->unreserved_eligible = s->n;
	if (s->strategy == NEGSAMP_THRESHOLD && d->nbuckets > 1)
	{
		d->reserved = d->nbuckets - 1;
		d->unreserved_eligible = d->bstart[d->nbuckets - 1];
	}
	if (s->strategy == NEGSAMP_UNIFORM)
		fenwick_rebuild(d);

	removed_create(d, expected);
	d->eligible = s->n;
}

/*
 * After the exclusions: weigh the buckets from the lowest eligible count,
 * record the start totals, and choose how the draw picks.
 */
static void
bucketed_after_exclusions(NegsampDraw *d)
{
	bool		skip_reserved = d->unreserved_eligible > 0;
	double		proposal_total = 0.0;
	double		eligible_weight = 0.0;

	set_weights(d);

	/*
	 * Propose from whole buckets while the eligible items hold at least half
	 * of their weight, so that fewer than two candidates are drawn per pick
	 * on average.
	 */
	for (uint32 b = 0; b < d->nbuckets; b++)
	{
		if ((int64) b == d->reserved && skip_reserved)
			continue;
		proposal_total += d->bweight[b] * (double) bucket_size(d, b);
		eligible_weight += d->bweight[b] * (double) d->beligible[b];
	}
	d->proposal_total = proposal_total;
	d->eligible_weight = eligible_weight;
	d->start_reserved = d->reserved >= 0 && skip_reserved;
	d->start_total = eligible_weight;

	/* A proposing draw builds its guide table at the first pick */
	d->proposing = eligible_weight > 0.0 && eligible_weight * 2.0 >= proposal_total;
	if (!d->proposing)
		start_exact(d);
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

/* Return the tree's total weight, less the removed weight */
static double
weighted_total(const NegsampDraw *d)
{
	double		total = 0.0;

	for (uint64 node = (uint64) d->s->n; node > 0; node -= node & -node)
		total += tree_node(d, (uint32) node);
	return total;
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
	d->removed_weight += w;
	return true;
}

/*
 * Replace the tree by a private one over the eligible weights alone, once
 * less than EXACT_REBUILD_FRACTION of the weight it was built with is
 * eligible.  Node sums minus removed weight would otherwise lose what is
 * left to rounding: with weights {1e20, 1, 1, 1} and the first excluded,
 * the shared tree reads 0 where 3 is left.  A rebuild resets the base, so
 * the next one waits for another factor 2^26 of weight removed.
 *
 * NOTE: this is the one step of a draw that walks the catalog, O(n).  It
 * runs only for weights more than 2^26 apart whose heavy items are gone.
 */
static void
weighted_refresh(NegsampDraw *d)
{
	uint64		n = (uint64) d->s->n;
	double	   *tree;

	if (d->weight_base - d->removed_weight >= d->weight_base * EXACT_REBUILD_FRACTION)
		return;

	tree = alloc_huge(sizeof(double) * (n + 1));
	tree[0] = 0.0;
	for (uint64 i = 1; i <= n; i++)
		tree[i] = removed_test(d, (uint32) (i - 1)) ? 0.0 : d->weights[i - 1];
	for (uint64 i = 1; i <= n; i++)
	{
		uint64		parent = i + (i & -i);

		if (parent <= n)
			tree[parent] += tree[i];
	}
	d->tree = tree;
	d->delta = deltamap_create(CurrentMemoryContext, 64, NULL);
	d->weight_base = weighted_total(d);
	d->removed_weight = 0.0;
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

	weighted_refresh(d);
	for (int attempt = 0; attempt < WEIGHTED_MAX_RETRIES; attempt++)
	{
		item = weighted_search(d, rng_double(rng) * weighted_total(d));
		if (weighted_is_eligible(d, item))
		{
			weighted_remove(d, item);
			return item;
		}
	}

	/*
	 * A last resort: weighted_refresh keeps the tree's rounding error within
	 * 2^-27 of the eligible weight, so 16 picks of removed items in a row
	 * are all but impossible.  The scan ends the draw at O(n) cost.
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
	d->weight_base = weighted_total(d);		/* nothing removed yet */
	d->removed_weight = 0.0;
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
	uint32		single_removed = 0;

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
		else if (d->nbuckets == 1)
			single_removed += removed_add(d, (uint32) item);
		else
			bucketed_remove(d, (uint32) item);
	}

	/*
	 * One bucket (unweighted uniform, or all counts equal): count its
	 * removals at once.  Its tree needs no update, because a single bucket
	 * is chosen without it and start_exact rebuilds it.
	 */
	if (single_removed > 0)
	{
		d->beligible[0] -= single_removed;
		d->eligible -= single_removed;
		if (d->reserved != 0)
			d->unreserved_eligible -= single_removed;
	}

	if (!s->weighted)
		bucketed_after_exclusions(d);

	if (s->weighted)
	{
		weighted_refresh(d);
		d->start_total = weighted_total(d);
	}

	return d;
}

/*
 * Return the probability that a single draw with this draw's exclusions
 * picks item, as it was before the first pick.  Valid after any number of
 * picks: the buckets do not change during a draw, and the draw keeps its
 * first weights when it weighs the buckets again.
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
		weight = draw->start_bweight ? draw->start_bweight[b] : draw->bweight[b];
	}
	return weight / draw->start_total;
}

/*
 * Finish a draw: clear the bits it set in the backend's bitmap.  A draw
 * that is not finished (an error cut it short) only costs the next draw a
 * full clear.  A second call does nothing.
 */
void
NegsampDrawEnd(NegsampDraw *draw)
{
	uint64	   *bits = draw->removed_bits;
	const uint32 *list = draw->removed_list;
	uint32		nremoved = draw->nremoved;

	if (bits == NULL)
		return;
	for (uint32 i = 0; i < nremoved; i++)
		bits[list[i] / 64] = 0;
	draw->removed_bits = NULL;
	backend_bits_dirty = false;
}

/* Smallest catalog whose counts (8 bytes each) are prefetched: 512 kB */
#define PREFETCH_COUNTS_MIN_ITEMS	65536

/*
 * Declare that the draw will be applied to the counts, before its first
 * pick, so that the picks prepare for it.
 */
void
NegsampDrawWillApply(NegsampDraw *draw)
{
	/* Counts that fit the L2 cache gain nothing from prefetching */
	if (draw->s->strategy == NEGSAMP_UNIFORM && !draw->s->weighted &&
		draw->s->n > PREFETCH_COUNTS_MIN_ITEMS)
		draw->counts = NS_COUNTS(draw->s);
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

	if (draw->s->weighted)
	{
		for (int i = 0; i < k; i++)
			picked[i] = weighted_pick(draw, rng);
		return;
	}

	/* Keep the bucket of each pick, so applying the draw need not find it */
	if (draw->npicked + k > draw->pick_capacity)
	{
		int			capacity = Max(draw->npicked + k,
								   (int) Min((int64) 2 * draw->pick_capacity,
											 NegsampDrawEligible(draw) + draw->npicked));

		if (draw->pick_info)
			draw->pick_info = repalloc_huge(draw->pick_info, sizeof(PickInfo) * capacity);
		else
			draw->pick_info = alloc_huge(sizeof(PickInfo) * capacity);
		draw->pick_capacity = capacity;
	}
	bucketed_pick_many(draw, rng, k, picked, draw->pick_info + draw->npicked);
	draw->npicked += k;
}

/* ---------------------------------------------------------------------
 * Applying a draw to the counts
 * ---------------------------------------------------------------------
 */

/* Applying a draw over this many buckets or fewer needs no allocation */
#define APPLY_STACK_BUCKETS	64

/*
 * Move the picked items of each bucket to the end of its run, so each
 * bucket splits into its unpicked items (count c) and its picked ones
 * (count c+1).  Then rebuild the bucket list from the lowest bucket
 * picked from, merging runs of equal count.  The draw recorded each pick's
 * bucket.  Costs O(k) plus a few passes over the buckets from the lowest
 * one picked from.
 *
 * In catalogs of millions of items each pick costs a few cache misses
 * here, so the loops start loading what the swaps will touch before the
 * swaps begin.  A pick's position comes from the draw when the draw read
 * the item there, unless an earlier swap moved the item since, which perm
 * at that position (in the cache already) shows.
 */

static void
apply_bucketed(NegsampSampler *s, const uint32 *picked,
			   const PickInfo *info, int k)
{
	uint32	   *perm = NS_PERM(s);
	uint32	   *pos = NS_POS(s);
	int64	   *bcount = NS_BCOUNT(s);
	uint32	   *bstart = NS_BSTART(s);
	uint32		nb = s->nbuckets;
	bool		small = nb <= APPLY_STACK_BUCKETS;
	uint32		npicks_space[APPLY_STACK_BUCKETS];
	uint32		split_space[APPLY_STACK_BUCKETS];
	int64		count_space[APPLY_STACK_BUCKETS];
	uint32		start_space[APPLY_STACK_BUCKETS + 1];
	uint32	   *npicks = small ? npicks_space : alloc_huge(sizeof(uint32) * nb);
	uint32	   *split = small ? split_space : alloc_huge(sizeof(uint32) * nb);
	int64	   *old_count = small ? count_space : alloc_huge(sizeof(int64) * nb);
	uint32	   *old_start = small ? start_space : alloc_huge(sizeof(uint32) * (nb + 1));
	uint32		lowest = nb;
	uint32		highest = 0;
	uint32		out;

	/* Set after the allocations above, so an error there leaves it unset */
	s->changing = true;

	/*
	 * Count the picks of each bucket, and find the range of buckets they
	 * touch, so that the loops below skip the others.
	 */
	memset(npicks, 0, sizeof(uint32) * nb);
	for (int j = 0; j < k; j++)
	{
		uint32		b = info[j].bucket;

		Assert(b < nb);
		npicks[b]++;
		lowest = Min(lowest, b);
		highest = Max(highest, b);
		prefetch_write(&pos[picked[j]]);
	}

	/*
	 * The items that the picks displace from the end of each bucket.  Then
	 * split[b] counts down through the end of bucket b, where its picks go.
	 */
	for (uint32 b = lowest; b < nb; b++)
	{
		split[b] = bstart[b + 1];
		for (uint32 i = 0; b <= highest && i < npicks[b]; i++)
			prefetch_write(&pos[perm[bstart[b + 1] - 1 - i]]);
	}

	/*
	 * Swap each pick with the item at its bucket's next target, in draw
	 * order.  A displaced item that was picked too moves to where its pick
	 * was, which perm at the recorded position shows.
	 */
	for (int j = 0; j < k; j++)
	{
		uint32		item = picked[j];
		uint32		from = info[j].position;
		uint32		target = --split[info[j].bucket];
		uint32		other;

		if (from == NO_POSITION || perm[from] != item)
			from = pos[item];
		other = perm[target];
		perm[target] = item;
		pos[item] = target;
		perm[from] = other;
		pos[other] = from;
	}

	/* Buckets below the lowest touched one stay as they are */
	memcpy(old_count + lowest, bcount + lowest, sizeof(int64) * (nb - lowest));
	memcpy(old_start + lowest, bstart + lowest, sizeof(uint32) * (nb + 1 - lowest));
	out = lowest;
	for (uint32 b = lowest; b < nb; b++)
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

	if (!small)
	{
		pfree(npicks);
		pfree(split);
		pfree(old_count);
		pfree(old_start);
	}
}

/*
 * Return true when recording k more draws would take the total of the
 * counts, and so possibly a count, past the bigint range.  Only
 * restore_counts can set counts that high.  The caller holds the sampler's
 * lock.
 */
bool
NegsampApplyWouldOverflow(const NegsampSampler *s, int k)
{
	/* draws is the sum of the counts, so no count exceeds it */
	return s->draws > PG_INT64_MAX - k || s->calls == PG_INT64_MAX;
}

/*
 * Add one to the count of each item that draw picked (k distinct indexes,
 * picked[k]) and record the call.  The caller holds the sampler's lock in
 * exclusive mode, and has held it since the draw began.
 */
void
NegsampApply(NegsampSampler *s, const NegsampDraw *draw, const uint32 *picked,
			 int k)
{
	if (k == 0)
		return;
	Assert(draw->s == s);
	if (s->strategy == NEGSAMP_UNIFORM)
	{
		int64	   *counts = NS_COUNTS(s);

		s->changing = true;

		/*
		 * Start every cache miss before the first increment waits on one,
		 * unless the picks did (NegsampDrawWillApply).
		 */
		if (draw->counts == NULL)
			for (int i = 0; i < k; i++)
				prefetch_write(&counts[picked[i]]);
		for (int i = 0; i < k; i++)
			counts[picked[i]]++;
	}
	else
	{
		Assert(draw->npicked == k);
		apply_bucketed(s, picked, draw->pick_info, k);
	}
	s->calls++;
	s->draws += k;
	s->changing = false;
}
