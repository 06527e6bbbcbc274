--[[
  Queueing or In Progress -> Cancelled.

  KEYS[1]  the deployment prefix (routing only)
  ARGV[1]  P, the key prefix
  ARGV[2]  ticket id
  ARGV[3]  completed_at
  Returns  the status before, or false if the task is unknown or already final
]]
--@include "finish"
local st = redis.call('HGET', tkey(ARGV[2]), 'status')
if st ~= 'Queueing' and st ~= 'In Progress' then return false end
return finish(ARGV[2], 'Cancelled', ARGV[3])
