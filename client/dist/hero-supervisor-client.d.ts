/**
 * The types of the API, derived from the shared schemas.
 *
 * @module
 */
/** A job id: 1-128 letters, digits or `_ . : @ -`. */
export type JobId = string;
/** A runner name: 1-64 letters, digits or `_ . -`. */
export type RunnerName = string;
/** `created`, `scheduled` (started, waiting for its `run_at`), `queued`, `running`, then one of the final `completed`, `failed`, `stopped`, `timeout`. */
export type JobStatus = "created" | "scheduled" | "queued" | "running" | "completed" | "failed" | "stopped" | "timeout";
/** A job as submitted: what to run, where, and how. */
export interface JobSpec {
	/** What to run: for a script runner, an ES module (TypeScript or JavaScript). */
	payload: string;
	/** A runner name: 1-64 letters, digits or `_ . -`. */
	runner: RunnerName;
	/** A job id: 1-128 letters, digits or `_ . : @ -`. */
	id?: JobId;
	/** Who asks. */
	caller_id?: string;
	/** In which context. */
	context_id?: string;
	/** Kind of executor, informative (e.g. `deno`). */
	executor?: string;
	/** Seconds; the job is killed when it runs longer. Default: the runner's. */
	timeout?: number;
	/** Environment variables handed to the job. */
	env_vars?: {
		[key: string]: string;
	};
	/** Extra attempts after a failure (not after stop or timeout). */
	retries?: number;
	/** Job ids that must complete before this one is queued. A script job's function receives their results as `ctx.deps[id]` (a process runner's job frame carries them as `deps`). */
	depends_on?: JobId[];
	/** When to start it (milliseconds since the Unix epoch): started before then, it is `scheduled` until then. */
	run_at?: number;
	/** Seconds from its creation until it may start (instead of `run_at`). */
	delay?: number;
	/** Queue order within its runner: higher runs first, first come first served within one priority (default 0). */
	priority?: number;
	/** Deduplication: a second create with the same key within `dedup_window` seconds of the first returns the first job's id instead of a new job. */
	dedup_key?: string;
	/** Seconds a `dedup_key` holds (default 3600). */
	dedup_window?: number;
	/** How long it is kept once it completed or failed (stopped and timed out count as failed); the config's `keep` otherwise. */
	keep?: {
		/** Removed (with their logs) once older than `age` seconds since they ended, or beyond the newest `count` of their status (across the store; on a job: applied when it ends, as BullMQ's `removeOnComplete: N`). */
		completed?: {
			/** Seconds after it ended. */
			age?: number;
			/** The newest jobs of its status kept, across the store. */
			count?: number;
		};
		/** Removed (with their logs) once older than `age` seconds since they ended, or beyond the newest `count` of their status (across the store; on a job: applied when it ends, as BullMQ's `removeOnComplete: N`). */
		failed?: {
			/** Seconds after it ended. */
			age?: number;
			/** The newest jobs of its status kept, across the store. */
			count?: number;
		};
	};
}
/** `{ "success": VALUE }` or `{ "error": "message" }`. */
export type JobResult = {
	/** The value the job produced. */
	success: unknown;
} | {
	/** Why the job did not succeed. */
	error: string;
};
/** A stored job: its spec and its state. */
export interface Job {
	/** What to run: for a script runner, an ES module (TypeScript or JavaScript). */
	payload: string;
	/** A runner name: 1-64 letters, digits or `_ . -`. */
	runner: RunnerName;
	/** A job id: 1-128 letters, digits or `_ . : @ -`. */
	id: JobId;
	/** Who asks. */
	caller_id?: string;
	/** In which context. */
	context_id?: string;
	/** Kind of executor, informative (e.g. `deno`). */
	executor?: string;
	/** Seconds; the job is killed when it runs longer. Default: the runner's. */
	timeout?: number;
	/** Environment variables handed to the job. */
	env_vars?: {
		[key: string]: string;
	};
	/** Extra attempts after a failure (not after stop or timeout). */
	retries?: number;
	/** Job ids that must complete before this one is queued. A script job's function receives their results as `ctx.deps[id]` (a process runner's job frame carries them as `deps`). */
	depends_on?: JobId[];
	/** When to start it (milliseconds since the Unix epoch): started before then, it is `scheduled` until then. */
	run_at?: number;
	/** Seconds from its creation until it may start (instead of `run_at`). */
	delay?: number;
	/** Queue order within its runner: higher runs first, first come first served within one priority (default 0). */
	priority?: number;
	/** Deduplication: a second create with the same key within `dedup_window` seconds of the first returns the first job's id instead of a new job. */
	dedup_key?: string;
	/** Seconds a `dedup_key` holds (default 3600). */
	dedup_window?: number;
	/** How long it is kept once it completed or failed (stopped and timed out count as failed); the config's `keep` otherwise. */
	keep?: {
		/** Removed (with their logs) once older than `age` seconds since they ended, or beyond the newest `count` of their status (across the store; on a job: applied when it ends, as BullMQ's `removeOnComplete: N`). */
		completed?: {
			/** Seconds after it ended. */
			age?: number;
			/** The newest jobs of its status kept, across the store. */
			count?: number;
		};
		/** Removed (with their logs) once older than `age` seconds since they ended, or beyond the newest `count` of their status (across the store; on a job: applied when it ends, as BullMQ's `removeOnComplete: N`). */
		failed?: {
			/** Seconds after it ended. */
			age?: number;
			/** The newest jobs of its status kept, across the store. */
			count?: number;
		};
	};
	/** `created`, `scheduled` (started, waiting for its `run_at`), `queued`, `running`, then one of the final `completed`, `failed`, `stopped`, `timeout`. */
	status: JobStatus;
	/** When it was created (milliseconds since the Unix epoch) */
	created_at: number;
	/** When it last changed (milliseconds since the Unix epoch) */
	updated_at: number;
	/** When its last attempt started (milliseconds since the Unix epoch) */
	started_at?: number;
	/** When it reached a final status (milliseconds since the Unix epoch) */
	finished_at?: number;
	/** How many times it was started. */
	attempts: number;
	/** What it returned, when it completed. */
	result?: unknown;
	/** Why it failed, stopped or timed out. */
	error?: string;
	/** Prerequisites not yet completed, when started before they were. */
	waiting_on?: JobId[];
	/** When a retried or scheduled job may run (milliseconds since the Unix epoch) */
	run_after?: number;
}
/** A job's status at a glance. */
export interface JobStatusInfo {
	/** A job id: 1-128 letters, digits or `_ . : @ -`. */
	job_id: JobId;
	/** `created`, `scheduled` (started, waiting for its `run_at`), `queued`, `running`, then one of the final `completed`, `failed`, `stopped`, `timeout`. */
	status: JobStatus;
	/** When it was created (milliseconds since the Unix epoch) */
	created_at: number;
	/** When its last attempt started (milliseconds since the Unix epoch) */
	started_at?: number;
	/** When it reached a final status (milliseconds since the Unix epoch) */
	finished_at?: number;
	attempts: number;
	/** A runner name: 1-64 letters, digits or `_ . -`. */
	runner: RunnerName;
	/** Why it failed, stopped or timed out. */
	error?: string;
	/** Prerequisites not yet completed. */
	waiting_on?: JobId[];
	/** For a queued job: whether any live instance of its runner can take it. */
	runner_live?: boolean;
	/** Why a job is not moving, when it is not. */
	note?: string;
}
/** One line of output. `seq` grows by one per line of the job. */
export interface LogLine {
	seq: number;
	/** When the line was read (milliseconds since the Unix epoch) */
	ts: number;
	stream: "stdout" | "stderr" | "system";
	line: string;
	/** A piece of a line longer than 16 384 characters: the next line of the same stream continues it (absent on a whole line and on a long line's last piece). */
	partial?: boolean;
}
export interface LogPage {
	lines: LogLine[];
	/** Pass as `after` to get the lines that follow. */
	next: number;
	/** The job is final and no line follows. */
	done: boolean;
	/** Lines no longer kept (the oldest go first when the limit is reached). */
	dropped?: number;
}
/** Deno permissions granted to every job of a script runner. Absent means none. */
interface Permissions$1 {
	/** Paths readable (`--allow-read`): `true` for all, `false` or `[]` for none, or a list. */
	read?: boolean | string[];
	/** Paths writable (`--allow-write`): `true` for all, `false` or `[]` for none, or a list. */
	write?: boolean | string[];
	/** Hosts reachable and importable from (`--allow-net`, `--allow-import`; `npm:` imports need the npm registry's host): `true` for all, `false` or `[]` for none, or a list. */
	net?: boolean | string[];
	/** Environment variables readable (`--allow-env`): `true` for all, `false` or `[]` for none, or a list. */
	env?: boolean | string[];
	/** Programs runnable (`--allow-run`): `true` for all, `false` or `[]` for none, or a list. */
	run?: boolean | string[];
	/** System information (`--allow-sys`): `true` for all, `false` or `[]` for none, or a list. */
	sys?: boolean | string[];
}
/** A runner: where jobs run, with which permissions, and how it is supervised. */
export interface RunnerConfig {
	/** A runner name: 1-64 letters, digits or `_ . -`. */
	name: RunnerName;
	/** `script`: built-in Deno script runner; `process`: an external program that takes jobs (the runner protocol); `service`: any program, supervised (it takes no jobs); `noop`: a test and benchmark fixture that completes every job at once. */
	kind?: "script" | "process" | "service" | "noop";
	/** For `service`: a task that runs once to completion; its exit 0 satisfies its dependants (it is then `completed`), another exit is a failure. */
	oneshot?: boolean;
	/** For `service` and `process`: where its instances run: `"simple"` (default), child processes; `"tmux:SESSION"`, each in a window of that tmux session (`tmux attach -t SESSION` shows it live), its output still in the runner's logs. */
	process_manager?: string;
	/** For `service` and `process`: the working directory of its instances. */
	working_dir?: string;
	/** For `service` and `process`: the user its instances run as (a name or a uid; the supervisor must be root to switch). */
	user?: string;
	/** Checks that say a service (or process runner) is ready, then healthy: all set must pass. Ready once they pass within `start_period`; `retries` failures in a row later restart it (see docs/operations.md, Services). */
	check?: HealthCheck;
	/** Jobs (sessions or processes) that may run at once. */
	instances?: number;
	/** Default job timeout, seconds. */
	timeout?: number;
	/** Memory limit of each job, MiB: its V8 heap, and where the OS sandbox has a memory control group, all of its memory (buffers, Wasm, child processes; at least 64 there). For a process runner, each instance's memory (control group only). */
	memory_mb?: number;
	/** Processes and threads one session (or process-runner instance) may have at once, where the OS sandbox has a pids control group. */
	pids_max?: number;
	/** CPU time one session (or instance) may use, in cores (0.5: half a core), where the OS sandbox has a cpu control group. Default: no limit. */
	cpu?: number;
	/** `permanent`: always restarted; `transient`: after an abnormal exit; `temporary`: never. */
	restart?: "permanent" | "transient" | "temporary";
	/** For `script`: `job` (default), a fresh Deno process per job; `runner`, a warm process serves many jobs of the runner one at a time (a payload's module is loaded once per process and its default export called per job; see docs/operations.md for what it shares between jobs). */
	isolation?: "job" | "runner";
	/** With `isolation = "runner"`: jobs a process serves before it is replaced (default 10000). */
	max_jobs?: number;
	/** At most `max` job starts per `per` seconds (fixed windows), across every supervisor and agent of the store; the others wait `queued`, never failed for it. */
	rate_limit?: {
		/** Job starts per window. */
		max: number;
		/** The window, seconds. */
		per: number;
	};
	/** Deno permissions granted to every job of a script runner. Absent means none. */
	permissions?: Permissions$1;
	/** For `process` and `service`: the program to start. */
	binary_path?: string;
	/** For `process` and `service`: arguments. */
	args?: string[];
	/** Environment given to the runner's processes. */
	env?: {
		[key: string]: string;
	};
	/** Runners that must be ready before this one starts. */
	depends_on?: RunnerName[];
	/** Seconds a runner may stay idle before it gets a ping job (default 600). */
	ping_interval?: number;
	/** Failed or unanswered pings in a row that restart it (default 3). */
	ping_failures?: number;
	/** Seconds a ping may take before it counts as unanswered (default 10). */
	ping_timeout?: number;
	/** First restart delay, seconds (default 1); it doubles up to `restart_delay_max`. */
	restart_delay?: number;
	/** Longest restart delay, seconds (default 60). */
	restart_delay_max?: number;
	/** Restarts allowed within `restart_window` before quarantine (default 5). */
	max_restarts?: number;
	/** Seconds over which restarts are counted (default 60). */
	restart_window?: number;
	/** Seconds of uptime after which the restart delay resets (default 30). */
	stable_after?: number;
	/** Seconds between SIGTERM and SIGKILL when stopping (default 5). */
	stop_grace?: number;
}
/** Checks that say a service (or process runner) is ready, then healthy: all set must pass. Ready once they pass within `start_period`; `retries` failures in a row later restart it (see docs/operations.md, Services). */
export interface HealthCheck {
	/** A command (run with `sh -c`, in the runner's environment and working dir) that exits 0 when healthy (zinit's `test`). */
	test?: string;
	/** A TCP port (on 127.0.0.1) or "host:port" that accepts a connection. */
	tcp?: number | string;
	/** An http(s) URL that answers 2xx. */
	http?: string;
	/** A regular expression: ready once a line of the program's output matches (readiness only). */
	log?: string;
	/** Seconds between checks once ready (default 10). */
	interval?: number;
	/** Seconds one check may take (default 5). */
	timeout?: number;
	/** Failed checks in a row that restart it (default 3). */
	retries?: number;
	/** Seconds it may take to pass its checks after a start (default 30); past it, the start failed. */
	start_period?: number;
}
export interface ExitInfo {
	code?: number;
	signal?: string;
	/** When it exited (milliseconds since the Unix epoch) */
	at: number;
}
/** Which layer confines the runner's processes (see docs/operations.md, Sandbox). */
export interface SandboxStatus {
	/** Files: a mount namespace of the granted paths only. */
	fs: "os" | "deno-only" | "none";
	/** Processes: a PID namespace and control group, so that nothing outlives it. */
	pids: "os" | "deno-only" | "none";
	/** Network: no network at all without a `net` grant. */
	net: "os" | "deno-only" | "none";
	/** Memory: a control group bounds all of it, not only the V8 heap. */
	memory: "os" | "deno-only" | "none";
	/** The granted paths, as given and as resolved when the runner started. */
	paths?: ({
		path: string;
		/** Where it really is; null when it does not exist (then not granted). */
		resolved: string | null;
		access: "read" | "write";
	})[];
	/** What the control group enforces. */
	limits?: {
		memory_mb?: number;
		pids_max?: number;
		cpu?: number;
	};
}
/** `remote`: a runner served only by remote runner agents; `completed`: a oneshot service that exited 0. */
export type RunnerState = "stopped" | "starting" | "running" | "paused" | "stopping" | "backoff" | "quarantined" | "remote" | "completed";
export interface RunnerStatus {
	/** A runner name: 1-64 letters, digits or `_ . -`. */
	name: RunnerName;
	kind: "script" | "process" | "service" | "noop";
	/** `remote`: a runner served only by remote runner agents; `completed`: a oneshot service that exited 0. */
	state: RunnerState;
	/** Jobs that may run at once. */
	instances: number;
	/** Jobs running now. */
	busy: number;
	/** Warm instances waiting for a job. */
	idle?: number;
	/** Jobs waiting in its queue. */
	queued?: number;
	restarts: number;
	pids: number[];
	health: "unknown" | "healthy" | "unhealthy";
	last_exit?: ExitInfo | null;
	last_ping?: number | null;
	/** Failed pings in a row. */
	ping_failures?: number;
	restart?: "permanent" | "transient" | "temporary";
	next_restart_at?: number | null;
	/** Why it is quarantined, paused or backing off. */
	reason?: string;
	depends_on?: RunnerName[];
	/** Other live members (remote agents, other supervisors) serving it. */
	remote_agents?: number;
	/** Deno permissions granted to every job of a script runner. Absent means none. */
	permissions?: Permissions$1;
	/** Which layer confines the runner's processes (see docs/operations.md, Sandbox). */
	sandbox?: SandboxStatus;
	/** "simple" or "tmux:SESSION". */
	process_manager?: string;
	/** Its health checks (when it has any). */
	check?: {
		state: "unknown" | "passing" | "failing";
		/** Failed checks in a row. */
		failures: number;
		last_ok?: number | null;
		/** What the last failed check said. */
		last_error?: string;
		/** Checks that say a service (or process runner) is ready, then healthy: all set must pass. Ready once they pass within `start_period`; `retries` failures in a row later restart it (see docs/operations.md, Services). */
		config?: HealthCheck;
	};
	/** Its last failure (an exit, a failed start, failed checks or pings), and why. */
	last_failure?: {
		/** When (milliseconds since the Unix epoch) */
		at: number;
		reason: string;
	} | null;
}
export interface JobCounts {
	created: number;
	scheduled: number;
	queued: number;
	running: number;
	completed: number;
	failed: number;
	stopped: number;
	timeout: number;
	total: number;
}
export interface SupervisorInfo {
	name: string;
	version: string;
	store: "embedded" | "redis";
	namespace: string;
	uptime_s: number;
	/** How many runners are registered. */
	runners: number;
	jobs: JobCounts;
	pid?: number;
	/** Resident memory, bytes. */
	memory_rss?: number;
	/** Address and port it listens on. */
	bind?: string;
}
/** A member of the cluster: a supervisor or a remote runner agent on the same store. */
export interface ClusterMember {
	/** HOST/PID/RANDOM: unique per process start. */
	id: string;
	role: "supervisor" | "agent";
	/** `gone`: it missed three heartbeats (5 s each); it is forgotten after an hour. */
	state: "up" | "gone";
	/** Whether it is the supervisor that answered. */
	self: boolean;
	host: string;
	pid: number;
	version: string;
	/** When it started (milliseconds since the Unix epoch) */
	started_at: number;
	/** Its last heartbeat (milliseconds since the Unix epoch) */
	last_seen: number;
	/** Where its API answers (supervisors). */
	url?: string;
	/** The runners it serves. */
	runners: RunnerName[];
	load: {
		/** Jobs running on it. */
		busy: number;
		/** Jobs that may run on it at once. */
		instances: number;
	};
}
/** A cron schedule: a job template and when to create it. */
export interface ScheduleSpec {
	/** Its name: 1-64 letters, digits or `_ . -`. */
	name: string;
	/** When it fires: a cron expression of 5 fields (minute first), or 6 with seconds first, or 7 with a year (croner's syntax: `L`, `W`, `#`, names of months and days). */
	cron: string;
	/** The IANA time zone the expression is read in (default UTC). */
	timezone?: string;
	/** The job each tick creates and starts (without an `id`: each tick's job gets `NAME@TIME`, TIME the tick in ISO 8601). */
	job: {
		/** What to run: for a script runner, an ES module (TypeScript or JavaScript). */
		payload: string;
		/** A runner name: 1-64 letters, digits or `_ . -`. */
		runner: RunnerName;
		/** Who asks. */
		caller_id?: string;
		/** In which context. */
		context_id?: string;
		/** Kind of executor, informative (e.g. `deno`). */
		executor?: string;
		/** Seconds; the job is killed when it runs longer. Default: the runner's. */
		timeout?: number;
		/** Environment variables handed to the job. */
		env_vars?: {
			[key: string]: string;
		};
		/** Extra attempts after a failure (not after stop or timeout). */
		retries?: number;
		/** Job ids that must complete before this one is queued. A script job's function receives their results as `ctx.deps[id]` (a process runner's job frame carries them as `deps`). */
		depends_on?: JobId[];
		/** When to start it (milliseconds since the Unix epoch): started before then, it is `scheduled` until then. */
		run_at?: number;
		/** Seconds from its creation until it may start (instead of `run_at`). */
		delay?: number;
		/** Queue order within its runner: higher runs first, first come first served within one priority (default 0). */
		priority?: number;
		/** Deduplication: a second create with the same key within `dedup_window` seconds of the first returns the first job's id instead of a new job. */
		dedup_key?: string;
		/** Seconds a `dedup_key` holds (default 3600). */
		dedup_window?: number;
		/** How long it is kept once it completed or failed (stopped and timed out count as failed); the config's `keep` otherwise. */
		keep?: {
			/** Removed (with their logs) once older than `age` seconds since they ended, or beyond the newest `count` of their status (across the store; on a job: applied when it ends, as BullMQ's `removeOnComplete: N`). */
			completed?: {
				/** Seconds after it ended. */
				age?: number;
				/** The newest jobs of its status kept, across the store. */
				count?: number;
			};
			/** Removed (with their logs) once older than `age` seconds since they ended, or beyond the newest `count` of their status (across the store; on a job: applied when it ends, as BullMQ's `removeOnComplete: N`). */
			failed?: {
				/** Seconds after it ended. */
				age?: number;
				/** The newest jobs of its status kept, across the store. */
				count?: number;
			};
		};
	};
	/** When a tick comes and its last job is not final yet: `skip` (default) records the tick as skipped, `queue` creates the job and starts it once the last one ended, `allow` starts it at once. */
	overlap?: "skip" | "queue" | "allow";
	/** Ticks missed while no supervisor ran (more than 5 s late): `none` (default) skips them, `last` fires the latest, `all` fires each (at most 100). */
	catch_up?: "none" | "last" | "all";
	/** Paused: its ticks pass without a job. */
	paused?: boolean;
}
export interface Schedule {
	/** Its name: 1-64 letters, digits or `_ . -`. */
	name: string;
	/** When it fires: a cron expression of 5 fields (minute first), or 6 with seconds first, or 7 with a year (croner's syntax: `L`, `W`, `#`, names of months and days). */
	cron: string;
	/** The IANA time zone the expression is read in (default UTC). */
	timezone: string;
	/** The job each tick creates and starts (without an `id`: each tick's job gets `NAME@TIME`, TIME the tick in ISO 8601). */
	job: {
		/** What to run: for a script runner, an ES module (TypeScript or JavaScript). */
		payload: string;
		/** A runner name: 1-64 letters, digits or `_ . -`. */
		runner: RunnerName;
		/** Who asks. */
		caller_id?: string;
		/** In which context. */
		context_id?: string;
		/** Kind of executor, informative (e.g. `deno`). */
		executor?: string;
		/** Seconds; the job is killed when it runs longer. Default: the runner's. */
		timeout?: number;
		/** Environment variables handed to the job. */
		env_vars?: {
			[key: string]: string;
		};
		/** Extra attempts after a failure (not after stop or timeout). */
		retries?: number;
		/** Job ids that must complete before this one is queued. A script job's function receives their results as `ctx.deps[id]` (a process runner's job frame carries them as `deps`). */
		depends_on?: JobId[];
		/** When to start it (milliseconds since the Unix epoch): started before then, it is `scheduled` until then. */
		run_at?: number;
		/** Seconds from its creation until it may start (instead of `run_at`). */
		delay?: number;
		/** Queue order within its runner: higher runs first, first come first served within one priority (default 0). */
		priority?: number;
		/** Deduplication: a second create with the same key within `dedup_window` seconds of the first returns the first job's id instead of a new job. */
		dedup_key?: string;
		/** Seconds a `dedup_key` holds (default 3600). */
		dedup_window?: number;
		/** How long it is kept once it completed or failed (stopped and timed out count as failed); the config's `keep` otherwise. */
		keep?: {
			/** Removed (with their logs) once older than `age` seconds since they ended, or beyond the newest `count` of their status (across the store; on a job: applied when it ends, as BullMQ's `removeOnComplete: N`). */
			completed?: {
				/** Seconds after it ended. */
				age?: number;
				/** The newest jobs of its status kept, across the store. */
				count?: number;
			};
			/** Removed (with their logs) once older than `age` seconds since they ended, or beyond the newest `count` of their status (across the store; on a job: applied when it ends, as BullMQ's `removeOnComplete: N`). */
			failed?: {
				/** Seconds after it ended. */
				age?: number;
				/** The newest jobs of its status kept, across the store. */
				count?: number;
			};
		};
	};
	/** When a tick comes and its last job is not final yet: `skip` (default) records the tick as skipped, `queue` creates the job and starts it once the last one ended, `allow` starts it at once. */
	overlap: "skip" | "queue" | "allow";
	/** Ticks missed while no supervisor ran (more than 5 s late): `none` (default) skips them, `last` fires the latest, `all` fires each (at most 100). */
	catch_up: "none" | "last" | "all";
	/** Paused: its ticks pass without a job. */
	paused: boolean;
	/** Who made it: `KIND:FINGERPRINT` of the secret, or `config`. */
	owner: string;
	/** When it was made (milliseconds since the Unix epoch) */
	created_at: number;
	/** When it last changed (milliseconds since the Unix epoch) */
	updated_at: number;
	/** The last tick handled (fired or skipped) (milliseconds since the Unix epoch) */
	last_tick: number;
	/** Its next tick; null when paused or when the expression has no more. */
	next_run_at: number | null;
	/** Its last 20 ticks, newest first: the job made, or why none. */
	runs: {
		/** The tick (milliseconds since the Unix epoch) */
		tick: number;
		/** A job id: 1-128 letters, digits or `_ . : @ -`. */
		job_id?: JobId;
		/** Why no job was made. */
		skipped?: string;
	}[];
}
export interface AllStatus {
	runners: RunnerStatus[];
	jobs: JobCounts;
}
/** `admin`: everything; `user`: job operations; `register`: `register_runner` only. */
export type SecretKind = "admin" | "user" | "register";
export interface SecretInfo {
	/** `admin`: everything; `user`: job operations; `register`: `register_runner` only. */
	kind: SecretKind;
	/** A short, one-way digest that names the secret. */
	fingerprint: string;
	/** When it was added (milliseconds since the Unix epoch) */
	created_at: number;
	/** Where it comes from: the config file, `add_secret`, or first start. */
	source?: "config" | "api" | "generated";
}
interface Event$1 {
	/** Grows by one per event. */
	id: number;
	/** When it happened (milliseconds since the Unix epoch) */
	ts: number;
	/** `runner.starting`, `runner.ready`, `runner.exited`, `runner.restarting`, `runner.quarantined`, `runner.paused`, `runner.resumed`, `runner.stopped`, `runner.scaled`, `runner.unhealthy`, `job.queued`, `job.started`, `job.finished`, `secret.added`, `secret.removed`, `supervisor.started`, `supervisor.stopping`. */
	type: string;
	/** The runner name, job id or secret fingerprint. */
	subject: string;
	requested_by?: string;
	reason?: string;
	/** Facts particular to the type. */
	data?: {
		[key: string]: unknown;
	};
	/** The member of the cluster (supervisor or agent, see `cluster.members`) that recorded it: the one that acted. */
	member?: string;
}
export interface EventPage {
	events: Event$1[];
	/** Pass as `after` for the events that follow. */
	next: number;
	/** The newest event's id (0 when none): `after: last - 50` gives the last 50. */
	last: number;
}
export interface Identity {
	/** `admin`: everything; `user`: job operations; `register`: `register_runner` only. */
	kind: SecretKind;
	/** A short, one-way digest that names the secret. */
	fingerprint: string;
	/** Every method this secret may call. */
	methods: string[];
}
export interface StatsBucket {
	/** When the bucket begins (milliseconds since the Unix epoch) */
	start: number;
	completed: number;
	failed: number;
	stopped: number;
	timeout: number;
	/** Median run time (start to end) of the jobs that ended in it. */
	run_p50_ms?: number;
	/** 95th percentile run time. */
	run_p95_ms?: number;
}
export interface Stats {
	/** When the stats were taken (milliseconds since the Unix epoch) */
	now: number;
	/** Seconds per bucket. */
	bucket_s: number;
	/** Jobs that ended on this supervisor's runners, oldest bucket first, up to now. */
	buckets: StatsBucket[];
	jobs: JobCounts;
	/** Jobs waiting in each runner's queue. */
	queued: {
		[key: string]: number;
	};
}
/** Each method's params (the `secret` param is left to the transport). */
export interface MethodParams {
	/** The OpenRPC document that describes this API. */
	"rpc.discover": Record<string, never>;
	/** Store a job without queuing it; returns its id. */
	"jobs.create": {
		/** The job. */
		job: JobSpec;
	};
	/** Store up to 1000 jobs in one call, all or nothing; returns their ids in order. */
	"jobs.create_many": {
		/** The jobs (1-1000). */
		jobs: JobSpec[];
		/** Start them too (default false: they wait in `created`). */
		start?: boolean;
	};
	/** Queue a created job. */
	"job.start": {
		/** The job. */
		job_id: JobId;
	};
	/** A job's status at a glance; does not wait. */
	"job.status": {
		/** The job. */
		job_id: JobId;
	};
	/** Wait until a job is final and return its result. */
	"job.result": {
		/** The job. */
		job_id: JobId;
		/** How long to wait, ms (default 30000). */
		wait_ms?: number;
	};
	/** A page of a job's log lines, after a given line. */
	"job.logs": {
		/** The job. */
		job_id: JobId;
		/** Only lines with a greater `seq` (default 0). */
		after?: number;
		/** At most this many lines (default 1000). */
		limit?: number;
		/** Wait this long for a line when none is there yet, ms. */
		wait_ms?: number;
	};
	/** A job with its spec, status, result and error. */
	"job.get": {
		/** The job. */
		job_id: JobId;
	};
	/** Jobs, newest first, filtered and paged. */
	"jobs.list": {
		/** Only jobs in this status. */
		status?: JobStatus;
		/** Only jobs of this runner. */
		runner?: RunnerName;
		/** Only jobs of this caller. */
		caller_id?: string;
		/** Only this context. */
		context_id?: string;
		/** Only jobs older than this one. */
		before?: JobId;
		/** At most this many (default 100). */
		limit?: number;
	};
	/** Create, queue and wait for a job; returns its result. */
	"job.run": {
		/** The job. */
		job: JobSpec;
		/** How long to wait, ms. */
		wait_ms?: number;
	};
	/** Stop a created, queued or running job; a running job's process group is killed. */
	"job.stop": {
		/** The job. */
		job_id: JobId;
		/** Who asks (default: the secret's kind and fingerprint). */
		requested_by?: string;
		/** Why. */
		reason?: string;
	};
	/** Remove a created or final job and its logs. */
	"job.delete": {
		/** The job. */
		job_id: JobId;
	};
	/** Queue a job to a runner; returns its id. */
	"queue_job_to_runner": {
		/** The runner. */
		runner: RunnerName;
		/** The job; its `runner`, when given, must match. */
		job: {
			/** What to run: for a script runner, an ES module (TypeScript or JavaScript). */
			payload: string;
			/** A runner name: 1-64 letters, digits or `_ . -`. */
			runner?: RunnerName;
			/** A job id: 1-128 letters, digits or `_ . : @ -`. */
			id?: JobId;
			/** Who asks. */
			caller_id?: string;
			/** In which context. */
			context_id?: string;
			/** Kind of executor, informative (e.g. `deno`). */
			executor?: string;
			/** Seconds; the job is killed when it runs longer. Default: the runner's. */
			timeout?: number;
			/** Environment variables handed to the job. */
			env_vars?: {
				[key: string]: string;
			};
			/** Extra attempts after a failure (not after stop or timeout). */
			retries?: number;
			/** Job ids that must complete before this one is queued. A script job's function receives their results as `ctx.deps[id]` (a process runner's job frame carries them as `deps`). */
			depends_on?: JobId[];
			/** When to start it (milliseconds since the Unix epoch): started before then, it is `scheduled` until then. */
			run_at?: number;
			/** Seconds from its creation until it may start (instead of `run_at`). */
			delay?: number;
			/** Queue order within its runner: higher runs first, first come first served within one priority (default 0). */
			priority?: number;
			/** Deduplication: a second create with the same key within `dedup_window` seconds of the first returns the first job's id instead of a new job. */
			dedup_key?: string;
			/** Seconds a `dedup_key` holds (default 3600). */
			dedup_window?: number;
			/** How long it is kept once it completed or failed (stopped and timed out count as failed); the config's `keep` otherwise. */
			keep?: {
				/** Removed (with their logs) once older than `age` seconds since they ended, or beyond the newest `count` of their status (across the store; on a job: applied when it ends, as BullMQ's `removeOnComplete: N`). */
				completed?: {
					/** Seconds after it ended. */
					age?: number;
					/** The newest jobs of its status kept, across the store. */
					count?: number;
				};
				/** Removed (with their logs) once older than `age` seconds since they ended, or beyond the newest `count` of their status (across the store; on a job: applied when it ends, as BullMQ's `removeOnComplete: N`). */
				failed?: {
					/** Seconds after it ended. */
					age?: number;
					/** The newest jobs of its status kept, across the store. */
					count?: number;
				};
			};
		};
	};
	/** Add a runner and start it. */
	"register_runner": {
		/** The runner. */
		runner: RunnerConfig;
	};
	/** Add a runner and start it: the seed's name for `register_runner`, the same in all. */
	"add_runner": {
		/** The runner. */
		runner: RunnerConfig;
	};
	/** The names of every runner. */
	"list_runners": Record<string, never>;
	/** One runner's state, health, instances and restarts. */
	"get_runner_status": {
		/** The runner. */
		name: RunnerName;
	};
	/** Every runner's status. */
	"get_all_runner_status": Record<string, never>;
	/** A runner's own recent output lines (not its jobs' logs). */
	"get_runner_logs": {
		/** The runner. */
		name: RunnerName;
		/** How many of the last lines (default 100). */
		lines?: number;
	};
	/** Let running jobs finish, take no new ones. */
	"pause_runner": {
		/** The runner. */
		name: RunnerName;
		/** Who asks (default: the secret's kind and fingerprint). */
		requested_by?: string;
		/** Why. */
		reason?: string;
	};
	/** Take jobs again after a pause, or lift a quarantine. */
	"resume_runner": {
		/** The runner. */
		name: RunnerName;
		/** Who asks (default: the secret's kind and fingerprint). */
		requested_by?: string;
		/** Why. */
		reason?: string;
	};
	/** Change how many jobs a runner runs at once, live, without dropping running jobs. */
	"scale_runner": {
		/** The runner. */
		name: RunnerName;
		/** The new number of instances. */
		instances: number;
		/** Who asks (default: the secret's kind and fingerprint). */
		requested_by?: string;
		/** Why. */
		reason?: string;
	};
	/** Stop a runner: running jobs are stopped and queued again, processes killed. */
	"stop_runner": {
		/** The runner. */
		name: RunnerName;
		/** Who asks (default: the secret's kind and fingerprint). */
		requested_by?: string;
		/** Why. */
		reason?: string;
	};
	/** Start a stopped runner. */
	"start_runner": {
		/** The runner. */
		name: RunnerName;
		/** Who asks (default: the secret's kind and fingerprint). */
		requested_by?: string;
		/** Why. */
		reason?: string;
	};
	/** Stop and start a runner; also lifts a quarantine. */
	"restart_runner": {
		/** The runner. */
		name: RunnerName;
		/** Who asks (default: the secret's kind and fingerprint). */
		requested_by?: string;
		/** Why. */
		reason?: string;
	};
	/** Stop a runner and keep it stopped (no restarts) until resumed or restarted. */
	"quarantine_runner": {
		/** The runner. */
		name: RunnerName;
		/** Who asks (default: the secret's kind and fingerprint). */
		requested_by?: string;
		/** Why. */
		reason?: string;
	};
	/** Stop a runner and forget it. */
	"remove_runner": {
		/** The runner. */
		name: RunnerName;
		/** Who asks (default: the secret's kind and fingerprint). */
		requested_by?: string;
		/** Why. */
		reason?: string;
	};
	/** Stop every runner, dependants first. */
	"stop_all": {
		/** Who asks (default: the secret's kind and fingerprint). */
		requested_by?: string;
		/** Why. */
		reason?: string;
	};
	/** Start every runner, dependencies first. */
	"start_all": {
		/** Who asks (default: the secret's kind and fingerprint). */
		requested_by?: string;
		/** Why. */
		reason?: string;
	};
	/** Every runner's status and the job counts. */
	"get_all_status": Record<string, never>;
	/** Make a cron schedule: a job template created and started at each tick. */
	"schedules.create": {
		/** The schedule. */
		schedule: ScheduleSpec;
	};
	/** Every schedule (a user secret: its own), by name. */
	"schedules.list": Record<string, never>;
	/** One schedule, with its next tick and its last runs. */
	"schedules.get": {
		/** The schedule's name. */
		name: string;
	};
	/** Change a schedule's expression, time zone, job, policies or pause. */
	"schedules.update": {
		/** The schedule's name. */
		name: string;
		/** What changes. */
		changes: {
			/** When it fires: a cron expression of 5 fields (minute first), or 6 with seconds first, or 7 with a year (croner's syntax: `L`, `W`, `#`, names of months and days). */
			cron?: string;
			/** The IANA time zone the expression is read in (default UTC). */
			timezone?: string;
			/** The job each tick creates and starts (without an `id`: each tick's job gets `NAME@TIME`, TIME the tick in ISO 8601). */
			job?: {
				/** What to run: for a script runner, an ES module (TypeScript or JavaScript). */
				payload: string;
				/** A runner name: 1-64 letters, digits or `_ . -`. */
				runner: RunnerName;
				/** Who asks. */
				caller_id?: string;
				/** In which context. */
				context_id?: string;
				/** Kind of executor, informative (e.g. `deno`). */
				executor?: string;
				/** Seconds; the job is killed when it runs longer. Default: the runner's. */
				timeout?: number;
				/** Environment variables handed to the job. */
				env_vars?: {
					[key: string]: string;
				};
				/** Extra attempts after a failure (not after stop or timeout). */
				retries?: number;
				/** Job ids that must complete before this one is queued. A script job's function receives their results as `ctx.deps[id]` (a process runner's job frame carries them as `deps`). */
				depends_on?: JobId[];
				/** When to start it (milliseconds since the Unix epoch): started before then, it is `scheduled` until then. */
				run_at?: number;
				/** Seconds from its creation until it may start (instead of `run_at`). */
				delay?: number;
				/** Queue order within its runner: higher runs first, first come first served within one priority (default 0). */
				priority?: number;
				/** Deduplication: a second create with the same key within `dedup_window` seconds of the first returns the first job's id instead of a new job. */
				dedup_key?: string;
				/** Seconds a `dedup_key` holds (default 3600). */
				dedup_window?: number;
				/** How long it is kept once it completed or failed (stopped and timed out count as failed); the config's `keep` otherwise. */
				keep?: {
					/** Removed (with their logs) once older than `age` seconds since they ended, or beyond the newest `count` of their status (across the store; on a job: applied when it ends, as BullMQ's `removeOnComplete: N`). */
					completed?: {
						/** Seconds after it ended. */
						age?: number;
						/** The newest jobs of its status kept, across the store. */
						count?: number;
					};
					/** Removed (with their logs) once older than `age` seconds since they ended, or beyond the newest `count` of their status (across the store; on a job: applied when it ends, as BullMQ's `removeOnComplete: N`). */
					failed?: {
						/** Seconds after it ended. */
						age?: number;
						/** The newest jobs of its status kept, across the store. */
						count?: number;
					};
				};
			};
			/** When a tick comes and its last job is not final yet: `skip` (default) records the tick as skipped, `queue` creates the job and starts it once the last one ended, `allow` starts it at once. */
			overlap?: "skip" | "queue" | "allow";
			/** Ticks missed while no supervisor ran (more than 5 s late): `none` (default) skips them, `last` fires the latest, `all` fires each (at most 100). */
			catch_up?: "none" | "last" | "all";
			/** Paused: its ticks pass without a job. */
			paused?: boolean;
		};
	};
	/** Pause a schedule: its ticks pass without a job until it is resumed. */
	"schedules.pause": {
		/** The schedule's name. */
		name: string;
	};
	/** Resume a paused schedule; the ticks it missed follow its `catch_up`. */
	"schedules.resume": {
		/** The schedule's name. */
		name: string;
	};
	/** Create and start the schedule's job now, outside its ticks; returns its id. */
	"schedules.trigger": {
		/** The schedule's name. */
		name: string;
	};
	/** Delete a schedule (the jobs it made stay). */
	"schedules.delete": {
		/** The schedule's name. */
		name: string;
	};
	/** The supervisors and remote agents sharing this store, live or gone. */
	"cluster.members": Record<string, never>;
	/** The whole supervision tree at a glance: supervisor, runners in start order, jobs. */
	"current_state": Record<string, never>;
	/** Throughput and run times over the last minutes, job counts and queue depths. */
	"get_stats": {
		/** How far back (default 15). */
		minutes?: number;
	};
	/** Lifecycle events, oldest first, after a given event. */
	"events.list": {
		/** Only events with a greater id (default 0). */
		after?: number;
		/** At most this many (default 100). */
		limit?: number;
		/** Only events whose type starts with this (`runner.`, `job.finished`...). */
		type?: string;
		/** Only events about this runner, job or secret. */
		subject?: string;
	};
	/** Add a secret of a kind; it is stored hashed. */
	"add_secret": {
		/** Its scope. */
		kind: SecretKind;
		/** The secret; only its hash is kept. */
		value: string;
	};
	/** Every secret's kind and fingerprint; never a value. */
	"list_secrets": Record<string, never>;
	/** Remove a secret added with add_secret. */
	"remove_secret": {
		/** Its scope. */
		kind: SecretKind;
		/** The secret. */
		value?: string;
		/** The secret's fingerprint, instead of its value. */
		fingerprint?: string;
	};
	/** Who the secret is (kind and fingerprint) and which methods it may call. */
	"whoami": Record<string, never>;
	/** Name, version, store, namespace, uptime, runner and job counts. */
	"get_supervisor_info": Record<string, never>;
	/** Stop the whole tree gracefully, then the supervisor, which exits 0. */
	"shutdown": {
		/** Who asks (default: the secret's kind and fingerprint). */
		requested_by?: string;
		/** Why. */
		reason?: string;
	};
}
/** Each method's result. */
export interface MethodResults {
	"rpc.discover": {
		[key: string]: unknown;
	};
	"jobs.create": JobId;
	"jobs.create_many": JobId[];
	"job.start": null;
	"job.status": JobStatusInfo;
	"job.result": JobResult;
	"job.logs": LogPage;
	"job.get": Job;
	"jobs.list": Job[];
	"job.run": JobResult;
	"job.stop": null;
	"job.delete": null;
	"queue_job_to_runner": JobId;
	"register_runner": RunnerStatus;
	"add_runner": RunnerStatus;
	"list_runners": RunnerName[];
	"get_runner_status": RunnerStatus;
	"get_all_runner_status": RunnerStatus[];
	"get_runner_logs": string[];
	"pause_runner": RunnerStatus;
	"resume_runner": RunnerStatus;
	"scale_runner": RunnerStatus;
	"stop_runner": RunnerStatus;
	"start_runner": RunnerStatus;
	"restart_runner": RunnerStatus;
	"quarantine_runner": RunnerStatus;
	"remove_runner": null;
	"stop_all": null;
	"start_all": null;
	"get_all_status": AllStatus;
	"schedules.create": Schedule;
	"schedules.list": Schedule[];
	"schedules.get": Schedule;
	"schedules.update": Schedule;
	"schedules.pause": Schedule;
	"schedules.resume": Schedule;
	"schedules.trigger": JobId;
	"schedules.delete": null;
	"cluster.members": ClusterMember[];
	"current_state": {
		supervisor: SupervisorInfo;
		runners: RunnerStatus[];
		start_order: RunnerName[];
		jobs: JobCounts;
	};
	"get_stats": Stats;
	"events.list": EventPage;
	"add_secret": null;
	"list_secrets": SecretInfo[];
	"remove_secret": null;
	"whoami": Identity;
	"get_supervisor_info": SupervisorInfo;
	"shutdown": null;
}
/** Every method name. */
export type MethodName = keyof MethodParams;
/** Per-call options. */
export interface CallOptions {
	/** Abort the call. */
	signal?: AbortSignal;
	/** Give up after this many milliseconds (default: the client's). */
	timeoutMs?: number;
}
/** Sends one call; the client supplies it. */
export type Call = <M extends MethodName>(method: M, params: MethodParams[M], options?: CallOptions) => Promise<MethodResults[M]>;
declare function bindMethods(call: Call): {
	rpc: {
		/** The OpenRPC document that describes this API. */
		discover: (options?: CallOptions) => Promise<MethodResults["rpc.discover"]>;
	};
	jobs: {
		/**
		 * Store a job without queuing it; returns its id.
		 *
		 * The job waits in `created` until `job.start`. Its runner must exist (-32004) and every job it depends on must exist (-32004). A duplicate id is -32009.
		 */
		create: (params: MethodParams["jobs.create"], options?: CallOptions) => Promise<MethodResults["jobs.create"]>;
		/**
		 * Store up to 1000 jobs in one call, all or nothing; returns their ids in order.
		 *
		 * Every job is checked first (as by `jobs.create`: its runner, its prerequisites, which may be jobs of the same call), then all are stored at once: an id that exists stores none of them (-32009). With `start`, each is started as by `job.start` (queued, scheduled, or waiting for its prerequisites). A job whose `dedup_key` is held gives the holder's id in its place.
		 */
		createMany: (params: MethodParams["jobs.create_many"], options?: CallOptions) => Promise<MethodResults["jobs.create_many"]>;
		/**
		 * Jobs, newest first, filtered and paged.
		 *
		 * Filters combine. Page with `before`: pass the id of the last job of a page to get the older ones.
		 */
		list: (params?: MethodParams["jobs.list"], options?: CallOptions) => Promise<MethodResults["jobs.list"]>;
	};
	job: {
		/**
		 * Queue a created job.
		 *
		 * Only a `created` job can be started (-32009 otherwise). A job with `depends_on` is queued once every prerequisite completed; if one fails, is stopped or times out, the job fails with a message naming it. A job with a `run_at` (or `delay`) still ahead is `scheduled` until then.
		 */
		start: (params: MethodParams["job.start"], options?: CallOptions) => Promise<MethodResults["job.start"]>;
		/** A job's status at a glance; does not wait. */
		status: (params: MethodParams["job.status"], options?: CallOptions) => Promise<MethodResults["job.status"]>;
		/**
		 * Wait until a job is final and return its result.
		 *
		 * Waits up to `wait_ms` (default 30 000) and answers -32008 if the job is still not final by then.
		 */
		result: (params: MethodParams["job.result"], options?: CallOptions) => Promise<MethodResults["job.result"]>;
		/**
		 * A page of a job's log lines, after a given line.
		 *
		 * With `wait_ms`, waits for new lines when there are none yet (long poll). `next` is the cursor for the following call; `done` says the job is final and no line follows. The live stream is `GET /jobs/{id}/logs` (Server-Sent Events).
		 */
		logs: (params: MethodParams["job.logs"], options?: CallOptions) => Promise<MethodResults["job.logs"]>;
		/** A job with its spec, status, result and error. */
		get: (params: MethodParams["job.get"], options?: CallOptions) => Promise<MethodResults["job.get"]>;
		/**
		 * Create, queue and wait for a job; returns its result.
		 *
		 * Waits up to `wait_ms` (default: the job's timeout plus 10 s); -32008 if the job is not final by then (it keeps running: poll `job.result`).
		 */
		run: (params: MethodParams["job.run"], options?: CallOptions) => Promise<MethodResults["job.run"]>;
		/** Stop a created, queued or running job; a running job's process group is killed. */
		stop: (params: MethodParams["job.stop"], options?: CallOptions) => Promise<MethodResults["job.stop"]>;
		/** Remove a created or final job and its logs. */
		delete: (params: MethodParams["job.delete"], options?: CallOptions) => Promise<MethodResults["job.delete"]>;
	};
	schedules: {
		/**
		 * Make a cron schedule: a job template created and started at each tick.
		 *
		 * Each tick fires once across every supervisor of the store (its job's id, `NAME@TIME`, is stored once; the tick is then compared and set). An invalid expression or time zone is -32602 naming it; a name taken is -32009. A user secret owns the schedules it makes and sees only those.
		 */
		create: (params: MethodParams["schedules.create"], options?: CallOptions) => Promise<MethodResults["schedules.create"]>;
		/** Every schedule (a user secret: its own), by name. */
		list: (options?: CallOptions) => Promise<MethodResults["schedules.list"]>;
		/** One schedule, with its next tick and its last runs. */
		get: (params: MethodParams["schedules.get"], options?: CallOptions) => Promise<MethodResults["schedules.get"]>;
		/**
		 * Change a schedule's expression, time zone, job, policies or pause.
		 *
		 * Its ticks go on from where they were: a new expression applies from the last tick handled.
		 */
		update: (params: MethodParams["schedules.update"], options?: CallOptions) => Promise<MethodResults["schedules.update"]>;
		/** Pause a schedule: its ticks pass without a job until it is resumed. */
		pause: (params: MethodParams["schedules.pause"], options?: CallOptions) => Promise<MethodResults["schedules.pause"]>;
		/** Resume a paused schedule; the ticks it missed follow its `catch_up`. */
		resume: (params: MethodParams["schedules.resume"], options?: CallOptions) => Promise<MethodResults["schedules.resume"]>;
		/** Create and start the schedule's job now, outside its ticks; returns its id. */
		trigger: (params: MethodParams["schedules.trigger"], options?: CallOptions) => Promise<MethodResults["schedules.trigger"]>;
		/** Delete a schedule (the jobs it made stay). */
		delete: (params: MethodParams["schedules.delete"], options?: CallOptions) => Promise<MethodResults["schedules.delete"]>;
	};
	cluster: {
		/**
		 * The supervisors and remote agents sharing this store, live or gone.
		 *
		 * Each member records itself with a heartbeat every 5 s; one that missed three is `gone` (its jobs' leases run out and are reaped as usual) and forgotten after an hour. A member that stops cleanly leaves the list. With the embedded store the supervisor is the only member.
		 */
		members: (options?: CallOptions) => Promise<MethodResults["cluster.members"]>;
	};
	events: {
		/**
		 * Lifecycle events, oldest first, after a given event.
		 *
		 * The live stream is `GET /events` (Server-Sent Events, admin).
		 */
		list: (params?: MethodParams["events.list"], options?: CallOptions) => Promise<MethodResults["events.list"]>;
	};
	/**
	 * Queue a job to a runner; returns its id.
	 *
	 * The runner must exist (-32004). A runner with no live instance keeps the job queued; `job.status` says so.
	 */
	queueJobToRunner: (params: MethodParams["queue_job_to_runner"], options?: CallOptions) => Promise<MethodResults["queue_job_to_runner"]>;
	/**
	 * Add a runner and start it.
	 *
	 * Validated like a `[[runners]]` table of the config. A runner of that name already registered is -32009. With a register secret, the runner must stay within `[register_policy]` (by default: a script runner, no grants, at most 4 instances, no `env`); beyond it is -32002 naming what was refused.
	 */
	registerRunner: (params: MethodParams["register_runner"], options?: CallOptions) => Promise<MethodResults["register_runner"]>;
	/**
	 * Add a runner and start it: the seed's name for `register_runner`, the same in all.
	 *
	 * Validated like a `[[runners]]` table of the config. A runner of that name already registered is -32009. With a register secret, the runner must stay within `[register_policy]` (by default: a script runner, no grants, at most 4 instances, no `env`); beyond it is -32002 naming what was refused.
	 */
	addRunner: (params: MethodParams["add_runner"], options?: CallOptions) => Promise<MethodResults["add_runner"]>;
	/** The names of every runner. */
	listRunners: (options?: CallOptions) => Promise<MethodResults["list_runners"]>;
	/** One runner's state, health, instances and restarts. */
	getRunnerStatus: (params: MethodParams["get_runner_status"], options?: CallOptions) => Promise<MethodResults["get_runner_status"]>;
	/** Every runner's status. */
	getAllRunnerStatus: (options?: CallOptions) => Promise<MethodResults["get_all_runner_status"]>;
	/** A runner's own recent output lines (not its jobs' logs). */
	getRunnerLogs: (params: MethodParams["get_runner_logs"], options?: CallOptions) => Promise<MethodResults["get_runner_logs"]>;
	/** Let running jobs finish, take no new ones. */
	pauseRunner: (params: MethodParams["pause_runner"], options?: CallOptions) => Promise<MethodResults["pause_runner"]>;
	/** Take jobs again after a pause, or lift a quarantine. */
	resumeRunner: (params: MethodParams["resume_runner"], options?: CallOptions) => Promise<MethodResults["resume_runner"]>;
	/** Change how many jobs a runner runs at once, live, without dropping running jobs. */
	scaleRunner: (params: MethodParams["scale_runner"], options?: CallOptions) => Promise<MethodResults["scale_runner"]>;
	/** Stop a runner: running jobs are stopped and queued again, processes killed. */
	stopRunner: (params: MethodParams["stop_runner"], options?: CallOptions) => Promise<MethodResults["stop_runner"]>;
	/** Start a stopped runner. */
	startRunner: (params: MethodParams["start_runner"], options?: CallOptions) => Promise<MethodResults["start_runner"]>;
	/** Stop and start a runner; also lifts a quarantine. */
	restartRunner: (params: MethodParams["restart_runner"], options?: CallOptions) => Promise<MethodResults["restart_runner"]>;
	/**
	 * Stop a runner and keep it stopped (no restarts) until resumed or restarted.
	 *
	 * Its queued jobs stay queued.
	 */
	quarantineRunner: (params: MethodParams["quarantine_runner"], options?: CallOptions) => Promise<MethodResults["quarantine_runner"]>;
	/**
	 * Stop a runner and forget it.
	 *
	 * Its queued jobs stay queued; `job.status` notes that the runner is gone.
	 */
	removeRunner: (params: MethodParams["remove_runner"], options?: CallOptions) => Promise<MethodResults["remove_runner"]>;
	/** Stop every runner, dependants first. */
	stopAll: (params?: MethodParams["stop_all"], options?: CallOptions) => Promise<MethodResults["stop_all"]>;
	/** Start every runner, dependencies first. */
	startAll: (params?: MethodParams["start_all"], options?: CallOptions) => Promise<MethodResults["start_all"]>;
	/** Every runner's status and the job counts. */
	getAllStatus: (options?: CallOptions) => Promise<MethodResults["get_all_status"]>;
	/** The whole supervision tree at a glance: supervisor, runners in start order, jobs. */
	currentState: (options?: CallOptions) => Promise<MethodResults["current_state"]>;
	/**
	 * Throughput and run times over the last minutes, job counts and queue depths.
	 *
	 * Buckets count the jobs that ended on this supervisor's runners (each supervisor sharing a store reports its own); counts and queues are the store's. Empty buckets are listed too, so that a chart needs no gap filling.
	 */
	getStats: (params?: MethodParams["get_stats"], options?: CallOptions) => Promise<MethodResults["get_stats"]>;
	/** Add a secret of a kind; it is stored hashed. */
	addSecret: (params: MethodParams["add_secret"], options?: CallOptions) => Promise<MethodResults["add_secret"]>;
	/** Every secret's kind and fingerprint; never a value. */
	listSecrets: (options?: CallOptions) => Promise<MethodResults["list_secrets"]>;
	/**
	 * Remove a secret added with add_secret.
	 *
	 * Name it by `value` or by `fingerprint` (as `list_secrets` shows it), not both. A secret from the config file is removed by editing the file (-32009 here).
	 */
	removeSecret: (params: MethodParams["remove_secret"], options?: CallOptions) => Promise<MethodResults["remove_secret"]>;
	/**
	 * Who the secret is (kind and fingerprint) and which methods it may call.
	 *
	 * Lets a user interface show only what the secret can do.
	 */
	whoami: (options?: CallOptions) => Promise<MethodResults["whoami"]>;
	/** Name, version, store, namespace, uptime, runner and job counts. */
	getSupervisorInfo: (options?: CallOptions) => Promise<MethodResults["get_supervisor_info"]>;
	/**
	 * Stop the whole tree gracefully, then the supervisor, which exits 0.
	 *
	 * Answered first; then new jobs are refused, running jobs get `shutdown_grace` to finish, runners stop dependants first (services get SIGTERM, then SIGKILL after their `stop_grace`), and the process exits 0. The `supervisor.stopping` event records `requested_by` and `reason` (the seed's `shutdown_tree`).
	 */
	shutdown: (params?: MethodParams["shutdown"], options?: CallOptions) => Promise<MethodResults["shutdown"]>;
};
/** The methods of the API, bound to a transport. */
export type BoundMethods = ReturnType<typeof bindMethods>;
/** How a client is set up. */
export interface ClientOptions {
	/** The secret, sent as `Authorization: Bearer` with every call and stream. */
	secret?: string;
	/**
	 * Default per-call timeout, ms (default 30 000; 0: none). Methods that wait
	 * on the server (`job.run`, `job.result`, `job.logs`) have none by default:
	 * the server bounds their wait.
	 */
	timeoutMs?: number;
	/** The `fetch` to use (default: the global one). */
	fetch?: typeof fetch;
}
/** Options of a live stream. */
export interface StreamOptions {
	/** Start after this line (`seq`) or event (`id`). */
	after?: number;
	/** Ends the stream. */
	signal?: AbortSignal;
	/** Wait before reconnecting after the connection drops, ms (default 1000). */
	retryMs?: number;
	/**
	 * Reconnection attempts in a row that may fail before the stream throws a
	 * {@linkcode TransportError} (default 30). A supervisor never reached at
	 * all throws at once.
	 */
	maxRetries?: number;
}
export type Bound = BoundMethods;
/** The `job` methods, with `job.logs.stream`. */
export type JobMethods = Omit<Bound["job"], "logs"> & {
	logs: Bound["job"]["logs"] & {
		/** A job's log lines as they come: the ones so far, then live ones, until it is final. */
		stream(jobId: string, options?: StreamOptions): AsyncIterable<LogLine>;
	};
};
/** The `events` methods, with `events.stream`. */
export type EventMethods = Bound["events"] & {
	/** Lifecycle events as they come (admin secret). */
	stream(options?: StreamOptions): AsyncIterable<Event$1>;
};
/** Every method of the API on a client (the flat ones, like `registerRunner`, included). */
export interface SupervisorClient extends Omit<Bound, "job" | "events"> {
}
/** A client of one supervisor. */
export declare class SupervisorClient {
	#private;
	/** The supervisor's base URL. */
	readonly url: string;
	/** The `job.*` methods, and `job.logs.stream`. */
	readonly job: JobMethods;
	/** `events.list`, and `events.stream`. */
	readonly events: EventMethods;
	constructor(url: string, options?: ClientOptions);
	/** Calls one method by name; throws a {@linkcode SupervisorError} for an error answer. */
	call<M extends MethodName>(method: M, params: MethodParams[M], options?: CallOptions): Promise<MethodResults[M]>;
	/**
	 * Sends several calls in one JSON-RPC batch. `build` makes the calls on the
	 * API it is given; each call's outcome comes back, in order, as settled.
	 *
	 * @example
	 * ```ts
	 * const [a, b] = await client.batch((api) => [
	 *   api.job.status({ job_id: "a" }),
	 *   api.job.status({ job_id: "b" }),
	 * ]);
	 * ```
	 */
	batch<T>(build: (api: Bound) => Promise<T>[], options?: CallOptions): Promise<PromiseSettledResult<T>[]>;
}
/**
 * JSON-RPC error codes: the five of the JSON-RPC 2.0 spec and the server
 * errors of the contract. The client maps them to error classes; the server
 * raises them; the OpenRPC document lists them per method.
 *
 * @module
 */
/** Every error code the supervisor answers with. */
export declare const ErrorCode: {
	/** The body is not valid JSON. */
	readonly ParseError: -32700;
	/** The JSON is not a valid JSON-RPC request (or the batch is empty or too large). */
	readonly InvalidRequest: -32600;
	/** No such method. */
	readonly MethodNotFound: -32601;
	/** The params do not match the method's schema; the message names the param. */
	readonly InvalidParams: -32602;
	/** A fault inside the supervisor; the message carries a reference, not details. */
	readonly InternalError: -32603;
	/** No secret, or an unknown one. */
	readonly Unauthenticated: -32001;
	/** The secret's scope does not allow the method. */
	readonly Forbidden: -32002;
	/** The store or the supervisor cannot serve the call now (store unreachable, shutting down). */
	readonly Unavailable: -32003;
	/** No such job, runner or secret. */
	readonly NotFound: -32004;
	/** The wait ran out before the job was final. */
	readonly Timeout: -32008;
	/** A duplicate id, or a transition the current state does not allow. */
	readonly Conflict: -32009;
	/** Too many failed authentications from this client: retry later. */
	readonly TooManyRequests: -32029;
};
/** A JSON-RPC error answered by the supervisor (or a failure to reach it: `code` 0). */
export declare class SupervisorError extends Error {
	name: string;
	/** The JSON-RPC error code (0 for a transport failure). */
	readonly code: number;
	/** Details the supervisor sent, if any. */
	readonly data?: unknown;
	constructor(code: number, message: string, data?: unknown);
}
/** -32001: no secret, or an unknown one. */
export declare class UnauthenticatedError extends SupervisorError {
	name: string;
}
/** -32002: the secret's scope does not allow the method. */
export declare class ForbiddenError extends SupervisorError {
	name: string;
}
/** -32004: no such job, runner or secret. */
export declare class NotFoundError extends SupervisorError {
	name: string;
}
/** -32009: a duplicate, or a transition the current state does not allow. */
export declare class ConflictError extends SupervisorError {
	name: string;
}
/** -32008: the wait ran out (the job goes on); or the call's own timeout passed. */
export declare class TimeoutError extends SupervisorError {
	name: string;
}
/** -32602: the params do not fit the method; the message names the param. */
export declare class InvalidParamsError extends SupervisorError {
	name: string;
}
/** -32003: the store is unreachable or the supervisor is stopping: retry later. */
export declare class UnavailableError extends SupervisorError {
	name: string;
}
/** -32029: too many failed authentications from this client: retry later. */
export declare class TooManyRequestsError extends SupervisorError {
	name: string;
}
/** The supervisor could not be reached, or answered something that is not JSON-RPC. */
export declare class TransportError extends SupervisorError {
	name: string;
}
/** The error of a JSON-RPC error object. */
export declare function errorFromWire(error: {
	code: number;
	message: string;
	data?: unknown;
}): SupervisorError;
/** Builds a {@linkcode JobSpec}. */
export declare class JobBuilder {
	#private;
	/** Which runner runs it (required). */
	runner(name: string): this;
	/** What it runs (required): for a script runner, an ES module. */
	payload(source: string): this;
	/** Its id (default: one the supervisor generates). */
	id(id: string): this;
	/** Who asks. */
	callerId(id: string): this;
	/** In which context. */
	contextId(id: string): this;
	/** Kind of executor, informative. */
	executor(kind: string): this;
	/** Seconds before it is killed. */
	timeout(seconds: number): this;
	/** Environment variables handed to it (merged with earlier ones). */
	env(vars: Record<string, string>): this;
	/** Extra attempts after a failure. */
	retries(count: number): this;
	/** Jobs that must complete first; the job's function gets their results as `ctx.deps`. */
	dependsOn(...ids: string[]): this;
	/** Start it at this time (a `Date`, or ms since the Unix epoch): `scheduled` until then. */
	runAt(when: Date | number): this;
	/** Start it this many seconds after its creation. */
	delay(seconds: number): this;
	/** Queue order within its runner: higher first (-1000..1000, default 0). */
	priority(priority: number): this;
	/** A second job with this key within `windowSeconds` is the first one (its id is returned). */
	dedup(key: string, windowSeconds?: number): this;
	/** How long it is kept once completed or failed (else the supervisor's `keep`). */
	keep(keep: NonNullable<JobSpec["keep"]>): this;
	/** The spec; throws if `runner` or `payload` is missing. */
	build(): JobSpec;
}

export {
	Event$1 as Event,
	Permissions$1 as Permissions,
};

export {};
