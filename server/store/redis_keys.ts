/**
 * Every Redis key the supervisor, its runners and remote agents use.
 *
 * This module is the only place a key name is written. The TypeScript side
 * calls {@linkcode RedisKeys}; the Lua scripts get the same names from
 * {@linkcode luaKeyFunctions}, generated from the same table, so the queue a
 * job is pushed to can never differ from the queue a runner takes from.
 * `docs/protocol.md` lists this layout.
 *
 * @module
 */

/** Key templates, relative to the namespace; `{}` is the variable part. */
export const KEY_TEMPLATES = {
  /** Hash: one job (see `docs/protocol.md` for its fields). */
  job: "job:{}",
  /** String: the last job `seq` given out. */
  jobSeq: "jobs:seq",
  /** Sorted set, score `seq`: every job (for `jobs.list`). */
  jobsAll: "jobs:all",
  /** Sorted set, score `seq`: the jobs in one status. */
  jobsByStatus: "jobs:status:{}",
  /** Sorted set, score `seq`: the jobs of one runner. */
  jobsByRunner: "jobs:runner:{}",
  /** Sorted set, score `seq`: the jobs of one caller. */
  jobsByCaller: "jobs:caller:{}",
  /** Sorted set, score `seq`: the jobs of one context. */
  jobsByContext: "jobs:context:{}",
  /** List of job ids: a runner's queue, oldest at the head. */
  queue: "queue:{}",
  /** Sorted set with one member: set when the runner's queue may hold work (for BZPOPMIN). */
  marker: "marker:{}",
  /** Set: runner names that ever had a queue. */
  queueRunners: "queues",
  /** Sorted set, score `run_after`: queued jobs waiting for their retry time. */
  delayed: "delayed",
  /** Sorted set, score `lease_until`: running jobs and their leases. */
  leases: "leases",
  /** Sorted set, score `deadline_at`: running jobs and their deadlines. */
  deadlines: "deadlines",
  /** Set: jobs started but waiting for prerequisites. */
  waiting: "waiting",
  /** Set: the jobs that depend on one job. */
  dependants: "dependants:{}",
  /** List of JSON items: a bounded sequence (a job's log lines, the events). */
  seqItems: "seq:{}",
  /** String: the last `seq` given out in a bounded sequence. */
  seqLast: "seq:{}:last",
  /** Hash, secret hash → JSON: secrets added through the API. */
  secrets: "secrets",
  /** Hash, runner name → JSON config: registered runners. */
  runners: "runners",
  /** Hash, runner name → JSON config: runners announced by remote agents. */
  agentRunners: "agent_runners",
  /** Sorted set, score heartbeat deadline: the live remote agents of one runner. */
  agents: "agents:{}",
  /** Pub/sub channel: notices (`ORIGIN|JSON`). */
  notices: "notices",
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
    return this.#prefix + KEY_TEMPLATES[name].replace("{}", part);
  }

  job = (id: string): string => this.key("job", id);
  queue = (runner: string): string => this.key("queue", runner);
  marker = (runner: string): string => this.key("marker", runner);
  seqItems = (key: string): string => this.key("seqItems", key);
  seqLast = (key: string): string => this.key("seqLast", key);
  agents = (runner: string): string => this.key("agents", runner);
  byStatus = (status: string): string => this.key("jobsByStatus", status);
}

/**
 * Lua functions `K.job(id)`, `K.queue(runner)`... for every template, over the
 * namespace prefix the script receives as `ARGV[1]`.
 */
export function luaKeyFunctions(): string {
  const lines = ["local K = {}", "local P = ARGV[1] .. ':'"];
  for (const [name, template] of Object.entries(KEY_TEMPLATES)) {
    const [before, after] = template.split("{}");
    lines.push(
      after === undefined
        ? `K.${name} = function() return P .. ${JSON.stringify(before)} end`
        : `K.${name} = function(x) return P .. ${JSON.stringify(before)} .. x .. ${
          JSON.stringify(after)
        } end`,
    );
  }
  return lines.join("\n");
}
