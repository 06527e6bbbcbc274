--[[
  The typed fair claim, for a worker that can run only some task types:
  claim_many(i, serv, at, deadline) reads ARGV from index i on as: scan, count, max batch, type...
  Up to `count` times, the first user in ring order whose lane holds a runnable task within its
  first `scan` entries is served and goes to the back of the ring; users passed over keep their
  place, so a worker that can run their tasks still serves them next.
  Cross-request batching: a claimed task with a batch key is joined, in the same atomic step, by
  queued tasks with the same key (up to `max batch` images in all), each taken as the rotation
  would serve next (the same rule: first user in ring order with one within `scan`, who then goes
  to the back), so a batch never lets one user's tasks jump other users'.
  Returns one entry per slot: the list of the tasks it runs (one, or a batch), each as a flat list
  of its hash.
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
          return start(id, serv, at, deadline), id
        end
      end
    end
    from = from + 32
  end
end
-- The first queued task with batch key `key` and at most `room` images, in rotation order.
local function next_compatible(key, room, scan)
  local from = 0
  while true do
    local users = redis.call('LRANGE', P .. 'ring', from, from + 31)
    if #users == 0 then return nil end
    for _, user in ipairs(users) do
      local ids = redis.call('LRANGE', P .. 'lane:' .. user, 0, scan - 1)
      for _, id in ipairs(ids) do
        local f = redis.call('HMGET', tkey(id), 'status', 'batch_key', 'batch_images')
        if f[1] == 'Queueing' and f[2] == key and tonumber(f[3]) <= room then return id, user, tonumber(f[3]) end
      end
    end
    from = from + 32
  end
end
local function fill_batch(batch, lead, max, scan, serv, at, deadline)
  local f = redis.call('HMGET', tkey(lead), 'batch_key', 'batch_images')
  if not f[1] or f[1] == '' then return end
  local room = max - tonumber(f[2] or '1')
  while room > 0 do
    local id, user, images = next_compatible(f[1], room, scan)
    if not id then return end
    lane_remove(id)
    if redis.call('LLEN', P .. 'lane:' .. user) > 0 then
      redis.call('LREM', P .. 'ring', 1, user)
      redis.call('RPUSH', P .. 'ring', user)
    end
    table.insert(batch, start(id, serv, at, deadline))
    room = room - images
  end
end
local function claim_many(i, serv, at, deadline)
  local allowed = {}
  for j = i + 3, #ARGV do allowed[ARGV[j]] = true end
  local scan, count, max = tonumber(ARGV[i]), tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local out = {}
  for n = 1, count do
    local rec, id = claim_one(allowed, scan, serv, at, deadline)
    if not rec then break end
    local batch = {rec}
    if max > 1 then fill_batch(batch, id, max, scan, serv, at, deadline) end
    out[n] = batch
  end
  return out
end
