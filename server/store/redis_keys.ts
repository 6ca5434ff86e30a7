/**
 * Every Redis key the supervisor, its runners and remote agents use.
 *
 * This module is the only place a key name is written. The TypeScript side
 * calls {@linkcode RedisKeys}; the Lua scripts get the same names from
 * {@linkcode luaKey}, generated from the same table, so the queue a
 * job is pushed to can never differ from the queue a runner takes from.
 * `docs/protocol.md` lists this layout.
 *
 * @module
 */

/**
 * Key templates, relative to the namespace (`{}` is the variable part), each
 * with what it holds: `docs/protocol.md` renders this table.
 */
export const KEY_TEMPLATES = {
  job: {
    template: "job:{}",
    holds: "Hash: one job: its spec (JSON, written once) and its state (see `docs/protocol.md`).",
  },
  jobSeq: {
    template: "jobs:seq",
    holds: "String: the last job `seq` given out.",
  },
  jobsAll: {
    template: "jobs:all",
    holds: "Sorted set, score `seq`: every job (for `jobs.list`).",
  },
  jobsByStatus: {
    template: "jobs:status:{}",
    holds: "Sorted set, score `seq`: the jobs in one status.",
  },
  jobsByRunner: {
    template: "jobs:runner:{}",
    holds: "Sorted set, score `seq`: the jobs of one runner.",
  },
  jobsByCaller: {
    template: "jobs:caller:{}",
    holds: "Sorted set, score `seq`: the jobs of one caller.",
  },
  jobsByContext: {
    template: "jobs:context:{}",
    holds: "Sorted set, score `seq`: the jobs of one context.",
  },
  queue: {
    template: "queue:{}",
    holds:
      "Sorted set of job ids: a runner's queue. Score `(1000 - priority) × 2^42 + arrival`: higher priority first, then first come first served.",
  },
  queueArrivals: {
    template: "queue_arrivals",
    holds:
      "String: a counter of arrivals in queues (their order; a batch of inserts takes as many as it holds at once, some perhaps unused).",
  },
  rate: {
    template: "rate:{}",
    holds:
      "String `rate:RUNNER:WINDOW`, expiring: the job starts of a runner in one window of its rate limit.",
  },
  dedup: {
    template: "dedup:{}",
    holds:
      "String, expiring at the key's `dedup_until`: the id of the job that holds a `dedup_key`.",
  },
  marker: {
    template: "marker:{}",
    holds: "Sorted set with one member: set when the runner's queue may hold work (for BZPOPMIN).",
  },
  queueRunners: {
    template: "queues",
    holds: "Set: runner names that ever had a queue.",
  },
  delayed: {
    template: "delayed",
    holds:
      "Sorted set, score `run_after`: queued jobs waiting for their retry time, and scheduled jobs for their `run_at`.",
  },
  expires: {
    template: "expires",
    holds: "Sorted set, score when it expires: final jobs with a `keep` age of their own.",
  },
  finished: {
    template: "finished:{}",
    holds:
      "Sorted set, score `finished_at`: the jobs of one final status kept until the supervisor's `keep` age.",
  },
  waiting: {
    template: "waiting",
    holds: "Set: jobs started but waiting for prerequisites.",
  },
  dependants: {
    template: "dependants:{}",
    holds: "Set: the jobs that depend on one job.",
  },
  hasDependants: {
    template: "has_dependants",
    holds: "Set: jobs that some job depends on (so a job's end checks its dependants only then).",
  },
  seqChunks: {
    template: "seq:{}",
    holds:
      "Hash, first `seq` → a chunk's text (see \"A sequence's chunks\"): a bounded sequence (a job's log lines, the events), one chunk per append.",
  },
  seqIndex: {
    template: "seq:{}:index",
    holds: "Sorted set, score and member the first `seq` of each chunk of a bounded sequence.",
  },
  seqLast: {
    template: "seq:{}:last",
    holds: "String: the last `seq` given out in a bounded sequence.",
  },
  seqFirst: {
    template: "seq:{}:first",
    holds: "String: the first `seq` a bounded sequence still keeps (absent: 1).",
  },
  secrets: {
    template: "secrets",
    holds: "Hash, secret hash → JSON: secrets added through the API.",
  },
  runners: {
    template: "runners",
    holds: "Hash, runner name → JSON config: registered runners.",
  },
  agentRunners: {
    template: "agent_runners",
    holds: "Hash, runner name → JSON config: runners announced by remote agents.",
  },
  agents: {
    template: "agents:{}",
    holds: "Sorted set, score heartbeat deadline: the live remote agents of one runner.",
  },
  schedules: {
    template: "schedules",
    holds: "Hash, schedule name → JSON: the schedules' specs.",
  },
  scheduleTicks: {
    template: "schedule_ticks",
    holds:
      "Hash, schedule name → its last tick handled (ms): compared and set by one member per tick.",
  },
  scheduleRuns: {
    template: "schedule_runs:{}",
    holds: "List of JSON: a schedule's last 20 runs (tick, job id or why skipped), newest first.",
  },
  members: {
    template: "members",
    holds:
      "Hash, member id → JSON: the supervisors and agents sharing the store, each with its last heartbeat and until when it holds.",
  },
  notices: {
    template: "notices",
    holds: "Pub/sub channel: notices (`ORIGIN|JSON`).",
  },
} as const;

type KeyName = keyof typeof KEY_TEMPLATES;

/** Builds the keys of one namespace. */
export class RedisKeys {
  readonly #prefix: string;

  constructor(namespace: string) {
    this.#prefix = `${namespace}:`;
  }

  /** The key of a template, with its variable part filled in. */
  key(name: KeyName, part = ""): string {
    return this.#prefix + KEY_TEMPLATES[name].template.replace("{}", part);
  }

  job = (id: string): string => this.key("job", id);
  queue = (runner: string): string => this.key("queue", runner);
  marker = (runner: string): string => this.key("marker", runner);
  /** Every key of one bounded sequence. */
  seq = (key: string): string[] =>
    (["seqChunks", "seqIndex", "seqLast", "seqFirst"] as const).map((name) => this.key(name, key));
  agents = (runner: string): string => this.key("agents", runner);
  byStatus = (status: string): string => this.key("jobsByStatus", status);
}

/**
 * The Lua expression of a key, for the scripts: the same names as
 * {@linkcode RedisKeys}, over the prefix `P` (`ARGV[1] .. ':'`) that every
 * script sets first. `part` is a Lua expression (a variable name).
 */
export function luaKey(name: KeyName, part?: string): string {
  const [before, after] = KEY_TEMPLATES[name].template.split("{}");
  if (after === undefined) return `(P .. ${JSON.stringify(before)})`;
  if (part === undefined) throw new Error(`luaKey: ${name} needs a part`);
  return `(P .. ${JSON.stringify(before)} .. ${part}${
    after ? ` .. ${JSON.stringify(after)}` : ""
  })`;
}
