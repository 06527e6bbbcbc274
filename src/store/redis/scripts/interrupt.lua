--[[
  A task interrupted on this node (the process running it died, or the node shut down) goes back
  to the front of its user's lane, or to Failed once started `max attempts` times by a crash
  that counts. Only while the task is still on claim number `attempt`.

  KEYS[1]  the deployment prefix (routing only)
  ARGV[1]  P, the key prefix
  ARGV[2]  ticket id
  ARGV[3]  attempt that ran it
  ARGV[4]  max attempts
  ARGV[5]  '1': the attempt counts (a crash); '0': it does not (a shutdown)
  ARGV[6]  completed_at, for a task that fails
  ARGV[7]  error message, a format with one %d (the attempts)
  ARGV[8]  error code
  Returns  'requeued', 'failed', or '' (not on that claim any more)
]]
--@include "finish"
--@include "requeue"
local k = tkey(ARGV[2])
if redis.call('HGET', k, 'status') ~= 'In Progress' then return '' end
local attempts = tonumber(redis.call('HGET', k, 'attempts') or '0')
if attempts ~= tonumber(ARGV[3]) then return '' end
if ARGV[5] == '1' and attempts >= tonumber(ARGV[4]) then
  redis.call('HSET', k, 'error_info', string.format(ARGV[7], attempts), 'error_code', ARGV[8])
  finish(ARGV[2], 'Failed', ARGV[6])
  return 'failed'
end
if ARGV[5] ~= '1' then redis.call('HSET', k, 'attempts', attempts - 1) end
requeue(ARGV[2])
return 'requeued'
