/**
 * `GET /metrics` in the Prometheus text format: jobs by status, job
 * durations (histogram), retries, queue depth per runner, runner state (one
 * series per state, so a change of state keeps every series), restarts,
 * HTTP requests, JSON-RPC calls per method (count and latency), the build,
 * and the process's memory.
 *
 * Counters and the histogram are this process's; the job and queue gauges
 * are read from the store on each scrape, so every supervisor sharing a
 * store reports the same totals.
 *
 * @module
 */

import { RunnerState } from "../../shared/schemas.ts";
import { VERSION } from "../../shared/version.ts";
import type { Outcome } from "../jobs/job_rules.ts";
import type { RunnerManager } from "../runners/runner_manager.ts";
import { isFinal, type JobRecord, type Store, type TransitionResult } from "../store/store.ts";
import { type FinalStatus, JobStats } from "./job_stats.ts";

/**
 * Jobs waiting per runner: every registered runner (0 when idle), and the
 * queues of runners no longer registered, which still hold jobs.
 */
export async function queueDepths(
  store: Store,
  runners: RunnerManager,
): Promise<Record<string, number>> {
  const [depths, names] = await Promise.all([
    store.queueDepths(),
    runners.names(),
  ]);
  return { ...Object.fromEntries(names.map((name) => [name, 0])), ...depths };
}

/** Upper bounds of the job duration buckets, seconds. */
export const DURATION_BUCKETS = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
  300,
];

const label = (value: string) =>
  value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
const labels = (pairs: Record<string, string>) =>
  `{${Object.entries(pairs).map(([k, v]) => `${k}="${label(v)}"`).join(",")}}`;

/** Upper bounds of the JSON-RPC call latency buckets, seconds. */
export const RPC_BUCKETS = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  1,
  5,
  30,
];

interface Histogram {
  buckets: number[];
  sum: number;
  count: number;
}

function observe(
  map: Map<string, Histogram>,
  key: string,
  bounds: number[],
  value: number,
) {
  let h = map.get(key);
  if (!h) map.set(key, h = { buckets: bounds.map(() => 0), sum: 0, count: 0 });
  for (let i = 0; i < bounds.length; i++) {
    if (value <= bounds[i]) h.buckets[i]++;
  }
  h.sum += value;
  h.count++;
}

function renderHistogram(
  out: string[],
  name: string,
  label: string,
  map: Map<string, Histogram>,
  bounds: number[],
) {
  for (const [key, h] of map) {
    bounds.forEach((bound, i) =>
      out.push(
        `${name}_bucket${labels({ [label]: key, le: String(bound) })} ${h.buckets[i]}`,
      )
    );
    out.push(
      `${name}_bucket${labels({ [label]: key, le: "+Inf" })} ${h.count}`,
    );
    out.push(`${name}_sum${labels({ [label]: key })} ${h.sum}`);
    out.push(`${name}_count${labels({ [label]: key })} ${h.count}`);
  }
}

/** Collects and renders metrics. */
export class Metrics {
  readonly #store: Store;
  readonly #finished = new Map<string, number>();
  readonly #durations = new Map<string, Histogram>();
  readonly #requests = new Map<string, number>();
  readonly #retries = new Map<string, number>();
  readonly #calls = new Map<string, number>();
  readonly #callDurations = new Map<string, Histogram>();
  readonly #startedAt = Date.now();
  readonly #now: () => number;
  /** The same endings as a time series, for `get_stats`. */
  readonly stats: JobStats;

  constructor(store: Store, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
    this.stats = new JobStats({ now });
  }

  /** A job run by this process ended (or went back to its queue: a retry, an interruption). */
  jobEnded(
    job: JobRecord,
    outcome: Outcome,
    result: TransitionResult | null,
  ): void {
    if (!result?.ok) return;
    const status = result.job.status;
    if (status === "queued") {
      // Not an end: a retry after a failure, or a job its stopping runner gave back.
      const reason = outcome.kind === "interrupted" ? "interrupted" : outcome.kind;
      const key = `${job.runner}\u0000${reason}`;
      this.#retries.set(key, (this.#retries.get(key) ?? 0) + 1);
      return;
    }
    const key = `${job.runner}\u0000${status}`;
    this.#finished.set(key, (this.#finished.get(key) ?? 0) + 1);
    const now = this.#now();
    const seconds = (now - (job.started_at ?? now)) / 1000;
    if (isFinal(status)) {
      this.stats.record(status as FinalStatus, seconds * 1000);
    }
    observe(this.#durations, job.runner, DURATION_BUCKETS, seconds);
  }

  /** A JSON-RPC call was answered: its method (one of the table's), its error code or null. */
  call(method: string, code: number | null, seconds: number): void {
    const key = `${method}\u0000${code === null ? "ok" : code}`;
    this.#calls.set(key, (this.#calls.get(key) ?? 0) + 1);
    observe(this.#callDurations, method, RPC_BUCKETS, seconds);
  }

  /** An HTTP request was answered. */
  request(route: string, status: number): void {
    const key = `${route}\u0000${status}`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
  }

  /** The metrics, as Prometheus text. */
  async render(runners: RunnerManager): Promise<string> {
    const out: string[] = [];
    const family = (name: string, type: string, help: string) =>
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

    const counts = await this.#store.countJobs();
    family("hero_jobs", "gauge", "Jobs in the store, by status.");
    for (const [status, n] of Object.entries(counts)) {
      if (status !== "total") out.push(`hero_jobs${labels({ status })} ${n}`);
    }

    family("hero_queue_depth", "gauge", "Jobs waiting in each runner's queue.");
    for (
      const [runner, n] of Object.entries(
        await queueDepths(this.#store, runners),
      )
    ) {
      out.push(`hero_queue_depth${labels({ runner })} ${n}`);
    }

    family(
      "hero_jobs_finished_total",
      "counter",
      "Jobs this supervisor's runners finished, by final status.",
    );
    for (const [key, n] of this.#finished) {
      const [runner, status] = key.split("\u0000");
      out.push(`hero_jobs_finished_total${labels({ runner, status })} ${n}`);
    }

    family(
      "hero_job_retries_total",
      "counter",
      "Jobs this supervisor's runners gave back to their queue, by why: error or lost " +
        "(retried per its retries), interrupted (its runner stopped; not counted as an attempt).",
    );
    for (const [key, n] of this.#retries) {
      const [runner, reason] = key.split("\u0000");
      out.push(`hero_job_retries_total${labels({ runner, reason })} ${n}`);
    }

    family(
      "hero_job_duration_seconds",
      "histogram",
      "How long jobs ran on this supervisor's runners.",
    );
    renderHistogram(
      out,
      "hero_job_duration_seconds",
      "runner",
      this.#durations,
      DURATION_BUCKETS,
    );

    const statuses = await runners.statuses();
    family(
      "hero_runner_up",
      "gauge",
      "1 when a runner takes jobs (running), else 0.",
    );
    for (const r of statuses) {
      out.push(
        `hero_runner_up${labels({ runner: r.name })} ${r.state === "running" ? 1 : 0}`,
      );
    }
    family(
      "hero_runner_state",
      "gauge",
      "A runner's state: 1 for the one it is in, 0 for the others (a state set).",
    );
    for (const r of statuses) {
      for (const state of RunnerState.enum as string[]) {
        out.push(
          `hero_runner_state${labels({ runner: r.name, state })} ${r.state === state ? 1 : 0}`,
        );
      }
    }
    family("hero_runner_busy", "gauge", "Jobs running on each runner.");
    for (const r of statuses) {
      out.push(`hero_runner_busy${labels({ runner: r.name })} ${r.busy}`);
    }
    family(
      "hero_runner_restarts_total",
      "counter",
      "Restarts of each runner by its supervision.",
    );
    for (const r of statuses) {
      out.push(
        `hero_runner_restarts_total${labels({ runner: r.name })} ${r.restarts}`,
      );
    }

    family(
      "hero_http_requests_total",
      "counter",
      "HTTP requests answered, by route and status code.",
    );
    for (const [key, n] of this.#requests) {
      const [route, code] = key.split("\u0000");
      out.push(`hero_http_requests_total${labels({ route, code })} ${n}`);
    }

    family(
      "hero_rpc_requests_total",
      "counter",
      "JSON-RPC calls answered, by method and outcome (ok, or the error code).",
    );
    for (const [key, n] of this.#calls) {
      const [method, code] = key.split("\u0000");
      out.push(`hero_rpc_requests_total${labels({ method, code })} ${n}`);
    }
    family(
      "hero_rpc_duration_seconds",
      "histogram",
      "How long JSON-RPC calls took to answer, by method (a job.run includes its job).",
    );
    renderHistogram(
      out,
      "hero_rpc_duration_seconds",
      "method",
      this.#callDurations,
      RPC_BUCKETS,
    );

    family(
      "hero_build_info",
      "gauge",
      "The supervisor's version and its Deno, as labels.",
    );
    out.push(
      `hero_build_info${
        labels({
          version: VERSION,
          deno: Deno.version.deno,
          v8: Deno.version.v8,
        })
      } 1`,
    );

    family(
      "process_resident_memory_bytes",
      "gauge",
      "Resident memory of the supervisor.",
    );
    out.push(`process_resident_memory_bytes ${Deno.memoryUsage().rss}`);
    family(
      "process_start_time_seconds",
      "gauge",
      "When the supervisor started.",
    );
    out.push(`process_start_time_seconds ${this.#startedAt / 1000}`);
    return out.join("\n") + "\n";
  }
}
