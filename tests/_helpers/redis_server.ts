/**
 * A private `redis-server` for a test: its own port and directory, so the
 * test can kill and restart it and flush nothing shared.
 *
 * @module
 */

import { freePort } from "./ports.ts";

/** A redis-server a test owns. */
export class TestRedis {
  readonly port: number;
  readonly dir: string;
  #child: Deno.ChildProcess | null = null;
  readonly #appendonly: boolean;
  #replicaOf: number | undefined;

  private constructor(port: number, dir: string, appendonly: boolean, replicaOf?: number) {
    this.port = port;
    this.dir = dir;
    this.#appendonly = appendonly;
    this.#replicaOf = replicaOf;
  }

  /**
   * Starts one (with `appendonly yes` when asked; a replica of the server on
   * port `replicaOf` when given) and waits until it answers.
   */
  static async start(
    options: { appendonly?: boolean; replicaOf?: number } = {},
  ): Promise<TestRedis> {
    const dir = await Deno.makeTempDir({ prefix: "hero-redis-" });
    const redis = new TestRedis(freePort(), dir, options.appendonly ?? false, options.replicaOf);
    await redis.restart();
    return redis;
  }

  /** A command through `redis-cli`, its reply as text. */
  async cli(...args: string[]): Promise<string> {
    const out = await new Deno.Command("redis-cli", {
      args: ["-p", String(this.port), ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout).trim();
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * (Re)starts the server on the same port and directory (as a replica of
   * the server on `replicaOf`, when given: how a failed master comes back),
   * with `extra` arguments.
   */
  async restart(replicaOf?: number, extra: string[] = []): Promise<void> {
    if (replicaOf !== undefined) this.#replicaOf = replicaOf;
    this.#child = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--dir",
        this.dir,
        "--save",
        "",
        "--appendonly",
        this.#appendonly ? "yes" : "no",
        "--appendfsync",
        "always",
        ...(this.#replicaOf ? ["--replicaof", "127.0.0.1", String(this.#replicaOf)] : []),
        ...extra,
      ],
      stdout: "null",
      stderr: "null",
      stdin: "null",
    }).spawn();
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      let conn: Deno.TcpConn | undefined;
      try {
        conn = await Deno.connect({ hostname: "127.0.0.1", port: this.port });
        await conn.write(new TextEncoder().encode("PING\r\n"));
        const buf = new Uint8Array(16);
        const n = await conn.read(buf);
        if (n && new TextDecoder().decode(buf.subarray(0, n)).startsWith("+PONG")) return;
      } catch {
        // not up yet
      } finally {
        // Closed whatever happened: a probe that failed after connecting would be a leak the
        // test's sanitizer reports (it did, once, on a busy machine).
        conn?.close();
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`redis-server on port ${this.port} did not start`);
  }

  /** A replica: waits until its link to the master is up and the first sync is done. */
  async synced(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await this.cli("INFO", "replication")).includes("master_link_status:up")) {
      if (Date.now() > deadline) throw new Error(`replica on port ${this.port} did not sync`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends it a signal (SIGSTOP freezes it, as a partition would look; SIGCONT thaws it). */
  signal(signal: Deno.Signal): void {
    this.#child?.kill(signal);
  }

  /** Kills it at once (SIGKILL) and waits until it is gone. */
  async kill(): Promise<void> {
    if (!this.#child) return;
    this.#child.kill("SIGKILL");
    await this.#child.status;
    this.#child = null;
  }

  /** Stops it and removes its directory. */
  async stop(): Promise<void> {
    await this.kill();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** A Redis Sentinel a test owns, watching one master (quorum 1, quick failover). */
export class TestSentinel {
  readonly port: number;
  readonly dir: string;
  readonly name = "hero-master";
  #child: Deno.ChildProcess | null = null;

  private constructor(port: number, dir: string) {
    this.port = port;
    this.dir = dir;
  }

  /** Starts one watching the master on `masterPort`; waits until it names it. */
  static async start(masterPort: number): Promise<TestSentinel> {
    const dir = await Deno.makeTempDir({ prefix: "hero-sentinel-" });
    const sentinel = new TestSentinel(freePort(), dir);
    await Deno.writeTextFile(
      `${dir}/sentinel.conf`,
      [
        `port ${sentinel.port}`,
        "bind 127.0.0.1",
        `dir ${dir}`,
        `sentinel monitor ${sentinel.name} 127.0.0.1 ${masterPort} 1`,
        `sentinel down-after-milliseconds ${sentinel.name} 1000`,
        `sentinel failover-timeout ${sentinel.name} 3000`,
        "",
      ].join("\n"),
    );
    sentinel.#child = new Deno.Command("redis-server", {
      args: [`${dir}/sentinel.conf`, "--sentinel"],
      stdout: "null",
      stderr: "null",
      stdin: "null",
    }).spawn();
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      if ((await sentinel.master()) === masterPort) return sentinel;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-sentinel on port ${sentinel.port} did not start`);
  }

  /** The port of the master it names now (null when it names none). */
  async master(): Promise<number | null> {
    const out = await new Deno.Command("redis-cli", {
      args: ["-p", String(this.port), "SENTINEL", "get-master-addr-by-name", this.name],
      stdout: "piped",
      stderr: "null",
    }).output();
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    return lines.length === 2 ? Number(lines[1]) : null;
  }

  /** The URL a supervisor follows the master by. */
  get url(): string {
    return `redis-sentinel://127.0.0.1:${this.port}/${this.name}`;
  }

  async stop(): Promise<void> {
    this.#child?.kill("SIGKILL");
    await this.#child?.status;
    this.#child = null;
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}
