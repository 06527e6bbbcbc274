--[[
  start(id, serv, at, deadline): Queueing -> In Progress on node `serv`, counting an attempt,
  with a lease until `deadline` (ms) in the running set. The caller has taken the id out of its
  lane. Returns the task hash as a flat list.
]]
--@include "prelude"
local function start(id, serv, at, deadline)
  local k = tkey(id)
  redis.call('HSET', k, 'status', 'In Progress', 'serv_name', serv, 'started_at', at)
  redis.call('HDEL', k, 'completed_at', 'progress')
  redis.call('HINCRBY', k, 'attempts', 1)
  redis.call('ZREM', P .. 'queued', id)
  redis.call('ZADD', P .. 'running', deadline, id)
  count('Queueing', -1)
  count('In Progress', 1)
  notify(id, 'In Progress')
  return redis.call('HGETALL', k)
end
