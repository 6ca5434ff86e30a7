/**
 * The supervisor's configuration: the keys of the TOML file, their schema
 * and their defaults. `docs/operations.md` lists them.
 *
 * @module
 */

import type { JsonSchema } from "../../shared/json_schema.ts";
import {
  KeepRule,
  Permissions as PermissionsSchema,
  RunnerConfig as RunnerConfigSchema,
  ScheduleSpec as ScheduleSpecSchema,
} from "../../shared/schemas.ts";
import type {
  JobSpec,
  Permissions,
  RunnerConfig,
  ScheduleSpec,
} from "../../shared/types.generated.ts";

const secrets = (scope: string): JsonSchema => ({
  type: "array",
  items: {
    type: "string",
    minLength: 12,
    maxLength: 512,
    "x-expected": "a secret of 12-512 characters",
  },
  description: `Secrets of the ${scope} scope.`,
});
const seconds = (
  description: string,
  minimum: number,
  maximum: number,
): JsonSchema => ({
  type: "number",
  minimum,
  maximum,
  description,
  "x-expected": `a number of seconds ${minimum}-${maximum}`,
});

/** Every key of the config file. */
export const ConfigSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    name: {
      type: "string",
      minLength: 1,
      maxLength: 64,
      description: "This supervisor's name.",
    },
    redis_url: {
      type: "string",
      pattern: "^(rediss?://|redis-sentinel://[^/]+/[^/?#]+$)",
      description: "Redis to share jobs through; absent: the embedded store in `data_dir`. " +
        "`redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER` follows the master that Redis " +
        "Sentinel names, through failovers.",
      "x-expected": "a redis://, rediss:// or redis-sentinel://HOST:PORT/MASTER URL",
    },
    namespace: {
      type: "string",
      pattern: "^[A-Za-z0-9_.-]{1,64}$",
      description: "Prefix of every store key.",
      "x-expected": "a namespace (1-64 letters, digits or _ . -)",
    },
    bind_address: {
      type: "string",
      minLength: 1,
      description: "Address to listen on (loopback by default), or `unix:/path/rpc.sock` for " +
        "a Unix socket (made mode 0600: only this user reaches the API).",
    },
    port: {
      type: "integer",
      minimum: 1,
      maximum: 65535,
      description: "Port to listen on.",
    },
    data_dir: {
      type: "string",
      minLength: 1,
      description: "Embedded store and generated secret.",
    },
    admin_secrets: secrets("admin"),
    user_secrets: secrets("user"),
    register_secrets: secrets("register"),
    log_lines: {
      type: "integer",
      minimum: 100,
      maximum: 10_000_000,
      description: "Log lines kept per job; the oldest go first.",
    },
    lease: seconds(
      "How long a runner holds a job without renewing; bounds how soon a dead runner's jobs are retried.",
      1,
      3600,
    ),
    timeout_grace: seconds(
      "Extra seconds after a job's timeout before the supervisor marks it `timeout` itself.",
      0,
      3600,
    ),
    shutdown_grace: seconds(
      "On SIGTERM/SIGINT, how long running jobs may finish before they are killed and queued again.",
      0,
      86400,
    ),
    retry_delay: seconds(
      "First retry delay of a failed job (doubles per attempt).",
      0,
      3600,
    ),
    retry_delay_max: seconds("Longest retry delay.", 0, 86400),
    events_kept: {
      type: "integer",
      minimum: 100,
      maximum: 10_000_000,
      description: "Lifecycle events kept.",
    },
    max_body_bytes: {
      type: "integer",
      minimum: 1024,
      maximum: 1 << 30,
      description: "Largest request body accepted.",
    },
    max_batch: {
      type: "integer",
      minimum: 1,
      maximum: 100_000,
      description: "Most requests in one JSON-RPC batch.",
    },
    auth_max_failures: {
      type: "integer",
      minimum: 1,
      maximum: 1_000_000,
      description: "Failed authentications per client within `auth_window` before it is refused.",
    },
    auth_global_max_failures: {
      type: "integer",
      minimum: 1,
      maximum: 10_000_000,
      description: "Failed authentications from all clients within `auth_window` past which " +
        "every failing client is slowed down (many addresses, or one proxy for all).",
    },
    auth_window: seconds(
      "Window over which failed authentications are counted.",
      1,
      86400,
    ),
    trusted_proxies: {
      type: "array",
      items: { type: "string", minLength: 1, maxLength: 64 },
      description: "Addresses of reverse proxies whose `X-Forwarded-For`, `X-Forwarded-Proto`, " +
        "`X-Forwarded-Host` and `Forwarded` headers are believed (for the client's address and " +
        "the links the server prints). Absent: none; those headers are ignored.",
    },
    public_url: {
      type: "string",
      pattern: "^https?://[^/?#]+$",
      description: "The URL clients reach the supervisor at, for the links it prints " +
        "(`servers` of the OpenRPC document). Default: the address it listens on.",
      "x-expected": "an http:// or https:// origin without a path",
    },
    max_connections: {
      type: "integer",
      minimum: 1,
      maximum: 1_000_000,
      description: "HTTP connections open at once; past it a new one is answered 503 and closed.",
    },
    header_timeout: seconds(
      "How long a request head may take to arrive, from its first byte (or the connection).",
      0.1,
      3600,
    ),
    body_timeout: seconds(
      "How long a request body may take to arrive, from the end of its head.",
      0.1,
      86400,
    ),
    idle_timeout: seconds(
      "How long a connection may stay without a byte either way before it is closed.",
      1,
      86400,
    ),
    max_header_bytes: {
      type: "integer",
      minimum: 1024,
      maximum: 1 << 20,
      description: "Largest request head (request line and headers) accepted.",
    },
    redis_timeout: seconds(
      "How long Redis may take to answer a command before the call fails (-32003) and the " +
        "connection is made again: a frozen Redis never hangs a call.",
      0.1,
      600,
    ),
    redis_wait_replicas: {
      type: "integer",
      minimum: 0,
      maximum: 100,
      description: "Replicas that must have a new job before its creation is answered (Redis " +
        "`WAIT`): with 1 or more, a job acknowledged survives the master's loss (a failover). " +
        "Short of them within `redis_wait_timeout` the call fails with -32003 (the job may " +
        "exist on the master). Default 0: the master's answer.",
    },
    redis_wait_timeout: seconds(
      "How long a creation waits for `redis_wait_replicas`.",
      0.01,
      60,
    ),
    metrics: {
      type: "boolean",
      description: "Serve `GET /metrics` (admin secret).",
    },
    log_format: {
      type: "string",
      enum: ["text", "json"],
      description: "`text`: one human line per record on stderr (time, level, part, message); " +
        "`json`: one JSON object per line, for a log shipper.",
    },
    log_level: {
      type: "string",
      enum: ["debug", "info", "warning", "error"],
      description: "The lowest level logged.",
    },
    sandbox: {
      type: "string",
      enum: ["auto", "require", "off"],
      description: "The OS sandbox under Deno's permissions (bubblewrap namespaces, control " +
        "groups): `auto` uses what this host has and warns about the rest; `require` refuses to " +
        "start without all of it; `off` uses none (Deno's permissions only).",
    },
    sandbox_cgroups: {
      type: "boolean",
      description: "Whether the OS sandbox makes control groups where this host lets it " +
        "(`false` where another manager owns them, e.g. a container's orchestrator): without " +
        "them the PID namespace alone ends what a job starts, and `memory_mb` bounds the V8 " +
        "heap only. `require` then does not ask for them.",
    },
    schedules: {
      type: "array",
      items: ScheduleSpecSchema,
      description: "Cron schedules, as `schedules.create` takes them (`[[schedules]]`): made at " +
        "start when missing, brought to what the config says when present.",
    },
    keep: {
      type: "object",
      additionalProperties: false,
      description: "How long final jobs are kept (with their logs), unless a job says " +
        "otherwise (its `keep`): `completed`, and `failed` (also stopped and timed out), each " +
        "by `age` (seconds since it ended) and/or `count` (the newest of that status). " +
        "Default: `{ completed = { age = 604800 }, failed = { age = 2592000 } }` (7 and 30 days).",
      properties: { completed: KeepRule, failed: KeepRule },
    },
    register_policy: {
      type: "object",
      additionalProperties: false,
      description: "What a register secret may register (an admin secret may register anything).",
      properties: {
        kinds: {
          type: "array",
          items: { type: "string", enum: ["script", "process", "service", "noop"] },
          uniqueItems: true,
          description: 'Runner kinds it may register (default `["script"]`).',
        },
        permissions: {
          ...PermissionsSchema,
          description: "The most a registered script runner may be granted: each of its grants " +
            "must fall within these (default: none at all).",
        },
        binaries: {
          type: "array",
          items: {
            type: "string",
            pattern: "^/",
            "x-expected": "an absolute path",
          },
          description: "Programs a registered process runner may run (default: none).",
        },
        max_instances: {
          type: "integer",
          minimum: 1,
          maximum: 256,
          description: "The most instances a registered runner may have (default 4).",
        },
      },
    },
    runners: {
      type: "array",
      items: RunnerConfigSchema,
      description: "The runners.",
    },
  },
};

/** What a register secret may register: `[register_policy]`. */
export interface RegisterPolicy {
  kinds: ("script" | "process" | "service" | "noop")[];
  permissions: Permissions;
  binaries: string[];
  max_instances: number;
}

/** The configuration, with every default applied. */
export interface SupervisorConfig {
  name: string;
  redis_url?: string;
  namespace: string;
  bind_address: string;
  port: number;
  data_dir: string;
  admin_secrets: string[];
  user_secrets: string[];
  register_secrets: string[];
  log_lines: number;
  lease: number;
  timeout_grace: number;
  shutdown_grace: number;
  retry_delay: number;
  retry_delay_max: number;
  events_kept: number;
  max_body_bytes: number;
  max_batch: number;
  auth_max_failures: number;
  auth_global_max_failures: number;
  auth_window: number;
  trusted_proxies: string[];
  public_url?: string;
  max_connections: number;
  header_timeout: number;
  body_timeout: number;
  idle_timeout: number;
  max_header_bytes: number;
  redis_timeout: number;
  redis_wait_replicas: number;
  redis_wait_timeout: number;
  register_policy: RegisterPolicy;
  keep: NonNullable<JobSpec["keep"]>;
  schedules: ScheduleSpec[];
  metrics: boolean;
  log_format: "text" | "json";
  log_level: "debug" | "info" | "warning" | "error";
  sandbox: "auto" | "require" | "off";
  sandbox_cgroups: boolean;
  runners: RunnerConfig[];
}

/** The runner `deno task serve` has when the config names none. */
export const DEFAULT_RUNNER: RunnerConfig = {
  name: "default",
  kind: "script",
  instances: 2,
  timeout: 60,
  memory_mb: 256,
  restart: "permanent",
  permissions: { read: [], write: [], net: [], env: [], run: false },
};

/** Every default, as CONTRACT.md states them and beyond. */
export const DEFAULTS: Omit<SupervisorConfig, "runners"> = {
  name: "hero-supervisor",
  namespace: "hero",
  bind_address: "127.0.0.1",
  port: 3030,
  data_dir: ".hero",
  admin_secrets: [],
  user_secrets: [],
  register_secrets: [],
  log_lines: 10_000,
  lease: 15,
  timeout_grace: 5,
  shutdown_grace: 30,
  retry_delay: 1,
  retry_delay_max: 60,
  events_kept: 10_000,
  max_body_bytes: 4 * 1024 * 1024,
  max_batch: 1000,
  auth_max_failures: 20,
  auth_global_max_failures: 200,
  auth_window: 60,
  trusted_proxies: [],
  max_connections: 1024,
  header_timeout: 10,
  body_timeout: 60,
  idle_timeout: 120,
  max_header_bytes: 32 * 1024,
  redis_timeout: 5,
  redis_wait_replicas: 0,
  redis_wait_timeout: 1,
  keep: { completed: { age: 604_800 }, failed: { age: 2_592_000 } },
  schedules: [],
  register_policy: {
    kinds: ["script"],
    permissions: {},
    binaries: [],
    max_instances: 4,
  },
  metrics: true,
  log_format: "text",
  log_level: "info",
  sandbox: "auto",
  sandbox_cgroups: true,
};
