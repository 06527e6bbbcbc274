--[[
  Register a ticket's webhook, waiting for the task to finish.

  KEYS[1]  the deployment prefix (routing only: every key shares its hash tag)
  ARGV[1]  P, the key prefix
  ARGV[2]  ticket id
  ARGV[3]  callback URL
  ARGV[4]  base URL of the accepting node (for result links)
  ARGV[5]  now (ms), the score in the waiting set
  Returns  1 if registered, 0 if the ticket already has one
]]
--@include "webhook"
if redis.call('EXISTS', h) == 1 then return 0 end
redis.call('HSET', h, 'url', ARGV[3], 'base_url', ARGV[4], 'state', 'waiting', 'attempts', 0, 'next_at', 0, 'lease_until', 0, 'last_error', '')
redis.call('ZADD', P .. 'wh:waiting', ARGV[5], id)
return 1
