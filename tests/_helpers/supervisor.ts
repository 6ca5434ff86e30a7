/**
 * Running a real supervisor for a test: in this process (fast, for API
 * tests) or as a separate `deno` process (for signals and kill -9).
 *
 * @module
 */

import type { SupervisorConfig } from "../../server/config/config_schema.ts";
import { buildConfig } from "../../server/config/load_config.ts";
import { type StartOptions, Supervisor } from "../../server/supervisor.ts";
import { RpcCaller } from "./rpc.ts";
import { freePort } from "./ports.ts";

/** The secrets test supervisors are configured with. */
export const SECRETS = {
  admin: "admin-secret-123",
  user: "user-secret-456",
  register: "register-secret-789",
} as const;

/**
 * A config for tests: port 0, a temporary data dir (unless `overrides` names
 * one: none is made then, to be left behind empty), the test secrets, and
 * `overrides`.
 */
export async function testConfig(
  overrides: Partial<SupervisorConfig> = {},
): Promise<SupervisorConfig> {
  const dataDir = overrides.data_dir ?? await Deno.makeTempDir({ prefix: "hero-test-" });
  return {
    ...buildConfig("", "test"),
    port: 0,
    data_dir: dataDir,
    admin_secrets: [SECRETS.admin],
    user_secrets: [SECRETS.user],
    register_secrets: [SECRETS.register],
    runners: [{ name: "default", kind: "noop", instances: 4 }],
    ...overrides,
  };
}

/** An in-process supervisor and callers for it. */
export interface TestSupervisor {
  sup: Supervisor;
  url: string;
  admin: RpcCaller;
  user: RpcCaller;
  config: SupervisorConfig;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts a supervisor in this process; `close()` shuts it down and removes its data. */
export async function startSupervisor(
  overrides: Partial<SupervisorConfig> = {},
  options: StartOptions = {},
): Promise<TestSupervisor> {
  const config = await testConfig(overrides);
  const sup = await Supervisor.start(config, { log: () => {}, ...options }).catch(async (error) => {
    await Deno.remove(config.data_dir, { recursive: true }).catch(() => {});
    throw error;
  });
  const close = async () => {
    await sup.shutdown(0);
    await Deno.remove(config.data_dir, { recursive: true }).catch(() => {});
  };
  return {
    sup,
    url: sup.url,
    config,
    admin: new RpcCaller(sup.url, SECRETS.admin),
    user: new RpcCaller(sup.url, SECRETS.user),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A supervisor running as its own `deno` process. */
export class SupervisorProcess {
  readonly url: string;
  readonly dataDir: string;
  readonly admin: RpcCaller;
  #child: Deno.ChildProcess;
  #output: Promise<string>;
  #text: () => string;

  private constructor(
    child: Deno.ChildProcess,
    url: string,
    dataDir: string,
    output: Promise<string>,
    text: () => string,
  ) {
    this.#child = child;
    this.#text = text;
    this.url = url;
    this.dataDir = dataDir;
    this.admin = new RpcCaller(url, SECRETS.admin);
    this.#output = output;
  }

  get pid(): number {
    return this.#child.pid;
  }

  /**
   * Starts `server/main.ts` with a TOML config (written to `dataDir`) and
   * waits until it answers `/health`.
   */
  static async start(
    toml: string,
    dataDir?: string,
    env: Record<string, string> = {},
  ): Promise<SupervisorProcess> {
    const dir = dataDir ?? await Deno.makeTempDir({ prefix: "hero-proc-" });
    const port = freePort();
    const file = `${dir}/config.toml`;
    await Deno.writeTextFile(
      file,
      `port = ${port}\ndata_dir = ${JSON.stringify(dir)}\n` +
        `admin_secrets = ["${SECRETS.admin}"]\nuser_secrets = ["${SECRETS.user}"]\n` + toml,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--unstable-no-legacy-abort",
        // As `deno task serve` runs it (deno.json).
        "--v8-flags=--max-semi-space-size=4",
        new URL("../../server/main.ts", import.meta.url).pathname,
        "--config",
        file,
      ],
      env,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    const decoder = new TextDecoder();
    let text = "";
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
    };
    const output = Promise.all([collect(child.stdout), collect(child.stderr)]).then(() => text);
    const url = `http://127.0.0.1:${port}`;
    const proc = new SupervisorProcess(child, url, dir, output, () => text);
    // A start that fails leaves nothing behind: no process, and no data dir made here.
    const fail = async (why: string) => {
      await proc.kill();
      if (dataDir === undefined) await Deno.remove(dir, { recursive: true }).catch(() => {});
      return new Error(`${why}:\n${text}`);
    };
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`${url}/health`);
        await res.body?.cancel();
        if (res.ok) return proc;
      } catch {
        // not up yet
      }
      const exited = await Promise.race([
        child.status.then(() => true),
        new Promise((r) => setTimeout(() => r(false), 50)),
      ]);
      if (exited) throw await fail("the supervisor exited at start");
    }
    throw await fail("the supervisor did not answer /health");
  }

  /** What it printed so far (stdout and stderr). */
  output(): Promise<string> {
    return Promise.resolve(this.#text());
  }

  /** Sends a signal. */
  signal(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /** Waits for it to exit; returns its status and everything it printed. */
  async exited(): Promise<{ status: Deno.CommandStatus; output: string }> {
    const status = await this.#child.status;
    return { status, output: await this.#output };
  }

  /** SIGKILL, and wait for it to be gone. */
  async kill(): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await this.exited();
  }
}
