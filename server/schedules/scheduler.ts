/**
 * The scheduler: every supervisor of a store looks at every schedule a few
 * times a second and fires the ticks that are due. Each tick fires once
 * across all of them, without a lock: its job's id is `NAME@TIME`, which the
 * store takes once (a second insert is a duplicate), and the schedule's last
 * tick then moves by a compare-and-set that only one member wins. A member
 * that dies between the two leaves the tick to the next one, which finds the
 * job made and moves the tick on.
 *
 * Policies: `overlap` (the last job still going: skip the tick, queue the
 * new job until the last one ends, or allow both) and `catch_up` (ticks more
 * than {@linkcode GRACE_MS} late, missed while no supervisor ran: none, the
 * last, or all of them, at most 100).
 *
 * @module
 */

import type { JobSpec } from "../../shared/types.generated.ts";
import type { JobService } from "../jobs/job_service.ts";
import { RpcError } from "../rpc/rpc_error.ts";
import { isFinal, type ScheduleRecord, type ScheduleRun, type Store } from "../store/mod.ts";
import { Periodic } from "../util/periodic.ts";
import { getLog } from "../logging/mod.ts";
import { CronTicks } from "./cron.ts";
import { tickJobId } from "./schedule_service.ts";

const log = getLog("schedules");

/** A tick later than this is one that was missed (its `catch_up` decides). */
export const GRACE_MS = 5000;

/** Settings of the {@linkcode Scheduler}. */
export interface SchedulerOptions {
  intervalMs?: number;
  now?: () => number;
}

/** Fires the due ticks of every schedule of the store. */
export class Scheduler {
  readonly #store: Store;
  readonly #jobs: JobService;
  readonly #now: () => number;
  readonly #loop: Periodic;
  #crons = new Map<string, CronTicks>();

  constructor(store: Store, jobs: JobService, options: SchedulerOptions = {}) {
    this.#store = store;
    this.#jobs = jobs;
    this.#now = options.now ?? Date.now;
    this.#loop = new Periodic(options.intervalMs ?? 250, () => this.tick(), (error) => {
      log.warn(`schedules: ${(error as Error)?.message ?? error}`);
    });
  }

  start(): void {
    this.#loop.start();
  }

  /** One look at every schedule (public so that tests drive it with their clock). */
  async tick(): Promise<void> {
    // Expressions are parsed once, not at every look (4 a second); dropped with their schedules.
    const used = new Map<string, CronTicks>();
    for (const schedule of await this.#store.listSchedules()) {
      try {
        const key = `${schedule.cron}\n${schedule.timezone}`;
        const cron = used.get(key) ?? this.#crons.get(key) ??
          new CronTicks(schedule.cron, schedule.timezone);
        used.set(key, cron);
        await this.#startHeld(schedule);
        if (!schedule.paused) await this.#fire(schedule, cron);
      } catch (error) {
        log.warn(`schedule ${schedule.name}: ${(error as Error)?.message ?? error}`);
      }
    }
    this.#crons = used;
  }

  async #fire(schedule: ScheduleRecord, cron: CronTicks): Promise<void> {
    const now = this.#now();
    const { ticks, dropped } = cron.due(schedule.last_tick, now);
    if (ticks.length === 0) return;
    const fresh = ticks.filter((t) => now - t <= GRACE_MS);
    const missed = ticks.filter((t) => now - t > GRACE_MS);
    const fire = schedule.catch_up === "all"
      ? ticks
      : schedule.catch_up === "last" && missed.length
      ? [missed.at(-1)!, ...fresh]
      : fresh;
    let last = schedule.last_tick;
    // Missed ticks not fired: the tick moves past them, once, saying how many.
    const passed = missed.filter((t) => !fire.includes(t));
    if (passed.length) {
      const to = passed.at(-1)!;
      const run = { tick: to, skipped: `missed ${passed.length}${dropped ? "+" : ""} tick(s)` };
      if (!await this.#store.advanceSchedule(schedule.name, last, to, run)) return;
      last = to;
    }
    let previous = schedule.runs.find((r) => r.job_id)?.job_id;
    for (const tick of fire) {
      const run = await this.#run(schedule, tick, previous);
      // Someone else moved it: they own the ticks from here.
      if (!await this.#store.advanceSchedule(schedule.name, last, tick, run)) return;
      last = tick;
      if (run.job_id) previous = run.job_id;
    }
  }

  /** Makes the tick's job (or says why not), per the overlap policy. */
  async #run(schedule: ScheduleRecord, tick: number, previous?: string): Promise<ScheduleRun> {
    const id = tickJobId(schedule.name, tick);
    let start = true;
    if (previous && schedule.overlap !== "allow") {
      const last = await this.#store.getJob(previous);
      if (last && !isFinal(last.status)) {
        if (schedule.overlap === "skip") {
          return { tick, skipped: `its last job ${previous} is still ${last.status}` };
        }
        start = false; // queue: started once the last one ended (`#startHeld`)
      }
    }
    try {
      await this.#jobs.create({ ...(schedule.job as JobSpec), id }, start);
    } catch (error) {
      // Made already by another member for this very tick: the tick is done.
      if (!(error instanceof RpcError && error.code === -32009)) throw error;
    }
    return { tick, job_id: id };
  }

  /** `overlap = "queue"`: a job held for its predecessor starts once that one ended. */
  async #startHeld(schedule: ScheduleRecord): Promise<void> {
    if (schedule.overlap !== "queue") return;
    const withJobs = schedule.runs.filter((r) => r.job_id).slice(0, 10);
    // Oldest first: each may start only once the one before it is final.
    const jobs = await this.#store.getJobs(withJobs.map((r) => r.job_id!).reverse());
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i];
      if (!job || job.status !== "created" || job.waiting_on) continue;
      const before = jobs[i - 1];
      if (before && !isFinal(before.status)) return;
      await this.#jobs.start(job.id).catch(() => {/* started meanwhile by another member */});
      return;
    }
  }

  /** Stops looking and waits for the current look. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }
}
