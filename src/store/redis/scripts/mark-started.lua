--[[
  Start one given task (Queueing -> In Progress), out of its lane, with a lease.

  KEYS[1]  the deployment prefix (routing only)
  ARGV[1]  P, the key prefix
  ARGV[2]  ticket id
  ARGV[3]  serv_name of the node that runs it
  ARGV[4]  started_at
  ARGV[5]  lease deadline (ms since the epoch)
  Returns  the task hash as a flat list, or false if it was not Queueing
]]
--@include "lanes"
--@include "start"
local id = ARGV[2]
if redis.call('HGET', tkey(id), 'status') ~= 'Queueing' then return false end
lane_remove(id)
return start(id, ARGV[3], ARGV[4], ARGV[5])
