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
  /** Hash: one job's state, the fields that change (see `docs/protocol.md`). */
  job: "job:{}",
  /** String (JSON): one job's spec, written once. */
  jobSpec: "job:{}:spec",
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
  /** Set: jobs started but waiting for prerequisites. */
  waiting: "waiting",
  /** Set: the jobs that depend on one job. */
  dependants: "dependants:{}",
  /** Set: jobs that some job depends on (so a job's end checks its dependants only then). */
  hasDependants: "has_dependants",
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
 * The Lua expression of a key, for the scripts: the same names as
 * {@linkcode RedisKeys}, over the prefix `P` (`ARGV[1] .. ':'`) that every
 * script sets first. `part` is a Lua expression (a variable name).
 */
export function luaKey(name: KeyName, part?: string): string {
  const [before, after] = KEY_TEMPLATES[name].split("{}");
  if (after === undefined) return `(P .. ${JSON.stringify(before)})`;
  if (part === undefined) throw new Error(`luaKey: ${name} needs a part`);
  return `(P .. ${JSON.stringify(before)} .. ${part}${
    after ? ` .. ${JSON.stringify(after)}` : ""
  })`;
}
