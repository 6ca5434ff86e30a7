/**
 * Redis killed under load and restarted (appendonly yes): the supervisor
 * reconnects by itself, callers get a clear -32003 meanwhile, and no job
 * that was acknowledged is lost: each is found, and completes. A `job.run`
 * starts its job while the job's record is on its way: one that answered is
 * stored and completed too, and none is left running.
 */

import type { Job } from "../../shared/types.generated.ts";
import { assertEquals, assertMatch, eventually, sleep } from "../_helpers/assert.ts";
import { TestRedis } from "../_helpers/redis_server.ts";
import { WireRpcError } from "../_helpers/rpc.ts";
import { startSupervisor } from "../_helpers/supervisor.ts";

Deno.test("a Redis outage under load: clear errors, reconnection, nothing acknowledged lost", async () => {
  const redis = await TestRedis.start({ appendonly: true });
  const s = await startSupervisor({
    redis_url: redis.url,
    // Jobs in flight keep their runner: once Redis is back, the reaper leaves the leases that ran
    // out meanwhile for one lease more, and the runner renews them; one retry for any that lose
    // it anyway (at least once).
    lease: 10,
    runners: [{ name: "work", kind: "noop", instances: 16 }],
  });
  try {
    const acknowledged: string[] = [];
    const errors: { code: number; message: string }[] = [];
    let running = true;
    const producer = async (n: number) => {
      for (let i = 0; running; i++) {
        try {
          acknowledged.push(
            await s.admin.call<string>("queue_job_to_runner", {
              runner: "work",
              job: { id: `p${n}-${i}`, payload: "x", retries: 1 },
            }),
          );
        } catch (error) {
          if (!(error instanceof WireRpcError)) throw error;
          errors.push(error.error);
          await sleep(20);
        }
      }
    };
    let runs = 0;
    const runner = async () => {
      while (running) {
        try {
          const result = await s.admin.call("job.run", {
            job: { runner: "work", payload: "x", caller_id: "run-producer" },
          });
          assertEquals(result, { success: null });
          runs++;
        } catch (error) {
          if (!(error instanceof WireRpcError)) throw error;
          errors.push(error.error);
          await sleep(20);
        }
      }
    };
    // A caller's unexpected error is kept for the end: left dangling, it would cancel the test
    // and hide the condition that was waited for (and a failing wait would leave callers
    // running into the closed supervisor).
    let callerError: unknown = null;
    const producers = [...Array.from({ length: 4 }, (_, n) => producer(n)), runner()].map((p) =>
      p.catch((error) => {
        callerError ??= error;
        running = false;
      })
    );
    // Conditions, not durations: load before, callers told during, load again after. A
    // caller's unexpected error ends the wait at once, and is what the test reports.
    const until = async (condition: () => boolean, what: string) => {
      // Where the callers stand, for a wait that fails.
      const state = () =>
        `${what}: ${acknowledged.length} acknowledged, ${runs} runs, ${errors.length} errors` +
        (errors.length ? `, the last: ${errors.at(-1)!.message}` : "");
      await eventually(() => callerError !== null || condition(), 30_000, what).catch((e) => {
        throw new Error(`${e.message}; ${state()}`);
      });
      if (callerError) throw callerError;
    };
    await until(() => acknowledged.length > 20 && runs > 5, "load before the outage");
    const before = acknowledged.length;
    await redis.kill();
    await until(() => errors.length > 0, "callers told during the outage");
    await redis.restart();
    const runsBack = runs;
    await until(
      () => acknowledged.length > before + 20 && runs > runsBack + 5,
      "jobs taken again after Redis came back",
    );
    running = false;
    await Promise.all(producers);
    if (callerError) throw callerError;
    for (const error of errors) {
      assertEquals(error.code, -32003, error.message);
      assertMatch(error.message, /store \(Redis at .*\) is unavailable/);
    }
    // Every acknowledged job is there and completes.
    let pending: string[] = [];
    await eventually(
      async () => {
        const jobs = await s.sup.store.getJobs(acknowledged);
        pending = jobs.map((j, i) =>
          `${acknowledged[i]}: ${j?.status ?? "missing"} ${j?.error ?? ""}`
        )
          .filter((_, i) => jobs[i]?.status !== "completed");
        return pending.length === 0;
      },
      30_000,
      "every acknowledged job completed",
    ).catch((e) => {
      throw new Error(`${e.message}; not completed: ${pending.slice(0, 5).join("; ")}`);
    });
    // Every job.run that answered left its job stored and completed; none runs on.
    let runState = "";
    await eventually(
      async () => {
        // All of them, page by page (a fast machine answers more than a page).
        const runJobs: Job[] = [];
        for (let page: Job[] = []; runJobs.length === 0 || page.length === 1000;) {
          page = await s.admin.call<Job[]>("jobs.list", {
            caller_id: "run-producer",
            limit: 1000,
            ...(runJobs.length ? { before: runJobs.at(-1)!.id } : {}),
          });
          runJobs.push(...page);
          if (page.length === 0) break;
        }
        const done = runJobs.filter((j) => j.status === "completed").length;
        const others = runJobs.filter((j) => j.status !== "completed");
        runState = `${done} completed of ${runs} answered; others: ${
          others.slice(0, 5).map((j) => `${j.id} ${j.status} ${j.error ?? ""}`).join("; ")
        }`;
        return done >= runs && runJobs.every((j) => j.status !== "running");
      },
      30_000,
      "every answered job.run stored as completed, none left running",
    ).catch((e) => {
      throw new Error(`${e.message}; ${runState}`);
    });
    const sample = await s.admin.call<Job>("job.get", { job_id: acknowledged.at(-1) });
    assertEquals(sample.status, "completed");
    const health = await (await fetch(`${s.url}/health`)).json();
    assertEquals(health.status, "ok");
  } finally {
    await s.close();
    await redis.stop();
  }
});
