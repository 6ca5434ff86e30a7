/**
 * Cron expressions, read by croner (a well-kept library with time zones and
 * seconds), used only to evaluate: which ticks fall in a span of time. The
 * supervisor fires them itself (`scheduler.ts`), so that a tick is one
 * compare-and-set in the store, whichever member sees it first.
 *
 * @module
 */

import { Cron } from "croner";
import { invalidParams } from "../rpc/rpc_error.ts";

/** The most ticks one look at a schedule enumerates (a catch-up of `all` is bounded so). */
export const MAX_TICKS = 100;

/** A parsed expression in its time zone. */
export class CronTicks {
  readonly #cron: Cron;

  /** Throws -32602 naming the field when the expression or the time zone is not valid. */
  constructor(expression: string, timezone: string, where = "schedule") {
    try {
      // Throws on an unknown zone too; croner only reads it when it computes.
      new Intl.DateTimeFormat("en", { timeZone: timezone });
    } catch {
      throw invalidParams(`${where}.timezone: ${JSON.stringify(timezone)} is not a time zone`);
    }
    try {
      this.#cron = new Cron(expression, { timezone, paused: true });
    } catch (error) {
      throw invalidParams(`${where}.cron: ${(error as Error).message}`);
    }
    if (this.#cron.nextRun(new Date(0)) === null && this.#cron.nextRun() === null) {
      throw invalidParams(`${where}.cron: ${JSON.stringify(expression)} never fires`);
    }
  }

  /** The first tick after `after` (ms), or null when there is none. */
  next(after: number): number | null {
    return this.#cron.nextRun(new Date(after))?.getTime() ?? null;
  }

  /**
   * The ticks after `after` up to `upTo` (ms), oldest first: the latest
   * `max` of them (older ones are counted in `dropped` only when more than
   * `max` were due; a long outage is not enumerated tick by tick).
   */
  due(after: number, upTo: number, max = MAX_TICKS): { ticks: number[]; dropped: boolean } {
    const recent = this.#cron.previousRuns(max, new Date(upTo + 1))
      .map((d) => d.getTime())
      .filter((t) => t > after && t <= upTo)
      .reverse();
    return { ticks: recent, dropped: recent.length === max && this.next(after)! < recent[0] };
  }
}
