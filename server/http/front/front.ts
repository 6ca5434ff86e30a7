/**
 * The main thread's handle on the front (`front_worker.ts`): starts it on
 * the configured address, and stops it. The server behind it (`Deno.serve`)
 * listens on a Unix socket in a private directory, and learns each
 * request's peer from the {@linkcode PEER_HEADER} the front sets.
 *
 * @module
 */

import type { Timer } from "../../util/timer.ts";
import type { FromFront, FrontBind, FrontLimits, ToFront } from "./front_worker.ts";

export { PEER_HEADER } from "./head.ts";
export type { FrontBind, FrontLimits };

/** A bind that could not be made; the message names the address. */
export class BindError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = "BindError";
  }
}

/** The front of one supervisor. */
export class Front {
  /** Where it listens. */
  readonly addr: { hostname: string; port: number } | { path: string };
  readonly #worker: Worker;

  private constructor(worker: Worker, addr: Front["addr"]) {
    this.#worker = worker;
    this.addr = addr;
  }

  /**
   * Starts the front on `bind`, passing requests on to the server on the
   * Unix socket `upstream`. Throws {@linkcode BindError} when it cannot
   * listen there.
   */
  static async start(
    bind: FrontBind,
    upstream: string,
    limits: FrontLimits,
  ): Promise<Front> {
    if ("path" in bind) await removeStaleSocket(bind.path);
    const worker = new Worker(new URL("./front_worker.ts", import.meta.url), {
      type: "module",
    });
    const answer = new Promise<FromFront>((resolve) => {
      worker.onmessage = (event: MessageEvent<FromFront>) => resolve(event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        resolve({ type: "failed", message: event.message, code: "Error" });
      };
    });
    worker.postMessage(
      { type: "listen", bind, upstream, limits } satisfies ToFront,
    );
    const first = await answer;
    if (first.type !== "listening") {
      worker.terminate();
      const where = "path" in bind ? `unix:${bind.path}` : `${bind.hostname}:${bind.port}`;
      const message = first.type === "failed" ? first.message : "the front did not start";
      const code = first.type === "failed" ? first.code : "Error";
      throw new BindError(
        code === "AddrInUse"
          ? `cannot listen on ${where}: the address is in use (is another supervisor running there?)`
          : `cannot listen on ${where}: ${message}`,
        code,
      );
    }
    return new Front(worker, first.addr);
  }

  /** Takes no new connection; those open go on. */
  stopAccepting(): void {
    this.#worker.postMessage({ type: "stop-accepting" } satisfies ToFront);
  }

  /** Closes every connection and ends the worker. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      this.#worker.onmessage = (event: MessageEvent<FromFront>) => {
        if (event.data.type === "closed") resolve();
      };
    });
    this.#worker.postMessage({ type: "close" } satisfies ToFront);
    let timer: Timer | undefined;
    await Promise.race([
      closed,
      new Promise((r) => (timer = setTimeout(r, 2000))),
    ]);
    clearTimeout(timer);
    this.#worker.terminate();
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
