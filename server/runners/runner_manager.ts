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
import { conflict, invalidParams, notFound, unavailable } from "../rpc/rpc_error.ts";
import { applyControl, ClusterCommands, type ControlArgs, type ControlOp } from "../cluster/mod.ts";
import { BriefCache } from "../util/brief_cache.ts";
import type { DirectClaim } from "./job_consumer.ts";
import { type Audit, Runner, type RunnerContext } from "./runner.ts";

/** The runners of this supervisor. */
export class RunnerManager implements RunnerDirectory {
  readonly #ctx: RunnerContext;
  readonly #runners = new Map<string, Runner>();
  /** Names registered through the API (their configs live in the store). */
  readonly #registered = new Set<string>();
  /** Runners remote agents announced (job creation asks for every job). */
  readonly #agentConfigs = new BriefCache<RunnerConfig>(async () =>
    new Map((await this.#ctx.store.agentRunners()).map((c) => [c.name, c]))
  );
  /** Runners other live supervisors serve, from their member records. */
  readonly #memberConfigs = new BriefCache<{ config: RunnerConfig; members: string[] }>(
    () => this.#loadMemberRunners(),
  );
  #unsubscribe: (() => void) | undefined;
  #commands: ClusterCommands | undefined;
  #reconciling: Promise<void> = Promise.resolve();
  #reconcileAgain = false;
  #closed = false;

  constructor(ctx: RunnerContext) {
    this.#ctx = ctx;
  }

  /** This supervisor's id among the members of the cluster (it is not its own remote agent). */
  get #self(): string {
    return this.#ctx.workerPrefix;
  }

  /** Other members serving a runner: remote agents, and other supervisors that have it. */
  async #otherAgents(name: string): Promise<string[]> {
    const [agents, members] = await Promise.all([
      this.#ctx.store.liveAgents(name, Date.now()),
      this.#memberRunners(name),
    ]);
    return [...agents, ...(members.get(name)?.members ?? [])];
  }

  /**
   * The runners other live supervisors serve (from their member records),
   * cached like the agents' (job creation asks for every job).
   */
  async #memberRunners(
    lookingFor?: string,
  ): Promise<Map<string, { config: RunnerConfig; members: string[] }>> {
    // One process on an embedded store: no other member.
    if (this.#ctx.store.kind !== "redis") return new Map();
    return await this.#memberConfigs.get(lookingFor);
  }

  async #loadMemberRunners(): Promise<Map<string, { config: RunnerConfig; members: string[] }>> {
    const now = Date.now();
    const map = new Map<string, { config: RunnerConfig; members: string[] }>();
    for (const member of await this.#ctx.store.listMembers()) {
      if (member.id === this.#self || member.role !== "supervisor" || member.until < now) {
        continue;
      }
      for (const config of member.runners) {
        const entry = map.get(config.name) ?? { config, members: [] };
        entry.members.push(member.id);
        map.set(config.name, entry);
      }
    }
    return map;
  }

  /** Runners only other members serve: agents' and other supervisors'. */
  async #remoteConfigs(lookingFor?: string): Promise<Map<string, RunnerConfig>> {
    const [agents, members] = await Promise.all([
      this.#agentRunners(lookingFor),
      this.#memberRunners(lookingFor),
    ]);
    const all = new Map(agents);
    for (const [name, { config }] of members) if (!all.has(name)) all.set(name, config);
    return all;
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
    // Another supervisor on the store registered or removed one: follow it (and look again
    // when such news may have been missed).
    this.#unsubscribe = this.#ctx.store.notices.subscribe((notice) => {
      if (notice.type === "runners.changed" || notice.type === "notices.resumed") this.reconcile();
    });
    if (this.#ctx.store.kind === "redis") {
      this.#commands = new ClusterCommands(this.#ctx.store, this.#self, (command) => {
        const runner = this.#runners.get(command.runner);
        if (!runner) throw notFound(`runner ${JSON.stringify(command.runner)}`);
        return applyControl(
          runner,
          command.op,
          command.args,
          command.audit,
          () => this.start(command.runner, command.audit, false),
        );
      });
    }
  }

  /** Takes no more changes or commands from the cluster (the supervisor is stopping). */
  close(): void {
    this.#closed = true;
    this.#unsubscribe?.();
    this.#commands?.close();
  }

  /**
   * Controls a runner: here if this supervisor has it, else through the
   * members that do (other supervisors, agents), each acknowledging within
   * a deadline. `logs` returns lines (each member's prefixed with its id
   * when several have it); the others null.
   */
  async control(
    name: string,
    op: ControlOp,
    args: ControlArgs,
    audit: Audit,
  ): Promise<string[] | null> {
    const local = this.#runners.get(name);
    if (local) {
      return await applyControl(local, op, args, audit, () => this.start(name, audit, false));
    }
    const owners = await this.#otherAgents(name);
    if (!this.#commands || owners.length === 0) {
      if (await this.config(name)) {
        throw unavailable(`runner ${JSON.stringify(name)}: no live member has it`);
      }
      throw notFound(`runner ${JSON.stringify(name)}`);
    }
    const replies = await this.#commands.send(owners, name, op, args, audit);
    if (op !== "logs") return null;
    return replies.flatMap((r) =>
      (r.lines ?? []).map((line) => (replies.length > 1 ? `[${r.from}] ${line}` : line))
    );
  }

  /**
   * Makes the registered runners here what the store says they are: starts
   * those registered elsewhere, removes those removed elsewhere. On a
   * `runners.changed` notice, and at every member heartbeat (a missed notice
   * is caught up within one).
   */
  reconcile(): Promise<void> {
    if (this.#closed) return this.#reconciling;
    // One at a time; a request during one runs once more after it.
    if (this.#reconcileAgain) return this.#reconciling;
    this.#reconcileAgain = true;
    this.#reconciling = this.#reconciling.then(async () => {
      this.#reconcileAgain = false;
      if (this.#closed) return;
      const audit: Audit = { requested_by: "cluster", reason: "registered on another member" };
      const stored = await this.#ctx.store.listRunnerConfigs().catch(() => null);
      if (!stored || this.#closed) return;
      const names = new Set(stored.map((c) => c.name));
      for (const config of stored) {
        if (this.#runners.has(config.name)) continue;
        const runner = new Runner(config, this.#ctx);
        this.#runners.set(config.name, runner);
        this.#registered.add(config.name);
        this.#ctx.events.emit({ type: "runner.registered", subject: config.name, ...audit });
        await this.start(config.name, audit, false).catch(() => {});
      }
      for (const name of [...this.#registered]) {
        if (names.has(name) || this.#closed) continue;
        const runner = this.#runners.get(name);
        if (!runner) continue;
        await runner.dispose({ requested_by: "cluster", reason: "removed on another member" });
        this.#runners.delete(name);
        this.#registered.delete(name);
        this.#ctx.events.emit({
          type: "runner.removed",
          subject: name,
          requested_by: "cluster",
          reason: "removed on another member",
        });
      }
    }).catch(() => {});
    return this.#reconciling;
  }

  /** The local runners' configs and how busy they are, for the member heartbeat. */
  local(): { runners: RunnerConfig[]; load: { busy: number; instances: number } } {
    let busy = 0;
    let instances = 0;
    const runners: RunnerConfig[] = [];
    for (const runner of this.#runners.values()) {
      runners.push(runner.config);
      const st = runner.status(0, 0);
      busy += st.busy;
      if (runner.config.kind !== "service") instances += st.instances;
    }
    return { runners, load: { busy, instances } };
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
    this.#changed();
    return runner;
  }

  /** Tells the other members that the registered runners changed. */
  #changed(): void {
    this.#ctx.store.notices.publish({ type: "runners.changed" }).catch(() => {
      // The store is down: the others catch up at their next heartbeat.
    });
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
    this.#changed();
  }

  #agentRunners(lookingFor?: string): Promise<Map<string, RunnerConfig>> {
    return this.#agentConfigs.get(lookingFor);
  }

  /** Every runner name: local ones in start order, then those only remote agents serve. */
  async names(): Promise<string[]> {
    const local = this.startOrder();
    const remote = [...(await this.#remoteConfigs()).keys()].filter((n) => !this.#runners.has(n));
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
    const agents = (await this.#otherAgents(name)).length;
    const runner = this.#runners.get(name);
    if (runner) return runner.status(depths[name] ?? 0, agents);
    const config = (await this.#remoteConfigs()).get(name);
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
      (await this.#remoteConfigs(name)).get(name) ?? null;
  }

  async isLive(name: string): Promise<boolean> {
    if (this.#runners.get(name)?.live) return true;
    return (await this.#otherAgents(name)).length > 0;
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
