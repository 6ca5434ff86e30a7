/**
 * Callers waiting, first come first served, for something a pool hands out
 * (a warm session, a free runner instance); a caller whose signal aborts
 * leaves the line.
 *
 * @module
 */

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

/** A line of callers waiting for a `T`. */
export class WaiterQueue<T> {
  readonly #waiters: Waiter<T>[] = [];

  /** How many callers wait. */
  get length(): number {
    return this.#waiters.length;
  }

  /** Joins the line; rejects with the signal's reason if it aborts first. */
  wait(signal: AbortSignal): Promise<T> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve: (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        reject: (error) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      const onAbort = () => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
        reject(signal.reason);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Hands `value` to the first in line; false when nobody waits. */
  serve(value: T): boolean {
    const waiter = this.#waiters.shift();
    waiter?.resolve(value);
    return waiter !== undefined;
  }

  /** Turns everyone in line away with `error`. */
  rejectAll(error: Error): void {
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }
}
