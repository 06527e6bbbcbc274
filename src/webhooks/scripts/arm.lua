--[[
  waiting -> pending: the task finished, so its webhook is due at ARGV[3].

  KEYS[1]  the deployment prefix (routing only)
  ARGV[1]  P, the key prefix
  ARGV[2]  ticket id
  ARGV[3]  due time (ms)
  Returns  1 if armed, 0 if it was not waiting
]]
--@include "webhook"
if redis.call('HGET', h, 'state') ~= 'waiting' then return 0 end
redis.call('HSET', h, 'state', 'pending', 'next_at', ARGV[3])
redis.call('ZREM', P .. 'wh:waiting', id)
redis.call('ZADD', P .. 'wh:due', ARGV[3], id)
return 1
