--[[
  The fair-queue index: a lane (list of ticket ids) per user, the ring of users with queued
  work (head = next user to serve), and the owner hash (ticket id -> user) of queued tasks.
]]
--@include "prelude"
local function lane_remove(id)
  local user = redis.call('HGET', P .. 'owner', id)
  if not user then return end
  redis.call('HDEL', P .. 'owner', id)
  local lane = P .. 'lane:' .. user
  redis.call('LREM', lane, 1, id)
  if redis.call('LLEN', lane) == 0 then redis.call('LREM', P .. 'ring', 0, user) end
end
local function lane_push(id, user, front)
  local lane = P .. 'lane:' .. user
  if redis.call('LLEN', lane) == 0 then redis.call('RPUSH', P .. 'ring', user) end
  if front then redis.call('LPUSH', lane, id) else redis.call('RPUSH', lane, id) end
  redis.call('HSET', P .. 'owner', id, user)
end
