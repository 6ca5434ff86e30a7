/**
 * The method table: every method of the API, once.
 *
 * The OpenRPC document, the server's param validation and scope checks, the
 * generated TypeScript types and the client all come from this table. Adding a
 * method is one entry here plus its handler in `server/methods/`.
 *
 * The examples are replayed in order against a live server by
 * `@open-rpc/test-coverage` (see `tests/openrpc/`), so they form one
 * consistent story: a job is created before it is started, a runner is
 * registered before it is removed.
 *
 * @module
 */

import { ErrorCode } from "./errors.ts";
import type { JsonSchema } from "./json_schema.ts";
import type { MethodSpec, ParamSpec } from "./method_spec.ts";
import {
  AllStatus,
  ClusterMember,
  EventPage,
  Identity,
  Job,
  JobCounts,
  JobId,
  JobResult,
  JobSpec,
  JobStatus,
  JobStatusInfo,
  LogPage,
  RunnerConfig,
  RunnerName,
  RunnerStatus,
  Schedule,
  ScheduleChanges,
  ScheduleSpec,
  SecretInfo,
  SecretKind,
  Stats,
  SupervisorInfo,
} from "./schemas.ts";

const { NotFound, Conflict, Timeout, Unavailable, Forbidden } = ErrorCode;

const nullResult = { name: "ok", schema: { type: "null" } as JsonSchema };
const jobIdParam: ParamSpec = {
  name: "job_id",
  schema: JobId,
  required: true,
  description: "The job.",
};
const runnerNameParam: ParamSpec = {
  name: "name",
  schema: RunnerName,
  required: true,
  description: "The runner.",
};
/** Audit params that every control method takes; recorded in its event. */
const auditParams: ParamSpec[] = [
  {
    name: "requested_by",
    schema: { type: "string", maxLength: 256 },
    description: "Who asks (default: the secret's kind and fingerprint).",
  },
  { name: "reason", schema: { type: "string", maxLength: 1024 }, description: "Why." },
];
const waitMs = (description: string, maximum: number): ParamSpec => ({
  name: "wait_ms",
  schema: { type: "integer", minimum: 0, maximum },
  description,
});

const exampleJob = {
  id: "example-1",
  runner: "default",
  payload: "export default () => 6 * 7;",
  caller_id: "docs",
};
const scheduleName: ParamSpec = {
  name: "name",
  schema: { type: "string", pattern: "^[A-Za-z0-9_.-]{1,64}$" },
  required: true,
  description: "The schedule's name.",
};
const exampleScheduleSpec = {
  name: "nightly-report",
  cron: "0 2 * * *",
  timezone: "Europe/Brussels",
  job: { runner: "default", payload: "export default () => 'report';" },
};
const exampleSchedule = {
  ...exampleScheduleSpec,
  overlap: "skip",
  catch_up: "none",
  paused: false,
  owner: "admin:5a1c9e2f",
  created_at: 1767225600000,
  updated_at: 1767225600000,
  last_tick: 1767225600000,
  next_run_at: 1767229200000,
  runs: [],
};
const exampleStatus = (name: string, state: string, instances = 1) => ({
  name,
  kind: "script",
  state,
  instances,
  busy: 0,
  idle: state === "running" ? instances : 0,
  queued: 0,
  restarts: 0,
  pids: [],
  health: state === "running" ? "healthy" : "unknown",
  last_exit: null,
  last_ping: null,
  ping_failures: 0,
  restart: "permanent",
  next_restart_at: null,
  depends_on: [],
  remote_agents: 0,
  permissions: {},
});
const exampleCounts = {
  created: 0,
  scheduled: 0,
  queued: 0,
  running: 0,
  completed: 3,
  failed: 1,
  stopped: 1,
  timeout: 0,
  total: 5,
};

/** `register_runner` (and, by another name, `add_runner`). */
const registerRunner: MethodSpec = {
  name: "register_runner",
  summary: "Add a runner and start it.",
  description: "Validated like a `[[runners]]` table of the config. A runner of that name " +
    "already registered is -32009. With a register secret, the runner must stay within " +
    "`[register_policy]` (by default: a script runner, no grants, at most 4 instances, no " +
    "`env`); beyond it is -32002 naming what was refused.",
  scope: "register",
  tag: "runners",
  params: [{ name: "runner", schema: RunnerConfig, required: true, description: "The runner." }],
  result: { name: "status", schema: RunnerStatus },
  examples: [{
    name: "register",
    params: { runner: { name: "example-runner", kind: "script", instances: 1 } },
    result: exampleStatus("example-runner", "starting"),
  }],
  errors: [Conflict, Forbidden],
};

/** Every method, in the order the OpenRPC document lists (and replays) them. */
export const methods: MethodSpec[] = [
  {
    name: "rpc.discover",
    summary: "The OpenRPC document that describes this API.",
    scope: "public",
    tag: "discovery",
    params: [],
    result: {
      name: "document",
      schema: { type: "object", description: "An OpenRPC 1.2.6 document." },
    },
    examples: [{
      name: "discover",
      params: {},
      result: { openrpc: "1.2.6", info: { title: "Hero Supervisor", version: "0.1.0" } },
    }],
    errors: [],
  },

  // ---- jobs ---------------------------------------------------------------
  {
    name: "jobs.create",
    summary: "Store a job without queuing it; returns its id.",
    description: "The job waits in `created` until `job.start`. Its runner must exist " +
      "(-32004) and every job it depends on must exist (-32004). A duplicate id is -32009.",
    scope: "user",
    tag: "jobs",
    params: [{ name: "job", schema: JobSpec, required: true, description: "The job." }],
    result: { name: "job_id", schema: JobId },
    examples: [
      { name: "create", params: { job: exampleJob }, result: "example-1" },
      {
        name: "create a long job",
        params: {
          job: {
            id: "example-long",
            runner: "default",
            payload: "await new Promise((r) => setTimeout(r, 60_000));",
          },
        },
        result: "example-long",
      },
    ],
    errors: [NotFound, Conflict],
  },
  {
    name: "jobs.create_many",
    summary: "Store up to 1000 jobs in one call, all or nothing; returns their ids in order.",
    description: "Every job is checked first (as by `jobs.create`: its runner, its " +
      "prerequisites, which may be jobs of the same call), then all are stored at once: an id " +
      "that exists stores none of them (-32009). With `start`, each is started as by " +
      "`job.start` (queued, scheduled, or waiting for its prerequisites). A job whose " +
      "`dedup_key` is held gives the holder's id in its place.",
    scope: "user",
    tag: "jobs",
    params: [
      {
        name: "jobs",
        schema: { type: "array", items: JobSpec, minItems: 1, maxItems: 1000 },
        required: true,
        description: "The jobs (1-1000).",
      },
      {
        name: "start",
        schema: { type: "boolean" },
        description: "Start them too (default false: they wait in `created`).",
      },
    ],
    result: { name: "job_ids", schema: { type: "array", items: JobId } },
    examples: [{
      name: "a flow of two",
      params: {
        jobs: [
          { id: "example-a", runner: "default", payload: "export default () => 20;" },
          {
            id: "example-b",
            runner: "default",
            payload: "export default ({ deps }) => deps['example-a'] + 1;",
            depends_on: ["example-a"],
          },
        ],
        start: true,
      },
      result: ["example-a", "example-b"],
    }],
    errors: [NotFound, Conflict],
  },
  {
    name: "job.start",
    summary: "Queue a created job.",
    description: "Only a `created` job can be started (-32009 otherwise). A job with " +
      "`depends_on` is queued once every prerequisite completed; if one fails, is stopped or " +
      "times out, the job fails with a message naming it. A job with a `run_at` (or `delay`) " +
      "still ahead is `scheduled` until then.",
    scope: "user",
    tag: "jobs",
    params: [jobIdParam],
    result: nullResult,
    examples: [{ name: "start", params: { job_id: "example-1" }, result: null }],
    errors: [NotFound, Conflict],
  },
  {
    name: "job.status",
    summary: "A job's status at a glance; does not wait.",
    scope: "user",
    tag: "jobs",
    params: [jobIdParam],
    result: { name: "status", schema: JobStatusInfo },
    examples: [{
      name: "status",
      params: { job_id: "example-1" },
      result: {
        job_id: "example-1",
        status: "running",
        created_at: 1763800000000,
        started_at: 1763800000004,
        attempts: 1,
        runner: "default",
      },
    }],
    errors: [NotFound],
  },
  {
    name: "job.result",
    summary: "Wait until a job is final and return its result.",
    description: "Waits up to `wait_ms` (default 30 000) and answers -32008 if the job is " +
      "still not final by then.",
    scope: "user",
    tag: "jobs",
    params: [jobIdParam, waitMs("How long to wait, ms (default 30000).", 600_000)],
    result: { name: "result", schema: JobResult },
    examples: [{
      name: "result",
      params: { job_id: "example-1", wait_ms: 20_000 },
      result: { success: 42 },
    }],
    errors: [NotFound, Timeout],
  },
  {
    name: "job.logs",
    summary: "A page of a job's log lines, after a given line.",
    description: "With `wait_ms`, waits for new lines when there are none yet (long poll). " +
      "`next` is the cursor for the following call; `done` says the job is final and no line " +
      "follows. The live stream is `GET /jobs/{id}/logs` (Server-Sent Events).",
    scope: "user",
    tag: "jobs",
    params: [
      jobIdParam,
      {
        name: "after",
        schema: { type: "integer", minimum: 0 },
        description: "Only lines with a greater `seq` (default 0).",
      },
      {
        name: "limit",
        schema: { type: "integer", minimum: 1, maximum: 10_000 },
        description: "At most this many lines (default 1000).",
      },
      waitMs("Wait this long for a line when none is there yet, ms.", 60_000),
    ],
    result: { name: "page", schema: LogPage },
    examples: [{
      name: "logs",
      params: { job_id: "example-1" },
      result: { lines: [], next: 0, done: true },
    }],
    errors: [NotFound],
  },
  {
    name: "job.get",
    summary: "A job with its spec, status, result and error.",
    scope: "user",
    tag: "jobs",
    params: [jobIdParam],
    result: { name: "job", schema: Job },
    examples: [{
      name: "get",
      params: { job_id: "example-1" },
      result: {
        ...exampleJob,
        status: "completed",
        created_at: 1763800000000,
        updated_at: 1763800000030,
        started_at: 1763800000004,
        finished_at: 1763800000030,
        attempts: 1,
        result: 42,
      },
    }],
    errors: [NotFound],
  },
  {
    name: "jobs.list",
    summary: "Jobs, newest first, filtered and paged.",
    description: "Filters combine. Page with `before`: pass the id of the last job of a page " +
      "to get the older ones.",
    scope: "user",
    tag: "jobs",
    params: [
      { name: "status", schema: JobStatus, description: "Only jobs in this status." },
      { name: "runner", schema: RunnerName, description: "Only jobs of this runner." },
      { name: "caller_id", schema: { type: "string" }, description: "Only jobs of this caller." },
      { name: "context_id", schema: { type: "string" }, description: "Only this context." },
      { name: "before", schema: JobId, description: "Only jobs older than this one." },
      {
        name: "limit",
        schema: { type: "integer", minimum: 1, maximum: 1000 },
        description: "At most this many (default 100).",
      },
    ],
    result: { name: "jobs", schema: { type: "array", items: Job } },
    examples: [{ name: "completed jobs", params: { status: "completed" }, result: [] }],
    errors: [NotFound],
  },
  {
    name: "job.run",
    summary: "Create, queue and wait for a job; returns its result.",
    description: "Waits up to `wait_ms` (default: the job's timeout plus 10 s); -32008 if the " +
      "job is not final by then (it keeps running: poll `job.result`).",
    scope: "user",
    tag: "jobs",
    params: [
      { name: "job", schema: JobSpec, required: true, description: "The job." },
      waitMs("How long to wait, ms.", 3_600_000),
    ],
    result: { name: "result", schema: JobResult },
    examples: [
      {
        name: "run",
        params: { job: { runner: "default", payload: "export default () => 'hello';" } },
        result: { success: "hello" },
      },
      {
        name: "run a failing job",
        params: {
          job: { runner: "default", payload: "throw new Error('boom');" },
        },
        result: { error: "Error: boom" },
      },
    ],
    errors: [NotFound, Conflict, Timeout],
  },
  {
    name: "job.stop",
    summary: "Stop a created, queued or running job; a running job's process group is killed.",
    scope: "user",
    tag: "jobs",
    params: [jobIdParam, ...auditParams],
    result: nullResult,
    examples: [{ name: "stop", params: { job_id: "example-long" }, result: null }],
    errors: [NotFound, Conflict],
  },
  {
    name: "job.delete",
    summary: "Remove a created or final job and its logs.",
    scope: "user",
    tag: "jobs",
    params: [jobIdParam],
    result: nullResult,
    examples: [{ name: "delete", params: { job_id: "example-1" }, result: null }],
    errors: [NotFound, Conflict],
  },

  // ---- runners ------------------------------------------------------------
  {
    name: "queue_job_to_runner",
    summary: "Queue a job to a runner; returns its id.",
    description: "The runner must exist (-32004). A runner with no live instance keeps the " +
      "job queued; `job.status` says so.",
    scope: "admin",
    tag: "runners",
    params: [
      { name: "runner", schema: RunnerName, required: true, description: "The runner." },
      {
        name: "job",
        schema: { ...JobSpec, title: undefined, required: ["payload"] },
        required: true,
        description: "The job; its `runner`, when given, must match.",
      },
    ],
    result: { name: "job_id", schema: JobId },
    examples: [{
      name: "queue",
      params: { runner: "default", job: { id: "example-q", payload: "export default 1;" } },
      result: "example-q",
    }],
    errors: [NotFound, Conflict],
  },
  registerRunner,
  {
    // The seed's name: the same method under another name (its own example, so that tools
    // replaying every example do not register one runner twice).
    ...registerRunner,
    name: "add_runner",
    summary: "Add a runner and start it: the seed's name for `register_runner`, the same in all.",
    examples: [{
      name: "add",
      params: { runner: { name: "example-added", kind: "script", instances: 1 } },
      result: exampleStatus("example-added", "starting"),
    }],
  },
  {
    name: "list_runners",
    summary: "The names of every runner.",
    scope: "admin",
    tag: "runners",
    params: [],
    result: { name: "names", schema: { type: "array", items: RunnerName } },
    examples: [{ name: "list", params: {}, result: ["default", "example-runner"] }],
    errors: [],
  },
  {
    name: "get_runner_status",
    summary: "One runner's state, health, instances and restarts.",
    scope: "admin",
    tag: "runners",
    params: [runnerNameParam],
    result: { name: "status", schema: RunnerStatus },
    examples: [{
      name: "status",
      params: { name: "default" },
      result: exampleStatus("default", "running", 2),
    }],
    errors: [NotFound],
  },
  {
    name: "get_all_runner_status",
    summary: "Every runner's status.",
    scope: "admin",
    tag: "runners",
    params: [],
    result: { name: "statuses", schema: { type: "array", items: RunnerStatus } },
    examples: [{ name: "all", params: {}, result: [exampleStatus("default", "running", 2)] }],
    errors: [],
  },
  {
    name: "get_runner_logs",
    summary: "A runner's own recent output lines (not its jobs' logs).",
    scope: "admin",
    tag: "runners",
    params: [
      runnerNameParam,
      {
        name: "lines",
        schema: { type: "integer", minimum: 1, maximum: 10_000 },
        description: "How many of the last lines (default 100).",
      },
    ],
    result: { name: "lines", schema: { type: "array", items: { type: "string" } } },
    examples: [{
      name: "logs",
      params: { name: "default" },
      result: ["2026-11-22T10:00:00.000Z [supervisor] started 2 warm sessions"],
    }],
    errors: [NotFound],
  },
  {
    name: "pause_runner",
    summary: "Let running jobs finish, take no new ones.",
    scope: "admin",
    tag: "runners",
    params: [runnerNameParam, ...auditParams],
    result: { name: "status", schema: RunnerStatus },
    examples: [{
      name: "pause",
      params: { name: "example-runner", requested_by: "docs", reason: "maintenance" },
      result: exampleStatus("example-runner", "paused"),
    }],
    errors: [NotFound, Conflict],
  },
  {
    name: "resume_runner",
    summary: "Take jobs again after a pause, or lift a quarantine.",
    scope: "admin",
    tag: "runners",
    params: [runnerNameParam, ...auditParams],
    result: { name: "status", schema: RunnerStatus },
    examples: [{
      name: "resume",
      params: { name: "example-runner" },
      result: exampleStatus("example-runner", "running"),
    }],
    errors: [NotFound, Conflict],
  },
  {
    name: "scale_runner",
    summary: "Change how many jobs a runner runs at once, live, without dropping running jobs.",
    scope: "admin",
    tag: "runners",
    params: [
      runnerNameParam,
      {
        name: "instances",
        schema: { type: "integer", minimum: 1, maximum: 256 },
        required: true,
        description: "The new number of instances.",
      },
      ...auditParams,
    ],
    result: { name: "status", schema: RunnerStatus },
    examples: [{
      name: "scale",
      params: { name: "example-runner", instances: 2 },
      result: exampleStatus("example-runner", "running", 2),
    }],
    errors: [NotFound, Conflict],
  },
  {
    name: "stop_runner",
    summary: "Stop a runner: running jobs are stopped and queued again, processes killed.",
    scope: "admin",
    tag: "runners",
    params: [runnerNameParam, ...auditParams],
    result: { name: "status", schema: RunnerStatus },
    examples: [{
      name: "stop",
      params: { name: "example-runner" },
      result: exampleStatus("example-runner", "stopped"),
    }],
    errors: [NotFound, Conflict],
  },
  {
    name: "start_runner",
    summary: "Start a stopped runner.",
    scope: "admin",
    tag: "runners",
    params: [runnerNameParam, ...auditParams],
    result: { name: "status", schema: RunnerStatus },
    examples: [{
      name: "start",
      params: { name: "example-runner" },
      result: exampleStatus("example-runner", "starting"),
    }],
    errors: [NotFound, Conflict],
  },
  {
    name: "restart_runner",
    summary: "Stop and start a runner; also lifts a quarantine.",
    scope: "admin",
    tag: "runners",
    params: [runnerNameParam, ...auditParams],
    result: { name: "status", schema: RunnerStatus },
    examples: [{
      name: "restart",
      params: { name: "example-runner" },
      result: exampleStatus("example-runner", "starting"),
    }],
    errors: [NotFound, Conflict],
  },
  {
    name: "quarantine_runner",
    summary: "Stop a runner and keep it stopped (no restarts) until resumed or restarted.",
    description: "Its queued jobs stay queued.",
    scope: "admin",
    tag: "runners",
    params: [runnerNameParam, ...auditParams],
    result: { name: "status", schema: RunnerStatus },
    examples: [{
      name: "quarantine",
      params: { name: "example-runner", requested_by: "docs", reason: "investigating" },
      result: exampleStatus("example-runner", "quarantined"),
    }],
    errors: [NotFound],
  },
  {
    name: "remove_runner",
    summary: "Stop a runner and forget it.",
    description: "Its queued jobs stay queued; `job.status` notes that the runner is gone.",
    scope: "admin",
    tag: "runners",
    params: [runnerNameParam, ...auditParams],
    result: nullResult,
    examples: [{ name: "remove", params: { name: "example-runner" }, result: null }],
    errors: [NotFound],
  },
  {
    name: "stop_all",
    summary: "Stop every runner, dependants first.",
    scope: "admin",
    tag: "runners",
    params: [...auditParams],
    result: nullResult,
    examples: [{ name: "stop all", params: {}, result: null }],
    errors: [],
  },
  {
    name: "start_all",
    summary: "Start every runner, dependencies first.",
    scope: "admin",
    tag: "runners",
    params: [...auditParams],
    result: nullResult,
    examples: [{ name: "start all", params: {}, result: null }],
    errors: [],
  },
  {
    name: "get_all_status",
    summary: "Every runner's status and the job counts.",
    scope: "admin",
    tag: "runners",
    params: [],
    result: { name: "status", schema: AllStatus },
    examples: [{
      name: "all",
      params: {},
      result: { runners: [exampleStatus("default", "running", 2)], jobs: exampleCounts },
    }],
    errors: [],
  },
  {
    name: "schedules.create",
    summary: "Make a cron schedule: a job template created and started at each tick.",
    description: "Each tick fires once across every supervisor of the store (its job's id, " +
      "`NAME@TIME`, is stored once; the tick is then compared and set). An invalid expression " +
      "or time zone is -32602 naming it; a name taken is -32009. A user secret owns the " +
      "schedules it makes and sees only those.",
    scope: "user",
    tag: "schedules",
    params: [{
      name: "schedule",
      schema: ScheduleSpec,
      required: true,
      description: "The schedule.",
    }],
    result: { name: "schedule", schema: Schedule },
    examples: [{
      name: "every night",
      params: { schedule: exampleScheduleSpec },
      result: exampleSchedule,
    }],
    errors: [Conflict],
  },
  {
    name: "schedules.list",
    summary: "Every schedule (a user secret: its own), by name.",
    scope: "user",
    tag: "schedules",
    params: [],
    result: { name: "schedules", schema: { type: "array", items: Schedule } },
    examples: [{ name: "all", params: {}, result: [exampleSchedule] }],
    errors: [],
  },
  {
    name: "schedules.get",
    summary: "One schedule, with its next tick and its last runs.",
    scope: "user",
    tag: "schedules",
    params: [scheduleName],
    result: { name: "schedule", schema: Schedule },
    examples: [{ name: "get", params: { name: "nightly-report" }, result: exampleSchedule }],
    errors: [NotFound],
  },
  {
    name: "schedules.update",
    summary: "Change a schedule's expression, time zone, job, policies or pause.",
    description: "Its ticks go on from where they were: a new expression applies from the " +
      "last tick handled.",
    scope: "user",
    tag: "schedules",
    params: [
      scheduleName,
      { name: "changes", schema: ScheduleChanges, required: true, description: "What changes." },
    ],
    result: { name: "schedule", schema: Schedule },
    examples: [{
      name: "later",
      params: { name: "nightly-report", changes: { cron: "30 3 * * *" } },
      result: { ...exampleSchedule, cron: "30 3 * * *" },
    }],
    errors: [NotFound],
  },
  {
    name: "schedules.pause",
    summary: "Pause a schedule: its ticks pass without a job until it is resumed.",
    scope: "user",
    tag: "schedules",
    params: [scheduleName],
    result: { name: "schedule", schema: Schedule },
    examples: [{
      name: "pause",
      params: { name: "nightly-report" },
      result: { ...exampleSchedule, paused: true, next_run_at: null },
    }],
    errors: [NotFound],
  },
  {
    name: "schedules.resume",
    summary: "Resume a paused schedule; the ticks it missed follow its `catch_up`.",
    scope: "user",
    tag: "schedules",
    params: [scheduleName],
    result: { name: "schedule", schema: Schedule },
    examples: [{ name: "resume", params: { name: "nightly-report" }, result: exampleSchedule }],
    errors: [NotFound],
  },
  {
    name: "schedules.trigger",
    summary: "Create and start the schedule's job now, outside its ticks; returns its id.",
    scope: "user",
    tag: "schedules",
    params: [scheduleName],
    result: { name: "job_id", schema: JobId },
    examples: [{
      name: "now",
      params: { name: "nightly-report" },
      result: "nightly-report@manual-1a2b3c4d",
    }],
    errors: [NotFound],
  },
  {
    name: "schedules.delete",
    summary: "Delete a schedule (the jobs it made stay).",
    scope: "user",
    tag: "schedules",
    params: [scheduleName],
    result: nullResult,
    examples: [{ name: "delete", params: { name: "nightly-report" }, result: null }],
    errors: [NotFound],
  },
  {
    name: "cluster.members",
    summary: "The supervisors and remote agents sharing this store, live or gone.",
    description: "Each member records itself with a heartbeat every 5 s; one that missed three " +
      "is `gone` (its jobs' leases run out and are reaped as usual) and forgotten after an " +
      "hour. A member that stops cleanly leaves the list. With the embedded store the " +
      "supervisor is the only member.",
    scope: "admin",
    tag: "runners",
    params: [],
    result: { name: "members", schema: { type: "array", items: ClusterMember } },
    examples: [{
      name: "one",
      params: {},
      result: [{
        id: "host-a/4242/1a2b3c4d",
        role: "supervisor",
        state: "up",
        self: true,
        host: "host-a",
        pid: 4242,
        version: "0.2.0",
        started_at: 1767225600000,
        last_seen: 1767225660000,
        url: "http://127.0.0.1:3030",
        runners: ["default"],
        load: { busy: 0, instances: 2 },
      }],
    }],
    errors: [Unavailable],
  },
  {
    name: "current_state",
    summary: "The whole supervision tree at a glance: supervisor, runners in start order, jobs.",
    scope: "admin",
    tag: "runners",
    params: [],
    result: {
      name: "state",
      schema: {
        type: "object",
        required: ["supervisor", "runners", "start_order", "jobs"],
        additionalProperties: false,
        properties: {
          supervisor: SupervisorInfo,
          runners: { type: "array", items: RunnerStatus },
          start_order: { type: "array", items: RunnerName },
          jobs: JobCounts,
        },
      },
    },
    examples: [{
      name: "state",
      params: {},
      result: {
        supervisor: {
          name: "hero-supervisor",
          version: "0.1.0",
          store: "embedded",
          namespace: "hero",
          uptime_s: 12.5,
          runners: 1,
          jobs: exampleCounts,
        },
        runners: [exampleStatus("default", "running", 2)],
        start_order: ["default"],
        jobs: exampleCounts,
      },
    }],
    errors: [],
  },
  {
    name: "get_stats",
    summary: "Throughput and run times over the last minutes, job counts and queue depths.",
    description: "Buckets count the jobs that ended on this supervisor's runners (each " +
      "supervisor sharing a store reports its own); counts and queues are the store's. " +
      "Empty buckets are listed too, so that a chart needs no gap filling.",
    scope: "user",
    tag: "jobs",
    params: [{
      name: "minutes",
      schema: { type: "integer", minimum: 1, maximum: 60 },
      description: "How far back (default 15).",
    }],
    result: { name: "stats", schema: Stats },
    examples: [{
      name: "last minute",
      params: { minutes: 1 },
      result: {
        now: 1767225660000,
        bucket_s: 10,
        buckets: [{
          start: 1767225600000,
          completed: 12,
          failed: 1,
          stopped: 0,
          timeout: 0,
          run_p50_ms: 35,
          run_p95_ms: 120,
        }],
        jobs: exampleCounts,
        queued: { default: 0 },
      },
    }],
    errors: [],
  },
  {
    name: "events.list",
    summary: "Lifecycle events, oldest first, after a given event.",
    description: "The live stream is `GET /events` (Server-Sent Events, admin).",
    scope: "admin",
    tag: "runners",
    params: [
      {
        name: "after",
        schema: { type: "integer", minimum: 0 },
        description: "Only events with a greater id (default 0).",
      },
      {
        name: "limit",
        schema: { type: "integer", minimum: 1, maximum: 1000 },
        description: "At most this many (default 100).",
      },
      {
        name: "type",
        schema: { type: "string", maxLength: 64 },
        description: "Only events whose type starts with this (`runner.`, `job.finished`...).",
      },
      {
        name: "subject",
        schema: { type: "string", maxLength: 256 },
        description: "Only events about this runner, job or secret.",
      },
    ],
    result: { name: "page", schema: EventPage },
    examples: [{
      name: "events",
      params: { after: 0, limit: 2 },
      result: {
        events: [
          { id: 1, ts: 1763800000000, type: "supervisor.started", subject: "hero-supervisor" },
          { id: 2, ts: 1763800000001, type: "runner.starting", subject: "default" },
        ],
        next: 2,
        last: 2,
      },
    }],
    errors: [],
  },

  // ---- administration -----------------------------------------------------
  {
    name: "add_secret",
    summary: "Add a secret of a kind; it is stored hashed.",
    scope: "admin",
    tag: "admin",
    params: [
      { name: "kind", schema: SecretKind, required: true, description: "Its scope." },
      {
        name: "value",
        schema: {
          type: "string",
          minLength: 12,
          maxLength: 512,
          "x-expected": "a string of 12-512 characters",
        },
        required: true,
        description: "The secret; only its hash is kept.",
      },
    ],
    result: nullResult,
    examples: [{
      name: "add",
      params: { kind: "user", value: "example-user-secret-0001" },
      result: null,
    }],
    errors: [Conflict],
  },
  {
    name: "list_secrets",
    summary: "Every secret's kind and fingerprint; never a value.",
    scope: "admin",
    tag: "admin",
    params: [],
    result: { name: "secrets", schema: { type: "array", items: SecretInfo } },
    examples: [{
      name: "list",
      params: {},
      result: [{
        kind: "user",
        fingerprint: "sha256:5d41402abc4b",
        created_at: 1763800000000,
        source: "api",
      }],
    }],
    errors: [],
  },
  {
    name: "remove_secret",
    summary: "Remove a secret added with add_secret.",
    description: "Name it by `value` or by `fingerprint` (as `list_secrets` shows it), not both. " +
      "A secret from the config file is removed by editing the file (-32009 here).",
    scope: "admin",
    tag: "admin",
    params: [
      { name: "kind", schema: SecretKind, required: true, description: "Its scope." },
      {
        name: "value",
        schema: { type: "string", minLength: 1, maxLength: 512 },
        description: "The secret.",
      },
      {
        name: "fingerprint",
        schema: { type: "string", pattern: "^sha256:[0-9a-f]{12}$" },
        description: "The secret's fingerprint, instead of its value.",
      },
    ],
    result: nullResult,
    examples: [{
      name: "remove",
      params: { kind: "user", value: "example-user-secret-0001" },
      result: null,
    }],
    errors: [NotFound, Conflict],
  },
  {
    name: "whoami",
    summary: "Who the secret is (kind and fingerprint) and which methods it may call.",
    description: "Lets a user interface show only what the secret can do.",
    scope: "any",
    tag: "admin",
    params: [],
    result: { name: "identity", schema: Identity },
    examples: [{
      name: "whoami",
      params: {},
      result: {
        kind: "register",
        fingerprint: "sha256:3f1a9c0b2d4e",
        methods: ["rpc.discover", "register_runner", "whoami"],
      },
    }],
    errors: [],
  },
  {
    name: "get_supervisor_info",
    summary: "Name, version, store, namespace, uptime, runner and job counts.",
    scope: "admin",
    tag: "admin",
    params: [],
    result: { name: "info", schema: SupervisorInfo },
    examples: [{
      name: "info",
      params: {},
      result: {
        name: "hero-supervisor",
        version: "0.1.0",
        store: "embedded",
        namespace: "hero",
        uptime_s: 12.5,
        runners: 1,
        jobs: exampleCounts,
      },
    }],
    errors: [Unavailable],
  },
  // Last: tools that replay every example in order (test-coverage) stop the server with it.
  {
    name: "shutdown",
    summary: "Stop the whole tree gracefully, then the supervisor, which exits 0.",
    description: "Answered first; then new jobs are refused, running jobs get `shutdown_grace` " +
      "to finish, runners stop dependants first (services get SIGTERM, then SIGKILL after " +
      "their `stop_grace`), and the process exits 0. The `supervisor.stopping` event records " +
      "`requested_by` and `reason` (the seed's `shutdown_tree`).",
    scope: "admin",
    tag: "runners",
    params: [...auditParams],
    result: nullResult,
    examples: [{
      name: "shutdown",
      params: { requested_by: "ops", reason: "host maintenance" },
      result: null,
    }],
    errors: [],
  },
];

/** The method table by name. */
export const methodsByName: ReadonlyMap<string, MethodSpec> = new Map(
  methods.map((m) => [m.name, m]),
);
