/**
 * `GET /metrics` read by an independent Prometheus text parser, and
 * `get_stats`: the counters move as jobs run.
 *
 * @module
 */

import parsePrometheus from "parse-prometheus-text-format";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { SECRETS, startSupervisor, type TestSupervisor } from "../_helpers/supervisor.ts";

interface Family {
  name: string;
  help: string;
  type: string;
  metrics: {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }[];
}

interface Scrape {
  families: Map<string, Family>;
  text: string;
}

async function scrape(s: TestSupervisor): Promise<Scrape> {
  const res = await fetch(`${s.url}/metrics`, {
    headers: { authorization: `Bearer ${SECRETS.admin}` },
  });
  assertEquals(res.status, 200);
  assert(res.headers.get("content-type")!.startsWith("text/plain; version=0.0.4"));
  const text = await res.text();
  const families = parsePrometheus(text) as Family[];
  for (const f of families) assert(f.help && f.type, `${f.name} has HELP and TYPE`);
  return { families: new Map(families.map((f) => [f.name, f])), text };
}

/**
 * A histogram's series from the raw text (the parser keeps only the
 * buckets of labelled histograms): per label set, cumulative bucket counts
 * in `le` order, `_count` and `_sum`.
 */
function histogram(text: string, name: string) {
  const series = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  const line = new RegExp(`^${name}_(bucket|count|sum)\\{([^}]*)\\} (\\S+)$`, "gm");
  for (const [, part, labelText, value] of text.matchAll(line)) {
    const labels = Object.fromEntries(
      [...labelText.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]),
    );
    const { le, ...rest } = labels;
    const key = JSON.stringify(rest);
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (part === "bucket") {
      entry.buckets.push([le === "+Inf" ? Infinity : Number(le), Number(value)]);
    } else entry[part as "count" | "sum"] = Number(value);
  }
  return series;
}

/** The value of the sample of `family` whose labels include `labels` (0 when absent). */
function sample(
  { families }: Scrape,
  family: string,
  labels: Record<string, string> = {},
): number {
  const f = families.get(family);
  assert(f, `no family ${family}`);
  const m = f.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return m ? Number(m.value ?? m.count) : 0;
}

const RUNNERS = [
  { name: "default", kind: "noop" as const, instances: 2 },
  { name: "scripts", kind: "script" as const, instances: 1 },
];

Deno.test("GET /metrics: Prometheus text whose counters move as jobs run", async () => {
  await using s = await startSupervisor({ runners: RUNNERS });
  const anonymous = await fetch(`${s.url}/metrics`);
  assertEquals(anonymous.status, 401);
  await anonymous.body?.cancel();
  const user = await fetch(`${s.url}/metrics`, {
    headers: { authorization: `Bearer ${SECRETS.user}` },
  });
  assertEquals(user.status, 403);
  await user.body?.cancel();

  const before = await scrape(s);
  for (let i = 0; i < 5; i++) {
    await s.user.call("job.run", { job: { runner: "default", payload: "x" } });
  }
  const failed = await s.user.call<{ error?: string }>("job.run", {
    job: { runner: "scripts", payload: "throw new Error('on purpose');" },
  });
  assert(failed.error?.includes("on purpose"));
  // Two attempts, one retry: a retry is counted as one, not as a finished job.
  const retried = await s.user.call<{ error?: string }>("job.run", {
    job: { runner: "scripts", payload: "throw new Error('again');", retries: 1 },
  });
  assert(retried.error?.includes("after 2 attempts"), retried.error);
  await s.user.error("job.status", { job_id: "no-such-job" });
  const after = await scrape(s);

  const moved = (family: string, labels: Record<string, string>) =>
    sample(after, family, labels) - sample(before, family, labels);
  assertEquals(moved("hero_jobs_finished_total", { runner: "default", status: "completed" }), 5);
  assertEquals(moved("hero_jobs_finished_total", { runner: "scripts", status: "failed" }), 2);
  assertEquals(moved("hero_jobs", { status: "completed" }), 5);
  assertEquals(moved("hero_jobs", { status: "failed" }), 2);
  assertEquals(
    after.families.get("hero_jobs_finished_total")!.metrics.some((m) =>
      m.labels?.status === "queued"
    ),
    false,
    "a retry is not a finished job",
  );
  assertEquals(moved("hero_job_retries_total", { runner: "scripts", reason: "error" }), 1);
  // Per method: counts by outcome, and latency.
  assertEquals(moved("hero_rpc_requests_total", { method: "job.run", code: "ok" }), 7);
  assertEquals(moved("hero_rpc_requests_total", { method: "job.status", code: "-32004" }), 1);
  const rpcSeries = histogram(after.text, "hero_rpc_duration_seconds");
  assert((rpcSeries.get('{"method":"job.run"}')?.count ?? 0) >= 7);
  const build = after.families.get("hero_build_info")!.metrics[0];
  assertEquals([build.value, build.labels?.deno], ["1", Deno.version.deno]);
  assert(moved("hero_http_requests_total", { route: "rpc", code: "200" }) >= 6);
  assertEquals(sample(after, "hero_http_requests_total", { route: "metrics", code: "401" }), 1);
  assertEquals(sample(after, "hero_http_requests_total", { route: "metrics", code: "403" }), 1);

  // The duration histogram: one observation per job, cumulative buckets.
  assertEquals(after.families.get("hero_job_duration_seconds")!.type, "HISTOGRAM");
  const series = histogram(after.text, "hero_job_duration_seconds");
  assertEquals([...series.keys()].sort(), ['{"runner":"default"}', '{"runner":"scripts"}']);
  assertEquals(series.get('{"runner":"default"}')!.count, 5);
  assertEquals(series.get('{"runner":"scripts"}')!.count, 2);
  for (const { buckets, count, sum } of series.values()) {
    assert(
      buckets.every(([le, c], i) => i === 0 || (le > buckets[i - 1][0] && c >= buckets[i - 1][1])),
    );
    assertEquals(buckets.at(-1), [Infinity, count!], "+Inf counts them all");
    assert(sum! >= 0);
  }

  assertEquals(sample(after, "hero_queue_depth", { runner: "default" }), 0);
  assertEquals(
    after.families.get("hero_queue_depth")!.metrics.length,
    2,
    "every runner, idle ones too",
  );
  assertEquals(sample(after, "hero_runner_up", { runner: "default" }), 1);
  // The state is its own set of series: one per state, the current one 1, so a change of state
  // keeps every series (no series appears or vanishes).
  const states = after.families.get("hero_runner_state")!.metrics.filter((m) =>
    m.labels?.runner === "default"
  );
  assertEquals(states.length, 9); // every RunnerState, `completed` too
  assertEquals(states.filter((m) => m.value === "1").map((m) => m.labels?.state), ["running"]);
  assertEquals(sample(after, "hero_runner_busy", { runner: "scripts" }), 0);
  assertEquals(sample(after, "hero_runner_restarts_total", { runner: "scripts" }), 0);
  assert(sample(after, "process_resident_memory_bytes") > 10_000_000);
});

Deno.test("GET /metrics passes promtool check metrics", async () => {
  await using s = await startSupervisor({ runners: RUNNERS });
  await s.user.call("job.run", { job: { runner: "default", payload: "x" } });
  const { text } = await scrape(s);
  const promtool = new Deno.Command("promtool", {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = promtool.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await promtool.output();
  const said = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert(out.success && said.trim() === "", `promtool: ${said}`);
});

Deno.test("GET /metrics is 404 when the config disables it", async () => {
  await using s = await startSupervisor({ metrics: false });
  const res = await fetch(`${s.url}/metrics`, {
    headers: { authorization: `Bearer ${SECRETS.admin}` },
  });
  assertEquals(res.status, 404);
  assertEquals((await res.json()).error.message, "metrics are disabled");
});

interface Stats {
  bucket_s: number;
  buckets: {
    start: number;
    completed: number;
    failed: number;
    run_p50_ms?: number;
    run_p95_ms?: number;
  }[];
  jobs: Record<string, number>;
  queued: Record<string, number>;
}

Deno.test("get_stats: jobs ended per bucket with run times, counts and every queue", async () => {
  await using s = await startSupervisor({ runners: RUNNERS });
  const empty = await s.user.call<Stats>("get_stats", { minutes: 1 });
  assertEquals(empty.bucket_s, 10);
  assertEquals(empty.buckets.length, 6);
  assertEquals(empty.buckets.reduce((n, b) => n + b.completed + b.failed, 0), 0);
  assertEquals(empty.queued, { default: 0, scripts: 0 });

  for (let i = 0; i < 3; i++) {
    await s.user.call("job.run", { job: { runner: "default", payload: "x" } });
  }
  await s.user.call("job.run", {
    job: {
      runner: "scripts",
      payload: "await new Promise((r) => setTimeout(r, 200)); throw new Error('late');",
    },
  });
  const stats = await s.user.call<Stats>("get_stats", {});
  assertEquals(stats.buckets.length, 90, "15 minutes of 10 s buckets by default");
  assertEquals(stats.buckets.reduce((n, b) => n + b.completed, 0), 3);
  assertEquals(stats.buckets.reduce((n, b) => n + b.failed, 0), 1);
  assertEquals([stats.jobs.completed, stats.jobs.failed, stats.jobs.total], [3, 1, 4]);
  const timed = stats.buckets.filter((b) => b.run_p50_ms !== undefined);
  assert(timed.length >= 1, "the jobs that ended are timed");
  // The three noop jobs take about nothing, the script about 200 ms: it is the p95.
  const slowest = Math.max(...stats.buckets.map((b) => b.run_p95_ms ?? 0));
  assert(slowest >= 150, `the failing script ran about 200 ms, p95 says ${slowest}`);
  const bad = await s.user.error("get_stats", { minutes: 61 });
  assertEquals(bad.code, -32602);
});
