/**
 * A supervisor's link to the notices of the others (Redis pub/sub) drops
 * and stays down for a while, its other connections up: what was announced
 * meanwhile never comes. Once the link is back, it looks at the store for
 * what it waited on: a `job.run` whose job ended elsewhere answers, and a
 * secret removed elsewhere is refused. Before, the first waited for the
 * job's timeout, and the second stayed valid until the next change of
 * secrets.
 */

import type { RunnerStatus } from "../../shared/types.generated.ts";
import { assertEquals, eventually } from "../_helpers/assert.ts";
import { TestRedis } from "../_helpers/redis_server.ts";
import { RpcCaller, WireRpcError } from "../_helpers/rpc.ts";
import { startSupervisor } from "../_helpers/supervisor.ts";
import { TcpProxy } from "../_helpers/tcp_proxy.ts";

Deno.test("notices missed while the link was down: job.run answers, a removed secret is refused", async (t) => {
  const redis = await TestRedis.start();
  const proxy = new TcpProxy(redis.port);
  try {
    await using a = await startSupervisor({
      redis_url: redis.url,
      runners: [{ name: "work", kind: "noop", instances: 1 }],
    });
    // b reaches Redis through the proxy: its notices' connection is the one to cut.
    await using b = await startSupervisor({
      redis_url: `redis://127.0.0.1:${proxy.port}`,
      runners: [],
    });
    /** b's notices stop: their connection cut, and no new one let through until `heal`. */
    const partition = () => {
      proxy.refuse(true);
      assertEquals(proxy.cutWhere("SUBSCRIBE"), 1, "b's one subscriber connection");
    };
    const heal = () => proxy.refuse(false);

    await t.step("a job.run through b of a job that ended on a meanwhile answers", async () => {
      await eventually(async () =>
        (await b.admin.call<RunnerStatus>("get_runner_status", { name: "work" })).state ===
          "remote"
      );
      partition();
      let answer: unknown = undefined;
      const run = b.admin.call("job.run", {
        job: { id: "missed-end", runner: "work", payload: "x", timeout: 3600 },
      }).then((result) => (answer = result), (error) => (answer = error));
      await eventually(
        async () =>
          (await a.admin.call<{ status: string }>("job.get", { job_id: "missed-end" })).status ===
            "completed",
        30_000,
        "the job completed on a",
      );
      assertEquals(answer, undefined, "b cannot have heard of it yet");
      heal();
      await eventually(() => answer !== undefined, 30_000, "b's job.run answered");
      assertEquals(answer, { success: null });
      await run;
    });

    await t.step("a secret removed on a while b's link was down is refused by b", async () => {
      const value = "user-secret-missed-0001";
      await a.admin.call("add_secret", { kind: "user", value });
      const onB = new RpcCaller(b.url, value);
      await eventually(() => onB.call("whoami", {}).then(() => true, () => false));
      partition();
      await a.admin.call("remove_secret", { kind: "user", value });
      heal();
      await eventually(
        () => onB.call("whoami", {}).then(() => false, (e) => e instanceof WireRpcError),
        30_000,
        "the removed secret refused by b",
      );
    });
  } finally {
    await proxy.close();
    await redis.stop();
  }
});
