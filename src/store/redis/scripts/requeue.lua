--[[
  In Progress -> Queueing (its worker was lost), keeping the attempt count.

  KEYS[1]  the deployment prefix (routing only)
  ARGV[1]  P, the key prefix
  ARGV[2]  ticket id
  Returns  1 if it went back to the queue, else 0
]]
--@include "requeue"
if redis.call('HGET', tkey(ARGV[2]), 'status') ~= 'In Progress' then return 0 end
requeue(ARGV[2])
return 1
