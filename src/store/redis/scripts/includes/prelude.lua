--[[
  The key prefix and the helpers every task transition uses: the task hash's key, the status
  counters, and the status events. Status events and wake-ups are published from inside the
  transition: one round trip, and a subscriber can never see an event before the state it
  announces.
]]
local P = ARGV[1]
local function tkey(id) return P .. 't:' .. id end
local function count(st, d) redis.call('HINCRBY', P .. 'counts', st, d) end
local function notify(id, status)
  redis.call('PUBLISH', P .. 'ch:events', cjson.encode({ticket = id, status = status}))
  if status == 'Queueing' then redis.call('PUBLISH', P .. 'ch:wake', '1') end
end
