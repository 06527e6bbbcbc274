--[[
  complete.lua, then the typed claim for the slot it frees, in one round trip (as BullMQ's
  moveToFinished fetches the next job).

  KEYS[1]  the deployment prefix (routing only)
  ARGV[1]  P, the key prefix
  ARGV[2]  ticket id
  ARGV[3]  result (JSON)
  ARGV[4]  completed_at, also the started_at of the claimed tasks
  ARGV[5]  attempt that ran it (0 = any)
  ARGV[6]  serv_name of the claiming node
  ARGV[7]  lease deadline (ms since the epoch)
  ARGV[8]  scan (see claim-typed.lua)
  ARGV[9]  count
  ARGV[10] max batch (see claim-typed.lua)
  ARGV[11..] the task types the worker can run
  Returns  {completed (1 or 0), one list of claimed task hashes per slot...}
]]
--@include "complete"
--@include "claim-typed"
local done = complete(ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]))
local out = claim_many(8, ARGV[6], ARGV[4], ARGV[7])
table.insert(out, 1, done)
return out
