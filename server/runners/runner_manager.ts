/**
 * Every runner of this supervisor: the configured ones, the ones registered
 * through the API (kept in the store across restarts), and the ones only
 * remote agents serve. Starts them in dependency order, stops them in
 * reverse, and answers the job service's questions about runners.
 *
 * @module
 */

import type { RunnerConfig, RunnerStatus } from "../../shared/types.generated.ts";
import { findCycle, runnerProblem, startOrder } from "../config/runner_rules.ts";
import type { RunnerDirectory } from "../jobs/job_service.ts";
import { conflict, invalidParams, notFound } from "../rpc/rpc_error.ts";
import type { DirectClaim } from "./job_consumer.ts";
import { type Audit, Runner, type RunnerContext } from "./runner.ts";

/** The runners of this supervisor. */
export class RunnerManager implements RunnerDirectory {
  readonly #ctx: RunnerContext;
  readonly #runners = new Map<string, Runner>();
  /** Names registered through the API (their configs live in the store). */
  readonly #registered = new Set<string>();
  #agentConfigs = new Map<string, RunnerConfig>();
  #agentConfigsAt = 0;

  constructor(ctx: RunnerContext) {
    this.#ctx = ctx;
  }

  /** Adds the configured runners, then the registered ones from the store. */
  async load(configured: readonly RunnerConfig[]): Promise<void> {
    for (const config of configured) {
      this.#runners.set(config.name, new Runner(config, this.#ctx));
    }
    for (const config of await this.#ctx.store.listRunnerConfigs()) {
      if (this.#runners.has(config.name)) continue;
      this.#runners.set(config.name, new Runner(config, this.#ctx));
      this.#registered.add(config.name);
    }
  }

  /** A runner of this supervisor; -32004 if there is none of that name. */
  get(name: string): Runner {
    const runner = this.#runners.get(name);
    if (!runner) throw notFound(`runner ${JSON.stringify(name)}`);
    return runner;
  }

  /** Local runner names, in start order. */
  startOrder(): string[] {
    return startOrder([...this.#runners.values()].map((r) => r.config));
  }

  /** Starts a runner once the runners it depends on are ready (starting them first). */
  async start(
    name: string,
    audit: Audit = {},
    waitReady = true,
  ): Promise<Runner> {
    const runner = this.get(name);
    for (const dep of runner.config.depends_on ?? []) {
      const dependency = await this.start(dep, audit, true);
      if (!await dependency.whenReady()) {
        throw conflict(
          `runner ${JSON.stringify(name)} depends on ${JSON.stringify(dep)}, which is ` +
            `${dependency.state}`,
        );
      }
    }
    const starting = runner.start(audit);
    if (waitReady) await starting;
    else starting.catch(() => {});
    return runner;
  }

  /**
   * Starts every runner at once, each after the runners it depends on are
   * ready: one that is slow or broken holds up only its dependants.
   */
  async startAll(audit: Audit = {}): Promise<void> {
    await Promise.all(
      this.startOrder().map(async (name) => {
        try {
          await this.start(name, audit);
        } catch (error) {
          this.get(name).log.add(
            "supervisor",
            `not started: ${(error as Error).message}`,
          );
        }
      }),
    );
  }

  /** Stops every runner, dependants first; running jobs get `graceMs` to finish. */
  async stopAll(audit: Audit = {}, graceMs = 0): Promise<void> {
    for (const name of this.startOrder().reverse()) {
      await this.get(name).stop(audit, graceMs);
    }
  }

  /**
   * Adds a runner (kept across restarts) and starts it. `allowed` may refuse
   * a valid config (by throwing) before anything is stored.
   */
  async register(
    config: RunnerConfig,
    audit: Audit,
    allowed?: (config: RunnerConfig) => void,
  ): Promise<Runner> {
    if (this.#runners.has(config.name)) {
      throw conflict(
        `a runner named ${JSON.stringify(config.name)} already exists`,
      );
    }
    const problem = runnerProblem(config, "runner");
    if (problem) throw invalidParams(problem);
    const unknown = (config.depends_on ?? []).find((d) => !this.#runners.has(d));
    if (unknown) {
      throw invalidParams(`runner.depends_on: no runner is named "${unknown}"`);
    }
    const cycle = findCycle([
      ...[...this.#runners.values()].map((r) => r.config),
      config,
    ]);
    if (cycle) {
      throw invalidParams(
        `runner.depends_on: forms a cycle: ${cycle.join(" -> ")}`,
      );
    }
    allowed?.(config);
    await this.#ctx.store.putRunnerConfig(config);
    const runner = new Runner(config, this.#ctx);
    this.#runners.set(config.name, runner);
    this.#registered.add(config.name);
    this.#ctx.events.emit({
      type: "runner.registered",
      subject: config.name,
      ...audit,
    });
    await this.start(config.name, audit, false);
    return runner;
  }

  /** Stops a runner and forgets it (its waiting jobs are the job service's to fail). */
  async remove(name: string, audit: Audit): Promise<void> {
    const runner = this.get(name);
    const dependant = [...this.#runners.values()].find((r) => r.config.depends_on?.includes(name));
    if (dependant) {
      throw conflict(
        `runner ${JSON.stringify(dependant.name)} depends on ${JSON.stringify(name)}`,
      );
    }
    await runner.dispose(audit);
    this.#runners.delete(name);
    if (this.#registered.delete(name)) {
      await this.#ctx.store.deleteRunnerConfig(name);
    }
    this.#ctx.events.emit({ type: "runner.removed", subject: name, ...audit });
  }

  async #agentRunners(lookingFor?: string): Promise<Map<string, RunnerConfig>> {
    // Cached briefly (job creation asks for every job), but a name not seen yet is looked up.
    const age = Date.now() - this.#agentConfigsAt;
    if (
      age > 2000 ||
      (lookingFor && !this.#agentConfigs.has(lookingFor) && age > 100)
    ) {
      const configs = await this.#ctx.store.agentRunners();
      this.#agentConfigs = new Map(configs.map((c) => [c.name, c]));
      this.#agentConfigsAt = Date.now();
    }
    return this.#agentConfigs;
  }

  /** Every runner name: local ones in start order, then those only remote agents serve. */
  async names(): Promise<string[]> {
    const local = this.startOrder();
    const remote = [...(await this.#agentRunners()).keys()].filter((n) => !this.#runners.has(n));
    return [...local, ...remote];
  }

  /** How many runners there are. */
  async count(): Promise<number> {
    return (await this.names()).length;
  }

  /** The status of one runner (local or remote-only). */
  async status(name: string): Promise<RunnerStatus> {
    const depths = await this.#ctx.store.queueDepths();
    return await this.#statusOf(name, depths);
  }

  async #statusOf(
    name: string,
    depths: Record<string, number>,
  ): Promise<RunnerStatus> {
    const agents = (await this.#ctx.store.liveAgents(name, Date.now())).length;
    const runner = this.#runners.get(name);
    if (runner) return runner.status(depths[name] ?? 0, agents);
    const config = (await this.#agentRunners()).get(name);
    if (!config) throw notFound(`runner ${JSON.stringify(name)}`);
    return {
      name,
      kind: config.kind ?? "script",
      state: "remote",
      instances: (config.instances ?? 1) * agents,
      busy: 0,
      queued: depths[name] ?? 0,
      restarts: 0,
      pids: [],
      health: agents > 0 ? "healthy" : "unhealthy",
      last_exit: null,
      restart: config.restart ?? "permanent",
      depends_on: [],
      remote_agents: agents,
      permissions: config.permissions ?? {},
    };
  }

  /** Every runner's status. */
  async statuses(): Promise<RunnerStatus[]> {
    const depths = await this.#ctx.store.queueDepths();
    return await Promise.all(
      (await this.names()).map((n) => this.#statusOf(n, depths)),
    );
  }

  // ---- RunnerDirectory ----------------------------------------------------------

  async config(name: string): Promise<RunnerConfig | null> {
    return this.#runners.get(name)?.config ??
      (await this.#agentRunners(name)).get(name) ?? null;
  }

  async isLive(name: string): Promise<boolean> {
    if (this.#runners.get(name)?.live) return true;
    return (await this.#ctx.store.liveAgents(name, Date.now())).length > 0;
  }

  wake(name: string): void {
    this.#runners.get(name)?.wake();
  }

  claim(name: string): DirectClaim | null {
    return this.#runners.get(name)?.claim() ?? null;
  }

  async released(jobId: string, timeoutMs: number): Promise<void> {
    await Promise.all(
      [...this.#runners.values()].map((r) => r.released(jobId, timeoutMs)),
    );
  }
}
