/**
 * `process_manager = "tmux:SESSION"`, checked with tmux itself: the
 * service's window is in the session, its output is on the pane and in the
 * runner's log, a stop removes the window. And the seed's own config (its
 * `[[actors]]`, one of them under tmux) starts as written, with real
 * programs in place of the seed's binaries.
 */

import type { RunnerStatus } from "../../shared/types.generated.ts";
import { assert, assertEquals, eventually } from "../_helpers/assert.ts";
import { freePort } from "../_helpers/ports.ts";
import { isAlive } from "../_helpers/processes.ts";
import { TestRedis } from "../_helpers/redis_server.ts";
import { RpcCaller } from "../_helpers/rpc.ts";
import { startSupervisor, SupervisorProcess } from "../_helpers/supervisor.ts";

async function tmux(...args: string[]): Promise<{ ok: boolean; out: string }> {
  const out = await new Deno.Command("tmux", { args, stdout: "piped", stderr: "piped" }).output();
  return { ok: out.success, out: new TextDecoder().decode(out.stdout) };
}

const windowsOf = async (session: string) => {
  const { ok, out } = await tmux("list-windows", "-t", `=${session}`, "-F", "#{window_name}");
  return ok ? out.trim().split("\n").filter(Boolean) : [];
};

Deno.test("a service under tmux: a window of the session, its output on the pane and in the log", async () => {
  const session = `hero-test-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await using s = await startSupervisor({
      runners: [{
        name: "ticker",
        kind: "service",
        binary_path: "/bin/sh",
        args: ["-c", 'echo "hello from $HERO_RUNNER_NAME"; exec sleep 600'],
        process_manager: `tmux:${session}`,
      }],
    });
    const st = await eventually(
      async () => {
        const st = await s.admin.call<RunnerStatus>("get_runner_status", { name: "ticker" });
        return st.state === "running" ? st : null;
      },
      10_000,
      "running",
    );
    assertEquals(st.process_manager, `tmux:${session}`);
    assertEquals(await windowsOf(session), ["ticker-0"]);
    await eventually(
      async () => {
        const pane = await tmux("capture-pane", "-p", "-t", `=${session}:ticker-0`);
        return pane.out.includes("hello from ticker");
      },
      5000,
      "the line on the pane",
    );
    const logs = await eventually(
      async () => {
        const logs = await s.admin.call<string[]>("get_runner_logs", { name: "ticker" });
        return logs.some((l) => l.endsWith("hello from ticker")) ? logs : null;
      },
      5000,
      "the line in the runner's log",
    );
    assert(logs.length > 0);
    const [pid] = st.pids;
    assert(isAlive(pid), "the pane's program runs");
    await s.admin.call("stop_runner", { name: "ticker" });
    await eventually(async () => !(await windowsOf(session)).includes("ticker-0"), 5000, "closed");
    assert(!isAlive(pid), "the program is gone");
  } finally {
    await tmux("kill-session", "-t", `=${session}`);
  }
});

Deno.test("the seed's config, real programs in place of its binaries, starts as written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hero-seed-" });
  const redis = await TestRedis.start();
  const session = `osis_session_${crypto.randomUUID().slice(0, 6)}`;
  const port = freePort();
  try {
    for (const name of ["sal_runner", "osis_runner"]) {
      await Deno.writeTextFile(`${dir}/${name}`, `#!/bin/sh\necho "${name} up"\nexec sleep 600\n`, {
        mode: 0o755,
      });
    }
    // The seed's example, as written but for the paths, the port and the Redis.
    const toml = `# config.toml
redis_url = "${redis.url}"
namespace = "hero"
bind_address = "127.0.0.1"
port = ${port}
# Admin secrets for full access
admin_secrets = ["admin-secret-123"]
# User secrets for job operations
user_secrets = ["user-secret-456"]
# Register secrets for runner registration
register_secrets = ["register-secret-789"]
[[actors]]
id = "sal_runner_1"
name = "sal_runner_1"
binary_path = "${dir}/sal_runner"
db_path = "/tmp/sal_db"
redis_url = "${redis.url}"
process_manager = "simple"
[[actors]]
id = "osis_runner_1"
name = "osis_runner_1"
binary_path = "${dir}/osis_runner"
db_path = "/tmp/osis_db"
redis_url = "${redis.url}"
process_manager = "tmux:${session}"
`;
    await Deno.writeTextFile(`${dir}/config.toml`, toml);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../../server/main.ts", import.meta.url).pathname,
        "--config",
        `${dir}/config.toml`,
        "--data-dir",
        `${dir}/data`,
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    try {
      const admin = new RpcCaller(`http://127.0.0.1:${port}`, "admin-secret-123");
      const all = await eventually(
        async () => {
          const all = await admin.call<RunnerStatus[]>("get_all_runner_status", {}).catch(() => []);
          return all.length === 2 && all.every((r) => r.state === "running") ? all : null;
        },
        20_000,
        "both actors running",
      );
      assertEquals(
        all.map((r) => [r.name, r.kind, r.process_manager]),
        [
          ["sal_runner_1", "service", "simple"],
          ["osis_runner_1", "service", `tmux:${session}`],
        ],
      );
      assertEquals(await windowsOf(session), ["osis_runner_1-0"]);
    } finally {
      child.kill("SIGTERM");
      await child.status;
      const warnings = await stderr;
      assert(/actors\[0\]\.db_path: ignored/.test(warnings), warnings);
    }
  } finally {
    await tmux("kill-session", "-t", `=${session}`);
    await redis.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("a host without tmux: that runner does not start, says why; the others do", async () => {
  const proc = await SupervisorProcess.start(
    `[[runners]]\nname = "in-tmux"\nkind = "service"\nbinary_path = "/bin/sleep"\n` +
      `args = ["600"]\nprocess_manager = "tmux:nowhere"\n` +
      `[[runners]]\nname = "plain"\nkind = "service"\nbinary_path = "/bin/sleep"\nargs = ["600"]\n`,
    undefined,
    { HERO_TMUX: "/nonexistent/tmux" },
  );
  try {
    const plain = await eventually(
      async () => {
        const st = await proc.admin.call<RunnerStatus>("get_runner_status", { name: "plain" });
        return st.state === "running" ? st : null;
      },
      10_000,
      "the plain service up",
    );
    assertEquals(plain.pids.length, 1);
    const inTmux = await eventually(
      async () => {
        const st = await proc.admin.call<RunnerStatus>("get_runner_status", { name: "in-tmux" });
        return st.last_failure ? st : null;
      },
      10_000,
      "the tmux one's failure",
    );
    assertEquals(inTmux.state, "stopped");
    assertEquals(
      inTmux.reason,
      'process_manager = "tmux:nowhere": tmux is not installed (Debian: apt-get install tmux)',
    );
  } finally {
    await proc.kill();
    await Deno.remove(proc.dataDir, { recursive: true }).catch(() => {});
  }
});
