--[[
  Running tasks whose lease ended before ARGV[4] (or all, with '+inf') go back to the queue,
  or to Failed once started ARGV[2] times.

  KEYS[1]  the deployment prefix (routing only)
  ARGV[1]  P, the key prefix
  ARGV[2]  max attempts
  ARGV[3]  completed_at for the tasks that fail
  ARGV[4]  lease deadline bound (ms since the epoch, or '+inf')
  ARGV[5]  error message, a format with one %d (the attempts)
  ARGV[6]  error code
  Returns  {requeued ids..., '|', failed ids...}
]]
--@include "finish"
--@include "requeue"
local ids = redis.call('ZRANGEBYSCORE', P .. 'running', '-inf', ARGV[4])
local requeued, failed = {}, {}
for _, id in ipairs(ids) do
  local k = tkey(id)
  local attempts = tonumber(redis.call('HGET', k, 'attempts') or '0')
  if redis.call('HGET', k, 'status') ~= 'In Progress' then
    redis.call('ZREM', P .. 'running', id)
  elseif attempts >= tonumber(ARGV[2]) then
    redis.call('HSET', k, 'error_info', string.format(ARGV[5], attempts), 'error_code', ARGV[6])
    finish(id, 'Failed', ARGV[3])
    table.insert(failed, id)
  else
    requeue(id)
    table.insert(requeued, id)
  end
end
local out = requeued
table.insert(out, '|')
for _, id in ipairs(failed) do table.insert(out, id) end
return out
