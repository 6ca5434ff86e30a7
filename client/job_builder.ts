/**
 * A builder of job specs, for callers who prefer chaining to object literals.
 *
 * @example
 * ```ts
 * const job = new JobBuilder()
 *   .runner("default")
 *   .payload("export default () => 6 * 7;")
 *   .callerId("me")
 *   .timeout(10)
 *   .build();
 * const result = await client.job.run({ job });
 * ```
 *
 * @module
 */

import type { JobSpec } from "../shared/types.generated.ts";

/** Builds a {@linkcode JobSpec}. */
export class JobBuilder {
  #spec: Partial<JobSpec> = {};

  /** Which runner runs it (required). */
  runner(name: string): this {
    this.#spec.runner = name;
    return this;
  }
  /** What it runs (required): for a script runner, an ES module. */
  payload(source: string): this {
    this.#spec.payload = source;
    return this;
  }
  /** Its id (default: one the supervisor generates). */
  id(id: string): this {
    this.#spec.id = id;
    return this;
  }
  /** Who asks. */
  callerId(id: string): this {
    this.#spec.caller_id = id;
    return this;
  }
  /** In which context. */
  contextId(id: string): this {
    this.#spec.context_id = id;
    return this;
  }
  /** Kind of executor, informative. */
  executor(kind: string): this {
    this.#spec.executor = kind;
    return this;
  }
  /** Seconds before it is killed. */
  timeout(seconds: number): this {
    this.#spec.timeout = seconds;
    return this;
  }
  /** Environment variables handed to it (merged with earlier ones). */
  env(vars: Record<string, string>): this {
    this.#spec.env_vars = { ...this.#spec.env_vars, ...vars };
    return this;
  }
  /** Extra attempts after a failure. */
  retries(count: number): this {
    this.#spec.retries = count;
    return this;
  }
  /** Jobs that must complete first; the job's function gets their results as `ctx.deps`. */
  dependsOn(...ids: string[]): this {
    this.#spec.depends_on = [...(this.#spec.depends_on ?? []), ...ids];
    return this;
  }
  /** Start it at this time (a `Date`, or ms since the Unix epoch): `scheduled` until then. */
  runAt(when: Date | number): this {
    this.#spec.run_at = typeof when === "number" ? when : when.getTime();
    delete this.#spec.delay;
    return this;
  }
  /** Start it this many seconds after its creation. */
  delay(seconds: number): this {
    this.#spec.delay = seconds;
    delete this.#spec.run_at;
    return this;
  }
  /** Queue order within its runner: higher first (-1000..1000, default 0). */
  priority(priority: number): this {
    this.#spec.priority = priority;
    return this;
  }
  /** A second job with this key within `windowSeconds` is the first one (its id is returned). */
  dedup(key: string, windowSeconds?: number): this {
    this.#spec.dedup_key = key;
    if (windowSeconds !== undefined) this.#spec.dedup_window = windowSeconds;
    return this;
  }
  /** How long it is kept once completed or failed (else the supervisor's `keep`). */
  keep(keep: NonNullable<JobSpec["keep"]>): this {
    this.#spec.keep = keep;
    return this;
  }

  /** The spec; throws if `runner` or `payload` is missing. */
  build(): JobSpec {
    const { runner, payload } = this.#spec;
    if (!runner) throw new TypeError("JobBuilder: runner is required");
    if (payload === undefined) throw new TypeError("JobBuilder: payload is required");
    return { ...this.#spec, runner, payload };
  }
}
