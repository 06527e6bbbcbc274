--[[
  A delivery attempt failed: try again at ARGV[4], releasing the lease.

  KEYS[1]  the deployment prefix (routing only)
  ARGV[1]  P, the key prefix
  ARGV[2]  ticket id
  ARGV[3]  attempts so far
  ARGV[4]  next attempt's due time (ms)
  ARGV[5]  the last error
  Returns  1 if rescheduled, 0 if it was not pending
]]
--@include "webhook"
if redis.call('HGET', h, 'state') ~= 'pending' then return 0 end
redis.call('HSET', h, 'attempts', ARGV[3], 'next_at', ARGV[4], 'last_error', ARGV[5], 'lease_until', 0)
redis.call('ZADD', P .. 'wh:due', ARGV[4], id)
return 1
