--[[
  Fair claim of any task type: the next ticket of the user at the head of the ring, then the
  ring rotates.

  KEYS[1]  the deployment prefix (routing only)
  ARGV[1]  P, the key prefix
  ARGV[2]  serv_name of the claiming node
  ARGV[3]  started_at
  ARGV[4]  lease deadline (ms since the epoch)
  Returns  the claimed task hash as a flat list, or false if nothing is queued
]]
--@include "start"
while true do
  local user = redis.call('LINDEX', P .. 'ring', 0)
  if not user then return false end
  local lane = P .. 'lane:' .. user
  local id = redis.call('LPOP', lane)
  if id then redis.call('HDEL', P .. 'owner', id) end
  if redis.call('LLEN', lane) == 0 then redis.call('LPOP', P .. 'ring') else redis.call('LMOVE', P .. 'ring', P .. 'ring', 'LEFT', 'RIGHT') end
  if id and redis.call('HGET', tkey(id), 'status') == 'Queueing' then
    return start(id, ARGV[2], ARGV[3], ARGV[4])
  end
end
