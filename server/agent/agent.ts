/**
 * A remote runner agent: one runner served from another machine against a
 * shared Redis. It takes that runner's jobs, runs them sandboxed exactly as a
 * supervisor would (same runner, consumer and session code), and its logs,
 * results and events reach every supervisor through the store.
 *
 * The agent announces itself with a heartbeat (`agents:{runner}`), so that
 * supervisors accept jobs for its runner and report it live.
 *
 * @module
 */

import type { RunnerConfig } from "../../shared/types.generated.ts";
import { EventLog } from "../events/event_log.ts";
import { applyControl, ClusterCommands, MemberHeartbeat } from "../cluster/mod.ts";
import { notFound } from "../rpc/rpc_error.ts";
import { VERSION } from "../../shared/version.ts";
import { Runner } from "../runners/runner.ts";
import { ProcessRuntime } from "../runners/process_runtime.ts";
import { RedisStore } from "../store/redis_store.ts";
import type { Timer } from "../util/timer.ts";

/** Settings of a {@linkcode RunnerAgent}. */
export interface AgentOptions {
  redisUrl: string;
  namespace: string;
  runner: RunnerConfig;
  /** How long a job lease lasts without renewal, ms. */
  leaseMs?: number;
  /** Log lines kept per job. */
  logLines?: number;
  log?: (message: string) => void;
  /** The OS sandbox (default `auto`). */
  sandbox?: "auto" | "require" | "off";
  /** Whether the OS sandbox makes control groups (default true). */
  sandboxCgroups?: boolean;
}

const HEARTBEAT_MS = 5000;

/** A runner served from this process for a shared Redis. */
export class RunnerAgent {
  readonly id: string;
  readonly runner: Runner;
  readonly #store: RedisStore;
  readonly #events: EventLog;
  readonly #runtime: ProcessRuntime;
  readonly #config: RunnerConfig;
  #heartbeat: Timer | undefined;

  private constructor(
    id: string,
    store: RedisStore,
    events: EventLog,
    runtime: ProcessRuntime,
    runner: Runner,
    config: RunnerConfig,
  ) {
    this.id = id;
    this.#store = store;
    this.#events = events;
    this.#runtime = runtime;
    this.runner = runner;
    this.#config = config;
    // Agents stand in the members' list too; the runner's liveness stays the agents' key.
    this.#member = new MemberHeartbeat(store, id, "agent", VERSION, () => {
      const st = runner.status(0, 0);
      return { runners: [config], load: { busy: st.busy, instances: st.instances } };
    });
    this.#commands = new ClusterCommands(store, id, (command) => {
      if (command.runner !== config.name) {
        throw notFound(`runner ${JSON.stringify(command.runner)}`);
      }
      return applyControl(
        runner,
        command.op,
        command.args,
        command.audit,
        () => runner.start(command.audit),
      );
    });
  }
  readonly #member: MemberHeartbeat;
  /** Control of its runner from any supervisor of the cluster. */
  readonly #commands: ClusterCommands;

  /** Connects, starts the runner and begins the heartbeat. */
  static async start(options: AgentOptions): Promise<RunnerAgent> {
    const id = `agent/${Deno.hostname()}/${Deno.pid}/${crypto.randomUUID().slice(0, 8)}`;
    const store = await RedisStore.connect({
      url: options.redisUrl,
      namespace: options.namespace,
      origin: id,
    });
    const events = new EventLog(store, { member: id });
    let runtime: ProcessRuntime;
    try {
      runtime = await ProcessRuntime.open("hero-agent-", {
        sandbox: options.sandbox,
        sandboxCgroups: options.sandboxCgroups,
      });
    } catch (error) {
      await store.close();
      throw error;
    }
    if (runtime.sandbox.warning) {
      options.log?.(`warning: ${runtime.sandbox.warning}`);
    }
    const runner = new Runner(options.runner, {
      store,
      events,
      script: runtime.script,
      processEnv: runtime.processEnv,
      workerPrefix: id,
      leaseMs: options.leaseMs ?? 15_000,
      timeoutGraceMs: 5000,
      logLines: options.logLines ?? 10_000,
      retry: { baseMs: 1000, maxMs: 60_000 },
    });
    const agent = new RunnerAgent(
      id,
      store,
      events,
      runtime,
      runner,
      options.runner,
    );
    await agent.#beat();
    agent.#heartbeat = setInterval(
      () => agent.#beat().catch(() => {}),
      HEARTBEAT_MS,
    );
    events.emit({
      type: "agent.started",
      subject: options.runner.name,
      data: { agent: id },
    });
    await runner.start({ requested_by: id, reason: "agent start" });
    options.log?.(
      `serving runner ${options.runner.name} as ${id} (${store.location})`,
    );
    return agent;
  }

  async #beat(): Promise<void> {
    // A runner is live while any agent's heartbeat holds: three beats of slack.
    await this.#store.heartbeatAgent(
      this.#config,
      this.id,
      Date.now() + 3 * HEARTBEAT_MS,
    );
    await this.#member.beat();
  }

  /** Stops taking jobs (running ones get `graceMs`, then go back to the queue) and leaves. */
  async stop(graceMs = 0): Promise<void> {
    clearInterval(this.#heartbeat);
    this.#commands.close();
    await this.runner.stop(
      { requested_by: this.id, reason: "agent stop" },
      graceMs,
    );
    await this.#store.removeAgent(this.#config.name, this.id).catch(() => {});
    await this.#member.stop();
    this.#events.emit({
      type: "agent.stopped",
      subject: this.#config.name,
      data: { agent: this.id },
    });
    await this.#events.close();
    await this.#runtime.close();
    await this.#store.close();
  }
}
