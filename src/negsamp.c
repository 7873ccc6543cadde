/*-------------------------------------------------------------------------
 *
 * negsamp.c
 *	  Entry point of negsamp: module magic, settings and hook installation.
 *
 * negsamp keeps named negative samplers in shared memory, so it must be
 * listed in shared_preload_libraries.  Loaded any other way, _PG_init does
 * nothing and every function raises an error naming that setting.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "negsamp.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

/* Settings */
int			negsamp_max_memory_mb = 64;
int			negsamp_max_samplers = 64;
bool		negsamp_save = true;

void		_PG_init(void);

static void
define_settings(void)
{
	DefineCustomIntVariable("negsamp.max_memory",
							"Shared memory reserved for all samplers together.",
							"Set at server start. A sampler needs 8 to 32 bytes per catalog item.",
							&negsamp_max_memory_mb,
							64,
							1,
							INT_MAX / 2,
							PGC_POSTMASTER,
							GUC_UNIT_MB,
							NULL, NULL, NULL);

	DefineCustomIntVariable("negsamp.max_samplers",
							"Maximum number of samplers in all databases together.",
							NULL,
							&negsamp_max_samplers,
							64,
							1,
							10000,
							PGC_POSTMASTER,
							0,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("negsamp.save",
							 "Save samplers across server shutdowns.",
							 NULL,
							 &negsamp_save,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	MarkGUCPrefixReserved("negsamp");
}

/*
 * Define the settings and install the shared-memory hooks, when loaded
 * through shared_preload_libraries.
 */
void
_PG_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;

	define_settings();
	NegsampShmemInit();
}
