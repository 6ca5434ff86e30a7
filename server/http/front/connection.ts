/**
 * One client connection: its requests read against their deadlines,
 * handed to the handler one at a time, answered in order.
 *
 * A request head within `headerTimeoutMs` of its first byte (or of the
 * connection) and `maxHeaderBytes`; its body within `bodyTimeoutMs` of its
 * head, at most `maxBodyBytes`, kept as it arrives (memory follows what was
 * sent, never what was declared); no byte either way for `idleTimeoutMs`
 * between requests or while an answer goes out closes it. While the handler
 * works on a request, one read watches for the client leaving (its signal
 * aborts then) and holds what a pipelining client sent next.
 *
 * @module
 */

import type { HttpRequest } from "../http_request.ts";
import { HttpReply } from "../http_reply.ts";
import { ChunkedBody, headEnd, HeadError, parseHead, type RequestHead } from "./head.ts";
import { IncomingRequest } from "./incoming_request.ts";
import { refusal, writeResponse } from "./reply.ts";

/** The limits of every connection. */
export interface FrontLimits {
  maxConnections: number;
  headerTimeoutMs: number;
  bodyTimeoutMs: number;
  idleTimeoutMs: number;
  maxHeaderBytes: number;
  maxBodyBytes: number;
}

/** Answers a request. */
export type Handler = (request: HttpRequest) => Promise<HttpReply>;

/** Bytes read at a time: one buffer per connection (500 slow ones: 8 MiB). */
const READ_BYTES = 16 * 1024;
const EMPTY = new Uint8Array(0);

/** What a connection is waiting for, and so which deadline runs. */
export type Phase = "header" | "body" | "idle" | "busy";

/** One client connection. */
export class Connection {
  /** When it is closed unless it makes progress (ms since epoch); none while `busy`. */
  deadline: number;
  phase: Phase = "header";
  closed = false;
  /** The request being answered. */
  #request: IncomingRequest | null = null;
  /** Read and not consumed yet. */
  #pending: Uint8Array = EMPTY;
  #reading: Promise<boolean> | null = null;
  #ended = false;
  /** Answer this request, then close (a shutdown is under way). */
  #last = false;
  readonly #buffer = new Uint8Array(READ_BYTES);
  readonly #peer: string;
  /** The last head parsed here, and its bytes: a client's next request often has the same. */
  #lastHead: { bytes: Uint8Array; head: RequestHead } | null = null;

  constructor(
    readonly conn: Deno.Conn,
    readonly limits: FrontLimits,
    readonly handler: Handler,
    readonly onClose: (c: Connection) => void,
  ) {
    this.deadline = Date.now() + limits.headerTimeoutMs;
    this.#peer = conn.remoteAddr.transport === "tcp"
      ? (conn.remoteAddr as Deno.NetAddr).hostname
      : "unix";
  }

  /**
   * Between requests (or before the first byte of one): nothing is lost by
   * closing it now. Not while an answer goes out (an event stream included).
   */
  get idle(): boolean {
    return this.#request === null && (this.phase === "idle" || this.phase === "header") &&
      this.#pending.length === 0;
  }

  /** Serves its requests until it closes. */
  async serve(): Promise<void> {
    try {
      while (!this.closed) {
        const head = await this.#head();
        if (!head) break;
        const body = await this.#body(head);
        if (!body) break;
        if (!await this.#answer(head, body)) break;
      }
    } catch {
      // The connection failed.
    }
    this.close();
  }

  /** Closes it; the request being answered is told its client is gone. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#request?.gone();
    try {
      this.conn.close();
    } catch {
      // Closed already.
    }
    this.onClose(this);
  }

  /** Answers the client itself, then closes. */
  async refuse(status: number, message: string): Promise<void> {
    if (this.closed) return;
    this.phase = "busy"; // no second refusal from the sweep
    await this.#write(refusal(status, message)).catch(() => {});
    this.close();
  }

  /** Answers the request in hand, then closes (a shutdown). */
  finishAndClose(): void {
    this.#last = true;
  }

  /** Reads once more; false at the end of the stream (or when it failed). */
  #read(): Promise<boolean> {
    this.#reading ??= (async () => {
      try {
        const n = this.#ended ? null : await this.conn.read(this.#buffer);
        if (n === null) {
          this.#ended = true;
          return false;
        }
        const bytes = this.#buffer.slice(0, n);
        if (this.#pending.length === 0) this.#pending = bytes;
        else {
          const joined = new Uint8Array(this.#pending.length + n);
          joined.set(this.#pending);
          joined.set(bytes, this.#pending.length);
          this.#pending = joined;
        }
        return true;
      } catch {
        this.#ended = true;
        return false;
      } finally {
        this.#reading = null;
      }
    })();
    return this.#reading;
  }

  async #write(bytes: Uint8Array): Promise<void> {
    for (let off = 0; off < bytes.length;) {
      if (this.phase === "idle") this.deadline = Date.now() + this.limits.idleTimeoutMs;
      off += await this.conn.write(bytes.subarray(off));
    }
  }

  /** The next request's head; null when the connection ends (or was refused). */
  async #head(): Promise<RequestHead | null> {
    let searched = 0;
    for (;;) {
      // Blank lines before a request line are allowed (RFC 9112 2.2).
      while (
        this.#pending.length && (this.#pending[0] === 13 || this.#pending[0] === 10)
      ) this.#pending = this.#pending.subarray(1);
      if (this.#pending.length) {
        if (this.phase === "idle") {
          // A head has started: it has headerTimeoutMs to complete.
          this.phase = "header";
          this.deadline = Date.now() + this.limits.headerTimeoutMs;
        }
        const end = headEnd(this.#pending, Math.max(0, searched - 3));
        if (
          end > this.limits.maxHeaderBytes ||
          (end < 0 && this.#pending.length > this.limits.maxHeaderBytes)
        ) {
          await this.refuse(
            431,
            `the request head is larger than ${this.limits.maxHeaderBytes} bytes`,
          );
          return null;
        }
        if (end >= 0) {
          const bytes = this.#pending.subarray(0, end);
          this.#pending = this.#pending.subarray(end);
          // The same bytes as the last head (a client polling, say): the same head, which
          // nothing changes, without parsing them again.
          if (this.#lastHead && sameBytes(bytes, this.#lastHead.bytes)) {
            return this.#lastHead.head;
          }
          try {
            const head = parseHead(bytes, this.#peer, this.limits.maxBodyBytes);
            this.#lastHead = { bytes: bytes.slice(), head };
            return head;
          } catch (error) {
            if (!(error instanceof HeadError)) throw error;
            await this.refuse(error.status, error.message);
            return null;
          }
        }
        searched = this.#pending.length;
      }
      if (!await this.#read()) return null;
    }
  }

  /** A request's body, as it arrives; null when the connection ends (or was refused). */
  async #body(head: RequestHead): Promise<Uint8Array | null> {
    if (head.body.kind === "none") return EMPTY;
    if (head.expectContinue && !head.http10) {
      await this.#write(new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n"));
    }
    this.phase = "body";
    this.deadline = Date.now() + this.limits.bodyTimeoutMs;
    const parts: Uint8Array[] = [];
    let size = 0;
    if (head.body.kind === "length") {
      let remaining = head.body.length;
      while (remaining > 0) {
        if (!this.#pending.length && !await this.#read()) return null;
        const take = Math.min(remaining, this.#pending.length);
        parts.push(this.#pending.subarray(0, take));
        this.#pending = this.#pending.subarray(take);
        remaining -= take;
        size += take;
      }
    } else {
      // Copies, not views of what was read: a body of tiny chunks would otherwise keep every
      // read buffer alive, framing and all, until its end.
      const chunked = new ChunkedBody((data) => {
        parts.push(data.slice());
        size += data.length;
      });
      for (;;) {
        if (!this.#pending.length && !await this.#read()) return null;
        let result;
        try {
          result = chunked.consume(this.#pending);
        } catch (error) {
          if (!(error instanceof HeadError)) throw error;
          await this.refuse(error.status, error.message);
          return null;
        }
        this.#pending = this.#pending.subarray(result.used);
        // The framing counts too (chunk sizes, extensions, trailers), with some room for it.
        if (size > this.limits.maxBodyBytes || chunked.total > this.limits.maxBodyBytes + 65536) {
          await this.refuse(413, `the body is larger than ${this.limits.maxBodyBytes} bytes`);
          return null;
        }
        if (result.done) break;
      }
    }
    if (parts.length === 1) return parts[0];
    const body = new Uint8Array(size);
    let offset = 0;
    for (const part of parts) {
      body.set(part, offset);
      offset += part.length;
    }
    return body;
  }

  /** Hands the request to the handler and writes its answer; whether to go on. */
  async #answer(head: RequestHead, body: Uint8Array): Promise<boolean> {
    const target = head.target;
    const url = target.startsWith("/")
      ? `http://localhost${target}`
      : head.method === "OPTIONS" && target === "*"
      ? "http://localhost/"
      : /^https?:\/\/[^/]/i.test(target)
      ? target
      : null;
    if (url === null) {
      await this.refuse(400, "malformed request target");
      return false;
    }
    const request = new IncomingRequest(head.method, url, head.headers, body);
    this.#request = request;
    this.phase = "busy";
    // Told when the client leaves meanwhile; holds what it sends next for the next head.
    if (!this.#pending.length) {
      this.#read().then((more) => {
        if (!more) request.gone();
      });
    }
    let response: HttpReply;
    try {
      response = await this.handler(request);
    } catch {
      response = new HttpReply(
        500,
        { "content-type": "application/json" },
        JSON.stringify({ error: { code: -32603, message: "Internal error" } }),
      );
    }
    if (this.closed) {
      if (response.body instanceof ReadableStream) await response.body.cancel().catch(() => {});
      return false;
    }
    this.phase = "idle";
    this.deadline = Date.now() + this.limits.idleTimeoutMs;
    let keep: boolean;
    try {
      keep = await writeResponse(response, {
        headOnly: head.method === "HEAD",
        keepAlive: head.keepAlive && !this.#last,
        http10: head.http10,
        write: (bytes) => this.#write(bytes),
      });
    } finally {
      this.#request = null;
    }
    return keep && !this.#last && !(this.#ended && !this.#pending.length);
  }
}

/** Whether two byte arrays hold the same bytes. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
