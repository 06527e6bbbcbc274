--[[
  complete(id, result, at, attempt): In Progress -> Completed with `result` (JSON), only while
  the task is still on claim number `attempt` (0 = any claim). Returns 1 if it completed, else 0.
]]
--@include "finish"
local function complete(id, result, at, attempt)
  local k = tkey(id)
  if redis.call('HGET', k, 'status') ~= 'In Progress' then return 0 end
  if attempt > 0 and tonumber(redis.call('HGET', k, 'attempts')) ~= attempt then return 0 end
  redis.call('HSET', k, 'result', result)
  finish(id, 'Completed', at)
  return 1
end
