/**
 * The `noop` runner kind: a test and benchmark fixture that completes every
 * job at once with a `null` result, in-process, so the queue path can be
 * measured without any process start.
 *
 * @module
 */

import type { Outcome } from "../jobs/job_rules.ts";
import type { Execution, Executor } from "./executor.ts";

/** Completes every job at once. */
export class NoopExecutor implements Executor {
  #instances: number;

  constructor(instances: number) {
    this.#instances = instances;
  }

  get idle(): number {
    return this.#instances;
  }

  get pids(): number[] {
    return [];
  }

  start(): void {}

  ping(_timeoutMs: number): Promise<void> {
    return Promise.resolve();
  }

  recover(): void {}

  execute(_execution: Execution): Promise<Outcome> {
    return Promise.resolve({ kind: "success", value: null });
  }

  resize(instances: number): void {
    this.#instances = instances;
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}
