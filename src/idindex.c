/*-------------------------------------------------------------------------
 *
 * idindex.c
 *	  A backend-local hash index from catalog id to item index, for draws
 *	  with many exclusions from an item-list catalog.
 *
 * Looking up excluded ids by binary search over the sorted catalog ids was
 * the largest cost of drawing training sets, where each call excludes a
 * user's hundreds of positives.  A backend builds this index once per
 * sampler (identified by its slot and generation, and the ids of a sampler
 * never change) and keeps it until it draws from another sampler.  Only
 * catalogs up to NEGSAMP_IDINDEX_MAX_ITEMS get one, to bound the memory a
 * backend spends on it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "negsamp.h"
#include "utils/memutils.h"

/* Largest catalog indexed: 2^21 entries of 16 bytes, 32 MB of backend memory */
#define NEGSAMP_IDINDEX_MAX_ITEMS	1000000

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

struct NegsampIdIndex
{
	idindex_hash *hash;
};

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
	const int64 *ids;

	if (s->dense || s->n > NEGSAMP_IDINDEX_MAX_ITEMS ||
		nexclude < NEGSAMP_IDINDEX_MIN_EXCLUDE)
		return NULL;
	if (cached_slot == slot && cached_generation == generation)
		return &cached_index;

	if (index_context == NULL)
		index_context = AllocSetContextCreate(TopMemoryContext,
											  "negsamp id index",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(index_context);
	cached_slot = -1;

	old = MemoryContextSwitchTo(index_context);
	cached_index.hash = idindex_create(index_context, (uint32) s->n, NULL);
	ids = NS_IDS(s);
	for (int64 i = 0; i < s->n; i++)
	{
		bool		found;

		idindex_insert(cached_index.hash, ids[i], &found)->value = (uint32) i;
	}
	MemoryContextSwitchTo(old);

	cached_slot = slot;
	cached_generation = generation;
	return &cached_index;
}

/*
 * Return the index of item id, or -1 when it is not in the catalog.
 */
int64
NegsampIdIndexLookup(const NegsampIdIndex *index, int64 id)
{
	IdIndexEntry *entry = idindex_lookup(index->hash, id);

	return entry ? (int64) entry->value : -1;
}
