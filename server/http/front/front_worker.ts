/**
 * The front, in a worker of its own: it owns the listening socket, and
 * every connection's deadlines. `Deno.serve` has no read timeouts and no
 * connection cap (denoland/deno#3515), so a client that sends a head or a
 * body slowly, or never, would hold a connection and memory for good.
 *
 * Per connection: at most `maxConnections` at once (past it, 503 and
 * close); a request head within `headerTimeoutMs` of its first byte (or of
 * the connection) and `maxHeaderBytes`; its body within `bodyTimeoutMs` of
 * its head, at most `maxBodyBytes`, passed on as it arrives (never held); no
 * byte either way for `idleTimeoutMs` closes it. Each request goes on to
 * the server (`Deno.serve` on a private Unix socket) with the peer's address
 * in a header; the answers come back as they are.
 *
 * @module
 */

import { ChunkedBody, headEnd, HeadError, parseHead, refusal, type RequestHead } from "./head.ts";
import type { Timer } from "../../util/timer.ts";

/** What the main thread tells the front. */
export type ToFront =
  | { type: "listen"; bind: FrontBind; upstream: string; limits: FrontLimits }
  | { type: "stop-accepting" }
  | { type: "close" };

/** What the front tells the main thread. */
export type FromFront =
  | {
    type: "listening";
    addr: { hostname: string; port: number } | { path: string };
  }
  | { type: "failed"; message: string; code: string }
  | { type: "closed" };

/** Where the front listens. */
export type FrontBind = { hostname: string; port: number } | { path: string };

/** The limits of every connection. */
export interface FrontLimits {
  maxConnections: number;
  headerTimeoutMs: number;
  bodyTimeoutMs: number;
  idleTimeoutMs: number;
  maxHeaderBytes: number;
  maxBodyBytes: number;
}

/** Bytes read at a time, each way: two such buffers per connection (500 slow ones: 16 MiB). */
const READ_BYTES = 16 * 1024;

interface Connection {
  conn: Deno.Conn;
  /** Its connection to the server, once its first request went on. */
  up: Deno.UnixConn | null;
  /** When it is closed unless it makes progress (ms since epoch), and why. */
  deadline: number;
  why: "header" | "body" | "idle";
  closed: boolean;
}

const connections = new Set<Connection>();
let listener: Deno.Listener | null = null;
let limits: FrontLimits;
let upstream = "";
let sweeper: Timer | undefined;

/** This worker's side of its channel to the main thread. */
const scope = self as unknown as {
  postMessage(message: FromFront): void;
  onmessage: ((event: MessageEvent<ToFront>) => void) | null;
};

function post(message: FromFront): void {
  scope.postMessage(message);
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) {
    off += await conn.write(bytes.subarray(off));
  }
}

/** Closes both sides: what the server still sends has nowhere to go. */
function close(c: Connection): void {
  if (c.closed) return;
  c.closed = true;
  connections.delete(c);
  for (const conn of [c.conn, c.up]) {
    try {
      conn?.close();
    } catch {
      // Closed already.
    }
  }
}

/** Answers the client itself, then closes. */
async function refuse(
  c: Connection,
  status: number,
  reason: string,
  message: string,
) {
  const code = status === 503 ? -32003 : -32600;
  await writeAll(c.conn, refusal(status, reason, message, code)).catch(
    () => {},
  );
  close(c);
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  413: "Content Too Large",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
};

/** Answers from the server go back to the client as they come; the idle clock runs on them too. */
async function pumpBack(c: Connection, up: Deno.UnixConn): Promise<void> {
  const buffer = new Uint8Array(READ_BYTES);
  try {
    for (let n; (n = await up.read(buffer)) !== null;) {
      if (c.why === "idle") c.deadline = Date.now() + limits.idleTimeoutMs;
      await writeAll(c.conn, buffer.subarray(0, n));
    }
  } catch {
    // Either side went away.
  }
  close(c);
}

async function serve(conn: Deno.Conn): Promise<void> {
  const now = Date.now();
  const c: Connection = {
    conn,
    up: null,
    deadline: now + limits.headerTimeoutMs,
    why: "header",
    closed: false,
  };
  if (connections.size >= limits.maxConnections) {
    await refuse(
      c,
      503,
      "Service Unavailable",
      "too many connections: try again later",
    );
    return;
  }
  connections.add(c);
  // An answer often leaves in two writes (head, then body): with Nagle's algorithm on, the
  // second waits for the client's delayed ACK of the first (measured: whoami p50 42 ms).
  if (conn.remoteAddr.transport === "tcp") (conn as Deno.TcpConn).setNoDelay(true);
  const peer = conn.remoteAddr.transport === "tcp"
    ? (conn.remoteAddr as Deno.NetAddr).hostname
    : "unix";
  // What has been read and not passed on yet (a head in the making).
  let held = new Uint8Array(0);
  let head: RequestHead | null = null;
  let remaining = 0;
  let chunked: ChunkedBody | null = null;
  const buffer = new Uint8Array(READ_BYTES);
  try {
    while (!c.closed) {
      const n = await conn.read(buffer);
      if (n === null) break;
      let bytes = buffer.subarray(0, n);
      while (bytes.length && !c.closed) {
        if (!head) {
          // Waiting (idle) until a head starts; then it has headerTimeoutMs to complete.
          if (c.why === "idle") {
            c.why = "header";
            c.deadline = Date.now() + limits.headerTimeoutMs;
          }
          const joined = new Uint8Array(held.length + bytes.length);
          joined.set(held);
          joined.set(bytes, held.length);
          const end = headEnd(joined, Math.max(0, held.length - 3));
          if (end < 0) {
            if (joined.length > limits.maxHeaderBytes) {
              await refuse(
                c,
                431,
                REASONS[431],
                `the request head is larger than ${limits.maxHeaderBytes} bytes`,
              );
              return;
            }
            held = joined;
            bytes = new Uint8Array(0);
            break;
          }
          if (end > limits.maxHeaderBytes) {
            await refuse(
              c,
              431,
              REASONS[431],
              `the request head is larger than ${limits.maxHeaderBytes} bytes`,
            );
            return;
          }
          try {
            head = parseHead(
              joined.subarray(0, end),
              peer,
              limits.maxBodyBytes,
            );
          } catch (error) {
            if (!(error instanceof HeadError)) throw error;
            await refuse(c, error.status, REASONS[error.status], error.message);
            return;
          }
          held = new Uint8Array(0);
          bytes = joined.subarray(end);
          if (!c.up) {
            c.up = await Deno.connect({ transport: "unix", path: upstream });
            pumpBack(c, c.up);
          }
          await writeAll(c.up, head.forward);
          if (head.body.kind === "none") {
            head = null;
            c.why = "idle";
            c.deadline = Date.now() + limits.idleTimeoutMs;
            continue;
          }
          c.why = "body";
          c.deadline = Date.now() + limits.bodyTimeoutMs;
          remaining = head.body.kind === "length" ? head.body.length : 0;
          chunked = head.body.kind === "chunked" ? new ChunkedBody() : null;
          continue;
        }
        // A body: passed on as it arrives, up to its end; what follows is the next head.
        let used: number;
        let done: boolean;
        if (chunked) {
          try {
            ({ used, done } = chunked.consume(bytes));
          } catch (error) {
            if (!(error instanceof HeadError)) throw error;
            await refuse(c, error.status, REASONS[error.status], error.message);
            return;
          }
          if (chunked.total > limits.maxBodyBytes + 64 * 1024) {
            await refuse(
              c,
              413,
              REASONS[413],
              `the body is larger than ${limits.maxBodyBytes} bytes`,
            );
            return;
          }
        } else {
          used = Math.min(remaining, bytes.length);
          remaining -= used;
          done = remaining === 0;
        }
        await writeAll(c.up!, bytes.subarray(0, used));
        bytes = bytes.subarray(used);
        if (done) {
          head = null;
          chunked = null;
          c.why = "idle";
          c.deadline = Date.now() + limits.idleTimeoutMs;
        }
      }
    }
    // The client is done sending: the server may still answer what it sent.
    if (c.up && !c.closed) await c.up.closeWrite().catch(() => close(c));
    else close(c);
  } catch {
    close(c);
  }
}

/** Closes the connections past their deadline; a late head gets a 408 first. */
function sweep(): void {
  const now = Date.now();
  for (const c of connections) {
    if (c.deadline > now) continue;
    if (c.why === "header" || c.why === "body") {
      const what = c.why === "header" ? "the request head" : "the request body";
      refuse(c, 408, REASONS[408], `${what} did not arrive in time`);
    } else {
      close(c);
    }
  }
}

async function accept(l: Deno.Listener): Promise<void> {
  try {
    for await (const conn of l) serve(conn);
  } catch {
    // The listener closed.
  }
}

scope.onmessage = (event: MessageEvent<ToFront>) => {
  const message = event.data;
  if (message.type === "listen") {
    limits = message.limits;
    upstream = message.upstream;
    try {
      if ("path" in message.bind) {
        listener = Deno.listen({ transport: "unix", path: message.bind.path });
        // The socket is the API: only this user may reach it.
        Deno.chmodSync(message.bind.path, 0o600);
        post({ type: "listening", addr: { path: message.bind.path } });
      } else {
        listener = Deno.listen({
          hostname: message.bind.hostname,
          port: message.bind.port,
        });
        const addr = listener.addr as Deno.NetAddr;
        post({
          type: "listening",
          addr: { hostname: addr.hostname, port: addr.port },
        });
      }
    } catch (error) {
      post({
        type: "failed",
        message: (error as Error).message,
        code: (error as Error).name,
      });
      return;
    }
    sweeper = setInterval(sweep, Math.min(250, limits.headerTimeoutMs / 4));
    accept(listener);
  } else if (message.type === "stop-accepting") {
    listener?.close();
    listener = null;
  } else if (message.type === "close") {
    listener?.close();
    listener = null;
    clearInterval(sweeper);
    for (const c of [...connections]) close(c);
    post({ type: "closed" });
  }
};
