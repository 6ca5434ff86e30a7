/**
 * Every data shape of the public API, written once as JSON Schema.
 *
 * The server validates with these schemas, the OpenRPC document publishes them
 * under `components.schemas`, and `deno task gen` turns them into the
 * TypeScript types in `types.generated.ts`. A schema that carries a `title` is
 * a named component; the others are inlined where they are used.
 *
 * @module
 */

import type { JsonSchema } from "./json_schema.ts";

const str = (description: string, extra: Partial<JsonSchema> = {}): JsonSchema => ({
  type: "string",
  description,
  ...extra,
});
const int = (description: string, minimum: number, maximum: number): JsonSchema => ({
  type: "integer",
  description,
  minimum,
  maximum,
});
const ms = (description: string): JsonSchema => ({
  type: "integer",
  minimum: 0,
  description: `${description} (milliseconds since the Unix epoch)`,
});

const seconds = (description: string, min: number, max: number): JsonSchema => ({
  type: "number",
  minimum: min,
  maximum: max,
  description,
  "x-expected": `a number of seconds ${min}-${max}`,
});

/** How long jobs of one final status are kept: by age, by count, or both. */
export const KeepRule: JsonSchema = {
  type: "object",
  additionalProperties: false,
  description: "Removed (with their logs) once older than `age` seconds since they ended, or " +
    "beyond the newest `count` of their status (across the store; on a job: applied when it " +
    "ends, as BullMQ's `removeOnComplete: N`).",
  properties: {
    age: seconds("Seconds after it ended.", 1, 315360000),
    count: int("The newest jobs of its status kept, across the store.", 0, 100000000),
  },
};

/** A job id: chosen by the client or generated (UUID). */
export const JobId: JsonSchema = {
  title: "JobId",
  type: "string",
  pattern: "^[A-Za-z0-9_.:@-]{1,128}$",
  description: "A job id: 1-128 letters, digits or `_ . : @ -`.",
  "x-expected": "a job id (1-128 letters, digits or _ . : @ -)",
};

/** A runner name. */
export const RunnerName: JsonSchema = {
  title: "RunnerName",
  type: "string",
  pattern: "^[A-Za-z0-9_.-]{1,64}$",
  description: "A runner name: 1-64 letters, digits or `_ . -`.",
  "x-expected": "a runner name (1-64 letters, digits or _ . -)",
};

/** The statuses a job moves through; the last four are final. */
export const JobStatus: JsonSchema = {
  title: "JobStatus",
  type: "string",
  enum: ["created", "scheduled", "queued", "running", "completed", "failed", "stopped", "timeout"],
  description: "`created`, `scheduled` (started, waiting for its `run_at`), `queued`, `running`, " +
    "then one of the final `completed`, `failed`, `stopped`, `timeout`.",
};

const EnvVars: JsonSchema = {
  type: "object",
  description: "Environment variables handed to the job.",
  propertyNames: {
    type: "string",
    pattern: "^[A-Za-z_][A-Za-z0-9_]{0,127}$",
    "x-expected": "an environment variable name",
  },
  additionalProperties: { type: "string", maxLength: 65536 },
  maxProperties: 256,
};

/** What a client submits to run a job. */
export const JobSpec: JsonSchema = {
  title: "JobSpec",
  type: "object",
  description: "A job as submitted: what to run, where, and how.",
  required: ["payload", "runner"],
  additionalProperties: false,
  properties: {
    payload: str(
      "What to run: for a script runner, an ES module (TypeScript or JavaScript).",
      { maxLength: 1_048_576 },
    ),
    runner: RunnerName,
    id: JobId,
    caller_id: str("Who asks.", { maxLength: 256 }),
    context_id: str("In which context.", { maxLength: 256 }),
    executor: str("Kind of executor, informative (e.g. `deno`).", { maxLength: 64 }),
    timeout: {
      type: "number",
      exclusiveMinimum: 0,
      maximum: 604800,
      description: "Seconds; the job is killed when it runs longer. Default: the runner's.",
      "x-expected": "a number of seconds > 0 and <= 604800",
    },
    env_vars: EnvVars,
    retries: int("Extra attempts after a failure (not after stop or timeout).", 0, 100),
    depends_on: {
      type: "array",
      items: JobId,
      maxItems: 100,
      uniqueItems: true,
      description: "Job ids that must complete before this one is queued. A script job's " +
        "function receives their results as `ctx.deps[id]` (a process runner's job frame " +
        "carries them as `deps`).",
    },
    run_at: {
      type: "integer",
      minimum: 0,
      maximum: 8640000000000000,
      description: "When to start it (milliseconds since the Unix epoch): started before " +
        "then, it is `scheduled` until then.",
      "x-expected": "a time in milliseconds since the Unix epoch",
    },
    delay: {
      type: "number",
      minimum: 0,
      maximum: 31536000,
      description: "Seconds from its creation until it may start (instead of `run_at`).",
      "x-expected": "a number of seconds 0-31536000",
    },
    priority: int(
      "Queue order within its runner: higher runs first, first come first served within one " +
        "priority (default 0).",
      -1000,
      1000,
    ),
    dedup_key: str(
      "Deduplication: a second create with the same key within `dedup_window` seconds of the " +
        "first returns the first job's id instead of a new job.",
      { minLength: 1, maxLength: 256 },
    ),
    dedup_window: seconds("Seconds a `dedup_key` holds (default 3600).", 0.001, 31536000),
    keep: {
      type: "object",
      additionalProperties: false,
      description: "How long it is kept once it completed or failed (stopped and timed out " +
        "count as failed); the config's `keep` otherwise.",
      properties: {
        completed: KeepRule,
        failed: KeepRule,
      },
    },
  },
};

/** A job's outcome: `{ success }` or `{ error }`. */
export const JobResult: JsonSchema = {
  title: "JobResult",
  description: '`{ "success": VALUE }` or `{ "error": "message" }`.',
  oneOf: [
    {
      type: "object",
      required: ["success"],
      additionalProperties: false,
      properties: { success: { description: "The value the job produced." } },
    },
    {
      type: "object",
      required: ["error"],
      additionalProperties: false,
      properties: { error: { type: "string", description: "Why the job did not succeed." } },
    },
  ],
};

/** A stored job: the spec plus its state. */
export const Job: JsonSchema = {
  title: "Job",
  type: "object",
  description: "A stored job: its spec and its state.",
  required: ["id", "payload", "runner", "status", "created_at", "updated_at", "attempts"],
  additionalProperties: false,
  properties: {
    ...JobSpec.properties,
    status: JobStatus,
    created_at: ms("When it was created"),
    updated_at: ms("When it last changed"),
    started_at: ms("When its last attempt started"),
    finished_at: ms("When it reached a final status"),
    attempts: { type: "integer", minimum: 0, description: "How many times it was started." },
    result: { description: "What it returned, when it completed." },
    error: { type: "string", description: "Why it failed, stopped or timed out." },
    waiting_on: {
      type: "array",
      items: JobId,
      description: "Prerequisites not yet completed, when started before they were.",
    },
    run_after: ms("When a retried or scheduled job may run"),
  },
};

/** What `job.status` returns. */
export const JobStatusInfo: JsonSchema = {
  title: "JobStatusInfo",
  type: "object",
  description: "A job's status at a glance.",
  required: ["job_id", "status", "created_at", "attempts", "runner"],
  additionalProperties: false,
  properties: {
    job_id: JobId,
    status: JobStatus,
    created_at: ms("When it was created"),
    started_at: ms("When its last attempt started"),
    finished_at: ms("When it reached a final status"),
    attempts: { type: "integer", minimum: 0 },
    runner: RunnerName,
    error: { type: "string", description: "Why it failed, stopped or timed out." },
    waiting_on: { type: "array", items: JobId, description: "Prerequisites not yet completed." },
    runner_live: {
      type: "boolean",
      description: "For a queued job: whether any live instance of its runner can take it.",
    },
    note: { type: "string", description: "Why a job is not moving, when it is not." },
  },
};

/** One line of a job's output. */
export const LogLine: JsonSchema = {
  title: "LogLine",
  type: "object",
  required: ["seq", "ts", "stream", "line"],
  additionalProperties: false,
  description: "One line of output. `seq` grows by one per line of the job.",
  properties: {
    seq: { type: "integer", minimum: 1 },
    ts: ms("When the line was read"),
    stream: { type: "string", enum: ["stdout", "stderr", "system"] },
    line: { type: "string" },
    partial: {
      type: "boolean",
      description: "A piece of a line longer than 16 384 characters: the next line of the " +
        "same stream continues it (absent on a whole line and on a long line's last piece).",
    },
  },
};

/** A page of a job's log lines. */
export const LogPage: JsonSchema = {
  title: "LogPage",
  type: "object",
  required: ["lines", "next", "done"],
  additionalProperties: false,
  properties: {
    lines: { type: "array", items: LogLine },
    next: {
      type: "integer",
      minimum: 0,
      description: "Pass as `after` to get the lines that follow.",
    },
    done: { type: "boolean", description: "The job is final and no line follows." },
    dropped: {
      type: "integer",
      minimum: 0,
      description: "Lines no longer kept (the oldest go first when the limit is reached).",
    },
  },
};

const pathList = (what: string): JsonSchema => ({
  description: `${what}: \`true\` for all, \`false\` or \`[]\` for none, or a list.`,
  anyOf: [{ type: "boolean" }, { type: "array", items: { type: "string", minLength: 1 } }],
  "x-expected": "true, false or an array of strings",
});

/** What a script runner's jobs may touch; each maps to a Deno `--allow-*` flag. */
export const Permissions: JsonSchema = {
  title: "Permissions",
  type: "object",
  additionalProperties: false,
  description: "Deno permissions granted to every job of a script runner. Absent means none.",
  properties: {
    read: pathList("Paths readable (`--allow-read`)"),
    write: pathList("Paths writable (`--allow-write`)"),
    net: pathList(
      "Hosts reachable and importable from (`--allow-net`, `--allow-import`; `npm:` imports need the npm registry's host)",
    ),
    env: pathList("Environment variables readable (`--allow-env`)"),
    run: pathList("Programs runnable (`--allow-run`)"),
    sys: pathList("System information (`--allow-sys`)"),
  },
};

/**
 * Readiness and health checks of a service or process runner, each optional
 * and combinable: all that are set must pass.
 */
export const HealthCheck: JsonSchema = {
  title: "HealthCheck",
  type: "object",
  additionalProperties: false,
  description: "Checks that say a service (or process runner) is ready, then healthy: all set " +
    "must pass. Ready once they pass within `start_period`; `retries` failures in a row later " +
    "restart it (see docs/operations.md, Services).",
  properties: {
    test: str(
      "A command (run with `sh -c`, in the runner's environment and working dir) that exits 0 " +
        "when healthy (zinit's `test`).",
      { minLength: 1 },
    ),
    tcp: {
      description: 'A TCP port (on 127.0.0.1) or "host:port" that accepts a connection.',
      anyOf: [
        { type: "integer", minimum: 1, maximum: 65535 },
        { type: "string", pattern: "^[^\\s:]+:[0-9]{1,5}$" },
      ],
      "x-expected": 'a port 1-65535 or "host:port"',
    },
    http: str("An http(s) URL that answers 2xx.", {
      pattern: "^https?://",
      "x-expected": "an http:// or https:// URL",
    }),
    log: str(
      "A regular expression: ready once a line of the program's output matches (readiness only).",
      { minLength: 1 },
    ),
    interval: seconds("Seconds between checks once ready (default 10).", 0.1, 86400),
    timeout: seconds("Seconds one check may take (default 5).", 0.1, 3600),
    retries: int("Failed checks in a row that restart it (default 3).", 1, 100),
    start_period: seconds(
      "Seconds it may take to pass its checks after a start (default 30); past it, the start " +
        "failed.",
      0.1,
      86400,
    ),
  },
};

/** A runner's configuration: a `[[runners]]` table, or `register_runner`'s `runner`. */
export const RunnerConfig: JsonSchema = {
  title: "RunnerConfig",
  type: "object",
  description: "A runner: where jobs run, with which permissions, and how it is supervised.",
  required: ["name"],
  additionalProperties: false,
  properties: {
    name: RunnerName,
    kind: {
      type: "string",
      enum: ["script", "process", "service", "noop"],
      default: "script",
      description: "`script`: built-in Deno script runner; `process`: an external program that " +
        "takes jobs (the runner protocol); `service`: any program, supervised (it takes no " +
        "jobs); `noop`: a test and benchmark fixture that completes every job at once.",
    },
    oneshot: {
      type: "boolean",
      description: "For `service`: a task that runs once to completion; its exit 0 satisfies " +
        "its dependants (it is then `completed`), another exit is a failure.",
    },
    process_manager: str(
      'For `service` and `process`: where its instances run: `"simple"` (default), child ' +
        'processes; `"tmux:SESSION"`, each in a window of that tmux session (`tmux attach -t ' +
        "SESSION` shows it live), its output still in the runner's logs.",
      {
        pattern: "^(simple|tmux:[A-Za-z0-9_.-]{1,64})$",
        "x-expected": '"simple" or "tmux:SESSION" (1-64 letters, digits or _ . -)',
      },
    ),
    working_dir: str("For `service` and `process`: the working directory of its instances.", {
      minLength: 1,
    }),
    user: str(
      "For `service` and `process`: the user its instances run as (a name or a uid; the " +
        "supervisor must be root to switch).",
      { minLength: 1 },
    ),
    check: HealthCheck,
    instances: int("Jobs (sessions or processes) that may run at once.", 1, 256),
    timeout: {
      type: "number",
      exclusiveMinimum: 0,
      maximum: 604800,
      description: "Default job timeout, seconds.",
      "x-expected": "a number of seconds > 0 and <= 604800",
    },
    memory_mb: int(
      "Memory limit of each job, MiB: its V8 heap, and where the OS sandbox has a memory " +
        "control group, all of its memory (buffers, Wasm, child processes; at least 64 there). " +
        "For a process runner, each instance's memory (control group only).",
      16,
      65536,
    ),
    pids_max: int(
      "Processes and threads one session (or process-runner instance) may have at once, " +
        "where the OS sandbox has a pids control group.",
      8,
      1_000_000,
    ),
    cpu: {
      type: "number",
      minimum: 0.01,
      maximum: 1024,
      description: "CPU time one session (or instance) may use, in cores (0.5: half a core), " +
        "where the OS sandbox has a cpu control group. Default: no limit.",
      "x-expected": "a number of cores 0.01-1024",
    },
    restart: {
      type: "string",
      enum: ["permanent", "transient", "temporary"],
      description: "`permanent`: always restarted; `transient`: after an abnormal exit; " +
        "`temporary`: never.",
    },
    isolation: {
      type: "string",
      enum: ["job", "runner"],
      description: "For `script`: `job` (default), a fresh Deno process per job; `runner`, a " +
        "warm process serves many jobs of the runner one at a time (a payload's module is " +
        "loaded once per process and its default export called per job; see " +
        "docs/operations.md for what it shares between jobs).",
    },
    max_jobs: int(
      'With `isolation = "runner"`: jobs a process serves before it is replaced (default 10000).',
      1,
      1_000_000_000,
    ),
    rate_limit: {
      type: "object",
      required: ["max", "per"],
      additionalProperties: false,
      description: "At most `max` job starts per `per` seconds (fixed windows), across every " +
        "supervisor and agent of the store; the others wait `queued`, never failed for it.",
      properties: {
        max: int("Job starts per window.", 1, 1_000_000),
        per: seconds("The window, seconds.", 0.01, 86400),
      },
    },
    permissions: Permissions,
    binary_path: str("For `process` and `service`: the program to start.", { minLength: 1 }),
    args: {
      type: "array",
      items: { type: "string" },
      description: "For `process` and `service`: arguments.",
    },
    env: {
      type: "object",
      additionalProperties: { type: "string" },
      description: "Environment given to the runner's processes.",
    },
    depends_on: {
      type: "array",
      items: RunnerName,
      uniqueItems: true,
      description: "Runners that must be ready before this one starts.",
    },
    ping_interval: {
      type: "number",
      minimum: 1,
      maximum: 86400,
      description: "Seconds a runner may stay idle before it gets a ping job (default 600).",
      "x-expected": "a number of seconds 1-86400",
    },
    ping_failures: int("Failed or unanswered pings in a row that restart it (default 3).", 1, 100),
    ping_timeout: {
      type: "number",
      minimum: 0.1,
      maximum: 3600,
      description: "Seconds a ping may take before it counts as unanswered (default 10).",
      "x-expected": "a number of seconds 0.1-3600",
    },
    restart_delay: {
      type: "number",
      minimum: 0,
      maximum: 3600,
      description:
        "First restart delay, seconds (default 1); it doubles up to `restart_delay_max`.",
      "x-expected": "a number of seconds 0-3600",
    },
    restart_delay_max: {
      type: "number",
      minimum: 0,
      maximum: 86400,
      description: "Longest restart delay, seconds (default 60).",
      "x-expected": "a number of seconds 0-86400",
    },
    max_restarts: int(
      "Restarts allowed within `restart_window` before quarantine (default 5).",
      0,
      10000,
    ),
    restart_window: {
      type: "number",
      minimum: 1,
      maximum: 86400,
      description: "Seconds over which restarts are counted (default 60).",
      "x-expected": "a number of seconds 1-86400",
    },
    stable_after: {
      type: "number",
      minimum: 0,
      maximum: 86400,
      description: "Seconds of uptime after which the restart delay resets (default 30).",
      "x-expected": "a number of seconds 0-86400",
    },
    stop_grace: {
      type: "number",
      minimum: 0,
      maximum: 3600,
      description: "Seconds between SIGTERM and SIGKILL when stopping (default 5).",
      "x-expected": "a number of seconds 0-3600",
    },
  },
};

/** How a runner process last ended. */
export const ExitInfo: JsonSchema = {
  title: "ExitInfo",
  type: "object",
  required: ["at"],
  additionalProperties: false,
  properties: {
    code: { type: "integer" },
    signal: { type: "string" },
    at: ms("When it exited"),
  },
};

const Enforcement: JsonSchema = {
  type: "string",
  enum: ["os", "deno-only", "none"],
  description: "`os`: the kernel enforces it (namespaces, control groups); `deno-only`: Deno's " +
    "permissions (or the V8 heap, or the process group) only; `none`: nothing (a process " +
    "runner's own file system and network).",
};

/** Which layer enforces what for a runner's processes. */
export const SandboxStatus: JsonSchema = {
  title: "SandboxStatus",
  type: "object",
  required: ["fs", "pids", "net", "memory"],
  additionalProperties: false,
  description: "Which layer confines the runner's processes (see docs/operations.md, Sandbox).",
  properties: {
    fs: { ...Enforcement, description: "Files: a mount namespace of the granted paths only." },
    pids: {
      ...Enforcement,
      description: "Processes: a PID namespace and control group, so that nothing outlives it.",
    },
    net: { ...Enforcement, description: "Network: no network at all without a `net` grant." },
    memory: {
      ...Enforcement,
      description: "Memory: a control group bounds all of it, not only the V8 heap.",
    },
    paths: {
      type: "array",
      description: "The granted paths, as given and as resolved when the runner started.",
      items: {
        type: "object",
        required: ["path", "resolved", "access"],
        additionalProperties: false,
        properties: {
          path: { type: "string" },
          resolved: {
            anyOf: [{ type: "string" }, { type: "null" }],
            description: "Where it really is; null when it does not exist (then not granted).",
          },
          access: { type: "string", enum: ["read", "write"] },
        },
      },
    },
    limits: {
      type: "object",
      additionalProperties: false,
      description: "What the control group enforces.",
      properties: {
        memory_mb: { type: "integer", minimum: 0 },
        pids_max: { type: "integer", minimum: 0 },
        cpu: { type: "number", minimum: 0 },
      },
    },
  },
};

/** A runner's state. */
export const RunnerState: JsonSchema = {
  title: "RunnerState",
  type: "string",
  enum: [
    "stopped",
    "starting",
    "running",
    "paused",
    "stopping",
    "backoff",
    "quarantined",
    "remote",
    "completed",
  ],
  description: "`remote`: a runner served only by remote runner agents; `completed`: a " +
    "oneshot service that exited 0.",
};

/** What `get_runner_status` returns. */
export const RunnerStatus: JsonSchema = {
  title: "RunnerStatus",
  type: "object",
  required: ["name", "kind", "state", "instances", "busy", "restarts", "pids", "health"],
  additionalProperties: false,
  properties: {
    name: RunnerName,
    kind: { type: "string", enum: ["script", "process", "service", "noop"] },
    state: RunnerState,
    instances: { type: "integer", minimum: 0, description: "Jobs that may run at once." },
    busy: { type: "integer", minimum: 0, description: "Jobs running now." },
    idle: { type: "integer", minimum: 0, description: "Warm instances waiting for a job." },
    queued: { type: "integer", minimum: 0, description: "Jobs waiting in its queue." },
    restarts: { type: "integer", minimum: 0 },
    pids: { type: "array", items: { type: "integer" } },
    health: { type: "string", enum: ["unknown", "healthy", "unhealthy"] },
    last_exit: { anyOf: [ExitInfo, { type: "null" }] },
    last_ping: { anyOf: [ms("When it last answered a ping"), { type: "null" }] },
    ping_failures: { type: "integer", minimum: 0, description: "Failed pings in a row." },
    restart: { type: "string", enum: ["permanent", "transient", "temporary"] },
    next_restart_at: { anyOf: [ms("When it will be restarted"), { type: "null" }] },
    reason: { type: "string", description: "Why it is quarantined, paused or backing off." },
    depends_on: { type: "array", items: RunnerName },
    remote_agents: {
      type: "integer",
      minimum: 0,
      description: "Other live members (remote agents, other supervisors) serving it.",
    },
    permissions: Permissions,
    sandbox: SandboxStatus,
    process_manager: { type: "string", description: '"simple" or "tmux:SESSION".' },
    check: {
      type: "object",
      required: ["state", "failures"],
      additionalProperties: false,
      description: "Its health checks (when it has any).",
      properties: {
        state: { type: "string", enum: ["unknown", "passing", "failing"] },
        failures: { type: "integer", minimum: 0, description: "Failed checks in a row." },
        last_ok: { anyOf: [ms("When they last all passed"), { type: "null" }] },
        last_error: { type: "string", description: "What the last failed check said." },
        config: HealthCheck,
      },
    },
    last_failure: {
      anyOf: [
        {
          type: "object",
          required: ["at", "reason"],
          additionalProperties: false,
          properties: { at: ms("When"), reason: { type: "string" } },
        },
        { type: "null" },
      ],
      description: "Its last failure (an exit, a failed start, failed checks or pings), and why.",
    },
  },
};

/** The keys of {@linkcode JobCounts}: every status, and the total. */
const COUNT_KEYS = [...(JobStatus.enum as string[]), "total"];

/** How many jobs are in each status. */
export const JobCounts: JsonSchema = {
  title: "JobCounts",
  type: "object",
  required: COUNT_KEYS,
  additionalProperties: false,
  properties: Object.fromEntries(
    COUNT_KEYS.map((k) => [k, { type: "integer", minimum: 0 }]),
  ),
};

/** What `get_supervisor_info` returns. */
export const SupervisorInfo: JsonSchema = {
  title: "SupervisorInfo",
  type: "object",
  required: ["name", "version", "store", "namespace", "uptime_s", "runners", "jobs"],
  additionalProperties: false,
  properties: {
    name: { type: "string" },
    version: { type: "string" },
    store: { type: "string", enum: ["embedded", "redis"] },
    namespace: { type: "string" },
    uptime_s: { type: "number", minimum: 0 },
    runners: { type: "integer", minimum: 0, description: "How many runners are registered." },
    jobs: JobCounts,
    pid: { type: "integer" },
    memory_rss: { type: "integer", minimum: 0, description: "Resident memory, bytes." },
    bind: { type: "string", description: "Address and port it listens on." },
  },
};

/** A job spec without an id (each tick's job gets its own), inlined. */
function jobTemplate(): JsonSchema {
  const { title: _title, properties, ...rest } = JobSpec;
  const { id: _id, ...fields } = properties as Record<string, JsonSchema>;
  return {
    ...rest,
    properties: fields,
    description: "The job each tick creates and starts (without an `id`: each tick's job " +
      "gets `NAME@TIME`, TIME the tick in ISO 8601).",
  };
}

const scheduleFields: Record<string, JsonSchema> = {
  cron: str(
    "When it fires: a cron expression of 5 fields (minute first), or 6 with seconds first, or " +
      "7 with a year (croner's syntax: `L`, `W`, `#`, names of months and days).",
    { minLength: 9, maxLength: 256 },
  ),
  timezone: str("The IANA time zone the expression is read in (default UTC).", {
    minLength: 1,
    maxLength: 64,
  }),
  job: jobTemplate(),
  overlap: {
    type: "string",
    enum: ["skip", "queue", "allow"],
    description: "When a tick comes and its last job is not final yet: `skip` (default) " +
      "records the tick as skipped, `queue` creates the job and starts it once the last one " +
      "ended, `allow` starts it at once.",
  },
  catch_up: {
    type: "string",
    enum: ["none", "last", "all"],
    description: "Ticks missed while no supervisor ran (more than 5 s late): `none` " +
      "(default) skips them, `last` fires the latest, `all` fires each (at most 100).",
  },
  paused: { type: "boolean", description: "Paused: its ticks pass without a job." },
};

/** What `schedules.create` takes, and a `[[schedules]]` table of the config. */
export const ScheduleSpec: JsonSchema = {
  title: "ScheduleSpec",
  type: "object",
  required: ["name", "cron", "job"],
  additionalProperties: false,
  description: "A cron schedule: a job template and when to create it.",
  properties: {
    name: {
      type: "string",
      pattern: "^[A-Za-z0-9_.-]{1,64}$",
      description: "Its name: 1-64 letters, digits or `_ . -`.",
      "x-expected": "a schedule name (1-64 letters, digits or _ . -)",
    },
    ...scheduleFields,
  },
};

/** What `schedules.update` changes (the others stay). */
export const ScheduleChanges: JsonSchema = {
  type: "object",
  additionalProperties: false,
  minProperties: 1,
  description: "The fields to change.",
  properties: scheduleFields,
};

/** A schedule as `schedules.*` answer it. */
export const Schedule: JsonSchema = {
  title: "Schedule",
  type: "object",
  required: [
    "name",
    "cron",
    "timezone",
    "job",
    "overlap",
    "catch_up",
    "paused",
    "owner",
    "created_at",
    "updated_at",
    "last_tick",
    "next_run_at",
    "runs",
  ],
  additionalProperties: false,
  properties: {
    ...ScheduleSpec.properties,
    owner: str("Who made it: `KIND:FINGERPRINT` of the secret, or `config`."),
    created_at: ms("When it was made"),
    updated_at: ms("When it last changed"),
    last_tick: ms("The last tick handled (fired or skipped)"),
    next_run_at: {
      anyOf: [ms("Its next tick"), { type: "null" }],
      description: "Its next tick; null when paused or when the expression has no more.",
    },
    runs: {
      type: "array",
      description: "Its last 20 ticks, newest first: the job made, or why none.",
      items: {
        type: "object",
        required: ["tick"],
        additionalProperties: false,
        properties: {
          tick: ms("The tick"),
          job_id: JobId,
          skipped: { type: "string", description: "Why no job was made." },
        },
      },
    },
  },
};

/** A supervisor or remote agent sharing the store, as `cluster.members` lists it. */
export const ClusterMember: JsonSchema = {
  title: "ClusterMember",
  type: "object",
  required: [
    "id",
    "role",
    "state",
    "self",
    "host",
    "pid",
    "version",
    "started_at",
    "last_seen",
    "runners",
    "load",
  ],
  additionalProperties: false,
  description: "A member of the cluster: a supervisor or a remote runner agent on the same store.",
  properties: {
    id: { type: "string", description: "HOST/PID/RANDOM: unique per process start." },
    role: { type: "string", enum: ["supervisor", "agent"] },
    state: {
      type: "string",
      enum: ["up", "gone"],
      description: "`gone`: it missed three heartbeats (5 s each); it is forgotten after an hour.",
    },
    self: { type: "boolean", description: "Whether it is the supervisor that answered." },
    host: { type: "string" },
    pid: { type: "integer" },
    version: { type: "string" },
    started_at: ms("When it started"),
    last_seen: ms("Its last heartbeat"),
    url: { type: "string", description: "Where its API answers (supervisors)." },
    runners: { type: "array", items: RunnerName, description: "The runners it serves." },
    load: {
      type: "object",
      required: ["busy", "instances"],
      additionalProperties: false,
      properties: {
        busy: { type: "integer", minimum: 0, description: "Jobs running on it." },
        instances: { type: "integer", minimum: 0, description: "Jobs that may run on it at once." },
      },
    },
  },
};

/** What `get_all_status` returns. */
export const AllStatus: JsonSchema = {
  title: "AllStatus",
  type: "object",
  required: ["runners", "jobs"],
  additionalProperties: false,
  properties: {
    runners: { type: "array", items: RunnerStatus },
    jobs: JobCounts,
  },
};

/** A secret scope. */
export const SecretKind: JsonSchema = {
  title: "SecretKind",
  type: "string",
  enum: ["admin", "user", "register"],
  description: "`admin`: everything; `user`: job operations; `register`: `register_runner` only.",
};

/** A secret as listed: never its value. */
export const SecretInfo: JsonSchema = {
  title: "SecretInfo",
  type: "object",
  required: ["kind", "fingerprint", "created_at"],
  additionalProperties: false,
  properties: {
    kind: SecretKind,
    fingerprint: { type: "string", description: "A short, one-way digest that names the secret." },
    created_at: ms("When it was added"),
    source: {
      type: "string",
      enum: ["config", "api", "generated"],
      description: "Where it comes from: the config file, `add_secret`, or first start.",
    },
  },
};

/** One lifecycle fact. */
export const Event: JsonSchema = {
  title: "Event",
  type: "object",
  required: ["id", "ts", "type", "subject"],
  additionalProperties: false,
  properties: {
    id: { type: "integer", minimum: 1, description: "Grows by one per event." },
    ts: ms("When it happened"),
    type: {
      type: "string",
      description: "`runner.starting`, `runner.ready`, `runner.exited`, `runner.restarting`, " +
        "`runner.quarantined`, `runner.paused`, `runner.resumed`, `runner.stopped`, " +
        "`runner.scaled`, `runner.unhealthy`, `job.queued`, `job.started`, `job.finished`, " +
        "`secret.added`, `secret.removed`, `supervisor.started`, `supervisor.stopping`.",
    },
    subject: { type: "string", description: "The runner name, job id or secret fingerprint." },
    requested_by: { type: "string" },
    reason: { type: "string" },
    data: { type: "object", description: "Facts particular to the type." },
    member: {
      type: "string",
      description: "The member of the cluster (supervisor or agent, see `cluster.members`) " +
        "that recorded it: the one that acted.",
    },
  },
};

/** A page of events. */
export const EventPage: JsonSchema = {
  title: "EventPage",
  type: "object",
  required: ["events", "next", "last"],
  additionalProperties: false,
  properties: {
    events: { type: "array", items: Event },
    next: {
      type: "integer",
      minimum: 0,
      description: "Pass as `after` for the events that follow.",
    },
    last: {
      type: "integer",
      minimum: 0,
      description: "The newest event's id (0 when none): `after: last - 50` gives the last 50.",
    },
  },
};

/** What `whoami` returns: who the secret is, and what it may call. */
export const Identity: JsonSchema = {
  title: "Identity",
  type: "object",
  required: ["kind", "fingerprint", "methods"],
  additionalProperties: false,
  properties: {
    kind: SecretKind,
    fingerprint: str("A short, one-way digest that names the secret."),
    methods: {
      type: "array",
      items: { type: "string" },
      description: "Every method this secret may call.",
    },
  },
};

/** Jobs that ended in one time bucket. */
export const StatsBucket: JsonSchema = {
  title: "StatsBucket",
  type: "object",
  required: ["start", "completed", "failed", "stopped", "timeout"],
  additionalProperties: false,
  properties: {
    start: ms("When the bucket begins"),
    completed: { type: "integer", minimum: 0 },
    failed: { type: "integer", minimum: 0 },
    stopped: { type: "integer", minimum: 0 },
    timeout: { type: "integer", minimum: 0 },
    run_p50_ms: {
      type: "number",
      minimum: 0,
      description: "Median run time (start to end) of the jobs that ended in it.",
    },
    run_p95_ms: { type: "number", minimum: 0, description: "95th percentile run time." },
  },
};

/** What `get_stats` returns. */
export const Stats: JsonSchema = {
  title: "Stats",
  type: "object",
  required: ["now", "bucket_s", "buckets", "jobs", "queued"],
  additionalProperties: false,
  properties: {
    now: ms("When the stats were taken"),
    bucket_s: { type: "integer", minimum: 1, description: "Seconds per bucket." },
    buckets: {
      type: "array",
      items: StatsBucket,
      description: "Jobs that ended on this supervisor's runners, oldest bucket first, up to now.",
    },
    jobs: JobCounts,
    queued: {
      type: "object",
      additionalProperties: { type: "integer", minimum: 0 },
      description: "Jobs waiting in each runner's queue.",
    },
  },
};

/** Every named schema, in the order the OpenRPC document lists them. */
export const components: Record<string, JsonSchema> = {
  JobId,
  RunnerName,
  JobStatus,
  JobSpec,
  JobResult,
  Job,
  JobStatusInfo,
  LogLine,
  LogPage,
  Permissions,
  RunnerConfig,
  HealthCheck,
  ExitInfo,
  SandboxStatus,
  RunnerState,
  RunnerStatus,
  JobCounts,
  SupervisorInfo,
  ClusterMember,
  ScheduleSpec,
  Schedule,
  AllStatus,
  SecretKind,
  SecretInfo,
  Event,
  EventPage,
  Identity,
  StatsBucket,
  Stats,
};
