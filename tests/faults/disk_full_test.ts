/**
 * A full disk under the embedded store, for real: `data_dir` on a small
 * tmpfs, filled up while the supervisor runs. Calls that write fail with
 * -32003 naming the cause (not "cannot rollback"), `/health` answers 503
 * with it, reads still work, and once space is freed everything does again.
 * Mounting needs root (CI runs as root); elsewhere the test is skipped and
 * says so.
 */

import { assertEquals, assertMatch, eventually } from "../_helpers/assert.ts";
import { startSupervisor } from "../_helpers/supervisor.ts";

/** Mounts a tmpfs of `size` on a new dir; null when this user cannot. */
async function mountTmpfs(size: string): Promise<string | null> {
  if (Deno.uid() !== 0) return null;
  const dir = await Deno.makeTempDir({ prefix: "hero-full-" });
  const out = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir],
    stdout: "null",
    stderr: "null",
  }).output();
  if (!out.success) {
    await Deno.remove(dir);
    return null;
  }
  return dir;
}

const mountable = await mountTmpfs("1m");
if (mountable) {
  await new Deno.Command("umount", { args: [mountable] }).output();
  await Deno.remove(mountable);
}

Deno.test({
  name: "a full disk: -32003 with the cause, /health 503, and back once there is room",
  ignore: mountable === null && (console.error("skipped: mounting a tmpfs needs root"), true),
  fn: async () => {
    const disk = (await mountTmpfs("4m"))!;
    try {
      await using s = await startSupervisor({ data_dir: `${disk}/data` });
      const id = await s.user.call<string>("jobs.create", {
        job: { runner: "default", payload: "x" },
      });
      // Fill what is left, to the last byte.
      const filler = await Deno.open(`${disk}/filler`, { write: true, create: true });
      const block = new Uint8Array(64 * 1024);
      try {
        while (true) await filler.write(block);
      } catch {
        // No space left on device.
      }
      filler.close();
      const error = await eventually(async () => {
        // The WAL may still have room for a page or two: write until it is full.
        const e = await s.user.error("jobs.create", {
          job: { runner: "default", payload: "y".repeat(200_000) },
        }).catch(() => null);
        return e?.code === -32003 ? e : null;
      });
      assertMatch(error.message, /cannot write: database or disk is full/);
      const health = await fetch(`${s.url}/health`);
      const body = await health.json();
      assertEquals([health.status, body.status], [503, "degraded"]);
      assertMatch(body.error, /database or disk is full/);
      // Reads go on.
      assertEquals(
        (await s.user.call<{ status: string }>("job.status", { job_id: id })).status,
        "created",
      );
      await Deno.remove(`${disk}/filler`);
      await eventually(async () => {
        const res = await fetch(`${s.url}/health`);
        await res.body?.cancel();
        return res.status === 200;
      });
      await s.user.call("jobs.create", { job: { runner: "default", payload: "z" } });
    } finally {
      await new Deno.Command("umount", { args: ["-l", disk] }).output();
      await Deno.remove(disk, { recursive: true }).catch(() => {});
    }
  },
});
