/**
 * Lifecycle events: typed facts with time, subject and audit fields, kept
 * bounded in the store and announced live.
 *
 * Events are batched: {@linkcode EventLog.emit} returns at once, and a batch
 * is written every few milliseconds, so a busy queue does not pay a store
 * round trip per fact.
 *
 * @module
 */

import type { Event, EventPage } from "../../shared/types.generated.ts";
import { EVENTS_KEY, type Store } from "../store/store.ts";
import type { Timer } from "../util/timer.ts";
import { getLog } from "../logging/mod.ts";

const log = getLog("events");

/** An event before it gets its id and time. */
export type EventInput = Omit<Event, "id" | "ts"> & { ts?: number };

/** Events per store write at most. */
const BATCH = 1000;

/** Options of an {@linkcode EventLog}. */
export interface EventLogOptions {
  /** How many events the store keeps (default 10000). */
  keep?: number;
  /** How long an event may wait for its batch, ms (default 20). */
  delayMs?: number;
  /** The member of the cluster that records them (each event names it). */
  member?: string;
}

/** Records and lists lifecycle events. */
export class EventLog {
  readonly #store: Store;
  readonly #keep: number;
  readonly #delayMs: number;
  readonly #member: string | undefined;
  #closed = false;
  #pending: Omit<Event, "id">[] = [];
  #timer: Timer | undefined;
  #writing: Promise<void> | null = null;

  constructor(store: Store, options: EventLogOptions = {}) {
    this.#store = store;
    this.#keep = options.keep ?? 10_000;
    this.#delayMs = options.delayMs ?? 20;
    this.#member = options.member;
  }

  /** Records an event (written with the next batch). */
  emit(event: EventInput): void {
    // Built field by field, in one shape: a spread and deletes would cost more than the
    // write, for the three events of every job.
    const entry: Omit<Event, "id"> = {
      ts: event.ts ?? Date.now(),
      type: event.type,
      subject: event.subject,
    };
    if (event.requested_by !== undefined) {
      entry.requested_by = event.requested_by;
    }
    if (event.reason !== undefined) entry.reason = event.reason;
    if (event.data !== undefined) entry.data = event.data;
    if (this.#member !== undefined) entry.member = this.#member;
    // After close (a process's exit noticed late in a shutdown) the store is gone: dropped, and
    // no timer outlives its owner.
    if (this.#closed) return;
    this.#pending.push(entry);
    this.#timer ??= setTimeout(() => this.#kick(), this.#delayMs);
  }

  #kick(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#writing ??= this.#write().finally(() => (this.#writing = null));
    return this.#writing;
  }

  async #write(): Promise<void> {
    // One batch, then more only while full ones wait: the events of a busy queue that came
    // during a write wait for their own delay, or a write would follow each round trip
    // (measured, Redis: a batch every 3-5 ms, 290 scripts and notices for 1000 jobs).
    for (let once = true; once || this.#pending.length >= BATCH; once = false) {
      const batch = this.#pending.splice(0, BATCH);
      try {
        const first = await this.#store.appendSeq(
          EVENTS_KEY,
          batch,
          this.#keep,
        );
        await this.#store.notices.publish({
          type: "events",
          last: first + batch.length - 1,
        });
      } catch (error) {
        log.warn(
          `events not recorded (${batch.length}): ${(error as Error).message}`,
        );
      }
    }
    if (this.#pending.length && !this.#closed) {
      this.#timer ??= setTimeout(() => this.#kick(), this.#delayMs);
    }
  }

  /** Writes every pending event. */
  async flush(): Promise<void> {
    while (this.#pending.length || this.#writing) await this.#kick();
    // An event emitted during the last write went out with it: its batch timer has nothing left.
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Events after `after`, oldest first, optionally filtered by type prefix and subject. */
  async list(
    after: number,
    limit: number,
    type?: string,
    subject?: string,
  ): Promise<EventPage> {
    const events: Event[] = [];
    let cursor = after;
    let last = 0;
    // A filtered read scans at most what the store keeps.
    for (let scanned = 0; events.length < limit && scanned <= this.#keep;) {
      const page = await this.#store.readSeq<Omit<Event, "id">>(
        EVENTS_KEY,
        cursor,
        1000,
      );
      last = Math.max(last, page.last);
      if (page.items.length === 0) break;
      scanned += page.items.length;
      for (const { seq, ...rest } of page.items) {
        cursor = seq;
        if (type && !rest.type.startsWith(type)) continue;
        if (subject && rest.subject !== subject) continue;
        events.push({ ...rest, id: seq } as Event);
        if (events.length === limit) break;
      }
    }
    return { events, next: events.at(-1)?.id ?? cursor, last };
  }

  /** The id of the newest event (0 when none). */
  async lastId(): Promise<number> {
    return (await this.#store.readSeq(EVENTS_KEY, Number.MAX_SAFE_INTEGER, 1))
      .last;
  }

  /** Writes what is pending and stops. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }
}
