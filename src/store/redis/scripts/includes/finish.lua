--[[
  finish(id, status, at): any state -> a final `status` (Completed, Failed, Cancelled), out of
  the queue, the lanes and the running set, into the finished index that retention reads (a
  sorted set whose members "<completed_at>|<id>" all score 0, so they sort by time as ISO 8601
  strings do). Returns the status before.
]]
--@include "lanes"
local function finish(id, status, at)
  local k = tkey(id)
  local before = redis.call('HGET', k, 'status')
  redis.call('HSET', k, 'status', status, 'completed_at', at)
  redis.call('ZREM', P .. 'queued', id)
  redis.call('ZREM', P .. 'running', id)
  lane_remove(id)
  redis.call('ZADD', P .. 'finished', 0, at .. '|' .. id)
  count(before, -1)
  count(status, 1)
  notify(id, status)
  return before
end
