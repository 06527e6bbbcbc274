--[[
  Record a running task's progress, and publish it on the events channel for live views on
  serve nodes.

  KEYS[1]  the deployment prefix (routing only)
  ARGV[1]  P, the key prefix
  ARGV[2]  ticket id
  ARGV[3]  progress (JSON)
  Returns  true, or false if the task is not In Progress
]]
--@include "prelude"
if redis.call('HGET', tkey(ARGV[2]), 'status') ~= 'In Progress' then return false end
redis.call('HSET', tkey(ARGV[2]), 'progress', ARGV[3])
redis.call('PUBLISH', P .. 'ch:events', cjson.encode({ticket = ARGV[2], progress = cjson.decode(ARGV[3])}))
return true
