/**
 * A wake-up call that is never lost: a `fire()` before `wait()` makes the
 * next wait return at once.
 *
 * @module
 */

/** Lets one loop sleep until there is something to do. */
export class Wakeup {
  #fired = false;
  #resolve: (() => void) | null = null;

  /** Wakes the waiting loop, or the next one to wait. */
  fire(): void {
    this.#fired = true;
    this.#resolve?.();
  }

  /**
   * Resolves on the next fire (or a past one), after `timeoutMs` (never, by
   * default: no timer is set), or when `signal` aborts.
   */
  wait(timeoutMs = Infinity, signal?: AbortSignal): Promise<void> {
    if (this.#fired || signal?.aborted) {
      this.#fired = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.#resolve = null;
        this.#fired = false;
        resolve();
      };
      const timer = Number.isFinite(timeoutMs) ? setTimeout(done, timeoutMs) : undefined;
      signal?.addEventListener("abort", done, { once: true });
      this.#resolve = done;
    });
  }
}
