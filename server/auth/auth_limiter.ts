/**
 * Slows down clients that keep presenting unknown secrets, without ever
 * refusing a valid one.
 *
 * Only a wrong secret counts (a call with no secret is just unauthenticated:
 * on a shared address, a page or a script calling without one must not lock
 * anybody out). Past `maxFailures` within `windowMs` from one client (or
 * past `globalMaxFailures` from all clients together: many addresses, or
 * one proxy for all), each further wrong secret is answered -32029 after a
 * delay that doubles with each one, up to `maxDelayMs`; a few at a time per
 * client, the rest at once, so that a flood of guesses costs its sender
 * time and the supervisor nothing. A valid secret is checked first, and
 * always passes.
 *
 * It cannot stop guessing on its own (a valid guess passes too): secrets must
 * be long and random, as generated ones are (43 characters).
 *
 * @module
 */

/** Settings of an {@linkcode AuthLimiter}. */
export interface AuthLimiterOptions {
  maxFailures: number;
  /** Failures from all clients within the window past which every failing client is slowed. */
  globalMaxFailures?: number;
  windowMs: number;
  /** The longest delay of an answer, ms (default 5000). */
  maxDelayMs?: number;
  now?: () => number;
}

/** How to answer one failed authentication. */
export interface Verdict {
  /** The client (or everyone) is past its limit: answer -32029. */
  tooMany: boolean;
  /** When the oldest counted failure leaves the window, ms from now. */
  retryAfterMs: number;
  /** How long to wait before answering, ms (0: at once). */
  delayMs: number;
  /** This failure put the client past its limit (the first time in a while). */
  crossed: boolean;
}

/** Delayed answers in flight per client; past it, answers go at once. */
const MAX_DELAYED_PER_CLIENT = 8;
const FIRST_DELAY_MS = 100;

/** Counts failed authentications per client and in all. */
export class AuthLimiter {
  readonly #failures = new Map<string, number[]>();
  /** Times of recent failures from every client, oldest first (bounded). */
  #all: number[] = [];
  readonly #delayed = new Map<string, number>();
  readonly #o: AuthLimiterOptions;
  readonly #now: () => number;

  constructor(options: AuthLimiterOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  #recent(list: number[], now: number): number[] {
    const since = now - this.#o.windowMs;
    let drop = 0;
    while (drop < list.length && list[drop] <= since) drop++;
    return drop ? list.slice(drop) : list;
  }

  /** Records a failed authentication from `client`; says how to answer it. */
  fail(client: string): Verdict {
    const now = this.#now();
    const mine = this.#recent(this.#failures.get(client) ?? [], now);
    mine.push(now);
    // Only the last maxFailures + some are needed to know how far past the limit it is.
    const kept = mine.length > this.#o.maxFailures + 32
      ? mine.slice(-this.#o.maxFailures - 32)
      : mine;
    this.#failures.delete(client);
    this.#failures.set(client, kept);
    // Bound memory against clients spraying addresses: the least recent go first.
    if (this.#failures.size > 10_000) {
      this.#failures.delete(this.#failures.keys().next().value!);
    }
    const globalMax = this.#o.globalMaxFailures ?? Infinity;
    this.#all = this.#recent(this.#all, now);
    this.#all.push(now);
    if (this.#all.length > globalMax + 64) {
      this.#all = this.#all.slice(-globalMax - 64);
    }

    const mineOver = kept.length - this.#o.maxFailures;
    const allOver = this.#all.length - globalMax;
    const over = Math.max(mineOver, allOver);
    if (over <= 0) {
      return { tooMany: false, retryAfterMs: 0, delayMs: 0, crossed: false };
    }
    const oldest = mineOver > 0 ? kept[kept.length - this.#o.maxFailures - 1] : this.#all[0];
    const delayed = this.#delayed.get(client) ?? 0;
    const delayMs = delayed >= MAX_DELAYED_PER_CLIENT ? 0 : Math.min(
      FIRST_DELAY_MS * 2 ** Math.min(over - 1, 16),
      this.#o.maxDelayMs ?? 5000,
    );
    if (delayMs > 0) this.#delayed.set(client, delayed + 1);
    return {
      tooMany: true,
      retryAfterMs: Math.max(1, oldest + this.#o.windowMs - now),
      delayMs,
      crossed: mineOver === 1 || allOver === 1,
    };
  }

  /** A delayed answer to `client` went out. */
  answered(client: string): void {
    const delayed = (this.#delayed.get(client) ?? 1) - 1;
    if (delayed > 0) this.#delayed.set(client, delayed);
    else this.#delayed.delete(client);
  }
}
