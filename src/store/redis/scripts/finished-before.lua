--[[
  Retention, first step: up to `limit` finished tasks completed before `before`, oldest first,
  read from the finished index (see includes/finish.lua). Index entries whose task is gone or
  not final are dropped on the way, so a page may hold fewer than `limit` tasks.

  KEYS[1]  the deployment prefix (routing only)
  ARGV[1]  P, the key prefix
  ARGV[2]  before (ISO 8601; entries strictly before it)
  ARGV[3]  limit
  Returns  {ticket id, status, completed_at, result file ('' if none), ...}
]]
--@include "prelude"
local FINAL = {Completed = true, Failed = true, Cancelled = true}
local members = redis.call('ZRANGEBYLEX', P .. 'finished', '-', '(' .. ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, m in ipairs(members) do
  local id = string.match(m, '^[^|]*|(.*)$')
  local f = id and redis.call('HMGET', tkey(id), 'status', 'completed_at', 'result') or {}
  if f[1] and FINAL[f[1]] then
    local file = ''
    if f[1] == 'Completed' and f[3] then
      local ok, r = pcall(cjson.decode, f[3])
      if ok and type(r) == 'table' and type(r.file) == 'string' then file = r.file end
    end
    table.insert(out, id)
    table.insert(out, f[1])
    table.insert(out, f[2])
    table.insert(out, file)
  else
    redis.call('ZREM', P .. 'finished', m)
  end
end
return out
