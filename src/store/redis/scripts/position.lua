--[[
  A queued task's position: how many tasks will be claimed before it if nothing changes
  (its user's turns in the ring times the other users' lane lengths, each capped).

  KEYS[1]  the deployment prefix (routing only)
  ARGV[1]  P, the key prefix
  ARGV[2]  ticket id
  Returns  the 0-based position, or false if the task is not queued
]]
--@include "prelude"
local user = redis.call('HGET', P .. 'owner', ARGV[2])
if not user then return false end
local k = redis.call('LPOS', P .. 'lane:' .. user, ARGV[2])
local ring = redis.call('LRANGE', P .. 'ring', 0, -1)
local mine = 0
for i, u in ipairs(ring) do if u == user then mine = i end end
local ahead = k
for i, u in ipairs(ring) do
  if u ~= user then
    local turns = k
    if i < mine then turns = k + 1 end
    ahead = ahead + math.min(redis.call('LLEN', P .. 'lane:' .. u), turns)
  end
end
return ahead
