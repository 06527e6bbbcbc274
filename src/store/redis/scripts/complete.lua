--[[
  In Progress -> Completed. Only the claim that is still current may complete.

  KEYS[1]  the deployment prefix (routing only)
  ARGV[1]  P, the key prefix
  ARGV[2]  ticket id
  ARGV[3]  result (JSON)
  ARGV[4]  completed_at
  ARGV[5]  attempt that ran it (0 = any)
  Returns  1 if it completed, else 0
]]
--@include "complete"
return complete(ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]))
