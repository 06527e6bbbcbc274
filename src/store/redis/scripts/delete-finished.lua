--[[
  Retention, last step: deletes the given tasks that are still finished before `before` (their
  hash, their finished-index entry, their place in the status counters). An id already gone is
  skipped, so several sweepers may run at once.

  KEYS[1]  the deployment prefix (routing only)
  ARGV[1]  P, the key prefix
  ARGV[2]  before (ISO 8601)
  ARGV[3..] ticket ids
  Returns  the ids deleted
]]
--@include "prelude"
local FINAL = {Completed = true, Failed = true, Cancelled = true}
local out = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local f = redis.call('HMGET', tkey(id), 'status', 'completed_at')
  if f[1] and FINAL[f[1]] and f[2] and f[2] < ARGV[2] then
    redis.call('DEL', tkey(id))
    redis.call('ZREM', P .. 'finished', f[2] .. '|' .. id)
    count(f[1], -1)
    table.insert(out, id)
  end
end
return out
