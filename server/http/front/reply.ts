/**
 * An answer written as HTTP/1.1: a finished body in one write with its
 * length (head and body together: one packet for a small answer), an event
 * stream chunk by chunk as it comes (close-delimited for HTTP/1.0).
 *
 * @module
 */

import { hasFramingRoom, type HttpReply } from "../http_reply.ts";

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

const REASONS: Record<number, string> = {
  100: "Continue",
  200: "OK",
  201: "Created",
  204: "No Content",
  206: "Partial Content",
  301: "Moved Permanently",
  302: "Found",
  304: "Not Modified",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Content Too Large",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};

/** Headers the front sets itself: the handler's own are dropped. */
const FRAMING = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);

/** How an answer goes out. */
export interface ReplyOptions {
  /** A HEAD request: the head only. */
  headOnly: boolean;
  keepAlive: boolean;
  http10: boolean;
  /** Writes all of `bytes` (rejects once the connection is gone). */
  write: (bytes: Uint8Array) => Promise<void>;
}

/** Writes `reply`; resolves whether the connection may serve another request. */
export async function writeResponse(reply: HttpReply, options: ReplyOptions): Promise<boolean> {
  const status = reply.status;
  const body = reply.body;
  const streaming = body instanceof ReadableStream;
  const keepAlive = options.keepAlive && !(streaming && options.http10);
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}\r\n`;
  for (const name in reply.headers) {
    if (!FRAMING.has(name)) head += `${name}: ${reply.headers[name]}\r\n`;
  }
  if (!keepAlive) head += "connection: close\r\n";
  else if (options.http10) head += "connection: keep-alive\r\n";
  if (streaming) {
    if (options.headOnly) {
      await body.cancel().catch(() => {});
      await options.write(encoder.encode(head + "\r\n"));
      return keepAlive;
    }
    if (!options.http10) head += "transfer-encoding: chunked\r\n";
    const reader = body.getReader();
    try {
      await options.write(encoder.encode(head + "\r\n"));
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (!value.length) continue;
        await options.write(options.http10 ? value : chunk(value));
      }
      if (!options.http10) await options.write(encoder.encode("0\r\n\r\n"));
    } catch (error) {
      reader.cancel(error).catch(() => {});
      throw error;
    }
    return keepAlive;
  }
  const noBody = status === 204 || status === 304 || status < 200;
  if (typeof body === "string" && !noBody && !options.headOnly) {
    // Head and body encoded at once: one buffer, not three (an answer's garbage is much of
    // a small request's cost).
    await options.write(
      encoder.encode(`${head}content-length: ${utf8Length(body)}\r\n\r\n${body}`),
    );
    return keepAlive;
  }
  const bytes = body === null ? EMPTY : typeof body === "string" ? encoder.encode(body) : body;
  if (!noBody) head += `content-length: ${bytes.length}\r\n`;
  head += "\r\n";
  if (noBody || options.headOnly || bytes.length === 0) {
    await options.write(encoder.encode(head));
    return keepAlive;
  }
  // Head and body in one write: one packet for a small answer.
  const headBytes = encoder.encode(head);
  const all = new Uint8Array(headBytes.length + bytes.length);
  all.set(headBytes);
  all.set(bytes, headBytes.length);
  await options.write(all);
  return keepAlive;
}

/**
 * An answer the front gives itself, before it closes the connection: the
 * status, and the message as a JSON-RPC error object (-32003 for 503, the
 * server being unable to take more; -32600 for what the request did wrong).
 */
export function refusal(status: number, message: string): Uint8Array {
  const code = status === 503 ? -32003 : -32600;
  const body = JSON.stringify({ error: { code, message } });
  return encoder.encode(
    `HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}\r\nconnection: close\r\n` +
      `content-type: application/json\r\ncontent-length: ${
        encoder.encode(body).length
      }\r\n\r\n${body}`,
  );
}

/**
 * How many bytes `text` takes in UTF-8 (a lone surrogate as U+FFFD's three,
 * as `TextEncoder` writes it), without encoding it.
 */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      bytes += 1;
      continue;
    }
    // Three bytes for one code unit; a surrogate pair is four for its two.
    bytes += 2;
    const next = text.charCodeAt(i + 1);
    if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
  }
  return bytes;
}

/**
 * One chunk of a chunked body, framing included: written around the data
 * when its buffer has room for it (see `withFramingRoom`), else a copy.
 */
function chunk(data: Uint8Array): Uint8Array {
  const digits = data.length.toString(16);
  const start = data.byteOffset - digits.length - 2;
  if (hasFramingRoom(data) && start >= 0) {
    const framed = new Uint8Array(data.buffer, start, digits.length + 2 + data.length + 2);
    for (let i = 0; i < digits.length; i++) framed[i] = digits.charCodeAt(i);
    framed[digits.length] = 13;
    framed[digits.length + 1] = 10;
    framed[framed.length - 2] = 13;
    framed[framed.length - 1] = 10;
    return framed;
  }
  const size = encoder.encode(`${digits}\r\n`);
  const out = new Uint8Array(size.length + data.length + 2);
  out.set(size);
  out.set(data, size.length);
  out[out.length - 2] = 13;
  out[out.length - 1] = 10;
  return out;
}
