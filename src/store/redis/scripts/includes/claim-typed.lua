--[[
  The typed fair claim, for a worker that can run only some task types:
  claim_many(i, serv, at, deadline) reads ARGV from index i on as: scan, count, type...
  Up to `count` times, the first user in ring order whose lane holds a runnable task within its
  first `scan` entries is served and goes to the back of the ring; users passed over keep their
  place, so a worker that can run their tasks still serves them next. Returns the claimed tasks,
  each as a flat list of its hash.
]]
--@include "lanes"
--@include "start"
local function claim_one(allowed, scan, serv, at, deadline)
  -- The ring is read a chunk at a time: usually the head user has a runnable task, and a long
  -- ring (many users waiting) must not be copied on every claim.
  local from = 0
  while true do
    local users = redis.call('LRANGE', P .. 'ring', from, from + 31)
    if #users == 0 then return nil end
    for _, user in ipairs(users) do
      local lane = P .. 'lane:' .. user
      local ids = redis.call('LRANGE', lane, 0, scan - 1)
      for _, id in ipairs(ids) do
        local f = redis.call('HMGET', tkey(id), 'status', 'task_type')
        if f[1] ~= 'Queueing' then
          lane_remove(id) -- stale entry (defensive); the next claim sees any shift
        elseif allowed[f[2]] then
          lane_remove(id)
          if redis.call('LLEN', lane) > 0 then
            redis.call('LREM', P .. 'ring', 1, user)
            redis.call('RPUSH', P .. 'ring', user)
          end
          return start(id, serv, at, deadline)
        end
      end
    end
    from = from + 32
  end
end
local function claim_many(i, serv, at, deadline)
  local allowed = {}
  for j = i + 2, #ARGV do allowed[ARGV[j]] = true end
  local scan, count = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local out = {}
  for n = 1, count do
    local rec = claim_one(allowed, scan, serv, at, deadline)
    if not rec then break end
    out[n] = rec
  end
  return out
end
