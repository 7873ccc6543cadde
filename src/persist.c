/*-------------------------------------------------------------------------
 *
 * persist.c
 *	  Saving samplers to a file and loading them at server start.
 *
 * The postmaster writes every sampler of every database to
 * pg_stat/negsamp.state when it exits cleanly, after all backends are
 * gone, so it reads the arena without locks.  negsamp.save_state() writes
 * the same file from a running server, under the registry lock and each
 * sampler's lock held shared.  Both write a temporary file and rename it.
 *
 * At start, before any backend exists, the postmaster loads the file into
 * the arena and removes it, so a backup or a standby never inherits it.
 * A file that cannot be read, or fails any check, is reported with a
 * WARNING and ignored as a whole: the server starts with no samplers.
 *
 * File layout (native byte order; the file is read only by the server
 * that wrote it, or one of the same major version and platform):
 *	 header: magic, format version, PostgreSQL major version, sampler count
 *	 per sampler: database oid, owner oid, name[NAMEDATALEN], block size,
 *				  then the sampler block itself (NegsampSampler + arrays)
 *	 trailer: CRC-32C of everything before it
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <unistd.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "negsamp.h"
#include "pgstat.h"
#include "port/pg_crc32c.h"
#include "registry.h"
#include "storage/fd.h"
#include "storage/ipc.h"

#define NEGSAMP_STATE_FILE	PGSTAT_STAT_PERMANENT_DIRECTORY "/negsamp.state"
#define NEGSAMP_STATE_TMP	NEGSAMP_STATE_FILE ".tmp"

/* Set in the postmaster after its first load; survives crash restarts */
static bool loaded_once = false;

static const uint32 NEGSAMP_FILE_MAGIC = 0x4E534631;	/* "NSF1" */
static const uint32 NEGSAMP_FILE_VERSION = 1;

typedef struct FileHeader
{
	uint32		magic;
	uint32		version;
	uint32		pg_major;
	uint32		count;
} FileHeader;

typedef struct RecordHeader
{
	Oid			dbid;
	Oid			owner;
	char		name[NAMEDATALEN];
	uint64		size;			/* bytes of the sampler block that follows */
} RecordHeader;

/* A file being written or read, with its running checksum */
typedef struct StateFile
{
	FILE	   *file;
	const char *path;
	pg_crc32c	crc;
	bool		failed;
} StateFile;

static bool
write_bytes(StateFile *sf, const void *data, Size len)
{
	if (sf->failed)
		return false;
	COMP_CRC32C(sf->crc, data, len);
	if (len > 0 && fwrite(data, 1, len, sf->file) != len)
		sf->failed = true;
	return !sf->failed;
}

static bool
read_bytes(StateFile *sf, void *data, Size len)
{
	if (len > 0 && fread(data, 1, len, sf->file) != len)
		return false;
	COMP_CRC32C(sf->crc, data, len);
	return true;
}

/*
 * Write one sampler.  In a running server the generator may move under a
 * shared lock, so the header is copied under its spinlock first.  At exit
 * no other process runs, and a backend killed by an immediate shutdown
 * may have left the spinlock held, so it is not taken.
 */
static void
write_sampler(StateFile *sf, NegsampSlot *slot, NegsampSampler *s,
			  bool take_locks)
{
	RecordHeader record;
	NegsampSampler header;

	memset(&record, 0, sizeof(record));
	record.dbid = slot->dbid;
	record.owner = slot->owner;
	strlcpy(record.name, slot->name, NAMEDATALEN);
	record.size = s->total_size;

	if (take_locks)
		SpinLockAcquire(&s->mutex);
	header = *s;
	if (take_locks)
		SpinLockRelease(&s->mutex);

	write_bytes(sf, &record, sizeof(record));
	write_bytes(sf, &header, sizeof(header));
	write_bytes(sf, (char *) s + sizeof(header), s->total_size - sizeof(header));
}

/*
 * Write all samplers to the state file.  With take_locks, hold the registry
 * lock shared throughout and each sampler's lock shared while it is
 * written.  Without it, the caller guarantees that no other process runs.
 * Return false after logging a failure at elevel.
 */
static bool
write_state(bool take_locks, int elevel)
{
	StateFile	sf = {NULL, NEGSAMP_STATE_TMP, 0, false};
	FileHeader	header;

	if (take_locks)
		LWLockAcquire(negsamp_control->registry_lock, LW_SHARED);

	header.magic = NEGSAMP_FILE_MAGIC;
	header.version = NEGSAMP_FILE_VERSION;
	header.pg_major = PG_VERSION_NUM / 100;
	header.count = 0;
	for (int i = 0; i < negsamp_control->nslots; i++)
		if (negsamp_control->slots[i].state == SLOT_READY)
			header.count++;

	sf.file = AllocateFile(NEGSAMP_STATE_TMP, PG_BINARY_W);
	if (sf.file == NULL)
		goto error;

	INIT_CRC32C(sf.crc);
	write_bytes(&sf, &header, sizeof(header));
	for (int i = 0; i < negsamp_control->nslots && !sf.failed; i++)
	{
		NegsampSlot *slot = &negsamp_control->slots[i];

		if (slot->state != SLOT_READY)
			continue;
		if (take_locks)
			LWLockAcquire(&negsamp_control->sampler_locks[i].lock, LW_SHARED);
		write_sampler(&sf, slot, (NegsampSampler *) (negsamp_arena + slot->offset),
					  take_locks);
		if (take_locks)
			LWLockRelease(&negsamp_control->sampler_locks[i].lock);
	}
	FIN_CRC32C(sf.crc);
	if (sf.failed || fwrite(&sf.crc, sizeof(sf.crc), 1, sf.file) != 1)
		goto error;

	if (take_locks)
		LWLockRelease(negsamp_control->registry_lock);
	take_locks = false;

	if (FreeFile(sf.file) != 0)
	{
		sf.file = NULL;
		goto error;
	}
	sf.file = NULL;
	if (durable_rename(NEGSAMP_STATE_TMP, NEGSAMP_STATE_FILE, elevel) != 0)
	{
		unlink(NEGSAMP_STATE_TMP);
		return false;
	}
	return true;

error:
	{
		int			save_errno = errno;

		if (take_locks)
			LWLockRelease(negsamp_control->registry_lock);
		if (sf.file)
			FreeFile(sf.file);
		unlink(NEGSAMP_STATE_TMP);
		errno = save_errno;
		ereport(elevel,
				(errcode_for_file_access(),
				 errmsg("could not write negsamp state file \"%s\": %m",
						NEGSAMP_STATE_TMP)));
		return false;
	}
}

/*
 * Save at postmaster exit.  Skipped after a crash (code != 0), when the
 * shared memory was never set up, or with negsamp.save off.
 */
static void
negsamp_shmem_exit(int code, Datum arg)
{
	if (code != 0 || negsamp_control == NULL || !negsamp_save)
		return;

	/*
	 * An immediate shutdown also ends here with code 0, after killing the
	 * backends.  One killed while changing counts left its sampler torn;
	 * then keep the file of the last save_state(), if any.
	 */
	for (int i = 0; i < negsamp_control->nslots; i++)
	{
		NegsampSlot *slot = &negsamp_control->slots[i];

		if (slot->state == SLOT_READY &&
			((NegsampSampler *) (negsamp_arena + slot->offset))->changing)
		{
			ereport(LOG,
					(errmsg("negsamp did not save its samplers: sampler \"%s\" was being changed when the server stopped",
							slot->name),
					 errdetail("The samplers of the last negsamp.save_state() call, if any, are loaded at the next start.")));
			return;
		}
	}

	if (write_state(false, LOG))
		ereport(LOG,
				(errmsg("negsamp saved its samplers to \"%s\"", NEGSAMP_STATE_FILE)));
}

/* Free every slot, after a file failed a check halfway through loading */
static void
forget_all(void)
{
	for (int i = 0; i < negsamp_control->nslots; i++)
		negsamp_control->slots[i].state = SLOT_FREE;
}

/*
 * Read one sampler record into a free slot.  Return NULL on success, or
 * the reason the file must be ignored.
 */
static const char *
load_sampler(StateFile *sf)
{
	RecordHeader record;
	NegsampSlot *slot = NULL;
	Size		offset;
	Size		free_total;
	Size		largest;
	Size		size;
	const char *reason;

	if (!read_bytes(sf, &record, sizeof(record)))
		return "the file is truncated";
	if (memchr(record.name, '\0', NAMEDATALEN) == NULL || record.name[0] == '\0')
		return "a sampler name is invalid";
	if (record.size < sizeof(NegsampSampler) ||
		record.size > negsamp_control->arena_size)
	{
		/* Larger than the whole arena: cannot be this server's sampler */
		if (record.size > negsamp_control->arena_size &&
			record.size < ((uint64) 1 << 50))
		{
			ereport(WARNING,
					(errmsg("negsamp sampler \"%s\" of %llu bytes does not fit negsamp.max_memory and was not loaded",
							record.name, (unsigned long long) record.size),
					 errhint("Increase negsamp.max_memory before the next restart.")));
			return "a sampler is larger than negsamp.max_memory";
		}
		return "a sampler size is invalid";
	}
	size = TYPEALIGN(NEGSAMP_ARENA_ALIGN, record.size);

	for (int i = 0; i < negsamp_control->nslots; i++)
		if (negsamp_control->slots[i].state == SLOT_FREE)
		{
			slot = &negsamp_control->slots[i];
			break;
		}
	if (slot == NULL || !NegsampAllocateExtent(size, &offset, &free_total, &largest))
	{
		ereport(WARNING,
				(errmsg("negsamp could not load all saved samplers"),
				 errdetail("negsamp.max_samplers or negsamp.max_memory is smaller than when they were saved."),
				 errhint("Increase the setting and restart before saving again.")));
		return "the samplers do not fit the current settings";
	}

	if (!read_bytes(sf, negsamp_arena + offset, record.size))
		return "the file is truncated";
	reason = NegsampSamplerValidate((NegsampSampler *) (negsamp_arena + offset),
									record.size);
	if (reason)
		return reason;

	SpinLockInit(&((NegsampSampler *) (negsamp_arena + offset))->mutex);
	slot->state = SLOT_READY;
	slot->generation = negsamp_control->next_generation++;
	slot->dbid = record.dbid;
	slot->owner = record.owner;
	strlcpy(slot->name, record.name, NAMEDATALEN);
	slot->offset = offset;
	slot->size = size;
	return NULL;
}

/*
 * Load the state file into the empty registry, then remove it.  Runs in
 * the postmaster (or a single-user backend) before any other process.
 */
static void
load_state(void)
{
	StateFile	sf = {NULL, NEGSAMP_STATE_FILE, 0, false};
	FileHeader	header;
	pg_crc32c	stored_crc;
	const char *reason = NULL;

	sf.file = AllocateFile(NEGSAMP_STATE_FILE, PG_BINARY_R);
	if (sf.file == NULL)
	{
		if (errno != ENOENT)
			ereport(WARNING,
					(errcode_for_file_access(),
					 errmsg("could not read negsamp state file \"%s\": %m",
							NEGSAMP_STATE_FILE),
					 errdetail("The server starts without saved samplers.")));
		return;
	}

	INIT_CRC32C(sf.crc);
	if (!read_bytes(&sf, &header, sizeof(header)))
		reason = "the file is truncated";
	else if (header.magic != NEGSAMP_FILE_MAGIC)
		reason = "the file does not start with the negsamp magic number";
	else if (header.version != NEGSAMP_FILE_VERSION)
		reason = "the file format version is not the one this library writes";
	else if (header.pg_major != PG_VERSION_NUM / 100)
		reason = "the file was written by another PostgreSQL major version";

	for (uint32 i = 0; reason == NULL && i < header.count; i++)
		reason = load_sampler(&sf);

	if (reason == NULL)
	{
		FIN_CRC32C(sf.crc);
		if (fread(&stored_crc, sizeof(stored_crc), 1, sf.file) != 1)
			reason = "the file is truncated";
		else if (!EQ_CRC32C(stored_crc, sf.crc))
			reason = "the checksum does not match; the file is corrupted";
		else if (fgetc(sf.file) != EOF)
			reason = "the file has data after its end";
	}
	FreeFile(sf.file);

	if (reason)
	{
		forget_all();
		ereport(WARNING,
				(errmsg("ignoring negsamp state file \"%s\": %s",
						NEGSAMP_STATE_FILE, reason),
				 errdetail("The server starts without saved samplers.")));
	}
	else
		ereport(LOG,
				(errmsg_plural("negsamp loaded %u sampler from \"%s\"",
							   "negsamp loaded %u samplers from \"%s\"",
							   header.count, header.count, NEGSAMP_STATE_FILE)));

	/*
	 * Remove the file at the first start, so a backup or standby taken
	 * later does not inherit it.  A file loaded after a crash restart was
	 * written by save_state() in this server's life: keep it for the next
	 * crash.
	 */
	if (!loaded_once)
		unlink(NEGSAMP_STATE_FILE);
}

/*
 * Load saved samplers and arrange the save at exit.  Called from the
 * shared-memory startup hook in the postmaster, also after a crash
 * restart, when the samplers come back from the last saved file.
 */
void
NegsampPersistStartup(void)
{
	load_state();
	loaded_once = true;
	on_shmem_exit(negsamp_shmem_exit, (Datum) 0);
}

/*
 * save_state() returns void: write the state file now, so a crash or an
 * immediate shutdown loses at most the draws made after it.
 */
PG_FUNCTION_INFO_V1(save_state);
Datum
save_state(PG_FUNCTION_ARGS)
{
	NegsampCheckLoaded();
	if (!write_state(true, ERROR))
		ereport(ERROR,
				(errcode(ERRCODE_IO_ERROR),
				 errmsg("could not save negsamp state")));
	PG_RETURN_VOID();
}
