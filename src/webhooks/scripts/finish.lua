--[[
  A delivery is over (delivered, or failed for good): out of the sets, and the row expires.

  KEYS[1]  the deployment prefix (routing only)
  ARGV[1]  P, the key prefix
  ARGV[2]  ticket id
  ARGV[3]  final state: 'delivered' or 'failed'
  ARGV[4]  attempts
  ARGV[5]  the last error ('' if none)
  ARGV[6]  how long the finished row is kept (ms)
  Returns  1, or 0 if the ticket has no registration
]]
--@include "webhook"
if redis.call('EXISTS', h) == 0 then return 0 end
redis.call('HSET', h, 'state', ARGV[3], 'attempts', ARGV[4], 'last_error', ARGV[5], 'lease_until', 0)
redis.call('ZREM', P .. 'wh:due', id)
redis.call('ZREM', P .. 'wh:waiting', id)
redis.call('PEXPIRE', h, ARGV[6])
return 1
