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
import { luaKey } from "./redis_keys.ts";

/** A script with its SHA1, for EVALSHA. */
export interface LuaScript {
  name: string;
  /** Its arguments and reply, as `docs/protocol.md` shows them. */
  usage: string;
  source: string;
  sha: string;
}

/** Every script starts by setting the key prefix `P` from `ARGV[1]` (the namespace). */
const HEAD = "local P = ARGV[1] .. ':'";

/** Lua helpers, included only in the scripts that use them (defining one costs per call). */
const HELPERS = {
  push_queue: `local function push_queue(id, runner)
  redis.call('RPUSH', ${luaKey("queue", "runner")}, id)
  redis.call('SADD', ${luaKey("queueRunners")}, runner)
  redis.call('ZADD', ${luaKey("marker", "runner")}, 0, '1')
end`,
  is_final: `local function is_final(s)
  return s == 'completed' or s == 'failed' or s == 'stopped' or s == 'timeout'
end`,
  // Set operations are grouped per key and sent once per batch: one call, many members.
  groups: `local function group_add(groups, key, ...)
  local g = groups[key]
  if not g then g = {}; groups[key] = g end
  for _, v in ipairs({ ... }) do g[#g + 1] = v end
end
local function group_flush(groups, command)
  for key, g in pairs(groups) do
    for j = 1, #g, 4000 do redis.call(command, key, unpack(g, j, math.min(j + 3999, #g))) end
  end
end`,
};

function script(
  name: string,
  usage: string,
  body: string,
  helpers: (keyof typeof HELPERS)[] = [],
): LuaScript {
  const source = [`-- hero supervisor: ${name}`, HEAD, ...helpers.map((h) => HELPERS[h]), body]
    .join("\n");
  return { name, usage, source, sha: createHash("sha1").update(source).digest("hex") };
}

/** The `insert_jobs` script. */
export const INSERT_JOBS = script(
  "insert_jobs",
  "insert_jobs(ns, n, then n times: id, runner, status, caller_id, context_id, waiting, timeout, n_deps, dep..., spec, n_fields, field, value, ...) → { seq or 0 }... Each job gets a new `seq` (0: the id exists, nothing is stored); its spec (JSON) goes to `job:{id}:spec`, its state fields to the hash `job:{id}`. `caller_id` and `context_id` are '' when absent; `waiting` is '1' when the job waits for prerequisites. A job inserted as `queued` is pushed to its runner's queue; one inserted as `running` (direct dispatch) carries its lease.",
  `
local n = tonumber(ARGV[2])
local first = redis.call('INCRBY', ${luaKey("jobSeq")}, n) - n + 1
local zadd, queues = {}, {}
local out = {}
local i = 3
for k = 1, n do
  local id, runner, status, caller, context, waiting = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  local timeout = ARGV[i + 6]
  local ndeps = tonumber(ARGV[i + 7])
  local deps = i + 8
  local spec = ARGV[deps + ndeps]
  local nfields = tonumber(ARGV[deps + ndeps + 1])
  local fields = deps + ndeps + 2
  i = fields + nfields * 2
  local jk = ${luaKey("job", "id")}
  if redis.call('EXISTS', jk) == 1 then
    out[k] = 0
  else
    local seq = first + k - 1
    redis.call('SET', ${luaKey("jobSpec", "id")}, spec)
    redis.call('HSET', jk, 'seq', seq, 'status', status, 'runner', runner, 'timeout', timeout,
      unpack(ARGV, fields, i - 1))
    group_add(zadd, ${luaKey("jobsAll")}, seq, id)
    group_add(zadd, ${luaKey("jobsByStatus", "status")}, seq, id)
    group_add(zadd, ${luaKey("jobsByRunner", "runner")}, seq, id)
    if caller ~= '' then group_add(zadd, ${luaKey("jobsByCaller", "caller")}, seq, id) end
    if context ~= '' then group_add(zadd, ${luaKey("jobsByContext", "context")}, seq, id) end
    for d = deps, deps + ndeps - 1 do
      local dep = ARGV[d]
      redis.call('SADD', ${luaKey("dependants", "dep")}, id)
      redis.call('SADD', ${luaKey("hasDependants")}, dep)
    end
    if waiting == '1' then redis.call('SADD', ${luaKey("waiting")}, id) end
    if status == 'queued' then group_add(queues, runner, id) end
    out[k] = seq
  end
end
group_flush(zadd, 'ZADD')
for runner, ids in pairs(queues) do
  for j = 1, #ids, 4000 do
    redis.call('RPUSH', ${luaKey("queue", "runner")}, unpack(ids, j, math.min(j + 3999, #ids)))
  end
  redis.call('SADD', ${luaKey("queueRunners")}, runner)
  redis.call('ZADD', ${luaKey("marker", "runner")}, 0, '1')
end
return out
`,
  ["groups"],
);

/** The `transitions` script. */
export const TRANSITIONS = script(
  "transitions",
  'transitions(ns, origin, n, then n times: id, now, to, worker, lease_expired_by, n_from, from..., n_set, field, value, ..., n_unset, field...) → results... Each result: { code, status, runner, attempts, run_after, error, previous, dependants } with code 0 missing (nothing else), 1 wrong status, 2 not the worker, 3 lease not expired, 4 done. `worker` and `lease_expired_by` are \'\' when not checked; absent values are \'\'. Each transition is a compare-and-set of its own. The jobs that became final are announced in one notice: ORIGIN|{"type":"jobs.final","jobs":[{"id","status","dependants"}...]}.',
  `
local origin = ARGV[2]
local zrem, zadd = {}, {}
local finals = {}
local out = {}
local i = 4
for n = 1, tonumber(ARGV[3]) do
  local id, now, to, worker, lease_by = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local nfrom = tonumber(ARGV[i + 5])
  local from = i + 6
  local nset = tonumber(ARGV[from + nfrom])
  local set = from + nfrom + 1
  local nunset = tonumber(ARGV[set + nset * 2])
  local unset = set + nset * 2 + 1
  i = unset + nunset
  local jk = ${luaKey("job", "id")}
  local cur = redis.call('HMGET', jk, 'status', 'runner', 'seq', 'worker', 'lease_until',
    'attempts', 'run_after', 'error')
  local was, runner, seq = cur[1], cur[2], cur[3]
  local code = 4
  if not was then
    code = 0
  else
    local allowed = false
    for j = from, from + nfrom - 1 do if ARGV[j] == was then allowed = true end end
    if not allowed then code = 1
    elseif worker ~= '' and cur[4] ~= worker then code = 2
    elseif lease_by ~= '' and (not cur[5] or tonumber(cur[5]) > tonumber(lease_by)) then code = 3
    end
  end
  if code == 0 then
    out[n] = { 0 }
  elseif code < 4 then
    out[n] = { code, was, runner, cur[6], cur[7] or '', cur[8] or '', '', 0 }
  else
    -- The state after the change: what was, overwritten by what is set, minus what is unset.
    local state = { attempts = cur[6], run_after = cur[7], error = cur[8] }
    for j = set, set + nset * 2 - 1, 2 do
      local field = ARGV[j]
      if field == 'attempts' or field == 'run_after' or field == 'error' then
        state[field] = ARGV[j + 1]
      end
    end
    local dels = {}
    for j = unset, unset + nunset - 1 do dels[#dels + 1] = ARGV[j]; state[ARGV[j]] = nil end
    if was == 'running' and to ~= 'running' then
      dels[#dels + 1] = 'worker'; dels[#dels + 1] = 'lease_until'; dels[#dels + 1] = 'deadline_at'
    end
    redis.call('HSET', jk, 'status', to, 'updated_at', now, unpack(ARGV, set, set + nset * 2 - 1))
    if #dels > 0 then redis.call('HDEL', jk, unpack(dels)) end
    if was ~= to then
      group_add(zrem, ${luaKey("jobsByStatus", "was")}, id)
      group_add(zadd, ${luaKey("jobsByStatus", "to")}, seq, id)
    end
    if was == 'queued' and to ~= 'queued' then
      redis.call('LREM', ${luaKey("queue", "runner")}, 1, id)
      redis.call('ZREM', ${luaKey("delayed")}, id)
    end
    if was == 'created' then
      if redis.call('HEXISTS', jk, 'waiting_on') == 1 then
        redis.call('SADD', ${luaKey("waiting")}, id)
      else
        redis.call('SREM', ${luaKey("waiting")}, id)
      end
    end
    if to == 'queued' and was ~= 'queued' then
      if state.run_after and tonumber(state.run_after) > tonumber(now) then
        redis.call('ZADD', ${luaKey("delayed")}, state.run_after, id)
      else
        push_queue(id, runner)
      end
    end
    local final = is_final(to) and not is_final(was)
    if final then finals[#finals + 1] = { id, to, n } end
    out[n] = { 4, to, runner, state.attempts or '', state.run_after or '', state.error or '', was, 0 }
  end
end
group_flush(zrem, 'ZREM')
group_flush(zadd, 'ZADD')
if #finals > 0 then
  local ids = {}
  for k, f in ipairs(finals) do ids[k] = f[1] end
  local has = redis.call('SMISMEMBER', ${luaKey("hasDependants")}, unpack(ids))
  local parts = {}
  for k, f in ipairs(finals) do
    out[f[3]][8] = has[k]
    -- Job ids are restricted to JSON-safe characters: no encoder needed.
    parts[k] = '{"id":"' .. f[1] .. '","status":"' .. f[2] .. '","dependants":' ..
      (has[k] == 1 and 'true' or 'false') .. '}'
  end
  redis.call('PUBLISH', ${luaKey("notices")},
    origin .. '|{"type":"jobs.final","jobs":[' .. table.concat(parts, ',') .. ']}')
end
return out
`,
  ["push_queue", "is_final", "groups"],
);

/** The `take_jobs` script. */
export const TAKE_JOBS = script(
  "take_jobs",
  "take_jobs(ns, runner, max, worker, now, lease_until, grace_ms) → { spec, seq, attempts, error }... Moves retries whose delay is over back into their queues, then pops up to `max` queued jobs; each becomes `running` under the worker's lease (started_at and updated_at = now, deadline_at = now + timeout + grace, attempts + 1).",
  `
local runner, max, worker = ARGV[2], tonumber(ARGV[3]), ARGV[4]
local now, lease_until, grace = tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
local delayed = ${luaKey("delayed")}
-- Retries whose delay is over go back into their queues first (any runner's).
for _, id in ipairs(redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, 100)) do
  redis.call('ZREM', delayed, id)
  local h = redis.call('HMGET', ${luaKey("job", "id")}, 'status', 'runner')
  if h[1] == 'queued' then push_queue(id, h[2]) end
end
local queue = ${luaKey("queue", "runner")}
local ids = redis.call('LPOP', queue, max)
local out = {}
if ids then
  local zrem, zadd = {}, {}
  local queued, running = ${luaKey("jobsByStatus", "'queued'")}, ${
    luaKey("jobsByStatus", "'running'")
  }
  for _, id in ipairs(ids) do
    local jk = ${luaKey("job", "id")}
    local h = redis.call('HMGET', jk, 'status', 'run_after', 'timeout', 'seq', 'attempts', 'error')
    if h[1] == 'queued' then
      if h[2] and tonumber(h[2]) > now then
        redis.call('ZADD', delayed, h[2], id)
      else
        local deadline = math.floor(now + tonumber(h[3] or '0') * 1000 + grace)
        local attempts = tonumber(h[5] or '0') + 1
        redis.call('HSET', jk, 'status', 'running', 'started_at', ARGV[5], 'updated_at', ARGV[5],
          'worker', worker, 'lease_until', lease_until, 'deadline_at', deadline,
          'attempts', attempts)
        if h[2] then redis.call('HDEL', jk, 'run_after') end
        group_add(zrem, queued, id)
        group_add(zadd, running, h[4], id)
        out[#out + 1] = { redis.call('GET', ${
    luaKey("jobSpec", "id")
  }), h[4], attempts, h[6] or '' }
      end
    end
  end
  group_flush(zrem, 'ZREM')
  group_flush(zadd, 'ZADD')
end
if redis.call('LLEN', queue) > 0 then redis.call('ZADD', ${luaKey("marker", "runner")}, 0, '1') end
return out
`,
  ["push_queue", "groups"],
);

/** The `renew_leases` script. */
export const RENEW_LEASES = script(
  "renew_leases",
  "renew_leases(ns, worker, lease_until, id...) → ids the worker no longer holds.",
  `
local worker, lease_until = ARGV[2], ARGV[3]
local lost = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  local jk = ${luaKey("job", "id")}
  local h = redis.call('HMGET', jk, 'status', 'worker')
  if h[1] == 'running' and h[2] == worker then
    redis.call('HSET', jk, 'lease_until', lease_until)
  else
    lost[#lost + 1] = id
  end
end
return lost
`,
);

/** The `due_jobs` script. */
export const DUE_JOBS = script(
  "due_jobs",
  "due_jobs(ns, field, now, limit) → { spec, state fields... } of the running jobs whose `field` (lease_until or deadline_at) is before `now`. Running jobs are few (at most what runners run at once), so scanning them costs less than keeping a sorted set per field up to date on every take and finish.",
  `
local field, now, limit = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local out = {}
for _, id in ipairs(redis.call('ZRANGE', ${luaKey("jobsByStatus", "'running'")}, 0, -1)) do
  local jk = ${luaKey("job", "id")}
  local due = tonumber(redis.call('HGET', jk, field) or '0')
  if due < now then
    out[#out + 1] = { redis.call('GET', ${luaKey("jobSpec", "id")}), redis.call('HGETALL', jk) }
    if #out >= limit then break end
  end
end
return out
`,
);

/** The `promote_delayed` script. */
export const PROMOTE_DELAYED = script(
  "promote_delayed",
  "promote_delayed(ns, now, limit) → how many delayed jobs went back into their queues.",
  `
local delayed = ${luaKey("delayed")}
local ids = redis.call('ZRANGEBYSCORE', delayed, '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local n = 0
for _, id in ipairs(ids) do
  redis.call('ZREM', delayed, id)
  local h = redis.call('HMGET', ${luaKey("job", "id")}, 'status', 'runner')
  if h[1] == 'queued' then push_queue(id, h[2]); n = n + 1 end
end
return n
`,
  ["push_queue"],
);

/** The `delete_job` script. */
export const DELETE_JOB = script(
  "delete_job",
  "delete_job(ns, id, allowed_status...) → { code, status, runner, attempts, run_after, error } (codes as for transitions; 0 alone when missing).",
  `
local id = ARGV[2]
local jk = ${luaKey("job", "id")}
local flat = redis.call('HGETALL', jk)
if #flat == 0 then return { 0 } end
local h = {}
for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
local allowed = false
for i = 3, #ARGV do if ARGV[i] == h.status then allowed = true end end
local state = { h.status, h.runner, h.attempts, h.run_after or '', h.error or '' }
if not allowed then return { 1, unpack(state) } end
local log = 'log:' .. id
local spec = cjson.decode(redis.call('GET', ${luaKey("jobSpec", "id")}) or '{}')
redis.call('DEL', jk, ${luaKey("jobSpec", "id")}, ${luaKey("seqItems", "log")}, ${
    luaKey("seqLast", "log")
  })
redis.call('ZREM', ${luaKey("jobsAll")}, id)
redis.call('ZREM', ${luaKey("jobsByStatus", "h.status")}, id)
redis.call('ZREM', ${luaKey("jobsByRunner", "h.runner")}, id)
if spec.caller_id then redis.call('ZREM', ${luaKey("jobsByCaller", "spec.caller_id")}, id) end
if spec.context_id then redis.call('ZREM', ${luaKey("jobsByContext", "spec.context_id")}, id) end
redis.call('SREM', ${luaKey("waiting")}, id)
redis.call('ZREM', ${luaKey("delayed")}, id)
if h.status == 'queued' then redis.call('LREM', ${luaKey("queue", "h.runner")}, 1, id) end
if spec.depends_on then
  for _, dep in ipairs(spec.depends_on) do
    redis.call('SREM', ${luaKey("dependants", "dep")}, id)
  end
end
return { 4, unpack(state) }
`,
);

/** The `append_seq` script. */
export const APPEND_SEQ = script(
  "append_seq",
  "append_seq(ns, key, keep, item...) → the last seq, after appending and trimming.",
  `
local key, keep = ARGV[2], tonumber(ARGV[3])
local items = ${luaKey("seqItems", "key")}
local n = #ARGV - 3
local last = redis.call('INCRBY', ${luaKey("seqLast", "key")}, n)
for i = 4, #ARGV, 4000 do
  redis.call('RPUSH', items, unpack(ARGV, i, math.min(i + 3999, #ARGV)))
end
redis.call('LTRIM', items, -keep, -1)
return last
`,
);

/** The `read_seq` script. */
export const READ_SEQ = script(
  "read_seq",
  "read_seq(ns, key, after, limit) → { last, kept, item... } for items with seq > after.",
  `
local key, after, limit = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local items = ${luaKey("seqItems", "key")}
local last = tonumber(redis.call('GET', ${luaKey("seqLast", "key")}) or '0')
local kept = redis.call('LLEN', items)
local first = last - kept + 1
local start = math.max(after + 1, first)
local out = { last, kept }
if start <= last then
  local from = start - first
  for _, item in ipairs(redis.call('LRANGE', items, from, from + limit - 1)) do
    out[#out + 1] = item
  end
end
return out
`,
);

/** Every script, for loading and for the protocol documentation. */
export const ALL_SCRIPTS: readonly LuaScript[] = [
  INSERT_JOBS,
  TRANSITIONS,
  TAKE_JOBS,
  RENEW_LEASES,
  DUE_JOBS,
  PROMOTE_DELAYED,
  DELETE_JOB,
  APPEND_SEQ,
  READ_SEQ,
];
