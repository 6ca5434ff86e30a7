/**
 * HTTP/1.1 request heads and body framing, as the front reads them: where
 * each request starts and ends on a connection (so that every request's
 * head and body get their own deadline), what is malformed or ambiguous
 * (RFC 9112: a request with both `Content-Length` and `Transfer-Encoding`,
 * or two lengths, is refused), and the peer named in a header of its own.
 *
 * @module
 */

/** The header the front sets to the peer's address (any such header a client sends is dropped). */
export const PEER_HEADER = "x-hero-peer";

/** How a request's body is framed. */
export type BodyFraming =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "chunked" };

/** A parsed request head; read-only, as a connection hands the same one to identical requests. */
export interface RequestHead {
  readonly method: string;
  readonly target: string;
  /** Its headers, names in lower case, in order, the peer header set by the front. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: BodyFraming;
  /** The connection stays open after the answer (HTTP/1.1 unless `close`; 1.0 only if asked). */
  readonly keepAlive: boolean;
  /** HTTP/1.0: no chunked answers. */
  readonly http10: boolean;
  /** `Expect: 100-continue`: the client waits for a go-ahead before its body. */
  readonly expectContinue: boolean;
}

/** A request the front refuses, with the status to answer. */
export class HeadError extends Error {
  constructor(readonly status: 400 | 413 | 431 | 501, message: string) {
    super(message);
  }
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const decoder = new TextDecoder("latin1");

/** Where the head ends in `bytes` (the index after its blank line), or -1. */
export function headEnd(bytes: Uint8Array, from = 0): number {
  for (let i = Math.max(3, from); i < bytes.length; i++) {
    if (
      bytes[i] === 10 && bytes[i - 1] === 13 && bytes[i - 2] === 10 &&
      bytes[i - 3] === 13
    ) {
      return i + 1;
    }
  }
  return -1;
}

/**
 * Parses a request head (`bytes` ends with its blank line), with the peer
 * header set to `peer`. Throws {@linkcode HeadError}.
 */
export function parseHead(
  bytes: Uint8Array,
  peer: string,
  maxBodyBytes: number,
): RequestHead {
  const lines = decoder.decode(bytes).split("\r\n");
  // A head ends with an empty line; the split leaves two empty strings after it.
  lines.length -= 2;
  const [method, target, version, extra] = lines[0].split(" ");
  if (
    extra !== undefined || !method || !TOKEN.test(method) || !target ||
    !/^HTTP\/1\.[01]$/.test(version ?? "")
  ) {
    throw new HeadError(400, "malformed request line");
  }
  let length: number | null = null;
  let chunked = false;
  const http10 = version === "HTTP/1.0";
  let connection = "";
  let expectContinue = false;
  const headers: [string, string][] = [[PEER_HEADER, peer]];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(":");
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) {
      throw new HeadError(400, "malformed header line");
    }
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === PEER_HEADER) continue;
    if (name === "content-length") {
      if (
        !/^\d{1,15}$/.test(value) ||
        (length !== null && length !== Number(value))
      ) {
        throw new HeadError(400, "bad or conflicting Content-Length");
      }
      length = Number(value);
    } else if (name === "transfer-encoding") {
      if (value.toLowerCase() !== "chunked" || chunked) {
        throw new HeadError(
          501,
          `Transfer-Encoding ${JSON.stringify(value)} is not supported`,
        );
      }
      chunked = true;
    } else if (name === "connection") {
      connection += `${value.toLowerCase()},`;
    } else if (name === "expect") {
      expectContinue = value.toLowerCase() === "100-continue";
    }
    headers.push([name, value]);
  }
  if (chunked && length !== null) {
    throw new HeadError(400, "both Content-Length and Transfer-Encoding");
  }
  if (length !== null && length > maxBodyBytes) {
    throw new HeadError(413, `the body is larger than ${maxBodyBytes} bytes`);
  }
  const tokens = connection.split(",").map((t) => t.trim());
  return {
    method,
    target,
    headers,
    body: chunked ? { kind: "chunked" } : length ? { kind: "length", length } : { kind: "none" },
    keepAlive: http10 ? tokens.includes("keep-alive") : !tokens.includes("close"),
    http10,
    expectContinue,
  };
}

/**
 * Follows a chunked body's framing byte by byte: says how many of the given
 * bytes belong to the body, whether it ended there, and hands the data (the
 * body without its framing) to `onData`.
 */
export class ChunkedBody {
  #state:
    | "size"
    | "ext"
    | "size-lf"
    | "data"
    | "data-cr"
    | "data-lf"
    | "trailer"
    | "trailer-lf"
    | "done" = "size";
  #size = 0;
  #digits = 0;
  #remaining = 0;
  /** Characters of the trailer line being read (an empty line ends the body). */
  #trailerLine = 0;
  /** Body bytes seen so far (framing included). */
  total = 0;

  constructor(readonly onData: (data: Uint8Array) => void = () => {}) {}

  /** Consumes bytes from `bytes`: how many belong to the body, and whether it is complete. */
  consume(bytes: Uint8Array): { used: number; done: boolean } {
    let i = 0;
    while (i < bytes.length && this.#state !== "done") {
      const b = bytes[i];
      switch (this.#state) {
        case "size": {
          const digit = b >= 48 && b <= 57
            ? b - 48
            : b >= 97 && b <= 102
            ? b - 87
            : b >= 65 && b <= 70
            ? b - 55
            : -1;
          if (digit >= 0) {
            if (++this.#digits > 12) {
              throw new HeadError(400, "chunk size too long");
            }
            this.#size = this.#size * 16 + digit;
          } else if (b === 59 && this.#digits) {
            this.#state = "ext";
          } else if (b === 13 && this.#digits) {
            this.#state = "size-lf";
          } else {
            throw new HeadError(400, "malformed chunk size");
          }
          i++;
          break;
        }
        case "ext":
          if (b === 13) this.#state = "size-lf";
          i++;
          break;
        case "size-lf":
          if (b !== 10) throw new HeadError(400, "malformed chunk size line");
          i++;
          if (this.#size === 0) {
            this.#state = "trailer";
            this.#trailerLine = 0;
          } else {
            this.#state = "data";
            this.#remaining = this.#size;
          }
          this.#size = 0;
          this.#digits = 0;
          break;
        case "data": {
          const take = Math.min(this.#remaining, bytes.length - i);
          this.onData(bytes.subarray(i, i + take));
          this.#remaining -= take;
          i += take;
          if (this.#remaining === 0) this.#state = "data-cr";
          break;
        }
        case "data-cr":
          if (b !== 13) {
            throw new HeadError(400, "chunk data longer than its size");
          }
          this.#state = "data-lf";
          i++;
          break;
        case "data-lf":
          if (b !== 10) {
            throw new HeadError(400, "chunk data longer than its size");
          }
          this.#state = "size";
          i++;
          break;
        case "trailer":
          if (b === 13) this.#state = "trailer-lf";
          else this.#trailerLine++;
          i++;
          break;
        case "trailer-lf":
          if (b !== 10) throw new HeadError(400, "malformed trailer");
          i++;
          if (this.#trailerLine === 0) this.#state = "done";
          else {
            this.#state = "trailer";
            this.#trailerLine = 0;
          }
          break;
      }
    }
    this.total += i;
    return { used: i, done: this.#state === "done" };
  }
}
