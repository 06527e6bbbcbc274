--[[
  The per-user token bucket: refill by elapsed time on Redis's clock (TIME, so nodes with
  skewed clocks agree), then take one token if there is one.

  KEYS[1]  the bucket's key (also ARGV[1])
  ARGV[1]  the bucket's key
  ARGV[2]  tokens per minute (also the bucket's size)
  Returns  {1 = taken or 0 = refused, tokens left (a string: Lua numbers would be truncated)}
]]
local key, per = ARGV[1], tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', key, 'tokens', 'at')
local tokens, at = tonumber(b[1]) or per, tonumber(b[2]) or now
tokens = math.min(per, tokens + (now - at) * per / 60000)
local ok = 0
if tokens >= 1 then tokens = tokens - 1; ok = 1 end
redis.call('HSET', key, 'tokens', tostring(tokens), 'at', now)
-- A bucket refills completely within a minute; after that it carries no information.
redis.call('PEXPIRE', key, 60000)
return {ok, tostring(tokens)}
