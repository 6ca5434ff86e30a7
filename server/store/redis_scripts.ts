/**
 * The Lua scripts that make each job operation on Redis atomic.
 *
 * They are the runner-side queue protocol too: a runner written in another
 * language loads them (`SCRIPT LOAD`) and calls them (`EVALSHA`) exactly as
 * `RedisStore` does; `docs/protocol.md` documents their arguments. Every
 * script takes the namespace as `ARGV[1]` and builds key names with the
 * functions of `redis_keys.ts`.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { luaKeyFunctions } from "./redis_keys.ts";

/** A script with its SHA1, for EVALSHA. */
export interface LuaScript {
  name: string;
  source: string;
  sha: string;
}

const FINAL = `local FINAL = { completed = true, failed = true, stopped = true, timeout = true }`;

const PRELUDE = `${luaKeyFunctions()}
${FINAL}
local function to_map(flat)
  local h = {}
  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
  return h
end
local function index_add(id, seq, h)
  redis.call('ZADD', K.jobsAll(), seq, id)
  redis.call('ZADD', K.jobsByStatus(h.status), seq, id)
  redis.call('ZADD', K.jobsByRunner(h.runner), seq, id)
  if h.caller_id then redis.call('ZADD', K.jobsByCaller(h.caller_id), seq, id) end
  if h.context_id then redis.call('ZADD', K.jobsByContext(h.context_id), seq, id) end
end
local function push_queue(id, runner)
  redis.call('RPUSH', K.queue(runner), id)
  redis.call('SADD', K.queueRunners(), runner)
  redis.call('ZADD', K.marker(runner), 0, '1')
end
`;

function script(name: string, body: string): LuaScript {
  const source = `-- hero supervisor: ${name}\n${PRELUDE}\n${body}`;
  return { name, source, sha: createHash("sha1").update(source).digest("hex") };
}

/**
 * insert_job(ns, id, n_deps, dep..., field, value, ...) → seq, or 0 if the id exists.
 * A job inserted as `queued` is pushed to its runner's queue.
 */
export const INSERT_JOB = script(
  "insert_job",
  `
local id = ARGV[2]
local ndeps = tonumber(ARGV[3])
local jk = K.job(id)
if redis.call('EXISTS', jk) == 1 then return 0 end
local seq = redis.call('INCR', K.jobSeq())
local fields = { 'seq', seq }
for i = 4 + ndeps, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', jk, unpack(fields))
local h = to_map(fields)
index_add(id, seq, h)
for i = 4, 3 + ndeps do redis.call('SADD', K.dependants(ARGV[i]), id) end
if h.waiting_on then redis.call('SADD', K.waiting(), id) end
if h.status == 'queued' then push_queue(id, h.runner) end
return seq
`,
);

/**
 * transition(ns, origin, id, now, to, worker, lease_expired_by, n_from, from...,
 *   n_set, field, value, ..., unset_field...) → { code, job fields... }
 * code: 0 missing, 1 wrong status, 2 not the worker, 3 lease not expired, 4 done (then the
 * job's fields and its previous status).
 */
export const TRANSITION = script(
  "transition",
  `
local origin, id, now, to, worker, lease_by = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local jk = K.job(id)
local flat = redis.call('HGETALL', jk)
if #flat == 0 then return { 0 } end
local h = to_map(flat)
local i = 8
local nfrom = tonumber(ARGV[i]); i = i + 1
local allowed = false
for j = i, i + nfrom - 1 do if ARGV[j] == h.status then allowed = true end end
i = i + nfrom
if not allowed then return { 1, flat } end
if worker ~= '' and h.worker ~= worker then return { 2, flat } end
if lease_by ~= '' and (h.lease_until == nil or tonumber(h.lease_until) > tonumber(lease_by)) then
  return { 3, flat }
end
local was = h.status
local nset = tonumber(ARGV[i]); i = i + 1
local set = { 'status', to, 'updated_at', now }
for j = i, i + nset * 2 - 1 do set[#set + 1] = ARGV[j] end
i = i + nset * 2
redis.call('HSET', jk, unpack(set))
if i <= #ARGV then redis.call('HDEL', jk, unpack(ARGV, i)) end
if was == 'running' and to ~= 'running' then
  redis.call('HDEL', jk, 'worker', 'lease_until', 'deadline_at')
  redis.call('ZREM', K.leases(), id)
  redis.call('ZREM', K.deadlines(), id)
end
if was ~= to then
  redis.call('ZREM', K.jobsByStatus(was), id)
  redis.call('ZADD', K.jobsByStatus(to), h.seq, id)
end
if was == 'queued' and to ~= 'queued' then
  redis.call('LREM', K.queue(h.runner), 1, id)
  redis.call('ZREM', K.delayed(), id)
end
if redis.call('HEXISTS', jk, 'waiting_on') == 1 then
  redis.call('SADD', K.waiting(), id)
else
  redis.call('SREM', K.waiting(), id)
end
if to == 'queued' and was ~= 'queued' then
  local run_after = redis.call('HGET', jk, 'run_after')
  if run_after and tonumber(run_after) > tonumber(now) then
    redis.call('ZADD', K.delayed(), run_after, id)
  else
    push_queue(id, h.runner)
  end
end
if FINAL[to] and not FINAL[was] then
  redis.call('PUBLISH', K.notices(),
    origin .. '|' .. cjson.encode({ type = 'job.final', id = id, status = to }))
end
return { 4, redis.call('HGETALL', jk), was }
`,
);

/**
 * take_jobs(ns, runner, max, worker, now, lease_until, grace_ms) → { job fields... }...
 * Moves retries whose delay is over back into their queues, then pops up to
 * `max` queued jobs; each becomes running under the worker's lease.
 */
export const TAKE_JOBS = script(
  "take_jobs",
  `
local runner, max, worker = ARGV[2], tonumber(ARGV[3]), ARGV[4]
local now, lease_until, grace = tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
-- Retries whose delay is over go back into their queues first (any runner's).
for _, id in ipairs(redis.call('ZRANGEBYSCORE', K.delayed(), '-inf', now, 'LIMIT', 0, 100)) do
  redis.call('ZREM', K.delayed(), id)
  local h = redis.call('HMGET', K.job(id), 'status', 'runner')
  if h[1] == 'queued' then push_queue(id, h[2]) end
end
local ids = redis.call('LPOP', K.queue(runner), max)
local out = {}
if ids then
  for _, id in ipairs(ids) do
    local jk = K.job(id)
    local st = redis.call('HMGET', jk, 'status', 'run_after', 'timeout', 'seq')
    if st[1] == 'queued' then
      if st[2] and tonumber(st[2]) > now then
        redis.call('ZADD', K.delayed(), st[2], id)
      else
        redis.call('HINCRBY', jk, 'attempts', 1)
        local deadline = math.floor(now + tonumber(st[3] or '0') * 1000 + grace)
        redis.call('HSET', jk, 'status', 'running', 'started_at', ARGV[5], 'updated_at', ARGV[5],
          'worker', worker, 'lease_until', lease_until, 'deadline_at', deadline)
        redis.call('HDEL', jk, 'run_after')
        redis.call('ZREM', K.jobsByStatus('queued'), id)
        redis.call('ZADD', K.jobsByStatus('running'), st[4], id)
        redis.call('ZADD', K.leases(), lease_until, id)
        redis.call('ZADD', K.deadlines(), deadline, id)
        out[#out + 1] = redis.call('HGETALL', jk)
      end
    end
  end
end
if redis.call('LLEN', K.queue(runner)) > 0 then redis.call('ZADD', K.marker(runner), 0, '1') end
return out
`,
);

/** renew_leases(ns, worker, lease_until, id...) → ids the worker no longer holds. */
export const RENEW_LEASES = script(
  "renew_leases",
  `
local worker, lease_until = ARGV[2], ARGV[3]
local lost = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  local h = redis.call('HMGET', K.job(id), 'status', 'worker')
  if h[1] == 'running' and h[2] == worker then
    redis.call('HSET', K.job(id), 'lease_until', lease_until)
    redis.call('ZADD', K.leases(), lease_until, id)
  else
    lost[#lost + 1] = id
  end
end
return lost
`,
);

/** due_jobs(ns, which, now, limit) → jobs whose lease (which=leases) or deadline ran out. */
export const DUE_JOBS = script(
  "due_jobs",
  `
local set = ARGV[2] == 'leases' and K.leases() or K.deadlines()
local ids = redis.call('ZRANGEBYSCORE', set, '-inf', '(' .. ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
local out = {}
for _, id in ipairs(ids) do
  local flat = redis.call('HGETALL', K.job(id))
  if #flat == 0 then redis.call('ZREM', set, id) else out[#out + 1] = flat end
end
return out
`,
);

/** promote_delayed(ns, now, limit) → how many delayed jobs went back into their queues. */
export const PROMOTE_DELAYED = script(
  "promote_delayed",
  `
local ids = redis.call('ZRANGEBYSCORE', K.delayed(), '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local n = 0
for _, id in ipairs(ids) do
  redis.call('ZREM', K.delayed(), id)
  local h = redis.call('HMGET', K.job(id), 'status', 'runner')
  if h[1] == 'queued' then push_queue(id, h[2]); n = n + 1 end
end
return n
`,
);

/** delete_job(ns, id, allowed_status...) → { code, job fields... } (codes as transition). */
export const DELETE_JOB = script(
  "delete_job",
  `
local id = ARGV[2]
local jk = K.job(id)
local flat = redis.call('HGETALL', jk)
if #flat == 0 then return { 0 } end
local h = to_map(flat)
local allowed = false
for i = 3, #ARGV do if ARGV[i] == h.status then allowed = true end end
if not allowed then return { 1, flat } end
redis.call('DEL', jk, K.seqItems('log:' .. id), K.seqLast('log:' .. id))
redis.call('ZREM', K.jobsAll(), id)
redis.call('ZREM', K.jobsByStatus(h.status), id)
redis.call('ZREM', K.jobsByRunner(h.runner), id)
if h.caller_id then redis.call('ZREM', K.jobsByCaller(h.caller_id), id) end
if h.context_id then redis.call('ZREM', K.jobsByContext(h.context_id), id) end
redis.call('SREM', K.waiting(), id)
redis.call('ZREM', K.delayed(), id)
if h.status == 'queued' then redis.call('LREM', K.queue(h.runner), 1, id) end
if h.depends_on then
  for _, dep in ipairs(cjson.decode(h.depends_on)) do redis.call('SREM', K.dependants(dep), id) end
end
return { 4, flat }
`,
);

/** append_seq(ns, key, keep, item...) → the last seq, after appending and trimming. */
export const APPEND_SEQ = script(
  "append_seq",
  `
local key, keep = ARGV[2], tonumber(ARGV[3])
local n = #ARGV - 3
local last = redis.call('INCRBY', K.seqLast(key), n)
for i = 4, #ARGV, 4000 do
  redis.call('RPUSH', K.seqItems(key), unpack(ARGV, i, math.min(i + 3999, #ARGV)))
end
redis.call('LTRIM', K.seqItems(key), -keep, -1)
return last
`,
);

/** read_seq(ns, key, after, limit) → { last, kept, item... } for items with seq > after. */
export const READ_SEQ = script(
  "read_seq",
  `
local key, after, limit = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local last = tonumber(redis.call('GET', K.seqLast(key)) or '0')
local kept = redis.call('LLEN', K.seqItems(key))
local first = last - kept + 1
local start = math.max(after + 1, first)
local out = { last, kept }
if start <= last then
  local from = start - first
  local items = redis.call('LRANGE', K.seqItems(key), from, from + limit - 1)
  for _, item in ipairs(items) do out[#out + 1] = item end
end
return out
`,
);

/** Every script, for loading and for the protocol documentation. */
export const ALL_SCRIPTS: readonly LuaScript[] = [
  INSERT_JOB,
  TRANSITION,
  TAKE_JOBS,
  RENEW_LEASES,
  DUE_JOBS,
  PROMOTE_DELAYED,
  DELETE_JOB,
  APPEND_SEQ,
  READ_SEQ,
];
