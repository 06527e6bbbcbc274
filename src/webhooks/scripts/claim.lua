--[[
  Take a due delivery for ARGV[4] ms, unless another node holds its lease.

  KEYS[1]  the deployment prefix (routing only)
  ARGV[1]  P, the key prefix
  ARGV[2]  ticket id
  ARGV[3]  now (ms)
  ARGV[4]  lease length (ms)
  Returns  1 if this node now holds the delivery, else 0
]]
--@include "webhook"
local now = tonumber(ARGV[3])
local f = redis.call('HMGET', h, 'state', 'next_at', 'lease_until')
if f[1] ~= 'pending' or tonumber(f[2]) > now or tonumber(f[3]) > now then return 0 end
redis.call('HSET', h, 'lease_until', now + tonumber(ARGV[4]))
return 1
