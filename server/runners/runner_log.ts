/**
 * A runner's own output (not its jobs'): what its processes print outside
 * jobs, and what the supervisor did to it. `get_runner_logs` reads it.
 *
 * @module
 */

/** The last lines of a runner's output, each stamped with its time. */
export class RunnerLog {
  readonly #lines: string[] = [];
  readonly #limit: number;

  constructor(limit = 2000) {
    this.#limit = limit;
  }

  /** Adds a line: `[source]` says who wrote it (the runner's process, or the supervisor). */
  add(source: string, line: string): void {
    this.#lines.push(`${new Date().toISOString()} [${source}] ${line}`);
    if (this.#lines.length > this.#limit) {
      this.#lines.splice(0, this.#lines.length - this.#limit);
    }
  }

  /** The last `count` lines, oldest first. */
  tail(count: number): string[] {
    return this.#lines.slice(-count);
  }
}
