--[[
  Fair claim for a worker that can run only some task types (see includes/claim-typed.lua);
  one round trip fills several idle slots.

  KEYS[1]  the deployment prefix (routing only)
  ARGV[1]  P, the key prefix
  ARGV[2]  serv_name of the claiming node
  ARGV[3]  started_at
  ARGV[4]  lease deadline (ms since the epoch)
  ARGV[5]  scan: how many entries of each user's lane to look at
  ARGV[6]  count: at most this many slots
  ARGV[7]  max batch: images one cross-request batch may hold (1 = no batching)
  ARGV[8..] the task types the worker can run
  Returns  one entry per slot, the list of its tasks (a batch, or one), each a flat list of its hash
]]
--@include "claim-typed"
return claim_many(5, ARGV[2], ARGV[3], ARGV[4])
