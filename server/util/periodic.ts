/**
 * A pass that runs every `intervalMs`, never two at once: a slow pass makes
 * the next ones wait their turn instead of piling up. `stop()` ends the
 * timer and waits for the pass under way, so nothing outlives its owner.
 *
 * @module
 */

import type { Timer } from "./timer.ts";

/** Runs `pass` periodically; its failures go to `onError`. */
export class Periodic {
  #timer: Timer | undefined;
  #running: Promise<void> | null = null;

  constructor(
    readonly intervalMs: number,
    readonly pass: () => Promise<unknown>,
    readonly onError: (error: unknown) => void = () => {},
  ) {}

  start(): void {
    this.#timer = setInterval(() => {
      this.#running ??= this.pass().then(() => {}, this.onError).finally(
        () => (this.#running = null),
      );
    }, this.intervalMs);
  }

  /** Stops and waits for the pass under way. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
