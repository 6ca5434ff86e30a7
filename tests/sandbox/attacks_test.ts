/**
 * Attacks from job payloads, run against real sessions under both layers,
 * each with the outcome the job sees asserted. Those Deno's permissions
 * already stop are stopped under both; those that get past them (a symlink
 * inside a granted directory, a program a job may run) are stopped by the
 * OS layer only, and the `off` runs show them getting through.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { type Layer, run, startSandboxed, statusOf, VARIANTS } from "../_helpers/sandbox.ts";
import type { TestSupervisor } from "../_helpers/supervisor.ts";

/** What one attack does, and what the job sees under each layer. */
interface Attack {
  name: string;
  /** The runner it runs on: `plain` (a read grant), or `runs` (also programs). */
  runner: "plain" | "runs";
  payload: (ctx: Setup) => string;
  /** The job's result under each layer: a regexp for its error, or its success value. */
  expect: Record<Layer, RegExp | { success: unknown }>;
}

interface Setup {
  s: TestSupervisor;
  dir: string;
  allowed: string;
  port: number;
}

const ERR_NOT_FOUND = /^NotFound: No such file or directory/;

const ATTACKS: Attack[] = [
  {
    name: "a symlink inside a granted dir to /etc/passwd",
    runner: "plain",
    payload: ({ allowed }) =>
      `export default () => Deno.readTextFileSync(${
        JSON.stringify(`${allowed}/passwd`)
      }).split(":")[0];`,
    expect: { os: ERR_NOT_FOUND, off: { success: "root" } },
  },
  {
    name: "a symlink to the dir of a supervisor config (its admin secret)",
    runner: "plain",
    payload: ({ allowed }) =>
      `export default () => Deno.readTextFileSync(${
        JSON.stringify(`${allowed}/conf/config.toml`)
      }).trim();`,
    expect: { os: ERR_NOT_FOUND, off: { success: 'admin_secrets = ["stolen-admin-secret"]' } },
  },
  {
    name: "a symlinked module imported from a granted dir",
    runner: "plain",
    payload: ({ allowed }) =>
      `export default async () => (await import(${
        JSON.stringify(`file://${allowed}/mod.js`)
      })).default;`,
    expect: { os: /^TypeError: Module not found/, off: { success: "imported through a link" } },
  },
  {
    name: "reading /etc/passwd",
    runner: "plain",
    payload: () => `export default () => Deno.readTextFileSync("/etc/passwd");`,
    expect: {
      os: /^NotCapable: Requires read access to "\/etc\/passwd"/,
      off: /^NotCapable: Requires read access to "\/etc\/passwd"/,
    },
  },
  {
    name: "reading another process's environment (/proc/1/environ)",
    runner: "plain",
    payload: () => `export default () => Deno.readTextFileSync("/proc/1/environ");`,
    expect: { os: /^NotCapable: Requires read access/, off: /^NotCapable: Requires read access/ },
  },
  {
    name: "reading the supervisor's database in its data_dir",
    runner: "plain",
    payload: ({ s }) =>
      `export default () => Deno.readFileSync(${
        JSON.stringify(`${s.config.data_dir}/supervisor.db`)
      }).length;`,
    expect: { os: /^NotCapable: Requires read access/, off: /^NotCapable: Requires read access/ },
  },
  {
    name: "reading an environment variable",
    runner: "plain",
    payload: () => `export default () => Deno.env.get("PATH");`,
    expect: { os: /^NotCapable: Requires env access/, off: /^NotCapable: Requires env access/ },
  },
  {
    name: "starting a program without a run grant",
    runner: "plain",
    payload: () => `export default () => new Deno.Command("id").outputSync().success;`,
    expect: { os: /^NotCapable: Requires run access/, off: /^NotCapable: Requires run access/ },
  },
  {
    name: "loading a native library (FFI)",
    runner: "plain",
    payload: () => `export default () => Deno.dlopen("libc.so.6", {}).close();`,
    expect: { os: /^NotCapable: Requires ffi access/, off: /^NotCapable: Requires ffi access/ },
  },
  {
    name: "a loopback connection without a net grant",
    runner: "plain",
    payload: ({ port }) =>
      `export default async () => (await Deno.connect({ hostname: "127.0.0.1", port: ${port} })).close();`,
    expect: { os: /^NotCapable: Requires net access/, off: /^NotCapable: Requires net access/ },
  },
  {
    name: "connecting to the session frame socket",
    runner: "plain",
    payload: () =>
      `export default async () => (await Deno.connect({ transport: "unix", path: Deno.cwd() + "/../channel/s.sock" })).close();`,
    expect: { os: /^NotCapable: Requires read access/, off: /^NotCapable: Requires read access/ },
  },
  {
    name: "importing a local file outside the grants",
    runner: "plain",
    payload: ({ dir }) =>
      `export default async () => (await import(${
        JSON.stringify(`file://${dir}/secret/mod.js`)
      })).default;`,
    expect: { os: /Requires read access/, off: /Requires read access/ },
  },
  {
    name: "importing a remote module",
    runner: "plain",
    payload: ({ port }) =>
      `export default async () => (await import("http://127.0.0.1:${port}/mod.js")).default;`,
    expect: { os: /Requires import access|--no-remote/, off: /Requires import access|--no-remote/ },
  },
  {
    name: "a worker that inherits the job's permissions",
    runner: "plain",
    payload: () =>
      `export default () => new Promise((resolve) => {
        const w = new Worker("data:application/javascript," + encodeURIComponent(
          "try { Deno.readTextFileSync('/etc/passwd'); postMessage('read'); } catch (e) { postMessage(e.name); }"),
          { type: "module" });
        w.onmessage = (e) => { w.terminate(); resolve(e.data); };
      });`,
    expect: { os: { success: "NotCapable" }, off: { success: "NotCapable" } },
  },
  {
    name: "a worker asking for more permissions",
    runner: "plain",
    payload: () =>
      `export default () => new Worker("data:application/javascript,1", { type: "module", deno: { permissions: { read: true } } });`,
    expect: { os: /worker-options|escalate/, off: /worker-options|escalate/ },
  },
  {
    name: "a program the job may run reads /etc/passwd",
    runner: "runs",
    payload: () =>
      `export default () => { const o = new Deno.Command("cat", { args: ["/etc/passwd"] }).outputSync();
        return o.success ? new TextDecoder().decode(o.stdout).split(":")[0] : "cat failed"; };`,
    expect: { os: { success: "cat failed" }, off: { success: "root" } },
  },
  {
    name: "a program the job may run opens a connection without a net grant",
    runner: "runs",
    payload: ({ port }) =>
      `export default () => { const o = new Deno.Command("bash", {
          args: ["-c", "exec 3<>/dev/tcp/127.0.0.1/${port} && head -c 4 <&3"] }).outputSync();
        return o.success ? new TextDecoder().decode(o.stdout) : "refused"; };`,
    expect: { os: { success: "refused" }, off: { success: "pong" } },
  },
  {
    name: "a program the job may run reads the supervisor's environment (/proc/PID/environ)",
    runner: "runs",
    payload: () =>
      `export default () => { const o = new Deno.Command("cat", { args: ["/proc/${Deno.pid}/environ"] }).outputSync();
        return o.success && new TextDecoder().decode(o.stdout).includes("PATH=") ? "read" : "not read"; };`,
    expect: { os: { success: "not read" }, off: { success: "read" } },
  },
];

for (const { layer, isolation, cgroups, name, ignore } of VARIANTS) {
  Deno.test({ name: `${name}: attacks from job payloads`, ignore }, async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "hero-attacks-" });
    const allowed = `${dir}/allowed`;
    await Deno.mkdir(allowed);
    await Deno.mkdir(`${dir}/secret`);
    await Deno.writeTextFile(
      `${dir}/secret/config.toml`,
      'admin_secrets = ["stolen-admin-secret"]\n',
    );
    await Deno.writeTextFile(`${dir}/secret/mod.js`, 'export default "imported through a link";\n');
    await Deno.symlink("/etc/passwd", `${allowed}/passwd`);
    await Deno.symlink(`${dir}/secret`, `${allowed}/conf`);
    await Deno.symlink(`${dir}/secret/mod.js`, `${allowed}/mod.js`);
    // A loopback server: a program that reaches it says "pong"; it also serves a module.
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (req) =>
        new URL(req.url).pathname === "/mod.js"
          ? new Response("export default 'remote';", {
            headers: { "content-type": "application/javascript" },
          })
          : new Response("pong"),
    );
    const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const serving = (async () => {
      for await (const conn of tcp) {
        await conn.write(new TextEncoder().encode("pong")).catch(() => {});
        conn.close();
      }
    })();
    const s = await startSandboxed(
      layer,
      [
        { name: "plain", kind: "script", instances: 2, permissions: { read: [allowed] } },
        {
          name: "runs",
          kind: "script",
          instances: 2,
          permissions: { read: [allowed], run: ["cat", "bash"] },
        },
      ],
      isolation,
      cgroups,
    );
    try {
      const setup: Setup = { s, dir, allowed, port: (tcp.addr as Deno.NetAddr).port };
      await t.step("the status says which layer enforces what", async () => {
        const { sandbox } = await statusOf(s, "runs");
        const expected = layer === "os" ? "os" : "deno-only";
        assertEquals(
          [sandbox?.fs, sandbox?.pids, sandbox?.net, sandbox?.memory],
          [expected, expected, expected, cgroups ? expected : "deno-only"],
        );
        assertEquals(sandbox?.paths, [{ path: allowed, resolved: allowed, access: "read" }]);
      });
      for (const attack of ATTACKS) {
        const expected = attack.expect[layer];
        // The remote import is answered by the HTTP server, the rest by the TCP one.
        const port = attack.name === "importing a remote module" ? server.addr.port : setup.port;
        await t.step(attack.name, async () => {
          const result = await run(s, attack.runner, attack.payload({ ...setup, port }));
          if (expected instanceof RegExp) {
            assert(result.error !== undefined, `expected a refusal, got ${JSON.stringify(result)}`);
            assertMatch(result.error, expected);
          } else {
            assertEquals(result, expected);
          }
        });
      }
      await t.step("a program the job may run writes outside its grants", async () => {
        const target = `${dir}/written-by-a-child`;
        const result = await run(
          s,
          "runs",
          `export default () => new Deno.Command("bash", { args: ["-c", "echo x > ${target}"] })
             .outputSync().success;`,
        );
        // In its namespace /tmp is its own: the write lands there (or nowhere), not on the host.
        if (layer === "off") assertEquals(result, { success: true });
        const onHost = await Deno.stat(target).then(() => true, () => false);
        assertEquals(
          onHost,
          layer === "off",
          "the file exists on the host only without the OS layer",
        );
      });
    } finally {
      await s.close();
      tcp.close();
      await serving;
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
