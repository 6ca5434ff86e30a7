/**
 * Refuses clients that keep failing to authenticate.
 *
 * A client (an address) that fails `maxFailures` times within `windowMs` is
 * refused (-32029) until the oldest of those failures leaves the window, even
 * with a valid secret: guessing gains nothing while the door is shut.
 *
 * @module
 */

/** Settings of an {@linkcode AuthLimiter}. */
export interface AuthLimiterOptions {
  maxFailures: number;
  windowMs: number;
  now?: () => number;
}

/** Counts failed authentications per client. */
export class AuthLimiter {
  readonly #failures = new Map<string, number[]>();
  readonly #o: AuthLimiterOptions;
  readonly #now: () => number;

  constructor(options: AuthLimiterOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  #recent(client: string): number[] {
    const since = this.#now() - this.#o.windowMs;
    const list = (this.#failures.get(client) ?? []).filter((t) => t > since);
    if (list.length) this.#failures.set(client, list);
    else this.#failures.delete(client);
    return list;
  }

  /** Milliseconds until the client may try again, or 0 if it may now. */
  retryAfter(client: string): number {
    const list = this.#recent(client);
    if (list.length < this.#o.maxFailures) return 0;
    return list[list.length - this.#o.maxFailures] + this.#o.windowMs - this.#now();
  }

  /** Records a failed authentication. */
  fail(client: string): void {
    const list = this.#recent(client);
    list.push(this.#now());
    this.#failures.set(client, list.slice(-this.#o.maxFailures));
    // Bound memory against clients spraying addresses.
    if (this.#failures.size > 10_000) this.#failures.delete(this.#failures.keys().next().value!);
  }
}
