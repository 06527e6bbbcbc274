/**
 * Lua scripts for the Redis task store. Every transition is one script, so it is atomic and
 * keeps three things consistent: the task hash, the status counters, and the fair-queue index
 * (per-user lanes + a ring of users with queued work, head = next user to serve). Keys are
 * derived from the prefix in ARGV[1]; on a Redis Cluster that prefix carries a hash tag, so
 * they all live in the slot of KEYS[1] (see script.ts).
 */

const PRELUDE = `
local P = ARGV[1]
local function tkey(id) return P .. 't:' .. id end
local function count(st, d) redis.call('HINCRBY', P .. 'counts', st, d) end
-- Status events and wake-ups are published from inside the transition: one round trip, and a
-- subscriber can never see an event before the state it announces.
local function notify(id, status)
  redis.call('PUBLISH', P .. 'ch:events', cjson.encode({ticket = id, status = status}))
  if status == 'Queueing' then redis.call('PUBLISH', P .. 'ch:wake', '1') end
end
local function lane_remove(id)
  local user = redis.call('HGET', P .. 'owner', id)
  if not user then return end
  redis.call('HDEL', P .. 'owner', id)
  local lane = P .. 'lane:' .. user
  redis.call('LREM', lane, 1, id)
  if redis.call('LLEN', lane) == 0 then redis.call('LREM', P .. 'ring', 0, user) end
end
local function lane_push(id, user, front)
  local lane = P .. 'lane:' .. user
  if redis.call('LLEN', lane) == 0 then redis.call('RPUSH', P .. 'ring', user) end
  if front then redis.call('LPUSH', lane, id) else redis.call('RPUSH', lane, id) end
  redis.call('HSET', P .. 'owner', id, user)
end
local function start(id, serv, at, deadline)
  local k = tkey(id)
  redis.call('HSET', k, 'status', 'In Progress', 'serv_name', serv, 'started_at', at)
  redis.call('HDEL', k, 'completed_at', 'progress')
  redis.call('HINCRBY', k, 'attempts', 1)
  redis.call('ZREM', P .. 'queued', id)
  redis.call('ZADD', P .. 'running', deadline, id)
  count('Queueing', -1)
  count('In Progress', 1)
  notify(id, 'In Progress')
  return redis.call('HGETALL', k)
end
local function finish(id, status, at)
  local k = tkey(id)
  local before = redis.call('HGET', k, 'status')
  redis.call('HSET', k, 'status', status, 'completed_at', at)
  redis.call('ZREM', P .. 'queued', id)
  redis.call('ZREM', P .. 'running', id)
  lane_remove(id)
  count(before, -1)
  count(status, 1)
  notify(id, status)
  return before
end
local function requeue(id)
  local k = tkey(id)
  redis.call('HSET', k, 'status', 'Queueing')
  redis.call('HDEL', k, 'progress')
  redis.call('ZREM', P .. 'running', id)
  redis.call('ZADD', P .. 'queued', redis.call('HGET', k, 'seq'), id)
  -- Back to the FRONT of its user's lane: it was that user's oldest running work.
  lane_push(id, redis.call('HGET', k, 'user_id'), true)
  count('In Progress', -1)
  count('Queueing', 1)
  notify(id, 'Queueing')
end
`;

/** ARGV: P, id, user, type, params, serv, created_at, maxQueued, maxPerUser. */
export const CREATE = PRELUDE + `
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
notify(id, 'Queueing')
return {'ok', redis.call('HGETALL', tkey(id))}
`;

/** ARGV: P, id, serv, at, leaseDeadlineMs. */
export const MARK_STARTED = PRELUDE + `
local id = ARGV[2]
if redis.call('HGET', tkey(id), 'status') ~= 'Queueing' then return false end
lane_remove(id)
return start(id, ARGV[3], ARGV[4], ARGV[5])
`;

/** Fair claim: next ticket of the user at the head of the ring, then rotate. ARGV: P, serv, at, deadline. */
export const CLAIM = PRELUDE + `
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
`;

/** The typed claim (see CLAIM_TYPED) as functions, shared with COMPLETE_AND_CLAIM. */
const TYPED = `
local function claim_one(allowed, scan, serv, at, deadline)
  -- The ring is read a chunk at a time: usually the head user has a runnable task, and a long
  -- ring (many users waiting) must not be copied on every claim.
  local from = 0
  while true do
    local users = redis.call('LRANGE', P .. 'ring', from, from + 31)
    if #users == 0 then return nil end
    for _, user in ipairs(users) do
      local lane = P .. 'lane:' .. user
      local ids = redis.call('LRANGE', lane, 0, scan - 1)
      for _, id in ipairs(ids) do
        local f = redis.call('HMGET', tkey(id), 'status', 'task_type')
        if f[1] ~= 'Queueing' then
          lane_remove(id) -- stale entry (defensive, as in CLAIM); the next claim sees any shift
        elseif allowed[f[2]] then
          lane_remove(id)
          if redis.call('LLEN', lane) > 0 then
            redis.call('LREM', P .. 'ring', 1, user)
            redis.call('RPUSH', P .. 'ring', user)
          end
          return start(id, serv, at, deadline)
        end
      end
    end
    from = from + 32
  end
end
-- ARGV from index i on: scan, count, type...
local function claim_many(i, serv, at, deadline)
  local allowed = {}
  for j = i + 2, #ARGV do allowed[ARGV[j]] = true end
  local scan, count = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local out = {}
  for n = 1, count do
    local rec = claim_one(allowed, scan, serv, at, deadline)
    if not rec then break end
    out[n] = rec
  end
  return out
end
`;

/**
 * Fair claim for a worker that can run only some task types (ARGV: P, serv, at, deadline, scan,
 * count, type...): up to "count" times, the first user in ring order whose lane holds a runnable
 * task within its first "scan" entries is served and goes to the back of the ring; users passed
 * over keep their place, so a worker that can run their tasks still serves them next. Returns the
 * claimed tasks (one round trip fills several idle slots).
 */
export const CLAIM_TYPED = PRELUDE + TYPED + `
return claim_many(5, ARGV[2], ARGV[3], ARGV[4])
`;

/** ARGV: P, id, progressJson. Published on the events channel too, for live views on serve nodes. */
export const SET_PROGRESS = PRELUDE + `
if redis.call('HGET', tkey(ARGV[2]), 'status') ~= 'In Progress' then return false end
redis.call('HSET', tkey(ARGV[2]), 'progress', ARGV[3])
redis.call('PUBLISH', P .. 'ch:events', cjson.encode({ticket = ARGV[2], progress = cjson.decode(ARGV[3])}))
return true
`;

const COMPLETE_FN = `
local function complete(id, result, at, attempt)
  local k = tkey(id)
  if redis.call('HGET', k, 'status') ~= 'In Progress' then return 0 end
  if attempt > 0 and tonumber(redis.call('HGET', k, 'attempts')) ~= attempt then return 0 end
  redis.call('HSET', k, 'result', result)
  finish(id, 'Completed', at)
  return 1
end
`;

/** ARGV: P, id, resultJson, at, attempt (0 = any). Only the claim that is still current may complete. */
export const COMPLETE = PRELUDE + COMPLETE_FN + `
return complete(ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]))
`;

/**
 * COMPLETE, then the typed claim for the slot it frees, in one round trip (as BullMQ's
 * moveToFinished fetches the next job). ARGV: P, id, resultJson, at, attempt, serv, deadline,
 * scan, count, type... Returns {completed (0/1), claimed tasks...}.
 */
export const COMPLETE_AND_CLAIM = PRELUDE + COMPLETE_FN + TYPED + `
local done = complete(ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]))
local out = claim_many(8, ARGV[6], ARGV[4], ARGV[7])
table.insert(out, 1, done)
return out
`;

/** ARGV: P, id, error, at, attempt (0 = any). */
export const FAIL = PRELUDE + `
local k = tkey(ARGV[2])
local st = redis.call('HGET', k, 'status')
if st ~= 'Queueing' and st ~= 'In Progress' then return 0 end
local attempt = tonumber(ARGV[5])
if st == 'In Progress' and attempt > 0 and tonumber(redis.call('HGET', k, 'attempts')) ~= attempt then return 0 end
redis.call('HSET', k, 'error_info', ARGV[3])
finish(ARGV[2], 'Failed', ARGV[4])
return 1
`;

/** ARGV: P, id, at. Returns the status before, or false. */
export const CANCEL = PRELUDE + `
local st = redis.call('HGET', tkey(ARGV[2]), 'status')
if st ~= 'Queueing' and st ~= 'In Progress' then return false end
return finish(ARGV[2], 'Cancelled', ARGV[3])
`;

/** ARGV: P, id. */
export const REQUEUE = PRELUDE + `
if redis.call('HGET', tkey(ARGV[2]), 'status') ~= 'In Progress' then return 0 end
requeue(ARGV[2])
return 1
`;

/**
 * Running tasks whose lease ended before ARGV[4] (or all, with '+inf') go back to the queue,
 * or to Failed once started ARGV[2] times. ARGV: P, maxAttempts, at, before, message.
 * Returns {requeued ids..., '|', failed ids...}.
 */
export const RECOVER = PRELUDE + `
local ids = redis.call('ZRANGEBYSCORE', P .. 'running', '-inf', ARGV[4])
local requeued, failed = {}, {}
for _, id in ipairs(ids) do
  local k = tkey(id)
  local attempts = tonumber(redis.call('HGET', k, 'attempts') or '0')
  if redis.call('HGET', k, 'status') ~= 'In Progress' then
    redis.call('ZREM', P .. 'running', id)
  elseif attempts >= tonumber(ARGV[2]) then
    redis.call('HSET', k, 'error_info', string.format(ARGV[5], attempts))
    finish(id, 'Failed', ARGV[3])
    table.insert(failed, id)
  else
    requeue(id)
    table.insert(requeued, id)
  end
end
local out = requeued
table.insert(out, '|')
for _, id in ipairs(failed) do table.insert(out, id) end
return out
`;

/** Extend leases: ARGV: P, deadline, ids... (only those still running). */
export const RENEW = PRELUDE + `
for i = 3, #ARGV do redis.call('ZADD', P .. 'running', 'XX', ARGV[2], ARGV[i]) end
return true
`;

/** 0-based count of tasks claimed before this one if nothing changes. ARGV: P, id. */
export const POSITION = PRELUDE + `
local user = redis.call('HGET', P .. 'owner', ARGV[2])
if not user then return false end
local k = redis.call('LPOS', P .. 'lane:' .. user, ARGV[2])
local ring = redis.call('LRANGE', P .. 'ring', 0, -1)
local mine = 0
for i, u in ipairs(ring) do if u == user then mine = i end end
local ahead = k
for i, u in ipairs(ring) do
  if u ~= user then
    local turns = k
    if i < mine then turns = k + 1 end
    ahead = ahead + math.min(redis.call('LLEN', P .. 'lane:' .. u), turns)
  end
end
return ahead
`;
