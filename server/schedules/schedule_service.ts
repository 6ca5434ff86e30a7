/**
 * Cron schedules as the API sees them (`schedules.*`): made, read, changed,
 * paused and deleted in the store, each owned by the secret that made it (a
 * user secret sees only its own; an admin secret, all). The ticks themselves
 * are the scheduler's (`scheduler.ts`).
 *
 * @module
 */

import type { JobSpec, Schedule, ScheduleSpec } from "../../shared/types.generated.ts";
import type { JobService } from "../jobs/job_service.ts";
import type { Principal } from "../rpc/dispatch.ts";
import { conflict, invalidParams, notFound } from "../rpc/rpc_error.ts";
import type { ScheduleRecord, Store } from "../store/mod.ts";
import { CronTicks } from "./cron.ts";

/** Who calls: an admin sees every schedule; another secret, those it owns. */
export interface Caller {
  owner: string;
  admin: boolean;
}

/** The caller of an API call, as a schedule's owner. */
export function callerOf(principal: Principal | null): Caller {
  return principal
    ? { owner: `${principal.kind}:${principal.fingerprint}`, admin: principal.kind === "admin" }
    : { owner: "anonymous", admin: false };
}

/** The config's `[[schedules]]` own themselves. */
export const CONFIG_OWNER: Caller = { owner: "config", admin: true };

/** The id of a tick's job: one per schedule and tick, whichever member makes it. */
export const tickJobId = (name: string, tick: number): string =>
  `${name}@${new Date(tick).toISOString()}`;

/** A spec's fields as stored, each default filled in. */
function withDefaults(spec: ScheduleSpec) {
  return {
    cron: spec.cron,
    timezone: spec.timezone ?? "UTC",
    job: spec.job as ScheduleRecord["job"],
    overlap: spec.overlap ?? "skip",
    catch_up: spec.catch_up ?? "none",
    paused: spec.paused ?? false,
  };
}

/** The schedules API. */
export class ScheduleService {
  readonly #store: Store;
  readonly #jobs: JobService;
  readonly #now: () => number;

  constructor(store: Store, jobs: JobService, now: () => number = Date.now) {
    this.#store = store;
    this.#jobs = jobs;
    this.#now = now;
  }

  /** A schedule as the API shows it: with its next tick. */
  view(record: ScheduleRecord): Schedule {
    const next = record.paused
      ? null
      : new CronTicks(record.cron, record.timezone).next(Math.max(record.last_tick, this.#now()));
    return { ...record, job: record.job as Schedule["job"], next_run_at: next };
  }

  #checked(
    spec: Omit<ScheduleRecord, "owner" | "created_at" | "updated_at" | "last_tick" | "runs">,
  ) {
    new CronTicks(spec.cron, spec.timezone);
    if ("id" in spec.job) {
      throw invalidParams("schedule.job.id: each tick's job gets its own id (NAME@TIME)");
    }
  }

  async create(spec: ScheduleSpec, caller: Caller): Promise<Schedule> {
    const now = this.#now();
    const record: ScheduleRecord = {
      name: spec.name,
      ...withDefaults(spec),
      owner: caller.owner,
      created_at: now,
      updated_at: now,
      // No tick before it was made.
      last_tick: now,
      runs: [],
    };
    this.#checked(record);
    if (!await this.#store.putSchedule(record, true)) {
      throw conflict(`a schedule named ${JSON.stringify(spec.name)} already exists`);
    }
    return this.view(record);
  }

  /** Makes the config's schedules exist as written (their ticks go on where they were). */
  async fromConfig(specs: readonly ScheduleSpec[]): Promise<void> {
    for (const spec of specs) {
      const existing = await this.#store.getSchedule(spec.name);
      if (!existing) {
        await this.create(spec, CONFIG_OWNER).catch(() => {/* made meanwhile by another */});
        continue;
      }
      await this.#save(existing, withDefaults(spec));
    }
  }

  async #mine(name: string, caller: Caller): Promise<ScheduleRecord> {
    const record = await this.#store.getSchedule(name);
    // Another owner's schedule is as good as absent: its name says nothing.
    if (!record || (!caller.admin && record.owner !== caller.owner)) {
      throw notFound(`schedule ${JSON.stringify(name)}`);
    }
    return record;
  }

  async list(caller: Caller): Promise<Schedule[]> {
    const all = await this.#store.listSchedules();
    return all.filter((s) => caller.admin || s.owner === caller.owner).map((s) => this.view(s));
  }

  async get(name: string, caller: Caller): Promise<Schedule> {
    return this.view(await this.#mine(name, caller));
  }

  async #save(record: ScheduleRecord, changes: Partial<ScheduleRecord>): Promise<Schedule> {
    const next: ScheduleRecord = { ...record, ...changes, updated_at: this.#now() };
    this.#checked(next);
    if (!await this.#store.putSchedule(next, false)) {
      throw notFound(`schedule ${JSON.stringify(record.name)}`);
    }
    // Its ticks are the store's: read them back with the spec.
    return this.view((await this.#store.getSchedule(record.name)) ?? next);
  }

  async update(
    name: string,
    changes: Partial<ScheduleSpec>,
    caller: Caller,
  ): Promise<Schedule> {
    const record = await this.#mine(name, caller);
    return await this.#save(record, changes as Partial<ScheduleRecord>);
  }

  async setPaused(name: string, paused: boolean, caller: Caller): Promise<Schedule> {
    return await this.#save(await this.#mine(name, caller), { paused });
  }

  async delete(name: string, caller: Caller): Promise<void> {
    await this.#mine(name, caller);
    if (!await this.#store.deleteSchedule(name)) throw notFound(`schedule ${JSON.stringify(name)}`);
  }

  /** Makes and starts the schedule's job now (not a tick: its ticks go on as they were). */
  async trigger(name: string, caller: Caller): Promise<string> {
    const record = await this.#mine(name, caller);
    const id = `${name}@manual-${crypto.randomUUID().slice(0, 8)}`;
    await this.#jobs.create({ ...(record.job as JobSpec), id }, true);
    const run = { tick: this.#now(), job_id: id };
    // Recorded among its runs, its last tick unchanged (a set to the same value).
    await this.#store.advanceSchedule(name, record.last_tick, record.last_tick, run);
    return id;
  }
}
