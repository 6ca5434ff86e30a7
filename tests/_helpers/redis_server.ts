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

  private constructor(port: number, dir: string, appendonly: boolean) {
    this.port = port;
    this.dir = dir;
    this.#appendonly = appendonly;
  }

  /** Starts one (with `appendonly yes` when asked) and waits until it answers. */
  static async start(options: { appendonly?: boolean } = {}): Promise<TestRedis> {
    const dir = await Deno.makeTempDir({ prefix: "hero-redis-" });
    const redis = new TestRedis(freePort(), dir, options.appendonly ?? false);
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** (Re)starts the server on the same port and directory. */
  async restart(): Promise<void> {
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
      ],
      stdout: "null",
      stderr: "null",
      stdin: "null",
    }).spawn();
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      try {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: this.port });
        await conn.write(new TextEncoder().encode("PING\r\n"));
        const buf = new Uint8Array(16);
        const n = await conn.read(buf);
        conn.close();
        if (n && new TextDecoder().decode(buf.subarray(0, n)).startsWith("+PONG")) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`redis-server on port ${this.port} did not start`);
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
