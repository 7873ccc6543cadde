-- create_sampler, drop_sampler, reset_sampler and the samplers view, with
-- every argument error.

-- Dense catalogs, one per strategy.
SELECT negsamp.create_sampler('u10', 'uniform', cardinality => 10, seed => 1);
SELECT negsamp.create_sampler('f10', 'frequency', cardinality => 10, seed => 1);
SELECT negsamp.create_sampler('s10', 'frequency', cardinality => 10,
                              mode => 'softsum', seed => 1);
SELECT negsamp.create_sampler('t10', 'threshold', cardinality => 10,
                              mode => 'softmax', temperature => 0.5);
-- Item-list catalogs: any bigint ids, any order; weights in items order.
SELECT negsamp.create_sampler('items', 'uniform',
                              items => '{9223372036854775807,-9223372036854775808,0,42}');
SELECT negsamp.create_sampler('weighted', 'uniform', items => '{30,10,20}',
                              weights => '{3,1,0}', seed => 7);

SELECT name, strategy, mode, temperature, cardinality, calls, draws, seed,
       memory_bytes > 0 AS has_memory, owner
FROM negsamp.samplers ORDER BY name COLLATE "C";

-- The item-list catalog is stored by id; weights follow their items.
SELECT * FROM negsamp.item_counts('items');
SELECT * FROM negsamp.item_counts('weighted');

-- Names: duplicates, NULL, empty, too long (63 bytes is the limit).
SELECT negsamp.create_sampler('u10', 'uniform', cardinality => 5);
SELECT negsamp.create_sampler(NULL, 'uniform', cardinality => 5);
SELECT negsamp.create_sampler('', 'uniform', cardinality => 5);
SELECT negsamp.create_sampler(repeat('x', 64), 'uniform', cardinality => 5);
SELECT negsamp.create_sampler(repeat('x', 63), 'uniform', cardinality => 5);
SELECT negsamp.drop_sampler(repeat('x', 63));

-- Strategy and catalog.
SELECT negsamp.create_sampler('bad', 'popularity', cardinality => 5);
SELECT negsamp.create_sampler('bad', NULL, cardinality => 5);
SELECT negsamp.create_sampler('bad', 'uniform');
SELECT negsamp.create_sampler('bad', 'uniform', items => '{1,2}', cardinality => 2);
SELECT negsamp.create_sampler('bad', 'uniform', items => '{}');
SELECT negsamp.create_sampler('bad', 'uniform', items => '{1,2,NULL}');
SELECT negsamp.create_sampler('bad', 'uniform', items => '{5,3,5}');
SELECT negsamp.create_sampler('bad', 'uniform', cardinality => 0);
SELECT negsamp.create_sampler('bad', 'uniform', cardinality => -3);
SELECT negsamp.create_sampler('bad', 'uniform', cardinality => 3000000000);

-- Weights.
SELECT negsamp.create_sampler('bad', 'uniform', cardinality => 3, weights => '{1,2}');
SELECT negsamp.create_sampler('bad', 'uniform', cardinality => 2, weights => '{1,-1}');
SELECT negsamp.create_sampler('bad', 'uniform', cardinality => 2, weights => '{1,NaN}');
SELECT negsamp.create_sampler('bad', 'uniform', cardinality => 2, weights => '{Infinity,1}');
SELECT negsamp.create_sampler('bad', 'uniform', cardinality => 2, weights => '{0,0}');
SELECT negsamp.create_sampler('bad', 'uniform', cardinality => 3, weights => '{1e308,1e308,1}');
SELECT negsamp.create_sampler('bad', 'uniform', cardinality => 2, weights => '{1,NULL}');
SELECT negsamp.create_sampler('bad', 'frequency', cardinality => 2, weights => '{1,1}');

-- Mode and temperature.
SELECT negsamp.create_sampler('bad', 'uniform', cardinality => 2, mode => 'softmax');
SELECT negsamp.create_sampler('bad', 'uniform', cardinality => 2, temperature => 1);
SELECT negsamp.create_sampler('bad', 'frequency', cardinality => 2, mode => 'hardmax');
SELECT negsamp.create_sampler('bad', 'frequency', cardinality => 2,
                              mode => 'softsum', temperature => 2);
SELECT negsamp.create_sampler('bad', 'threshold', cardinality => 2, temperature => 0);
SELECT negsamp.create_sampler('bad', 'threshold', cardinality => 2, temperature => -1);
SELECT negsamp.create_sampler('bad', 'threshold', cardinality => 2, temperature => 'NaN');
SELECT negsamp.create_sampler('bad', 'threshold', cardinality => 2, temperature => 'Infinity');

-- A catalog beyond negsamp.max_memory (64 MB here) fails whole.
SELECT negsamp.create_sampler('huge', 'frequency', cardinality => 100000000);

-- None of the failed calls left a sampler behind.
SELECT name FROM negsamp.samplers ORDER BY name COLLATE "C";

-- drop_sampler.
SELECT negsamp.drop_sampler('items');
SELECT negsamp.drop_sampler('items');
SELECT negsamp.drop_sampler('items', if_exists => true);
SELECT negsamp.drop_sampler('items', NULL);
SELECT negsamp.drop_sampler(NULL);

-- reset_sampler brings counts, calls and draws back to 0, and a seeded
-- sampler restarts its generator.
SELECT negsamp.sample_array('u10', 4);
SELECT negsamp.sample_array('u10', 4);
SELECT calls, draws FROM negsamp.samplers WHERE name = 'u10';
SELECT negsamp.reset_sampler('u10');
SELECT calls, draws FROM negsamp.samplers WHERE name = 'u10';
SELECT sum(draws) FROM negsamp.item_counts('u10');
SELECT negsamp.sample_array('u10', 4);
SELECT negsamp.reset_sampler('nosuch');
SELECT negsamp.reset_sampler(NULL);

-- Dropped memory is reused: create and drop the same large sampler often.
DO $$
BEGIN
  FOR i IN 1..20 LOOP
    PERFORM negsamp.create_sampler('big', 'frequency', cardinality => 2000000);
    PERFORM negsamp.drop_sampler('big');
  END LOOP;
END $$;

-- Same name in another database is another sampler (see the shell tests);
-- clean up.
SELECT negsamp.drop_sampler(name) FROM negsamp.samplers ORDER BY name COLLATE "C";
