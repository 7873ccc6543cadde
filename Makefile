# negsamp: negative sampling for recommender training, inside PostgreSQL
EXTENSION = negsamp
EXTVERSION = 1.0
MODULE_big = negsamp
OBJS = src/negsamp.o src/shmem.o src/sampler.o src/engine.o src/admin.o \
	src/draw.o src/inspect.o src/persist.o \
	src/restore.o src/idindex.o src/stats.o src/simulate.o
DATA = negsamp--1.0.sql
PGFILEDESC = "negsamp - shared-memory negative samplers"

# The tests need negsamp in shared_preload_libraries, which a plain
# installcheck against an existing server cannot arrange: test/run starts
# a throwaway cluster and runs pg_regress against it.
REGRESS = setup create draw aggregate inspect restore probabilities precision stats simulate
REGRESS_OPTS = --use-existing
NO_INSTALLCHECK = 1

PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Werror

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: rebuild every object when a header
# changes, since they share the sampler layout.
$(OBJS): src/negsamp.h src/registry.h
