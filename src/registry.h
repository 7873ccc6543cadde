/*-------------------------------------------------------------------------
 *
 * registry.h
 *	  The shared registry of samplers, for the files that own or save it
 *	  (shmem.c, persist.c).  The locking rules are in shmem.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NEGSAMP_REGISTRY_H
#define NEGSAMP_REGISTRY_H

#include "negsamp.h"

#define NEGSAMP_ARENA_ALIGN	64	/* blocks start on a cache line */

typedef enum SlotState
{
	SLOT_FREE = 0,
	SLOT_BUILDING,				/* name and memory reserved, being filled */
	SLOT_READY,
	SLOT_DROPPING				/* memory reserved until calls in progress end */
} SlotState;

typedef struct NegsampSlot
{
	SlotState	state;
	uint64		generation;		/* unique per created sampler */
	Oid			dbid;
	Oid			owner;
	char		name[NAMEDATALEN];
	Size		offset;			/* of the block in the arena */
	Size		size;
} NegsampSlot;

typedef struct NegsampControl
{
	LWLock	   *registry_lock;
	LWLockPadded *sampler_locks;	/* one per slot */
	Size		arena_size;
	int			nslots;
	uint64		next_generation;
	NegsampSlot slots[FLEXIBLE_ARRAY_MEMBER];
} NegsampControl;

extern NegsampControl *negsamp_control;
extern char *negsamp_arena;

/* shmem.c */
extern bool NegsampAllocateExtent(Size size, Size *offset, Size *free_total,
								  Size *largest);

#endif							/* NEGSAMP_REGISTRY_H */
