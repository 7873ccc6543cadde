/*-------------------------------------------------------------------------
 *
 * negsamp.h
 *	  Shared declarations of negsamp: the sampler layout, the shared-memory
 *	  registry and the sampling engine.
 *
 * A sampler is one contiguous block of memory: a NegsampSampler header
 * followed by its arrays, addressed by byte offsets from the header.  The
 * block is position independent, so the same engine code runs on a sampler
 * in the shared arena and on a private copy in backend memory, and the
 * block can be written to a file and read back as it is.
 *
 * Catalog items are addressed internally by their index 0..n-1.  For a
 * dense catalog the index is the item id; for an explicit item list the
 * ids are stored sorted ascending, so the index is the id's rank and an id
 * is looked up by binary search.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NEGSAMP_H
#define NEGSAMP_H

#include "common/pg_prng.h"
#include "fmgr.h"
#include "storage/lwlock.h"
#include "utils/array.h"
#include "storage/lwlock.h"
#include "storage/spin.h"

#define NEGSAMP_SAMPLER_MAGIC	0x4E534D50	/* "NSMP" */

/* Largest catalog: item indexes are stored as uint32 */
#define NEGSAMP_MAX_ITEMS		((int64) PG_INT32_MAX)

typedef enum NegsampStrategy
{
	NEGSAMP_UNIFORM = 0,
	NEGSAMP_FREQUENCY = 1,
	NEGSAMP_THRESHOLD = 2
} NegsampStrategy;

typedef enum NegsampMode
{
	NEGSAMP_MODE_NONE = 0,		/* uniform samplers have no mode */
	NEGSAMP_MODE_SOFTMAX = 1,
	NEGSAMP_MODE_SOFTSUM = 2
} NegsampMode;

/*
 * Sampler header.  Arrays that follow it (offsets in bytes from the header,
 * 0 when absent):
 *
 *	ids		int64[n]	catalog ids, ascending (item-list catalogs only)
 *	counts	int64[n]	draw count per item (uniform only)
 *	weights	float8[n]	fixed weight per item (weighted uniform)
 *	tree	float8[n+1]	Fenwick tree over weights, 1-based (weighted uniform)
 *	perm	uint32[n]	items ordered by count, ascending (frequency, threshold)
 *	pos		uint32[n]	position of each item in perm
 *	bcount	int64[n]	count of each bucket, ascending; nbuckets are in use
 *	bstart	uint32[n+1] first perm position of each bucket; bstart[nbuckets] = n
 *
 * Under frequency and threshold the items of one count form one bucket, a
 * contiguous run of perm, so an item's count is the count of the bucket
 * that holds its position and counts need no per-item array.
 */
typedef struct NegsampSampler
{
	uint32		magic;
	int32		strategy;		/* NegsampStrategy */
	int32		mode;			/* NegsampMode */
	bool		dense;			/* ids are 0..n-1 */
	bool		weighted;		/* uniform with fixed weights */
	bool		has_seed;
	double		temperature;	/* softmax only, else 1.0 */
	int64		n;				/* catalog size */
	int64		npositive;		/* items of positive weight */
	int64		seed;			/* valid if has_seed */
	Oid			owner;

	/* The generator; protected by mutex, never held across other work */
	slock_t		mutex;
	pg_prng_state prng;

	/* Changed only under the sampler's lock in exclusive mode */
	bool		changing;		/* set while counts are rewritten */
	int64		calls;
	int64		draws;
	uint32		nbuckets;

	Size		off_ids;
	Size		off_counts;
	Size		off_weights;
	Size		off_tree;
	Size		off_perm;
	Size		off_pos;
	Size		off_bcount;
	Size		off_bstart;
	Size		total_size;		/* bytes of the whole block */
} NegsampSampler;

#define NS_ARRAY(s, off, type)	((type *) ((char *) (s) + (off)))
#define NS_IDS(s)		NS_ARRAY(s, (s)->off_ids, int64)
#define NS_COUNTS(s)	NS_ARRAY(s, (s)->off_counts, int64)
#define NS_WEIGHTS(s)	NS_ARRAY(s, (s)->off_weights, double)
#define NS_TREE(s)		NS_ARRAY(s, (s)->off_tree, double)
#define NS_PERM(s)		NS_ARRAY(s, (s)->off_perm, uint32)
#define NS_POS(s)		NS_ARRAY(s, (s)->off_pos, uint32)
#define NS_BCOUNT(s)	NS_ARRAY(s, (s)->off_bcount, int64)
#define NS_BSTART(s)	NS_ARRAY(s, (s)->off_bstart, uint32)

/* Parsed arguments of create_sampler, validated and sorted by id */
typedef struct NegsampSpec
{
	NegsampStrategy strategy;
	NegsampMode mode;
	double		temperature;
	int64		n;
	bool		dense;
	int64	   *ids;			/* sorted, NULL when dense */
	double	   *weights;		/* in id order, NULL when unweighted */
	int64		npositive;
	bool		has_seed;
	int64		seed;
	Oid			owner;
} NegsampSpec;

/* One prepared draw: the eligible items after exclusions, then the picks */
typedef struct NegsampDraw NegsampDraw;

/*
 * A backend-local index from catalog id to item index (idindex.c): a table
 * over the range of the ids when they are dense enough, else a hash table.
 */
typedef struct NegsampIdIndex
{
	int64		min_id;
	uint64		range;			/* the table covers min_id .. min_id + range - 1 */
	int32	   *table;			/* item index of id - min_id, or -1; or NULL */
	struct idindex_hash *hash;	/* when table is NULL */
} NegsampIdIndex;

/* negsamp.c */
extern int	negsamp_max_memory_mb;
extern int	negsamp_max_samplers;
extern bool negsamp_save;

/* sampler.c: layout, building, counts */
extern Size NegsampSamplerSize(NegsampStrategy strategy, int64 n, bool dense,
							   bool weighted);
extern void NegsampSamplerInit(NegsampSampler *s, const NegsampSpec *spec);
extern void NegsampSamplerReset(NegsampSampler *s);
extern int64 NegsampItemIndex(const NegsampSampler *s, int64 id);
extern int64 NegsampItemId(const NegsampSampler *s, uint32 index);
extern uint32 NegsampBucketOf(const NegsampSampler *s, uint32 p);
extern int64 NegsampItemCount(const NegsampSampler *s, uint32 index);
extern void NegsampCopyCounts(const NegsampSampler *s, int64 *counts);
extern double NegsampCountWeight(const NegsampSampler *s, int64 count,
								 int64 min_count);
extern void NegsampProbabilities(const NegsampSampler *s, const int64 *counts,
								 const double *weights, double *prob);
extern const char *NegsampSamplerValidate(const NegsampSampler *s, Size size);
extern const char *NegsampStrategyName(NegsampStrategy strategy);
extern const char *NegsampModeName(NegsampMode mode);

/*
 * Picks between two checks for a cancel.  A shared sampler's draws and
 * simulate pick in chunks of this size, which the picks depend on.
 */
#define NEGSAMP_PICKS_PER_CHECK	8192

/* engine.c: one draw */
extern NegsampDraw *NegsampDrawBegin(const NegsampSampler *s,
									 const int64 *exclude, int nexclude,
									 const NegsampIdIndex *index);
extern int64 NegsampDrawEligible(const NegsampDraw *draw);
extern void NegsampDrawEnd(NegsampDraw *draw);
extern void NegsampDrawWillApply(NegsampDraw *draw);
extern double NegsampDrawStartProbability(const NegsampDraw *draw, uint32 item);
extern void NegsampDrawPick(NegsampDraw *draw, pg_prng_state *rng, int k,
							uint32 *picked);
extern bool NegsampApplyWouldOverflow(const NegsampSampler *s, int k);
extern void NegsampApply(NegsampSampler *s, const NegsampDraw *draw,
						 const uint32 *picked, int k);

/* admin.c, draw.c: argument helpers and the common draw */
extern char *NegsampNameArg(FunctionCallInfo fcinfo, int argno);
extern int32 NegsampKArg(FunctionCallInfo fcinfo, int argno);
extern int64 *NegsampIdArray(ArrayType *array, int *count);
extern int64 *NegsampDrawIds(const char *name, int32 k, const int64 *exclude,
							 int nexclude, bool record, bool has_seed,
							 int64 seed, double **probabilities);

/* idindex.c */
extern const NegsampIdIndex *NegsampGetIdIndex(const NegsampSampler *s,
											   int slot, uint64 generation,
											   int nexclude);
extern int64 NegsampIdIndexHashLookup(const NegsampIdIndex *index, int64 id);

/* Return the index of item id, or -1 when it is not in the catalog */
static inline int64
NegsampIdIndexLookup(const NegsampIdIndex *index, int64 id)
{
	if (index->table)
	{
		/* Unsigned, so ids below min_id wrap around to past the range */
		uint64		offset = (uint64) id - (uint64) index->min_id;

		return (offset < index->range) ? index->table[offset] : -1;
	}
	return NegsampIdIndexHashLookup(index, id);
}

/* persist.c */
extern void NegsampPersistStartup(void);

/* shmem.c: registry and arena */
extern void NegsampShmemInit(void);
extern void NegsampCheckLoaded(void);
extern NegsampSampler *NegsampAcquire(const char *name, LWLockMode mode,
									  int *slot, uint64 *generation);
extern NegsampSampler *NegsampReacquire(const char *name, int slot,
										uint64 generation, LWLockMode mode);
extern void NegsampRelease(int slot);
extern void NegsampCreate(const char *name, const NegsampSpec *spec);
extern bool NegsampDrop(const char *name, bool missing_ok);
extern void NegsampCheckOwner(const char *name, Oid owner);

/* inspect.c: a private copy of a sampler's state */
typedef struct NegsampSnapshot
{
	NegsampSampler header;		/* offsets not valid in the copy */
	int64	   *ids;			/* NULL for a dense catalog */
	int64	   *counts;
	double	   *weights;		/* NULL unless weighted */
} NegsampSnapshot;

extern NegsampSnapshot *NegsampTakeSnapshot(const char *name);

/* One row of the samplers view */
typedef struct NegsampInfo
{
	char		name[NAMEDATALEN];
	NegsampStrategy strategy;
	NegsampMode mode;
	double		temperature;
	int64		n;
	int64		calls;
	int64		draws;
	bool		has_seed;
	int64		seed;
	Size		memory_bytes;
	Oid			owner;
} NegsampInfo;

extern int	NegsampList(NegsampInfo **infos);

/* admin.c: argument checks shared by create_sampler and simulate */
extern NegsampStrategy NegsampStrategyArg(FunctionCallInfo fcinfo, int argno);
extern void NegsampSetCardinality(NegsampSpec *spec, int64 n);
extern void NegsampSetMode(NegsampSpec *spec, const char *mode,
						   bool has_temperature, double temperature);

/* stats.c: statistics of the counts and of the single-draw distribution */
typedef struct NegsampHistogram
{
	int64		nvalues;		/* distinct counts */
	int64	   *values;			/* each distinct count, ascending */
	int64	   *items;			/* number of items with that count */
} NegsampHistogram;

typedef struct NegsampStats
{
	int64		items;			/* catalog size */
	int64		calls;
	int64		draws;
	int64		covered;		/* items with a count above 0 */
	int64		min_count;
	int64		max_count;
	double		mean_count;
	double		stddev_count;	/* population standard deviation */
	int64		distinct_counts;
	double		gini;			/* Gini coefficient of the counts */
	double		entropy;		/* of the single-draw distribution, nats */
	double		normalized_entropy; /* entropy / ln n; 1 when n = 1 */
	double		probability_ratio;	/* largest / smallest non-zero probability */
	double		kl_from_uniform;	/* KL(distribution || uniform), nats */
} NegsampStats;

extern void NegsampCountHistogram(const int64 *counts, int64 n,
								  NegsampHistogram *hist);
extern void NegsampComputeStats(const NegsampSampler *s, const int64 *counts,
								const double *weights, NegsampStats *stats);

#endif							/* NEGSAMP_H */
