/**
 * One Ctrl-C (SIGINT to the process group, as a terminal sends it) or one
 * SIGTERM to the group (as systemd sends it) to `deno task serve` is one
 * graceful stop, though the supervisor gets it twice (from the group, and
 * forwarded by `deno task`): the running job finishes, the supervisor exits
 * 0, and nothing is force-killed.
 */

import { probeHost } from "../../server/sandbox/probe.ts";
import type { Job, RunnerStatus } from "../../shared/types.generated.ts";
import { assertEquals, eventually } from "../_helpers/assert.ts";
import { ROOT } from "../_helpers/command.ts";
import { freePort } from "../_helpers/ports.ts";
import { RpcCaller } from "../_helpers/rpc.ts";
import { SECRETS, SupervisorProcess } from "../_helpers/supervisor.ts";

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test(`one ${signal} to the group of deno task serve: one graceful stop, the job finishes`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "hero-signal-" });
    const port = freePort();
    const config = `${dir}/config.toml`;
    await Deno.writeTextFile(
      config,
      `port = ${port}\ndata_dir = "${dir}"\nadmin_secrets = ["${SECRETS.admin}"]\n` +
        `[[runners]]\nname = "work"\nkind = "script"\ninstances = 1\n`,
    );
    // Its own process group, led by `deno task` (setsid execs it with the same pid).
    const task = new Deno.Command("setsid", {
      args: [Deno.execPath(), "task", "serve", "--config", config],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = task.output();
    const rpc = new RpcCaller(`http://127.0.0.1:${port}`, SECRETS.admin);
    try {
      const status = await eventually(
        async () => {
          const st = await rpc.call<RunnerStatus>("get_runner_status", { name: "work" })
            .catch(() => null);
          return st?.state === "running" ? st : null;
        },
        30_000,
        "the supervisor up",
      );
      // The task's permissions let it use every layer this host has (cgroups live under /sys,
      // process facts under /proc: Deno grants those with --allow-all only).
      const host = await probeHost();
      const os = (have: boolean) => have ? "os" : "deno-only";
      assertEquals(
        [status.sandbox?.fs, status.sandbox?.memory],
        [os(host.bwrap !== null), os(host.cgroups !== null)],
        "the task's runner is confined by every layer the host has",
      );
      const id = await rpc.call<string>("queue_job_to_runner", {
        runner: "work",
        job: {
          payload: "console.log('started'); await new Promise((r) => setTimeout(r, 1500)); " +
            "export default 'finished';",
        },
      });
      await eventually(async () =>
        (await rpc.call<{ lines: unknown[] }>("job.logs", { job_id: id })).lines.length > 0
      );
      Deno.kill(-task.pid, signal);
      const out = await output;
      const text = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 0, text);
      assertEquals(text.includes("again: killing"), false, text);
      assertEquals(text.includes("stopped"), true, text);
      // The job ended as it would have: completed, not failed or cut short.
      const after = await SupervisorProcess.start("", dir);
      try {
        const job = await after.admin.call<Job>("job.get", { job_id: id });
        assertEquals([job.status, job.result], ["completed", "finished"]);
      } finally {
        after.signal("SIGTERM");
        await after.exited();
      }
    } finally {
      try {
        Deno.kill(-task.pid, "SIGKILL");
      } catch {
        // Gone.
      }
      await output.catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  });
}
