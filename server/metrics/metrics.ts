/**
 * `GET /metrics` in the Prometheus text format: jobs by status, job
 * durations (histogram), queue depth per runner, runner state and restarts,
 * HTTP requests, and the process's memory.
 *
 * Counters and the histogram are this process's; the job and queue gauges
 * are read from the store on each scrape, so every supervisor sharing a
 * store reports the same totals.
 *
 * @module
 */

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
  const [depths, names] = await Promise.all([store.queueDepths(), runners.names()]);
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

interface Histogram {
  buckets: number[];
  sum: number;
  count: number;
}

/** Collects and renders metrics. */
export class Metrics {
  readonly #store: Store;
  readonly #finished = new Map<string, number>();
  readonly #durations = new Map<string, Histogram>();
  readonly #requests = new Map<string, number>();
  readonly #startedAt = Date.now();
  readonly #now: () => number;
  /** The same endings as a time series, for `get_stats`. */
  readonly stats: JobStats;

  constructor(store: Store, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
    this.stats = new JobStats({ now });
  }

  /** A job run by this process ended. */
  jobEnded(job: JobRecord, _outcome: Outcome, result: TransitionResult | null): void {
    if (!result?.ok) return;
    const status = result.job.status;
    const key = `${job.runner}\u0000${status}`;
    this.#finished.set(key, (this.#finished.get(key) ?? 0) + 1);
    const now = this.#now();
    const seconds = (now - (job.started_at ?? now)) / 1000;
    if (isFinal(status)) this.stats.record(status as FinalStatus, seconds * 1000);
    let h = this.#durations.get(job.runner);
    if (!h) {
      this.#durations.set(
        job.runner,
        h = { buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 },
      );
    }
    DURATION_BUCKETS.forEach((bound, i) => seconds <= bound && h!.buckets[i]++);
    h.sum += seconds;
    h.count++;
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
    for (const [runner, n] of Object.entries(await queueDepths(this.#store, runners))) {
      out.push(`hero_queue_depth${labels({ runner })} ${n}`);
    }

    family(
      "hero_jobs_finished_total",
      "counter",
      "Jobs this supervisor's runners finished, by outcome.",
    );
    for (const [key, n] of this.#finished) {
      const [runner, status] = key.split("\u0000");
      out.push(`hero_jobs_finished_total${labels({ runner, status })} ${n}`);
    }

    family(
      "hero_job_duration_seconds",
      "histogram",
      "How long jobs ran on this supervisor's runners.",
    );
    for (const [runner, h] of this.#durations) {
      DURATION_BUCKETS.forEach((bound, i) =>
        out.push(
          `hero_job_duration_seconds_bucket${labels({ runner, le: String(bound) })} ${
            h.buckets[i]
          }`,
        )
      );
      out.push(`hero_job_duration_seconds_bucket${labels({ runner, le: "+Inf" })} ${h.count}`);
      out.push(`hero_job_duration_seconds_sum${labels({ runner })} ${h.sum}`);
      out.push(`hero_job_duration_seconds_count${labels({ runner })} ${h.count}`);
    }

    const statuses = await runners.statuses();
    family("hero_runner_up", "gauge", "1 when a runner takes jobs (running), else 0.");
    for (const r of statuses) {
      out.push(
        `hero_runner_up${labels({ runner: r.name, state: r.state })} ${
          r.state === "running" ? 1 : 0
        }`,
      );
    }
    family("hero_runner_busy", "gauge", "Jobs running on each runner.");
    for (const r of statuses) out.push(`hero_runner_busy${labels({ runner: r.name })} ${r.busy}`);
    family("hero_runner_restarts_total", "counter", "Restarts of each runner by its supervision.");
    for (const r of statuses) {
      out.push(`hero_runner_restarts_total${labels({ runner: r.name })} ${r.restarts}`);
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

    family("process_resident_memory_bytes", "gauge", "Resident memory of the supervisor.");
    out.push(`process_resident_memory_bytes ${Deno.memoryUsage().rss}`);
    family("process_start_time_seconds", "gauge", "When the supervisor started.");
    out.push(`process_start_time_seconds ${this.#startedAt / 1000}`);
    return out.join("\n") + "\n";
  }
}
