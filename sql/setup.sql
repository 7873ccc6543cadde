-- Install the extension and show what it creates.
CREATE EXTENSION negsamp;

SELECT extname, extversion, extrelocatable, nspname
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE extname = 'negsamp';

SELECT p.proname, p.pronargs, p.pronargdefaults,
       p.provolatile, p.prokind
FROM pg_proc p
WHERE p.pronamespace = 'negsamp'::regnamespace
ORDER BY p.proname COLLATE "C";

SELECT attname, format_type(atttypid, atttypmod)
FROM pg_attribute
WHERE attrelid = 'negsamp.samplers'::regclass AND attnum > 0
ORDER BY attnum;

SHOW negsamp.max_memory;
SHOW negsamp.max_samplers;

-- No samplers yet.
SELECT count(*) FROM negsamp.samplers;
