/**
 * One owner per `data_dir`, private files, and a failed start that leaves
 * nothing behind, with real supervisor processes: a second supervisor on a
 * data_dir in use exits naming the owner and changes nothing (the first
 * one's running job completes); files are 0700/0600; a port in use stops
 * the start before anything is created, naming the address.
 */

import type { Job } from "../../shared/types.generated.ts";
import { assert, assertEquals, assertMatch, eventually } from "../_helpers/assert.ts";
import { runDeno } from "../_helpers/command.ts";
import { pathExists } from "../_helpers/files.ts";
import { freePort } from "../_helpers/ports.ts";
import { SECRETS, SupervisorProcess } from "../_helpers/supervisor.ts";

const SERVE = new URL("../../server/main.ts", import.meta.url).pathname;
const mode = async (path: string) => (await Deno.stat(path)).mode! & 0o777;

Deno.test("a second supervisor on a data_dir in use exits, naming the owner, and changes nothing", async () => {
  const runner = `[[runners]]\nname = "work"\nkind = "script"\ninstances = 1\n`;
  const first = await SupervisorProcess.start(runner);
  try {
    await eventually(async () =>
      (await first.admin.call<{ state: string }>("get_runner_status", { name: "work" })).state ===
        "running"
    );
    const id = await first.admin.call<string>("queue_job_to_runner", {
      runner: "work",
      job: { payload: "await new Promise((r) => setTimeout(r, 1500)); export default 'done';" },
    });
    await eventually(async () =>
      (await first.admin.call<Job>("job.get", { job_id: id })).status === "running"
    );
    const before = await Deno.readFile(`${first.dataDir}/supervisor.db`);
    const second = await runDeno([
      "run",
      "-A",
      SERVE,
      "--config",
      `${first.dataDir}/config.toml`,
      "--port",
      String(freePort()),
    ]);
    assertEquals(second.code, 1);
    assertMatch(
      second.stderr,
      new RegExp(`data_dir ${first.dataDir} is in use by pid ${first.pid}`),
    );
    // The first goes on as if nothing happened.
    assertEquals(await first.admin.call("job.result", { job_id: id, wait_ms: 20_000 }), {
      success: "done",
    });
    assert(before.length > 0);
    const jobs = await first.admin.call<Job[]>("jobs.list", {});
    assertEquals(jobs.map((j) => j.status), ["completed"]);
  } finally {
    first.signal("SIGTERM");
    await first.exited();
    await Deno.remove(first.dataDir, { recursive: true });
  }
});

Deno.test("data_dir is 0700; the database, its WAL, the lock and a generated secret are 0600", async () => {
  const parent = await Deno.makeTempDir({ prefix: "hero-modes-" });
  const dataDir = `${parent}/fresh/data`;
  const config = `${parent}/config.toml`;
  const port = freePort();
  // No secret configured: one is generated into data_dir.
  await Deno.writeTextFile(config, `port = ${port}\ndata_dir = "${dataDir}"\n`);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SERVE, "--config", config],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output();
  try {
    await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => null);
      await res?.body?.cancel();
      return res?.ok;
    }, 20_000);
    assertEquals(await mode(dataDir), 0o700);
    for (const file of ["supervisor.db", "supervisor.db-wal", "supervisor.lock", "admin.secret"]) {
      assertEquals((await mode(`${dataDir}/${file}`)).toString(8), "600", file);
    }
  } finally {
    child.kill("SIGTERM");
    await output;
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("a port in use: the start names the address and creates nothing", async () => {
  const parent = await Deno.makeTempDir({ prefix: "hero-port-" });
  const dataDir = `${parent}/data`;
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    await Deno.writeTextFile(
      `${parent}/config.toml`,
      `port = ${port}\ndata_dir = "${dataDir}"\nadmin_secrets = ["${SECRETS.admin}"]\n`,
    );
    const out = await runDeno(["run", "-A", SERVE, "--config", `${parent}/config.toml`]);
    assertEquals(out.code, 1);
    assertMatch(
      out.stderr,
      new RegExp(
        `cannot start: cannot listen on 127\\.0\\.0\\.1:${port}: the address is in use ` +
          `\\(is another supervisor running there\\?\\)`,
      ),
    );
    assertEquals(await pathExists(dataDir), false, "no data_dir, no database, no secret");
    // Without a secret configured, nothing was generated (and so nothing was printed).
    assert(!out.stdout.trim(), out.stdout);
  } finally {
    taken.close();
    await Deno.remove(parent, { recursive: true });
  }
});
