/**
 * `kill -9` of the supervisor with 200 jobs created, queued and running:
 * restarted on the same data, every job is there with its status, and all
 * complete once a runner is up. On both stores. What the killed one left in
 * the temp dir, the next one removes.
 */

import { SqliteStore } from "../../server/store/sqlite_store.ts";
import { RedisStore } from "../../server/store/redis_store.ts";
import type { Store } from "../../server/store/store.ts";
import type { Job } from "../../shared/types.generated.ts";
import { assertEquals, eventually } from "../_helpers/assert.ts";
import { pathExists, runtimeDirOf } from "../_helpers/files.ts";
import { TestRedis } from "../_helpers/redis_server.ts";
import { SupervisorProcess } from "../_helpers/supervisor.ts";

const RUNNERS = `
[[runners]]
name = "work"
kind = "noop"
instances = 8

[[runners]]
name = "slow"
kind = "script"
instances = 5
`;

async function scenario(
  extraToml: string,
  openStore: (dataDir: string) => Promise<Store>,
): Promise<void> {
  const toml = extraToml + "lease = 2\n" + RUNNERS;
  const first = await SupervisorProcess.start(toml);
  const { admin } = first;
  await admin.call("stop_runner", { name: "work" });
  await eventually(async () =>
    (await admin.call<{ state: string }>("get_runner_status", { name: "slow" })).state === "running"
  );
  const queued: string[] = [];
  const created: string[] = [];
  const running: string[] = [];
  for (let i = 0; i < 100; i++) {
    queued.push(
      await admin.call<string>("queue_job_to_runner", { runner: "work", job: { payload: "x" } }),
    );
  }
  for (let i = 0; i < 95; i++) {
    created.push(
      await admin.call<string>("jobs.create", { job: { runner: "work", payload: "x" } }),
    );
  }
  for (let i = 0; i < 5; i++) {
    running.push(
      await admin.call<string>("queue_job_to_runner", {
        runner: "slow",
        job: {
          retries: 1,
          payload: "await new Promise((r) => setTimeout(r, 1500)); export default 'slept';",
        },
      }),
    );
  }
  await eventually(async () => {
    for (const id of running) {
      if ((await admin.call<Job>("job.get", { job_id: id })).status !== "running") return false;
    }
    return true;
  });
  const { pids } = await admin.call<{ pids: number[] }>("get_runner_status", { name: "slow" });
  const leftByFirst = runtimeDirOf(pids[0]);
  await first.kill();

  // What the store holds after the kill, read directly.
  const store = await openStore(first.dataDir);
  const statuses = new Map((await store.listJobs({ limit: 1000 })).map((j) => [j.id, j.status]));
  await store.close();
  assertEquals(statuses.size, 200, "all 200 jobs are stored");
  for (const id of queued) assertEquals(statuses.get(id), "queued");
  for (const id of created) assertEquals(statuses.get(id), "created");
  for (const id of running) assertEquals(statuses.get(id), "running");

  const second = await SupervisorProcess.start(toml, first.dataDir);
  try {
    // The first one could not clean up: the second removed what it left in the temp dir.
    assertEquals(await pathExists(leftByFirst), false, leftByFirst);
    for (const id of created) await second.admin.call("job.start", { job_id: id });
    const final = await eventually(
      async () => {
        const jobs = await second.admin.call<Job[]>("jobs.list", { limit: 1000 });
        return jobs.length === 200 && jobs.every((j) => j.status === "completed") ? jobs : null;
      },
      30_000,
      "all 200 jobs completed",
    );
    const slow = final.filter((j) => running.includes(j.id));
    assertEquals(slow.map((j) => j.result), Array(5).fill("slept"));
    // The interrupted ones ran again: a second attempt.
    assertEquals(slow.map((j) => j.attempts), Array(5).fill(2));
  } finally {
    second.signal("SIGTERM");
    await second.exited();
    await Deno.remove(first.dataDir, { recursive: true });
  }
}

Deno.test("kill -9 of the supervisor loses nothing (embedded store)", async () => {
  await scenario("", (dir) => Promise.resolve(new SqliteStore(`${dir}/supervisor.db`)));
});

Deno.test("kill -9 of the supervisor loses nothing (Redis)", async () => {
  const redis = await TestRedis.start({ appendonly: true });
  try {
    await scenario(
      `redis_url = "${redis.url}"\n`,
      () => RedisStore.connect({ url: redis.url, namespace: "hero", origin: "test" }),
    );
  } finally {
    await redis.stop();
  }
});
