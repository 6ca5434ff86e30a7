/**
 * The warm pool: session processes started ahead of time, each waiting for
 * one job and exiting after it, so a job never waits for a process to start
 * while the pool is warm. Taking a process starts its replacement. With
 * `reuse` (runner isolation), a process that ran a job comes back to the
 * pool with {@linkcode SessionPool.release}, and one running a job counts
 * against the size: no replacement starts for it.
 *
 * A process that dies while warm, or before it is ready, is a failure of
 * the runner: the pool reports it and leaves restarting to the runner's
 * supervision.
 *
 * @module
 */

import type { Timer } from "../util/timer.ts";
import { WaiterQueue } from "../util/waiter_queue.ts";
import type { SessionProcess } from "./session_process.ts";

/** Settings of a {@linkcode SessionPool}. */
export interface SessionPoolOptions {
  /** How many processes to keep warm. */
  size: number;
  /** Starts one process. */
  spawn: () => SessionProcess;
  /** A warm process failed (before it was ready, or while waiting). */
  onFailure: (error: Error) => void;
  /** A process became ready (the first one makes the runner ready). */
  onReady?: () => void;
  /** SIGTERM-to-SIGKILL grace when closing, ms. */
  graceMs: number;
  /** Whether processes come back after their job (runner isolation). */
  reuse?: boolean;
}

/** Keeps `size` session processes warm. */
export class SessionPool {
  readonly #options: SessionPoolOptions;
  #size: number;
  readonly #ready: SessionProcess[] = [];
  readonly #starting = new Set<SessionProcess>();
  readonly #taken = new Set<SessionProcess>();
  readonly #waiters = new WaiterQueue<SessionProcess>();
  #closed = false;
  /** After a failure, no process starts until the runner calls `recover()`. */
  #held = false;
  /** A refill scheduled after a job's process ended. */
  #refill: Timer | undefined;

  constructor(options: SessionPoolOptions) {
    this.#options = options;
    this.#size = options.size;
  }

  /** Processes warm and ready now. */
  get idle(): number {
    return this.#ready.length;
  }

  /**
   * The pids of every process of the pool (warm, starting, or running a
   * job) that still runs: one whose job ended stays taken until its clean-up
   * is over (its control group emptied and removed), which on a busy host
   * takes a while; its pid is no process's any more.
   */
  get pids(): number[] {
    const pids: number[] = [];
    for (const list of [this.#ready, this.#starting, this.#taken]) {
      for (const session of list) if (session.alive) pids.push(session.pid);
    }
    return pids;
  }

  /** Starts processes again after a failure (the runner's restart delay is over). */
  recover(): void {
    this.#held = false;
    this.fill();
  }

  #failed(error: Error): void {
    this.#held = true;
    this.#options.onFailure(error);
  }

  /** Fills the pool up to its size. */
  fill(): void {
    // Processes running a job come back when they are reused: they count then.
    const busy = () => this.#options.reuse ? this.#taken.size : 0;
    while (
      !this.#closed && !this.#held &&
      this.#ready.length + this.#starting.size + busy() < this.#size
    ) {
      let session: SessionProcess;
      try {
        session = this.#options.spawn();
      } catch (error) {
        this.#failed(error as Error);
        return;
      }
      this.#starting.add(session);
      session.ready.then(
        () => this.#onReady(session),
        (error: Error) => {
          this.#starting.delete(session);
          if (!this.#closed) this.#failed(error);
        },
      );
    }
  }

  #onReady(session: SessionProcess): void {
    this.#starting.delete(session);
    if (
      this.#closed ||
      (this.#ready.length >= this.#size && this.#waiters.length === 0)
    ) {
      session.kill(0);
      return;
    }
    this.#options.onReady?.();
    // However it ends: dying while waiting is a failure (unless the pool ended it); dying
    // after a job (or instead of finishing one) leaves a place to fill.
    session.exited.then((status) => {
      const at = this.#ready.indexOf(session);
      if (at >= 0 && !this.#closed) {
        this.#ready.splice(at, 1);
        this.#failed(
          new Error(
            `a warm session process died (exit ${status.code}${
              status.signal ? `, ${status.signal}` : ""
            })`,
          ),
        );
      }
      if (this.#taken.delete(session)) this.#scheduleRefill();
    });
    this.#offer(session);
  }

  /**
   * Gives a ready session to the first waiter, or keeps it ready: a new one
   * last, one back from a job first (the next job finds it hot: measured,
   * back-to-back `job.run` on 2 instances, p50 0.06-0.09 ms lower than taking
   * turns).
   */
  #offer(session: SessionProcess, hot = false): void {
    if (this.#waiters.length > 0) {
      this.#take(session, (s) => this.#waiters.serve(s));
    } else if (hot) {
      this.#ready.unshift(session);
    } else {
      this.#ready.push(session);
    }
  }

  /** Spawning blocks for a moment: the refill waits for the job's answer to go out first. */
  #scheduleRefill(): void {
    if (this.#closed) return; // (a process killed by close() exits after it)
    this.#refill ??= setTimeout(() => {
      this.#refill = undefined;
      this.fill();
    }, 0);
  }

  #take(session: SessionProcess, deliver: (s: SessionProcess) => void): void {
    this.#taken.add(session);
    deliver(session);
    // The replacement starts once this job is done (its process gone): a start-up takes
    // tens of ms of CPU and holds the event loop for some (the spawn), and would compete
    // with the job (measured, one instance: a warm job.run p50 of 9.3 ms with the replacement
    // started at once, 6.8 ms after; 12.7 and 7.8 ms with the OS sandbox).
  }

  /**
   * Takes a process back after its job (runner isolation): it waits for the
   * next one. Past the pool's size (it was scaled down), or once closed, it ends.
   */
  release(session: SessionProcess): void {
    if (!this.#taken.delete(session)) return;
    if (this.#closed || this.#ready.length + this.#starting.size + this.#taken.size >= this.#size) {
      session.kill(0);
      this.#scheduleRefill();
      return;
    }
    this.#offer(session, true);
  }

  /**
   * A warm process for one job: at once when one is warm (not a promise: the
   * job's frame goes out before anything else queued runs), else the next to
   * be ready.
   */
  acquire(signal: AbortSignal): SessionProcess | Promise<SessionProcess> {
    const session = this.#ready.shift();
    if (session) {
      let taken!: SessionProcess;
      this.#take(session, (s) => (taken = s));
      return taken;
    }
    if (this.#closed) {
      return Promise.reject(new Error("the runner is stopping"));
    }
    const taken = this.#waiters.wait(signal);
    this.fill();
    return taken;
  }

  /** Changes how many processes are kept warm; extra idle ones are ended. */
  resize(size: number): void {
    this.#size = size;
    while (this.#ready.length > size) this.#ready.pop()!.kill(0);
    this.fill();
  }

  /** Ends every process of the pool; whoever waits for one is told the runner is stopping. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#refill);

    this.#waiters.rejectAll(new Error("the runner is stopping"));
    const all = [...this.#ready, ...this.#starting, ...this.#taken];
    this.#ready.length = 0;
    await Promise.all(all.map((s) => s.kill(this.#options.graceMs)));
  }
}
