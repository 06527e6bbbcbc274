--[[
  requeue(id): In Progress -> Queueing, keeping the attempt count, back at the FRONT of its
  user's lane: it was that user's oldest running work.
]]
--@include "lanes"
local function requeue(id)
  local k = tkey(id)
  redis.call('HSET', k, 'status', 'Queueing')
  redis.call('HDEL', k, 'progress')
  redis.call('ZREM', P .. 'running', id)
  redis.call('ZADD', P .. 'queued', redis.call('HGET', k, 'seq'), id)
  lane_push(id, redis.call('HGET', k, 'user_id'), true)
  count('In Progress', -1)
  count('Queueing', 1)
  notify(id, 'Queueing')
end
