/*-------------------------------------------------------------------------
 *
 * shmem.c
 *	  The shared-memory registry of samplers and the arena that contains them.
 *
 * Design.  At server start negsamp reserves two pieces of fixed shared
 * memory: a control struct with one slot per sampler (negsamp.max_samplers)
 * and an arena of negsamp.max_memory megabytes.  Each sampler is one
 * contiguous block of the arena, recorded in its slot as (offset, size).
 * Allocation is first fit over the gaps between the blocks in use, so a
 * dropped sampler's block is reused at once.  Fixed shared memory, unlike
 * DSA, is mapped at the same address in every process including the
 * postmaster, which can therefore write the samplers to disk at shutdown.
 *
 * Locking.
 *	 - The registry lock protects the slots: state, name, database, owner,
 *	   generation, offset and size.  Lookups take it shared; create, drop and
 *	   the allocator take it exclusive.
 *	 - Each slot has its own sampler lock protecting the block's contents.
 *	   A recorded draw holds it exclusive while it picks and applies the
 *	   picks, a dry run holds it shared; reset and restore hold it
 *	   exclusive; readers copy under it shared.  A long draw releases it
 *	   when a cancel is pending, and then applies nothing.
 *	 - Lock order is registry lock, then sampler lock.  A draw releases the
 *	   registry lock before it waits for the sampler lock, then checks that
 *	   the slot still holds the generation it looked up, so a sampler
 *	   dropped (and its slot reused) in between is detected.  Each backend
 *	   remembers the slot and generation of recent lookups and checks them
 *	   the same way, without the registry lock.
 *	 - The sampler's generator has a spinlock of its own, held only to step
 *	   the generator once; nothing under it can raise an error.
 *	 - Dropping marks the slot DROPPING (hidden, name free, memory kept),
 *	   waits for the sampler lock without the registry lock, then frees it.
 *	 - Building a sampler's block (O(n)) holds no lock: the slot is marked
 *	   BUILDING, which reserves the name and the memory but hides it from
 *	   lookups, and an error during the build frees the slot again.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "negsamp.h"
#include "registry.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

#define NEGSAMP_TRANCHE		"negsamp"


NegsampControl *negsamp_control = NULL;
char	   *negsamp_arena = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static Size
control_size(void)
{
	return add_size(offsetof(NegsampControl, slots),
					mul_size(negsamp_max_samplers, sizeof(NegsampSlot)));
}

static Size
arena_size(void)
{
	return mul_size((Size) negsamp_max_memory_mb, 1024 * 1024);
}

static void
negsamp_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();

	RequestAddinShmemSpace(control_size());
	RequestAddinShmemSpace(add_size(arena_size(), NEGSAMP_ARENA_ALIGN));
	RequestNamedLWLockTranche(NEGSAMP_TRANCHE, 1 + negsamp_max_samplers);
}

/*
 * Attach to (or, in the postmaster, create) the control struct and arena.
 * Runs again after a crash restart, which starts from an empty registry.
 */
static void
negsamp_shmem_startup(void)
{
	bool		found_control;
	bool		found_arena;
	char	   *arena;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	negsamp_control = NULL;
	negsamp_arena = NULL;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	negsamp_control = ShmemInitStruct("negsamp control", control_size(),
									  &found_control);
	arena = ShmemInitStruct("negsamp arena", add_size(arena_size(), NEGSAMP_ARENA_ALIGN),
							&found_arena);
	negsamp_arena = (char *) TYPEALIGN(NEGSAMP_ARENA_ALIGN, arena);

	if (!found_control)
	{
		LWLockPadded *locks = GetNamedLWLockTranche(NEGSAMP_TRANCHE);

		negsamp_control->registry_lock = &locks[0].lock;
		negsamp_control->sampler_locks = &locks[1];
		negsamp_control->arena_size = arena_size();
		negsamp_control->nslots = negsamp_max_samplers;
		negsamp_control->next_generation = 1;
		for (int i = 0; i < negsamp_max_samplers; i++)
			negsamp_control->slots[i].state = SLOT_FREE;
	}
	LWLockRelease(AddinShmemInitLock);

	if (!IsUnderPostmaster)
		NegsampPersistStartup();
}

/*
 * Install the shared-memory hooks.  Called from _PG_init while
 * shared_preload_libraries is processed.
 */
void
NegsampShmemInit(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = negsamp_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = negsamp_shmem_startup;
}

/*
 * Raise an error unless the library was preloaded and its memory exists.
 */
void
NegsampCheckLoaded(void)
{
	if (negsamp_control == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("negsamp must be loaded via shared_preload_libraries"),
				 errhint("Add negsamp to shared_preload_libraries in postgresql.conf and restart the server.")));
}

/*
 * Per-backend cache of recent lookups, so a loop of draws from one sampler
 * does not take the registry lock on every call.  Generation 0 marks an
 * empty entry; real generations start at 1.
 */
#define LOOKUP_CACHE_SIZE	8

typedef struct LookupCacheEntry
{
	char		name[NAMEDATALEN];
	Oid			dbid;
	int			slot;
	uint64		generation;
} LookupCacheEntry;

static LookupCacheEntry lookup_cache[LOOKUP_CACHE_SIZE];

static int
lookup_cache_index(const char *name)
{
	return hash_bytes((const unsigned char *) name, strlen(name)) % LOOKUP_CACHE_SIZE;
}

static LWLock *
sampler_lock(int slot)
{
	return &negsamp_control->sampler_locks[slot].lock;
}

static NegsampSampler *
slot_sampler(int slot)
{
	return (NegsampSampler *) (negsamp_arena + negsamp_control->slots[slot].offset);
}

/* Return the slot of name in this database in one of the given states, or -1 */
static int
find_slot(const char *name, bool include_building)
{
	for (int i = 0; i < negsamp_control->nslots; i++)
	{
		NegsampSlot *slot = &negsamp_control->slots[i];

		if (slot->state == SLOT_FREE || slot->state == SLOT_DROPPING ||
			(slot->state == SLOT_BUILDING && !include_building))
			continue;
		if (slot->dbid == MyDatabaseId && strcmp(slot->name, name) == 0)
			return i;
	}
	return -1;
}

static void report_missing(const char *name) pg_attribute_noreturn();

static void
report_missing(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("sampler \"%s\" does not exist in database \"%s\"",
					name, get_database_name(MyDatabaseId)),
			 errhint("List the samplers of this database with SELECT name FROM negsamp.samplers.")));
}

/*
 * Look up a sampler of the current database and lock it in the given mode.
 * Return the sampler and, for a later NegsampReacquire, its slot and
 * generation.  Raise undefined_object if it does not exist.
 */
NegsampSampler *
NegsampAcquire(const char *name, LWLockMode mode, int *slot, uint64 *generation)
{
	int			i;
	LookupCacheEntry *cached = &lookup_cache[lookup_cache_index(name)];

	NegsampCheckLoaded();

	/*
	 * Try the slot this backend found last time for this name, which skips
	 * the registry lock that every caller would otherwise share.  The slot
	 * is still the same sampler if, under its lock, it is ready and has the
	 * same generation: a drop frees it and a create reuses it only after
	 * taking that lock exclusive.
	 */
	if (cached->generation != 0 && cached->dbid == MyDatabaseId &&
		strcmp(cached->name, name) == 0)
	{
		NegsampSlot *s = &negsamp_control->slots[cached->slot];

		LWLockAcquire(sampler_lock(cached->slot), mode);
		if (s->state == SLOT_READY && s->generation == cached->generation)
		{
			*slot = cached->slot;
			*generation = cached->generation;
			return slot_sampler(cached->slot);
		}
		LWLockRelease(sampler_lock(cached->slot));
		cached->generation = 0;
	}

	LWLockAcquire(negsamp_control->registry_lock, LW_SHARED);
	i = find_slot(name, false);
	if (i >= 0)
		*generation = negsamp_control->slots[i].generation;
	LWLockRelease(negsamp_control->registry_lock);
	if (i < 0)
	{
		report_missing(name);
		return NULL;			/* not reached */
	}

	*slot = i;
	strlcpy(cached->name, name, NAMEDATALEN);
	cached->dbid = MyDatabaseId;
	cached->slot = i;
	cached->generation = *generation;
	return NegsampReacquire(name, i, *generation, mode);
}

/*
 * Lock the sampler in a slot again and check that it is still the one
 * looked up; raise undefined_object if it was dropped meanwhile.
 */
NegsampSampler *
NegsampReacquire(const char *name, int slot, uint64 generation, LWLockMode mode)
{
	NegsampSlot *s = &negsamp_control->slots[slot];

	LWLockAcquire(sampler_lock(slot), mode);

	/*
	 * A drop may mark the slot DROPPING at any time, which this check treats
	 * as gone.  But the slot is freed, and its generation can change, only
	 * after the dropper held this lock exclusive.  So a sampler that passes
	 * the check stays valid while the lock is held.
	 */
	if (s->state != SLOT_READY || s->generation != generation)
	{
		LWLockRelease(sampler_lock(slot));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("sampler \"%s\" was dropped during the call", name)));
	}
	return slot_sampler(slot);
}

void
NegsampRelease(int slot)
{
	LWLockRelease(sampler_lock(slot));
}

/*
 * Check that the current role may change the sampler: a role with the
 * privileges of its owner (the owner or a member of it, as for tables), or
 * a superuser.
 */
void
NegsampCheckOwner(const char *name, Oid owner)
{
	char	   *owner_name;

	if (has_privs_of_role(GetUserId(), owner) || superuser())
		return;
	owner_name = GetUserNameFromId(owner, true);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("must be owner of sampler \"%s\"", name),
			 errdetail("The sampler is owned by role \"%s\".",
					   owner_name ? owner_name : "(dropped role)"),
			 errhint("Ask its owner or a superuser to do it.")));
}

typedef struct Extent
{
	Size		offset;
	Size		size;
} Extent;

static int
compare_extents(const void *a, const void *b)
{
	const Extent *ea = a;
	const Extent *eb = b;

	if (ea->offset != eb->offset)
		return (ea->offset < eb->offset) ? -1 : 1;
	return 0;
}

/*
 * Find the first gap of at least size bytes between the blocks in use.
 * Return false when there is none, with the free total and the largest gap.
 * The caller holds the registry lock in exclusive mode.
 */
bool
NegsampAllocateExtent(Size size, Size *offset, Size *free_total, Size *largest)
{
	Extent	   *used = palloc(sizeof(Extent) * (negsamp_control->nslots + 1));
	int			nused = 0;
	Size		cursor = 0;
	bool		found = false;

	for (int i = 0; i < negsamp_control->nslots; i++)
	{
		NegsampSlot *slot = &negsamp_control->slots[i];

		if (slot->state != SLOT_FREE)
		{
			used[nused].offset = slot->offset;
			used[nused].size = slot->size;
			nused++;
		}
	}
	used[nused].offset = negsamp_control->arena_size;	/* end sentinel */
	used[nused].size = 0;
	qsort(used, nused, sizeof(Extent), compare_extents);

	*free_total = 0;
	*largest = 0;
	for (int i = 0; i <= nused; i++)
	{
		Size		gap = used[i].offset - cursor;

		*free_total += gap;
		*largest = Max(*largest, gap);
		if (!found && gap >= size)
		{
			*offset = cursor;
			found = true;
		}
		cursor = used[i].offset + used[i].size;
	}
	pfree(used);
	return found;
}

/* Free a slot whose build failed */
static void
abandon_build(int code, Datum arg)
{
	int			i = DatumGetInt32(arg);

	LWLockAcquire(negsamp_control->registry_lock, LW_EXCLUSIVE);
	negsamp_control->slots[i].state = SLOT_FREE;
	LWLockRelease(negsamp_control->registry_lock);
}

/*
 * Free the samplers of databases that were dropped.  No session can
 * connect to such a database to drop them, so they would keep their
 * memory for ever.
 */
static void
free_orphans(void)
{
	int			nslots = negsamp_control->nslots;
	bool	   *orphan = palloc0(sizeof(bool) * nslots);
	uint64	   *generation = palloc(sizeof(uint64) * nslots);
	Oid		   *dbid = palloc(sizeof(Oid) * nslots);
	bool		any = false;

	LWLockAcquire(negsamp_control->registry_lock, LW_SHARED);
	for (int i = 0; i < nslots; i++)
	{
		dbid[i] = negsamp_control->slots[i].dbid;
		generation[i] = negsamp_control->slots[i].generation;
		orphan[i] = (negsamp_control->slots[i].state == SLOT_READY &&
					 dbid[i] != MyDatabaseId);
	}
	LWLockRelease(negsamp_control->registry_lock);

	/* Look the databases up without holding the registry lock */
	for (int i = 0; i < nslots; i++)
		if (orphan[i])
		{
			orphan[i] = !SearchSysCacheExists1(DATABASEOID,
											   ObjectIdGetDatum(dbid[i]));
			any |= orphan[i];
		}
	if (!any)
		return;

	LWLockAcquire(negsamp_control->registry_lock, LW_EXCLUSIVE);
	for (int i = 0; i < nslots; i++)
	{
		NegsampSlot *slot = &negsamp_control->slots[i];

		if (!orphan[i] || slot->state != SLOT_READY ||
			slot->generation != generation[i])
			continue;
		LWLockAcquire(sampler_lock(i), LW_EXCLUSIVE);
		slot->state = SLOT_FREE;
		LWLockRelease(sampler_lock(i));
		ereport(LOG,
				(errmsg("negsamp freed sampler \"%s\" of dropped database %u",
						slot->name, slot->dbid)));
	}
	LWLockRelease(negsamp_control->registry_lock);
}

/*
 * Reserve a slot and a block for a new sampler, build it, and publish it.
 */
void
NegsampCreate(const char *name, const NegsampSpec *spec)
{
	Size		size = TYPEALIGN(NEGSAMP_ARENA_ALIGN,
								 NegsampSamplerSize(spec->strategy, spec->n,
													spec->dense,
													spec->weights != NULL));

	/* The arena is small next to SIZE_MAX, so the alignment cannot wrap */
	Size		offset = 0;
	Size		free_total;
	Size		largest;
	int			i;
	NegsampSlot *slot;

	NegsampCheckLoaded();
	free_orphans();

	LWLockAcquire(negsamp_control->registry_lock, LW_EXCLUSIVE);
	if (find_slot(name, true) >= 0)
	{
		LWLockRelease(negsamp_control->registry_lock);
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("sampler \"%s\" already exists in database \"%s\"",
						name, get_database_name(MyDatabaseId)),
				 errhint("Choose another name, or drop the sampler first with negsamp.drop_sampler().")));
	}

	for (i = 0; i < negsamp_control->nslots; i++)
		if (negsamp_control->slots[i].state == SLOT_FREE)
			break;
	if (i == negsamp_control->nslots)
	{
		LWLockRelease(negsamp_control->registry_lock);
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("cannot create sampler \"%s\": all %d sampler slots are in use",
						name, negsamp_control->nslots),
				 errhint("Drop unused samplers, or increase negsamp.max_samplers and restart the server.")));
	}

	if (!NegsampAllocateExtent(size, &offset, &free_total, &largest))
	{
		LWLockRelease(negsamp_control->registry_lock);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("not enough shared memory for sampler \"%s\"", name),
				 errdetail("The sampler needs %zu bytes; %zu of the %zu bytes in negsamp.max_memory are free, the largest free block is %zu bytes.",
						   size, free_total, negsamp_control->arena_size, largest),
				 errhint("Drop unused samplers, or increase negsamp.max_memory and restart the server.")));
	}

	slot = &negsamp_control->slots[i];
	slot->state = SLOT_BUILDING;
	slot->generation = negsamp_control->next_generation++;
	slot->dbid = MyDatabaseId;
	slot->owner = spec->owner;
	strlcpy(slot->name, name, NAMEDATALEN);
	slot->offset = offset;
	slot->size = size;
	LWLockRelease(negsamp_control->registry_lock);

	PG_ENSURE_ERROR_CLEANUP(abandon_build, Int32GetDatum(i));
	{
		NegsampSamplerInit(slot_sampler(i), spec);
	}
	PG_END_ENSURE_ERROR_CLEANUP(abandon_build, Int32GetDatum(i));

	LWLockAcquire(negsamp_control->registry_lock, LW_EXCLUSIVE);
	slot->state = SLOT_READY;
	LWLockRelease(negsamp_control->registry_lock);
}

/*
 * Drop a sampler of the current database.  Return false if it does not
 * exist and missing_ok.
 */
bool
NegsampDrop(const char *name, bool missing_ok)
{
	int			i;
	Oid			owner;
	uint64		generation;

	NegsampCheckLoaded();

	/* Check the privilege before taking the exclusive lock */
	LWLockAcquire(negsamp_control->registry_lock, LW_SHARED);
	i = find_slot(name, false);
	if (i >= 0)
	{
		owner = negsamp_control->slots[i].owner;
		generation = negsamp_control->slots[i].generation;
	}
	LWLockRelease(negsamp_control->registry_lock);
	if (i < 0)
	{
		if (!missing_ok)
			report_missing(name);
		return false;
	}
	NegsampCheckOwner(name, owner);

	LWLockAcquire(negsamp_control->registry_lock, LW_EXCLUSIVE);
	if (negsamp_control->slots[i].state != SLOT_READY ||
		negsamp_control->slots[i].generation != generation)
	{
		/* Dropped by someone else meanwhile */
		LWLockRelease(negsamp_control->registry_lock);
		if (missing_ok)
			return false;
		report_missing(name);
	}

	/*
	 * Hide the sampler and free its name at once, but keep its memory until
	 * the calls in progress end.  Waiting for them without the registry lock
	 * keeps every other sampler's lookups going meanwhile.
	 */
	negsamp_control->slots[i].state = SLOT_DROPPING;
	LWLockRelease(negsamp_control->registry_lock);

	LWLockAcquire(sampler_lock(i), LW_EXCLUSIVE);
	LWLockRelease(sampler_lock(i));

	LWLockAcquire(negsamp_control->registry_lock, LW_EXCLUSIVE);
	negsamp_control->slots[i].state = SLOT_FREE;
	LWLockRelease(negsamp_control->registry_lock);
	return true;
}

/*
 * Copy a description of each sampler of the current database into a
 * palloc'd array and return how many there are.
 */
int
NegsampList(NegsampInfo **infos)
{
	int			count = 0;
	NegsampInfo *out;

	NegsampCheckLoaded();
	out = palloc0(sizeof(NegsampInfo) * negsamp_control->nslots);

	LWLockAcquire(negsamp_control->registry_lock, LW_SHARED);
	for (int i = 0; i < negsamp_control->nslots; i++)
	{
		NegsampSlot *slot = &negsamp_control->slots[i];
		NegsampSampler *s;
		NegsampInfo *info = &out[count];

		if (slot->state != SLOT_READY || slot->dbid != MyDatabaseId)
			continue;

		LWLockAcquire(sampler_lock(i), LW_SHARED);
		s = slot_sampler(i);
		strlcpy(info->name, slot->name, NAMEDATALEN);
		info->strategy = s->strategy;
		info->mode = s->mode;
		info->temperature = s->temperature;
		info->n = s->n;
		info->calls = s->calls;
		info->draws = s->draws;
		info->has_seed = s->has_seed;
		info->seed = s->seed;
		info->memory_bytes = slot->size;
		info->owner = slot->owner;
		LWLockRelease(sampler_lock(i));
		count++;
	}
	LWLockRelease(negsamp_control->registry_lock);

	*infos = out;
	return count;
}
