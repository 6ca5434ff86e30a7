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
  // A queue is a sorted set: higher priority first (-1000..1000), then first come first
  // served (2^42 arrivals below the priority: 2001 × 2^42 < 2^53, exact in a score).
  queue_score: `local function queue_score(priority)
  local arrival = redis.call('INCR', ${luaKey("queueArrivals")}) % 4398046511104
  return (1000 - (tonumber(priority) or 0)) * 4398046511104 + arrival
end`,
  push_queue: `local function push_queue(id, runner, priority)
  if priority == nil then priority = redis.call('HGET', ${luaKey("job", "id")}, 'priority') end
  redis.call('ZADD', ${luaKey("queue", "runner")}, queue_score(priority), id)
  redis.call('SADD', ${luaKey("queueRunners")}, runner)
  redis.call('ZADD', ${luaKey("marker", "runner")}, 0, '1')
end`,
  // Removes a job with its logs and every index entry; h: its status, runner and spec.
  remove_job: `local function remove_job(id, status, runner, spec_text)
  local log = 'log:' .. id
  local spec = cjson.decode(spec_text or '{}')
  redis.call('DEL', ${luaKey("job", "id")}, ${luaKey("seqChunks", "log")}, ${
    luaKey("seqIndex", "log")
  },
    ${luaKey("seqLast", "log")}, ${luaKey("seqFirst", "log")})
  redis.call('ZREM', ${luaKey("jobsAll")}, id)
  redis.call('ZREM', ${luaKey("jobsByStatus", "status")}, id)
  redis.call('ZREM', ${luaKey("jobsByRunner", "runner")}, id)
  if type(spec.caller_id) == 'string' then
    redis.call('ZREM', ${luaKey("jobsByCaller", "spec.caller_id")}, id)
  end
  if type(spec.context_id) == 'string' then
    redis.call('ZREM', ${luaKey("jobsByContext", "spec.context_id")}, id)
  end
  redis.call('SREM', ${luaKey("waiting")}, id)
  redis.call('ZREM', ${luaKey("delayed")}, id)
  redis.call('ZREM', ${luaKey("expires")}, id)
  redis.call('ZREM', ${luaKey("finished", "status")}, id)
  if status == 'queued' then redis.call('ZREM', ${luaKey("queue", "runner")}, id) end
  if type(spec.dedup_key) == 'string' and
    redis.call('GET', ${luaKey("dedup", "spec.dedup_key")}) == id then
    redis.call('DEL', ${luaKey("dedup", "spec.dedup_key")})
  end
  if type(spec.depends_on) == 'table' then
    for _, dep in ipairs(spec.depends_on) do
      redis.call('SREM', ${luaKey("dependants", "dep")}, id)
    end
  end
end`,
  // A scheduled job whose time came: queued, in its status index too.
  unschedule: `local function unschedule(id)
  local jk = ${luaKey("job", "id")}
  local h = redis.call('HMGET', jk, 'status', 'runner', 'seq', 'priority')
  if h[1] ~= 'scheduled' then return h end
  redis.call('HSET', jk, 'status', 'queued')
  redis.call('HDEL', jk, 'run_after')
  redis.call('ZREM', ${luaKey("jobsByStatus", "'scheduled'")}, id)
  redis.call('ZADD', ${luaKey("jobsByStatus", "'queued'")}, h[3], id)
  h[1] = 'queued'
  return h
end`,
  is_final: `local function is_final(s)
  return s == 'completed' or s == 'failed' or s == 'stopped' or s == 'timeout'
end`,
  // Set operations are grouped per key and sent once per batch: one call, many members.
  // Fixed arity (no varargs): a table per call would cost more than the call.
  groups: `local function group_add(groups, key, a, b)
  local g = groups[key]
  if not g then g = { n = 0 }; groups[key] = g end
  g.n = g.n + 1; g[g.n] = a
  if b ~= nil then g.n = g.n + 1; g[g.n] = b end
end
local function group_flush(groups, command)
  for key, g in pairs(groups) do
    for j = 1, g.n, 4000 do redis.call(command, key, unpack(g, j, math.min(j + 3999, g.n))) end
  end
end`,
  // Keys built once per call, not once per job: keyed(function(part) return key end).
  keyed: `local function keyed(build)
  return setmetatable({}, { __index = function(keys, part)
    local k = build(part)
    keys[part] = k
    return k
  end })
end`,
  // JSON of a string that may need escaping (an error message); '' and nil are null.
  json_text: `local function json_text(s)
  if s == nil or s == false or s == '' then return 'null' end
  return cjson.encode(s)
end`,
};

function script(
  name: string,
  usage: string,
  body: string,
  helpers: (keyof typeof HELPERS)[] = [],
): LuaScript {
  const source = [
    `-- hero supervisor: ${name}`,
    HEAD,
    ...helpers.map((h) => HELPERS[h]),
    body,
  ]
    .join("\n");
  return {
    name,
    usage,
    source,
    sha: createHash("sha1").update(source).digest("hex"),
  };
}

/** The `insert_jobs` script. */
export const INSERT_JOBS = script(
  "insert_jobs",
  "insert_jobs(ns, jobs, atomic) → { seq, 0 or holder id }... `jobs` is a JSON array of `[id, runner, status, caller_id, context_id, waiting, [dep...], [field, value, ...], priority, run_after, dedup_key, dedup_until]`, one per job. Each job gets a new `seq` (0: the id exists, nothing is stored; a job id: the job holding its `dedup_key`, which is kept in `dedup:{key}` until `dedup_until`, nothing is stored) and becomes the hash `job:{id}`: `seq`, `status`, `runner` and the given fields (strings: `spec`, `timeout`, `priority` when not 0, and the state fields). `caller_id`, `context_id` and `dedup_key` are '' when absent; `waiting` is 1 when the job waits for prerequisites. A job inserted as `queued` is added to its runner's queue, one inserted as `scheduled` to `delayed` (score `run_after`); one inserted as `running` (direct dispatch) carries its lease. With `atomic` = '1', one id that exists stores none (its place says 0, the others -1).",
  `
local jobs = cjson.decode(ARGV[2])
local n = #jobs
local out = {}
local atomic = ARGV[3] == '1'
if atomic then
  -- All or nothing: one id that exists, or comes twice, stores none (0 marks it, -1 the
  -- others). Checked here once, so not again below.
  local dup, seen = false, {}
  for k = 1, n do
    local id = jobs[k][1]
    if seen[id] or redis.call('EXISTS', ${
    luaKey("job", "id")
  }) == 1 then out[k] = 0; dup = true else out[k] = -1 end
    seen[id] = true
  end
  if dup then return out end
end
-- The batch's arrivals, taken at once (one INCRBY, not one INCR per queued job).
local arrival = nil
local function next_score(priority)
  if not arrival then arrival = redis.call('INCRBY', ${luaKey("queueArrivals")}, n) - n end
  arrival = arrival + 1
  return (1000 - (tonumber(priority) or 0)) * 4398046511104 + arrival % 4398046511104
end
-- Runners given a job: their marker and their place in queueRunners, once per batch.
local woken = {}
local first = redis.call('INCRBY', ${luaKey("jobSeq")}, n) - n + 1
local zadd = {}
local delayed = ${luaKey("delayed")}
local all = ${luaKey("jobsAll")}
local status_key = keyed(function(s) return ${luaKey("jobsByStatus", "s")} end)
local runner_key = keyed(function(r) return ${luaKey("jobsByRunner", "r")} end)
for k = 1, n do
  local j = jobs[k]
  local id, runner, status, caller, context = j[1], j[2], j[3], j[4], j[5]
  local jk = ${luaKey("job", "id")}
  local dk, holder = j[11], nil
  if dk ~= '' then
    holder = redis.call('GET', ${luaKey("dedup", "dk")})
    if holder and redis.call('EXISTS', ${luaKey("job", "holder")}) == 0 then holder = nil end
  end
  if holder then
    out[k] = holder
  elseif not atomic and redis.call('EXISTS', jk) == 1 then
    out[k] = 0
  else
    if dk ~= '' and tonumber(j[12]) > 0 then
      redis.call('SET', ${luaKey("dedup", "dk")}, id, 'PXAT', j[12])
    end
    local seq = first + k - 1
    redis.call('HSET', jk, 'seq', seq, 'status', status, 'runner', runner, unpack(j[8]))
    group_add(zadd, all, seq, id)
    group_add(zadd, status_key[status], seq, id)
    group_add(zadd, runner_key[runner], seq, id)
    if caller ~= '' then group_add(zadd, ${luaKey("jobsByCaller", "caller")}, seq, id) end
    if context ~= '' then group_add(zadd, ${luaKey("jobsByContext", "context")}, seq, id) end
    for _, dep in ipairs(j[7]) do
      redis.call('SADD', ${luaKey("dependants", "dep")}, id)
      redis.call('SADD', ${luaKey("hasDependants")}, dep)
    end
    if j[6] == 1 then redis.call('SADD', ${luaKey("waiting")}, id) end
    if status == 'queued' then
      group_add(zadd, ${luaKey("queue", "runner")}, next_score(j[9]), id)
      if not woken[runner] then
        woken[runner] = true
        group_add(zadd, ${luaKey("marker", "runner")}, 0, '1')
        redis.call('SADD', ${luaKey("queueRunners")}, runner)
      end
    elseif status == 'scheduled' then
      group_add(zadd, delayed, j[10], id)
    end
    out[k] = seq
  end
end
group_flush(zadd, 'ZADD')
return out
`,
  ["groups", "keyed"],
);

/** The `transitions` script. */
export const TRANSITIONS = script(
  "transitions",
  'transitions(ns, origin, changes, listening) → JSON text of the results. `changes` is a JSON array of `[id, now, to, worker, lease_expired_by, [from...], [field, value, ...], [unset_field...]]`; `worker` and `lease_expired_by` are \'\' when not checked, values are strings. Each result is `[code, status, runner, attempts, run_after, error, previous, dependants]` with code 0 missing (nothing else), 1 wrong status, 2 not the worker, 3 lease not expired, 4 done; absent values are null. Each transition is a compare-and-set of its own. The jobs that became final are announced in one notice: ORIGIN|{"type":"jobs.final","jobs":[{"id","status","dependants"}...]}, unless nobody else listens: `listening` is 1 when the caller itself is subscribed to the notices channel (it knows already).',
  `
local origin = ARGV[2]
local changes = cjson.decode(ARGV[3])
local status_key = keyed(function(s) return ${luaKey("jobsByStatus", "s")} end)
local finished_key = keyed(function(s) return ${luaKey("finished", "s")} end)
local zrem, zadd = {}, {}
local finals = {}
local out = {}
-- A job changed twice in one call: what the first change grouped is written before the
-- second, or its index entries would be removed and added in the wrong order.
local touched = {}
for n = 1, #changes do
  local c = changes[n]
  local id, now, to, worker, lease_by = c[1], c[2], c[3], c[4], c[5]
  if touched[id] then
    group_flush(zrem, 'ZREM'); group_flush(zadd, 'ZADD')
    zrem, zadd, touched = {}, {}, {}
  end
  touched[id] = true
  local from, set, unset = c[6], c[7], c[8]
  local jk = ${luaKey("job", "id")}
  local cur = redis.call('HMGET', jk, 'status', 'runner', 'seq', 'worker', 'lease_until',
    'attempts', 'run_after', 'error', 'finished_at', 'keep_completed', 'keep_failed')
  local was, runner, seq = cur[1], cur[2], cur[3]
  local code = 4
  if not was then
    code = 0
  else
    local allowed = false
    for j = 1, #from do if from[j] == was then allowed = true end end
    if not allowed then code = 1
    elseif worker ~= '' and cur[4] ~= worker then code = 2
    elseif lease_by ~= '' and (not cur[5] or tonumber(cur[5]) > tonumber(lease_by)) then code = 3
    end
  end
  if code == 0 then
    out[n] = '[0]'
  else
    local attempts, run_after, err = cur[6], cur[7], cur[8]
    if code == 4 then
      -- The state after the change: what was, overwritten by what is set, minus what is unset.
      local finished_at, keep_completed, keep_failed = cur[9], cur[10], cur[11]
      for j = 1, #set, 2 do
        local field = set[j]
        if field == 'attempts' then attempts = set[j + 1]
        elseif field == 'run_after' then run_after = set[j + 1]
        elseif field == 'error' then err = set[j + 1]
        elseif field == 'finished_at' then finished_at = set[j + 1]
        elseif field == 'keep_completed' then keep_completed = set[j + 1]
        elseif field == 'keep_failed' then keep_failed = set[j + 1]
        end
      end
      local dels = {}
      for j = 1, #unset do
        local field = unset[j]
        dels[j] = field
        if field == 'attempts' then attempts = nil
        elseif field == 'run_after' then run_after = nil
        elseif field == 'error' then err = nil
        elseif field == 'finished_at' then finished_at = nil
        elseif field == 'keep_completed' then keep_completed = nil
        elseif field == 'keep_failed' then keep_failed = nil
        end
      end
      if was == 'running' and to ~= 'running' then
        dels[#dels + 1] = 'worker'; dels[#dels + 1] = 'lease_until'; dels[#dels + 1] = 'deadline_at'
      end
      redis.call('HSET', jk, 'status', to, 'updated_at', now, unpack(set))
      if #dels > 0 then redis.call('HDEL', jk, unpack(dels)) end
      if was ~= to then
        group_add(zrem, status_key[was], id)
        group_add(zadd, status_key[to], seq, id)
      end
      if (was == 'queued' or was == 'scheduled') and to ~= was then
        redis.call('ZREM', ${luaKey("queue", "runner")}, id)
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
        if run_after and tonumber(run_after) > tonumber(now) then
          redis.call('ZADD', ${luaKey("delayed")}, run_after, id)
        else
          push_queue(id, runner)
        end
      elseif to == 'scheduled' and was ~= 'scheduled' then
        redis.call('ZADD', ${luaKey("delayed")}, run_after, id)
      end
      if is_final(to) and not is_final(was) then
        finals[#finals + 1] = { id, to, n }
        -- Kept until its own age (expires) or the supervisor's for its status (finished:S).
        local ended = tonumber(finished_at or now)
        local own = to == 'completed' and keep_completed or keep_failed
        if own then
          group_add(zadd, ${luaKey("expires")}, ended + tonumber(own), id)
        else
          group_add(zadd, finished_key[to], ended, id)
        end
      end
    end
    -- Job ids, runner names and statuses are JSON-safe characters: no encoder needed. The
    -- last element, whether it has dependants, follows once they are known (finals only).
    local result = '[' .. code .. ',"' .. (code == 4 and to or was) .. '","' .. runner .. '",' ..
      (attempts or 'null') .. ',' .. (run_after or 'null') .. ',' .. json_text(err) .. ',"' ..
      (code == 4 and was or '') .. '",'
    if finals[#finals] and finals[#finals][3] == n then out[n] = result else out[n] = result .. '0]' end
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
    out[f[3]] = out[f[3]] .. has[k] .. ']'
    parts[k] = '{"id":"' .. f[1] .. '","status":"' .. f[2] .. '","dependants":' ..
      (has[k] == 1 and 'true' or 'false') .. '}'
  end
  local channel = ${luaKey("notices")}
  local others = redis.call('PUBSUB', 'NUMSUB', channel)[2] - (ARGV[4] == '1' and 1 or 0)
  if others > 0 then
    redis.call('PUBLISH', channel,
      origin .. '|{"type":"jobs.final","jobs":[' .. table.concat(parts, ',') .. ']}')
  end
end
return '[' .. table.concat(out, ',') .. ']'
`,
  ["queue_score", "push_queue", "is_final", "groups", "json_text", "keyed"],
);

/** The `take_jobs` script. */
export const TAKE_JOBS = script(
  "take_jobs",
  "take_jobs(ns, runner, max, worker, now, lease_until, grace_ms[, rate_max, rate_per_ms]) → JSON text: `[[seq, attempts, error, spec], ...]` (`spec` the job's spec object, `error` null when none), and last `{\"limited_until\": MS}` when a rate limit held queued jobs back (then the runner's marker is not set: the window opens at MS). With `rate_max`, at most that many starts per window of `rate_per_ms` (windows from the epoch), counted in `rate:{runner}:{window}`. Moves retries whose delay is over and scheduled jobs whose time came into their queues, then pops up to `max` queued jobs (highest priority, then oldest arrival, first); each becomes `running` under the worker's lease (started_at and updated_at = now, deadline_at = now + timeout + grace, attempts + 1).",
  `
local runner, max, worker = ARGV[2], tonumber(ARGV[3]), ARGV[4]
local now, lease_until, grace = tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
local delayed = ${luaKey("delayed")}
-- Retries whose delay is over, and scheduled jobs whose time came, go into their queues
-- first (any runner's).
for _, id in ipairs(redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, 100)) do
  redis.call('ZREM', delayed, id)
  local h = unschedule(id)
  if h[1] == 'queued' then push_queue(id, h[2], h[4]) end
end
local queue = ${luaKey("queue", "runner")}
-- A rate limit: at most rate_max starts per window of per_ms, counted here for every taker.
local rate_key, used, limited = nil, 0, nil
if ARGV[8] and ARGV[8] ~= '' then
  local per = tonumber(ARGV[9])
  local window = math.floor(now / per)
  rate_key = ${luaKey("rate", "runner .. ':' .. window")}
  used = tonumber(redis.call('GET', rate_key) or '0')
  local allowed = math.max(0, tonumber(ARGV[8]) - used)
  if allowed < max then
    if redis.call('ZCARD', queue) > allowed then limited = (window + 1) * per end
    max = allowed
  end
end
local popped = max > 0 and redis.call('ZPOPMIN', queue, max) or {}
local ids = {}
for k = 1, #popped, 2 do ids[#ids + 1] = popped[k] end
local out = {}
if #ids > 0 then
  local zrem, zadd = {}, {}
  local queued, running = ${luaKey("jobsByStatus", "'queued'")}, ${
    luaKey("jobsByStatus", "'running'")
  }
  for _, id in ipairs(ids) do
    local jk = ${luaKey("job", "id")}
    local h = redis.call('HMGET', jk, 'status', 'run_after', 'timeout', 'seq', 'attempts', 'error',
      'spec')
    if h[1] == 'queued' then
      if h[2] and tonumber(h[2]) > now then
        redis.call('ZADD', delayed, h[2], id)
      else
        local deadline = math.floor(now + tonumber(h[3] or '0') * 1000 + grace)
        local attempts = tonumber(h[5] or '0') + 1
        if h[2] then
          redis.call('HDEL', jk, 'run_after')
        end
        redis.call('HSET', jk, 'status', 'running', 'started_at', ARGV[5], 'updated_at', ARGV[5],
          'worker', worker, 'lease_until', lease_until, 'deadline_at', deadline,
          'attempts', attempts)
        group_add(zrem, queued, id)
        group_add(zadd, running, h[4], id)
        out[#out + 1] = '[' .. h[4] .. ',' .. attempts .. ',' .. json_text(h[6]) .. ',' .. h[7] ..
          ']'
      end
    end
  end
  group_flush(zrem, 'ZREM')
  group_flush(zadd, 'ZADD')
end
if rate_key and #out > 0 then
  redis.call('INCRBY', rate_key, #out)
  redis.call('PEXPIRE', rate_key, math.ceil(tonumber(ARGV[9]) * 2))
end
-- Held back by the limit: no marker (takers would wake for nothing); the window's end is said.
if limited then
  out[#out + 1] = '{"limited_until":' .. string.format('%d', limited) .. '}'
elseif redis.call('ZCARD', queue) > 0 then
  redis.call('ZADD', ${luaKey("marker", "runner")}, 0, '1')
end
return '[' .. table.concat(out, ',') .. ']'
`,
  ["queue_score", "push_queue", "unschedule", "groups", "json_text"],
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
  "due_jobs(ns, field, now, limit) → { field, value, ... }... (each a job's whole hash) of the running jobs whose `field` (lease_until or deadline_at) is before `now`. Running jobs are few (at most what runners run at once), so scanning them costs less than keeping a sorted set per field up to date on every take and finish.",
  `
local field, now, limit = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local out = {}
for _, id in ipairs(redis.call('ZRANGE', ${luaKey("jobsByStatus", "'running'")}, 0, -1)) do
  local jk = ${luaKey("job", "id")}
  local due = tonumber(redis.call('HGET', jk, field) or '0')
  if due < now then
    out[#out + 1] = redis.call('HGETALL', jk)
    if #out >= limit then break end
  end
end
return out
`,
);

/** The `promote_delayed` script. */
export const PROMOTE_DELAYED = script(
  "promote_delayed",
  "promote_delayed(ns, now, limit) → { runner... }: delayed retries and scheduled jobs whose time came go into their queues (scheduled ones become `queued`); the runners whose queues got jobs, each once.",
  `
local delayed = ${luaKey("delayed")}
local ids = redis.call('ZRANGEBYSCORE', delayed, '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local seen, runners = {}, {}
for _, id in ipairs(ids) do
  redis.call('ZREM', delayed, id)
  local h = unschedule(id)
  if h[1] == 'queued' then
    redis.call('HSET', ${luaKey("job", "id")}, 'updated_at', ARGV[2])
    push_queue(id, h[2], h[4])
    if not seen[h[2]] then seen[h[2]] = true; runners[#runners + 1] = h[2] end
  end
end
return runners
`,
  ["queue_score", "push_queue", "unschedule"],
);

/** The `delete_job` script. */
export const DELETE_JOB = script(
  "delete_job",
  "delete_job(ns, id, allowed_status...) → { code, status, runner, attempts, run_after, error } (codes as for transitions; 0 alone when missing).",
  `
local id = ARGV[2]
local jk = ${luaKey("job", "id")}
local h = redis.call('HMGET', jk, 'status', 'runner', 'attempts', 'run_after', 'error', 'spec')
if not h[1] then return { 0 } end
local status, runner = h[1], h[2]
local allowed = false
for i = 3, #ARGV do if ARGV[i] == status then allowed = true end end
local state = { status, runner, h[3], h[4] or '', h[5] or '' }
if not allowed then return { 1, unpack(state) } end
remove_job(id, status, runner, h[6])
return { 4, unpack(state) }
`,
  ["remove_job"],
);

/** The `append_seq` script. */
export const APPEND_SEQ = script(
  "append_seq",
  "append_seq(ns, key, keep, n, items) → the last seq. `items` is the text of `n` new items (`seq_chunk.ts`: by columns, or a JSON array), stored as one chunk whose first seq follows the last; then chunks wholly older than the last `keep` items go. A reader skips kept chunks' items below `seq:{key}:first`.",
  `
local key, keep, n = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local last = redis.call('INCRBY', ${luaKey("seqLast", "key")}, n)
local first = last - n + 1
local index = ${luaKey("seqIndex", "key")}
local chunks = ${luaKey("seqChunks", "key")}
redis.call('HSET', chunks, first, ARGV[5])
redis.call('ZADD', index, first, first)
local floor = last - keep + 1
local first_key = ${luaKey("seqFirst", "key")}
-- What is gone stays gone: a larger \`keep\` later does not bring it back.
if floor > tonumber(redis.call('GET', first_key) or '1') then
  redis.call('SET', first_key, floor)
  -- Chunks that start at or before the floor: all but the newest end below it.
  local old = redis.call('ZRANGE', index, '-inf', floor, 'BYSCORE')
  if #old > 1 then
    redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. old[#old])
    redis.call('HDEL', chunks, unpack(old, 1, #old - 1))
  end
end
return last
`,
);

/** The `read_seq` script. */
export const READ_SEQ = script(
  "read_seq",
  "read_seq(ns, key, after, limit) → { last, first, chunk_first, chunk, ... }: the last seq given out, the first still kept, and the chunks (their text, each after its first seq) that hold the items with seq > after, up to `limit` of them.",
  `
local key, after, limit = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local last = tonumber(redis.call('GET', ${luaKey("seqLast", "key")}) or '0')
local first = tonumber(redis.call('GET', ${luaKey("seqFirst", "key")}) or '1')
local out = { last, first }
local from = math.max(after + 1, first)
if from > last then return out end
local index = ${luaKey("seqIndex", "key")}
-- The chunk holding \`from\`, then those after it, until \`limit\` items are covered.
local holding = redis.call('ZRANGE', index, from, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, 1)[1]
-- Each chunk holds at least one item: limit + 1 starts are enough (the last one ends the one
-- before it).
local starts = redis.call('ZRANGE', index, holding or from, '+inf', 'BYSCORE', 'LIMIT', 0,
  limit + 1)
local wanted = {}
local covered = 0
for i, s in ipairs(starts) do
  local ends = starts[i + 1] and tonumber(starts[i + 1]) - 1 or last
  if ends >= from then
    wanted[#wanted + 1] = s
    covered = covered + ends - math.max(from, tonumber(s)) + 1
    if covered >= limit then break end
  end
end
if #wanted == 0 then return out end
local texts = redis.call('HMGET', ${luaKey("seqChunks", "key")}, unpack(wanted))
for i, s in ipairs(wanted) do
  out[#out + 1] = tonumber(s)
  out[#out + 1] = texts[i] or '[]'
end
return out
`,
);

/** The `count_jobs` script. */
export const COUNT_JOBS = script(
  "count_jobs",
  "count_jobs(ns, status...) → how many jobs are in each status, in order.",
  `
local out = {}
for i = 2, #ARGV do out[i - 1] = redis.call('ZCARD', ${luaKey("jobsByStatus", "ARGV[i]")}) end
return out
`,
);

/** The `sweep_jobs` script. */
export const SWEEP_JOBS = script(
  "sweep_jobs",
  "sweep_jobs(ns, now, limit, age_completed, age_failed) → how many jobs were removed (at most `limit`), with their logs: final jobs past their own `keep` age (`expires`, score the time they expire), then those past the supervisor's age for their status (`finished:{status}`, score when they ended; `age_failed` also for stopped and timeout; '' when there is none).",
  `
local now, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local removed = 0
local function sweep(index, upto)
  if removed >= limit then return end
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', index, '-inf', upto, 'LIMIT', 0, limit - removed)) do
    local h = redis.call('HMGET', ${luaKey("job", "id")}, 'status', 'runner', 'spec')
    if h[1] then remove_job(id, h[1], h[2], h[3]) else redis.call('ZREM', index, id) end
    removed = removed + 1
  end
end
sweep(${luaKey("expires")}, now)
for _, status in ipairs({ 'completed', 'failed', 'stopped', 'timeout' }) do
  local age = status == 'completed' and ARGV[4] or ARGV[5]
  if age ~= '' then sweep(${luaKey("finished", "status")}, now - tonumber(age)) end
end
return removed
`,
  ["remove_job"],
);

/** The `trim_status` script. */
export const TRIM_STATUS = script(
  "trim_status",
  "trim_status(ns, status, keep, limit) → how many jobs were removed: the oldest jobs of a final status beyond the newest `keep`, at most `limit`, with their logs.",
  `
local status, keep, limit = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local index = ${luaKey("jobsByStatus", "status")}
local excess = math.min(redis.call('ZCARD', index) - keep, limit)
if excess <= 0 then return 0 end
for _, id in ipairs(redis.call('ZRANGE', index, 0, excess - 1)) do
  local h = redis.call('HMGET', ${luaKey("job", "id")}, 'status', 'runner', 'spec')
  if h[1] then remove_job(id, h[1], h[2], h[3]) else redis.call('ZREM', index, id) end
end
return excess
`,
  ["remove_job"],
);

/** The `put_schedule` script. */
export const PUT_SCHEDULE = script(
  "put_schedule",
  "put_schedule(ns, name, spec_json, last_tick, create) → 1, or 0 when `create` is '1' and the schedule exists. Keeps the spec in `schedules`; a new one's last tick in `schedule_ticks` (an update leaves the ticks alone).",
  `
local name = ARGV[2]
if ARGV[5] == '1' then
  if redis.call('HSETNX', ${luaKey("schedules")}, name, ARGV[3]) == 0 then return 0 end
  redis.call('HSET', ${luaKey("scheduleTicks")}, name, ARGV[4])
  redis.call('DEL', ${luaKey("scheduleRuns", "name")})
  return 1
end
if redis.call('HEXISTS', ${luaKey("schedules")}, name) == 0 then return 0 end
redis.call('HSET', ${luaKey("schedules")}, name, ARGV[3])
return 1
`,
);

/** The `advance_schedule` script. */
export const ADVANCE_SCHEDULE = script(
  "advance_schedule",
  "advance_schedule(ns, name, from, to, run_json) → 1 when the schedule's last tick was `from` and is now `to` (`run_json`, when not '', recorded among its last 20 runs), else 0: the compare-and-set that gives one member each tick.",
  `
local name = ARGV[2]
if redis.call('HGET', ${luaKey("scheduleTicks")}, name) ~= ARGV[3] then return 0 end
redis.call('HSET', ${luaKey("scheduleTicks")}, name, ARGV[4])
if ARGV[5] ~= '' then
  redis.call('LPUSH', ${luaKey("scheduleRuns", "name")}, ARGV[5])
  redis.call('LTRIM', ${luaKey("scheduleRuns", "name")}, 0, 19)
end
return 1
`,
);

/** The `migrate_queues` script. */
export const MIGRATE_QUEUES = script(
  "migrate_queues",
  "migrate_queues(ns) → how many jobs moved. Queues kept as lists by an earlier version (oldest at the head) become sorted sets, in the same order (each job at its priority). Run once when a store connects; a no-op when there is nothing to move.",
  `
local moved = 0
for _, runner in ipairs(redis.call('SMEMBERS', ${luaKey("queueRunners")})) do
  local queue = ${luaKey("queue", "runner")}
  if redis.call('TYPE', queue).ok == 'list' then
    local ids = redis.call('LRANGE', queue, 0, -1)
    redis.call('DEL', queue)
    for _, id in ipairs(ids) do
      local priority = redis.call('HGET', ${luaKey("job", "id")}, 'priority')
      redis.call('ZADD', queue, queue_score(priority), id)
      moved = moved + 1
    end
  end
end
return moved
`,
  ["queue_score"],
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
  COUNT_JOBS,
  SWEEP_JOBS,
  TRIM_STATUS,
  PUT_SCHEDULE,
  ADVANCE_SCHEDULE,
  MIGRATE_QUEUES,
];
