/**
 * The permissions, with real jobs in real session processes, under both
 * layers: without a grant, reading, writing, a socket, an environment
 * variable, spawning a process and importing a remote module all fail with
 * a permission error in the job's error; with the matching grant each
 * succeeds (the OS layer takes nothing granted away). A job sees nothing of
 * the supervisor's environment or secrets.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { CGROUPS_HERE, LAYERS } from "../_helpers/sandbox.ts";
import { startSupervisor } from "../_helpers/supervisor.ts";

for (const layer of LAYERS) {
  Deno.test(`${layer}: each permission is refused without its grant and works with it`, async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "hero-sandbox-" });
    // A local server: a socket to open and a module to import.
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (req) =>
        new URL(req.url).pathname === "/mod.js"
          ? new Response("export default 'imported';", {
            headers: { "content-type": "application/javascript" },
          })
          : new Response("pong"),
    );
    const host = `127.0.0.1:${server.addr.port}`;
    Deno.env.set("HERO_SANDBOX_SECRET_MARKER", "supervisor-only-value");
    await using s = await startSupervisor({
      sandbox: layer === "os" ? "require" : "off",
      sandbox_cgroups: CGROUPS_HERE,
      runners: [
        { name: "bare", kind: "script", instances: 2 },
        {
          name: "granted",
          kind: "script",
          instances: 2,
          permissions: {
            read: ["/etc/hostname"],
            write: [dir],
            net: [host],
            env: ["HERO_JOB_VAR"],
            run: ["true"],
          },
        },
        { name: "all-env", kind: "script", instances: 1, permissions: { env: true, read: [dir] } },
      ],
    });
    await Promise.all(["bare", "granted", "all-env"].map((n) => s.sup.runners.get(n).whenReady()));
    const run = (runner: string, payload: string, env_vars?: Record<string, string>) =>
      s.user.call<{ success?: unknown; error?: string }>("job.run", {
        job: { runner, payload, ...(env_vars ? { env_vars } : {}) },
      });

    const cases: [string, string, RegExp, unknown][] = [
      [
        "reading /etc/hostname",
        `export default () => Deno.readTextFileSync("/etc/hostname").trim();`,
        /^NotCapable: Requires read access to "\/etc\/hostname"/,
        Deno.readTextFileSync("/etc/hostname").trim(),
      ],
      [
        "writing a file",
        `export default () => { Deno.writeTextFileSync(${
          JSON.stringify(`${dir}/out.txt`)
        }, "written"); return "ok"; };`,
        /^NotCapable: Requires write access to/,
        "ok",
      ],
      [
        "opening a socket",
        `export default async () => { const c = await Deno.connect({ hostname: "127.0.0.1", port: ${server.addr.port} }); c.close(); return "connected"; };`,
        /^NotCapable: Requires net access to "127\.0\.0\.1:\d+"/,
        "connected",
      ],
      [
        "reading an env var",
        `export default () => Deno.env.get("HERO_JOB_VAR");`,
        /^NotCapable: Requires env access to "HERO_JOB_VAR"/,
        "from-the-job",
      ],
      [
        "spawning a process",
        `export default () => new Deno.Command("true").outputSync().success;`,
        /^NotCapable: Requires run access to "true"/,
        true,
      ],
      [
        "importing a remote module",
        `export default async () => (await import("http://${host}/mod.js")).default;`,
        /Requires import access to "127\.0\.0\.1:\d+"/,
        "imported",
      ],
    ];
    for (const [what, payload, refusal, granted] of cases) {
      await t.step(what, async () => {
        const denied = await run("bare", payload, { HERO_JOB_VAR: "from-the-job" });
        assert(denied.error, `${what} without a grant must fail, got ${JSON.stringify(denied)}`);
        assertMatch(denied.error, refusal);
        const allowed = await run("granted", payload, { HERO_JOB_VAR: "from-the-job" });
        assertEquals(allowed, { success: granted }, what);
      });
    }

    await t.step("the job's env_vars come in its argument even without an env grant", async () => {
      assertEquals(
        await run("bare", "export default ({ job }) => job.env_vars.X;", { X: "given" }),
        { success: "given" },
      );
    });

    await t.step("a job sees none of the supervisor's environment or secrets", async () => {
      const env = await run("all-env", "export default () => Deno.env.toObject();");
      const names = Object.keys(env.success as Record<string, string>);
      assertEquals(names.includes("HERO_SANDBOX_SECRET_MARKER"), false);
      // HERO_LAUNCHED_BY names the supervisor's temp dir (as HOME does), so that a supervisor
      // started after this one was killed ends what it left (see launch_mark.ts).
      for (const name of names) {
        assertMatch(
          name,
          /^(PATH|HOME|PWD|NO_COLOR|DENO_DIR|DENO_NO_UPDATE_CHECK|DENO_EMIT_CACHE_MODE|HERO_LAUNCHED_BY)$/,
        );
      }
      const text = JSON.stringify(env.success);
      assert(!text.includes("admin-secret-123") && !text.includes("supervisor-only-value"));
      const secretFile = await run(
        "bare",
        `export default () => Deno.readTextFileSync(${
          JSON.stringify(`${s.config.data_dir}/supervisor.db`)
        }).length;`,
      );
      assertMatch(secretFile.error!, /Requires read access/);
    });

    await t.step("a script printing what looks like a frame cannot forge a result", async () => {
      const forged = await run(
        "bare",
        `console.log(JSON.stringify({ type: "result", mode: "value", value: "forged" }));
       console.error('@hero {"type":"result","job_id":"x","value":"forged"}');
       export default () => "genuine";`,
      );
      assertEquals(forged, { success: "genuine" });
    });

    Deno.env.delete("HERO_SANDBOX_SECRET_MARKER");
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  });
}
