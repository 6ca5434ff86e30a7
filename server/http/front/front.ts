/**
 * The front: the listening socket, every connection's deadlines and the
 * connection cap, and the HTTP/1.1 framing, in front of the handler.
 * `Deno.serve` has no read timeouts and no connection cap
 * (denoland/deno#3515): a client that sends a head or a body slowly, or
 * never, would hold a connection and memory for good. So the front reads
 * the requests itself (`connection.ts`) and calls the handler directly: no
 * second HTTP server behind it, no thread or socket between them.
 *
 * @module
 */

import type { Timer } from "../../util/timer.ts";
import { Connection, type FrontLimits, type Handler } from "./connection.ts";
import { refusal } from "./reply.ts";

export { PEER_HEADER } from "./head.ts";
export type { FrontLimits, Handler };

/** Where the front listens. */
export type FrontBind = { hostname: string; port: number } | { path: string };

/** A bind that could not be made; the message names the address. */
export class BindError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = "BindError";
  }
}

/** How long a shutdown waits for the answers under way before it closes their connections. */
const DRAIN_MS = 5000;

/** The front of one supervisor. */
export class Front {
  /** Where it listens. */
  readonly addr: { hostname: string; port: number } | { path: string };
  readonly #connections = new Set<Connection>();
  #listener: Deno.Listener | null;
  readonly #sweeper: Timer;
  readonly #limits: FrontLimits;
  readonly #handler: Handler;
  #drained: (() => void) | null = null;

  private constructor(listener: Deno.Listener, limits: FrontLimits, handler: Handler) {
    this.#listener = listener;
    this.#limits = limits;
    this.#handler = handler;
    const addr = listener.addr;
    this.addr = addr.transport === "unix"
      ? { path: (addr as Deno.UnixAddr).path }
      : { hostname: (addr as Deno.NetAddr).hostname, port: (addr as Deno.NetAddr).port };
    this.#sweeper = setInterval(() => this.#sweep(), Math.min(250, limits.headerTimeoutMs / 4));
    this.#accept(listener);
  }

  /**
   * Starts the front on `bind`, answering with `handler`. Throws
   * {@linkcode BindError} when it cannot listen there.
   */
  static async start(bind: FrontBind, limits: FrontLimits, handler: Handler): Promise<Front> {
    if ("path" in bind) await removeStaleSocket(bind.path);
    let listener: Deno.Listener;
    try {
      if ("path" in bind) {
        listener = Deno.listen({ transport: "unix", path: bind.path });
        // The socket is the API: only this user may reach it.
        Deno.chmodSync(bind.path, 0o600);
      } else {
        listener = Deno.listen({ hostname: bind.hostname, port: bind.port });
      }
    } catch (error) {
      const where = "path" in bind ? `unix:${bind.path}` : `${bind.hostname}:${bind.port}`;
      const code = (error as Error).name;
      throw new BindError(
        code === "AddrInUse"
          ? `cannot listen on ${where}: the address is in use (is another supervisor running there?)`
          : `cannot listen on ${where}: ${(error as Error).message}`,
        code,
      );
    }
    return new Front(listener, limits, handler);
  }

  /** Takes no new connection; those open go on. */
  stopAccepting(): void {
    this.#listener?.close();
    this.#listener = null;
  }

  /**
   * Stops: no new connection, the idle ones closed, those answering a
   * request closed after their answer (at most {@linkcode DRAIN_MS}), then
   * every one closed.
   */
  async shutdown(): Promise<void> {
    this.stopAccepting();
    for (const c of [...this.#connections]) {
      if (c.idle) c.close();
      else c.finishAndClose();
    }
    if (this.#connections.size) {
      let timer: Timer | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (this.#drained = resolve)),
        new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_MS))),
      ]);
      clearTimeout(timer);
    }
    this.close();
  }

  /** Closes every connection at once. */
  close(): void {
    this.stopAccepting();
    clearInterval(this.#sweeper);
    for (const c of [...this.#connections]) c.close();
  }

  /**
   * Accepts until the listener is closed. Nothing one connection does may end
   * it: a throw in a `for await` body would close the listener (its
   * iterator's return), and every later client would be refused.
   */
  async #accept(listener: Deno.Listener): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        if (this.#listener !== listener) return; // closed by stopAccepting or close
        // Out of file descriptors, say: try again in a moment rather than spin.
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      try {
        this.#serve(conn);
      } catch {
        try {
          conn.close();
        } catch {
          // Gone already.
        }
      }
    }
  }

  #serve(conn: Deno.Conn): void {
    if (this.#connections.size >= this.#limits.maxConnections) {
      const answer = refusal(503, "too many connections: try again later");
      conn.write(answer).catch(() => {}).finally(() => {
        try {
          conn.close();
        } catch {
          // Closed already.
        }
      });
      return;
    }
    // An answer may leave in two writes (an event stream's head, then its events): with
    // Nagle's algorithm on, the second waits for the client's delayed ACK of the first.
    if (conn.remoteAddr.transport === "tcp") (conn as Deno.TcpConn).setNoDelay(true);
    const c = new Connection(conn, this.#limits, this.#handler, (closed) => {
      this.#connections.delete(closed);
      if (this.#connections.size === 0) this.#drained?.();
    });
    this.#connections.add(c);
    c.serve();
  }

  /** Closes the connections past their deadline; a late head or body gets a 408 first. */
  #sweep(): void {
    const now = Date.now();
    for (const c of this.#connections) {
      if (c.phase === "busy" || c.deadline > now) continue;
      if (c.phase === "header" || c.phase === "body") {
        const what = c.phase === "header" ? "the request head" : "the request body";
        c.refuse(408, `${what} did not arrive in time`);
      } else {
        c.close();
      }
    }
  }
}

/** Removes a Unix socket file that nothing listens on any more (a killed supervisor's). */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    if (!(await Deno.lstat(path)).isSocket) return;
  } catch {
    return;
  }
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
  } catch {
    await Deno.remove(path).catch(() => {});
  }
}
