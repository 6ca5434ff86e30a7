import { cpuUsage } from "node:process";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { TestRedis } from "../_helpers/redis_server.ts";
import { cpuSpent, readCpu } from "../../bench/cpu_usage.ts";

Deno.test("cpu usage: a busy process and a busy Redis show in what was spent", async () => {
  const redis = await TestRedis.start();
  try {
    const before = await readCpu([Deno.pid], redis.port);
    assert(before, "Linux has /proc");
    // Busy here for 300 ms of CPU (by this process's own clock, whatever else the machine does)...
    const start = cpuUsage();
    while ((cpuUsage().user + cpuUsage().system - start.user - start.system) / 1000 < 300) {
      /* spin */
    }
    // ...and in Redis: a Lua loop it runs on its own thread.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: redis.port });
    const script = "local n = 0 for i = 1, 30000000 do n = n + i end return n";
    await conn.write(new TextEncoder().encode(`EVAL "${script}" 0\r\n`));
    await conn.read(new Uint8Array(64));
    conn.close();
    const spent = cpuSpent(before, await readCpu([Deno.pid], redis.port))!;
    // /proc counts in 10 ms ticks.
    assert(spent.processes[0] >= 290, `this process spent ${spent.processes[0]} ms`);
    assert(spent.redis >= 20, `Redis spent ${spent.redis} ms`);
    assert(spent.busyShare > 0 && spent.busyShare <= 1, `busy share ${spent.busyShare}`);
  } finally {
    await redis.stop();
  }
});

Deno.test("cpu usage: no reading, no breakdown", () => {
  assertEquals(cpuSpent(null, null), null);
});

Deno.test("cpu usage: a Redis port that hangs up is a clear error, not a wait", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    for await (const conn of listener) conn.close();
  })();
  try {
    await assert.rejects(
      readCpu([Deno.pid], listener.addr.port),
      /Redis closed the connection during INFO/,
    );
  } finally {
    listener.close();
    await accepting;
  }
});
