/**
 * Notices: small facts one process tells every process sharing the store.
 *
 * With the embedded store there is one process and a notice is a local call.
 * With Redis a notice also goes out on a pub/sub channel, tagged with the
 * sender's origin so that no process handles its own notice twice.
 *
 * @module
 */

import type { JobResult, JobStatus } from "../../shared/types.generated.ts";
import type { LogBatch } from "../logs/log_batch.ts";
import { getLog } from "../logging/mod.ts";

const log = getLog("store");

/** Every kind of notice. */
export type Notice =
  /**
   * `dependants`: whether some job depends on it (false lets listeners skip a
   * lookup). `result`: the job's result, when the process that ended it knows it
   * (then a waiter needs no read).
   */
  | {
    type: "job.final";
    id: string;
    status: JobStatus;
    dependants?: boolean;
    result?: JobResult;
  }
  /** A job's new lines (sent to other processes as the JSON array of them). */
  | { type: "logs"; id: string; lines: LogBatch }
  | { type: "job.stop"; id: string; reason?: string }
  | { type: "secrets.changed" }
  | { type: "runners.changed" }
  /** Events were recorded, up to the one with id `last`: readers read them from the store. */
  | { type: "events"; last: number }
  /** A member asks another to control a runner (`server/cluster/commands.ts`). */
  | { type: "cluster.command"; command: Record<string, unknown> & { to: string } }
  /** Its answer. */
  | { type: "cluster.reply"; reply: Record<string, unknown> & { id: string; to: string } }
  /**
   * The link that brings other processes' notices was down and is back: any
   * of them may have been missed (pub/sub keeps nothing for a subscriber
   * that is away). Each listener looks at the store again for what it
   * waits on. Delivered in this process only.
   */
  | { type: "notices.resumed" };

/** Receives notices. */
export type NoticeListener = (notice: Notice) => void;

/** Fans notices out to this process's listeners, and to other processes through a transport. */
export class NoticeBus {
  readonly #listeners = new Set<NoticeListener>();
  #remote: ((notice: Notice) => Promise<void>) | null = null;

  /** Listens to every notice; returns the function that stops listening. */
  subscribe(listener: NoticeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Hands a notice to this process's listeners only. */
  deliver(notice: Notice): void {
    for (const listener of this.#listeners) {
      try {
        listener(notice);
      } catch (error) {
        log.error(
          `a notice listener failed: ${(error as Error)?.message ?? error}`,
          { error },
        );
      }
    }
  }

  /** Tells this process and every other process sharing the store. */
  async publish(notice: Notice): Promise<void> {
    this.deliver(notice);
    await this.#remote?.(notice);
  }

  /** Sets how notices reach other processes (the Redis backend does). */
  setRemote(remote: (notice: Notice) => Promise<void>): void {
    this.#remote = remote;
  }
}
