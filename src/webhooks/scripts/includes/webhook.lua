--[[
  The key prefix P, the ticket id, and h, the key of that ticket's webhook registration hash.
]]
local P = ARGV[1]
local id = ARGV[2]
local h = P .. 'wh:' .. id
