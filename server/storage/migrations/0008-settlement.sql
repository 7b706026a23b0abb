-- 0008: the network's settlement chain (issue 15 item 2; shared/network/network-map.ts Settlement):
-- the JSON of the map's `settlement` parameters, NULL on a network without a chain. Set once (at
-- creation or on a later start, which republishes the map); from then on only rpcUrl may change.
ALTER TABLE network_parameters ADD COLUMN settlement jsonb;
