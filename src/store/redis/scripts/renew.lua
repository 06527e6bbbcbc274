--[[
  Extend the leases of the given tasks (only those still in the running set).

  KEYS[1]  the deployment prefix (routing only)
  ARGV[1]  P, the key prefix
  ARGV[2]  new lease deadline (ms since the epoch)
  ARGV[3..] ticket ids
  Returns  true
]]
--@include "prelude"
for i = 3, #ARGV do redis.call('ZADD', P .. 'running', 'XX', ARGV[2], ARGV[i]) end
return true
