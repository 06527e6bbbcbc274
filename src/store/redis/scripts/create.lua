--[[
  Submit: a new Queueing task at the back of its user's lane, unless a queue cap refuses it.

  KEYS[1]  the deployment prefix (routing only: every key shares its hash tag)
  ARGV[1]  P, the key prefix
  ARGV[2]  ticket id
  ARGV[3]  user id
  ARGV[4]  task type
  ARGV[5]  params (JSON)
  ARGV[6]  serv_name of the accepting node
  ARGV[7]  created_at
  ARGV[8]  max queued tasks in all (0 = no cap)
  ARGV[9]  max queued tasks per user (0 = no cap)
  ARGV[10] Idempotency-Key record key ('' = none): written in this same script, so the task and
           its key exist together or not at all
  ARGV[11] the record without its body (JSON: fingerprint, status, createdAt); the body (the 202
           answer) is added here from the task
  ARGV[12] the record's lifetime (ms)
  ARGV[13] batch key ('' = the task never shares a UNet batch; see claim-typed.lua)
  ARGV[14] images the task adds to a batch
  Returns  {'ok', task hash as a flat list} | {'full', 'global' or 'user', depth} | {'exists'}
]]
--@include "prelude"
--@include "lanes"
local id, user = ARGV[2], ARGV[3]
if redis.call('EXISTS', tkey(id)) == 1 then return {'exists'} end
local maxQ, maxU = tonumber(ARGV[8]), tonumber(ARGV[9])
local total = redis.call('HLEN', P .. 'owner')
if maxQ > 0 and total >= maxQ then return {'full', 'global', tostring(total)} end
local mine = redis.call('LLEN', P .. 'lane:' .. user)
if maxU > 0 and mine >= maxU then return {'full', 'user', tostring(mine)} end
local seq = redis.call('INCR', P .. 'seq')
redis.call('HSET', tkey(id), 'ticket_id', id, 'seq', seq, 'task_type', ARGV[4], 'user_id', user, 'params', ARGV[5],
  'status', 'Queueing', 'serv_name', ARGV[6], 'created_at', ARGV[7], 'attempts', 0)
redis.call('ZADD', P .. 'queued', seq, id)
lane_push(id, user, false)
count('Queueing', 1)
if ARGV[13] ~= '' then redis.call('HSET', tkey(id), 'batch_key', ARGV[13], 'batch_images', ARGV[14]) end
notify(id, 'Queueing')
if ARGV[10] ~= '' then
  local rec = cjson.decode(ARGV[11])
  rec['body'] = {ticket_id = id, serv_name = ARGV[6], status = 'Queueing'}
  redis.call('SET', ARGV[10], cjson.encode(rec), 'PX', ARGV[12])
end
return {'ok', redis.call('HGETALL', tkey(id))}
