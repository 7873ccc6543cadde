/*-------------------------------------------------------------------------
 *
 * idindex.c
 *	  A backend-local index from catalog id to item index, for draws with
 *	  many exclusions from an item-list catalog.
 *
 * Looking up excluded ids by binary search over the sorted catalog ids was
 * the largest cost of drawing training sets, where each call excludes a
 * user's hundreds of positives.  A backend builds this index once per
 * sampler (identified by its slot and generation, and the ids of a sampler
 * never change) and keeps it until it draws from another sampler.
 *
 * When the ids span at most NEGSAMP_IDINDEX_SPREAD times as many values as
 * there are items, the index is a table over that span, and a lookup is
 * one array read.  MovieLens ids qualify: ml-latest-small rates 9,066
 * movies with ids within 1..163,949, and the benchmark's MovieLens-1M-like
 * set has 3,706 items within 1..3,952.  Otherwise the index is a hash
 * table, for catalogs of up to NEGSAMP_IDINDEX_MAX_ITEMS items.  Either way
 * a backend spends at most 32 MB on it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "negsamp.h"
#include "utils/memutils.h"

/* Largest catalog indexed: 2^21 entries of 16 bytes, 32 MB of backend memory */
#define NEGSAMP_IDINDEX_MAX_ITEMS	1000000

/* Largest span of ids in a table: 2^23 entries of 4 bytes, 32 MB */
#define NEGSAMP_IDINDEX_MAX_SPAN	(UINT64CONST(1) << 23)
#define NEGSAMP_IDINDEX_SPREAD		32

/* Minimum exclusions for which building or using the index pays */
#define NEGSAMP_IDINDEX_MIN_EXCLUDE	16

typedef struct IdIndexEntry
{
	int64		key;
	uint32		value;
	char		status;
} IdIndexEntry;

#define SH_PREFIX idindex
#define SH_ELEMENT_TYPE IdIndexEntry
#define SH_KEY_TYPE int64
#define SH_KEY key
#define SH_HASH_KEY(tb, key) \
	hash_combine(murmurhash32((uint32) (key)), murmurhash32((uint32) ((uint64) (key) >> 32)))
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* The one index a backend keeps, and what it belongs to */
static MemoryContext index_context = NULL;
static NegsampIdIndex cached_index;
static int	cached_slot = -1;
static uint64 cached_generation = 0;

/*
 * Return the id index of the sampler in slot with generation, building it
 * when needed; NULL when a binary search is the better choice.  The caller
 * holds the sampler's lock, so its ids can be read.
 */
const NegsampIdIndex *
NegsampGetIdIndex(const NegsampSampler *s, int slot, uint64 generation,
				  int nexclude)
{
	MemoryContext old;
	const int64 *ids = NS_IDS(s);
	uint64		span;

	if (s->dense || nexclude < NEGSAMP_IDINDEX_MIN_EXCLUDE)
		return NULL;
	if (cached_slot == slot && cached_generation == generation)
		return &cached_index;

	/* Ids are sorted and distinct, so the span is at least n */
	span = (uint64) ids[s->n - 1] - (uint64) ids[0] + 1;
	if (span > NEGSAMP_IDINDEX_MAX_SPAN || span > (uint64) s->n * NEGSAMP_IDINDEX_SPREAD)
		span = 0;
	if (span == 0 && s->n > NEGSAMP_IDINDEX_MAX_ITEMS)
		return NULL;

	if (index_context == NULL)
		index_context = AllocSetContextCreate(TopMemoryContext,
											  "negsamp id index",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(index_context);
	cached_slot = -1;

	old = MemoryContextSwitchTo(index_context);
	memset(&cached_index, 0, sizeof(cached_index));
	if (span > 0)
	{
		cached_index.min_id = ids[0];
		cached_index.range = span;
		cached_index.table = palloc(sizeof(int32) * span);
		memset(cached_index.table, 0xFF, sizeof(int32) * span);
		for (int64 i = 0; i < s->n; i++)
			cached_index.table[(uint64) ids[i] - (uint64) ids[0]] = (int32) i;
	}
	else
	{
		cached_index.hash = idindex_create(index_context, (uint32) s->n, NULL);
		for (int64 i = 0; i < s->n; i++)
		{
			bool		found;

			idindex_insert(cached_index.hash, ids[i], &found)->value = (uint32) i;
		}
	}
	MemoryContextSwitchTo(old);

	cached_slot = slot;
	cached_generation = generation;
	return &cached_index;
}

/*
 * Return the index of item id in a hashed index, or -1 when it is not in
 * the catalog.
 */
int64
NegsampIdIndexHashLookup(const NegsampIdIndex *index, int64 id)
{
	IdIndexEntry *entry = idindex_lookup(index->hash, id);

	return entry ? (int64) entry->value : -1;
}
