--[[
  Queueing or In Progress -> Failed with an error message and its code. A running task fails
  only while it is still on claim number `attempt`.

  KEYS[1]  the deployment prefix (routing only)
  ARGV[1]  P, the key prefix
  ARGV[2]  ticket id
  ARGV[3]  error message (error_info)
  ARGV[4]  error code (error_code)
  ARGV[5]  completed_at
  ARGV[6]  attempt that ran it (0 = any)
  Returns  1 if it failed now, else 0
]]
--@include "finish"
local k = tkey(ARGV[2])
local st = redis.call('HGET', k, 'status')
if st ~= 'Queueing' and st ~= 'In Progress' then return 0 end
local attempt = tonumber(ARGV[6])
if st == 'In Progress' and attempt > 0 and tonumber(redis.call('HGET', k, 'attempts')) ~= attempt then return 0 end
redis.call('HSET', k, 'error_info', ARGV[3], 'error_code', ARGV[4])
finish(ARGV[2], 'Failed', ARGV[5])
return 1
