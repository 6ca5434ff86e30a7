/**
 * An answer as the HTTP handler gives it to the front: a status, headers,
 * and a body that is all there (text or bytes) or an event stream. Plainer
 * than a `Response`: reading a `Response`'s headers and body back costs more
 * than many a handler (measured: a quarter of a `job.status` request).
 *
 * @module
 */

/** One answer. */
export class HttpReply {
  constructor(
    readonly status: number,
    /** Header names in lower case. */
    readonly headers: Readonly<Record<string, string>>,
    /** A stream is written as it comes (an event stream); the rest at once, with its length. */
    readonly body: string | Uint8Array | ReadableStream<Uint8Array> | null = null,
  ) {}
}

/** Bytes free before a streamed body's chunk for its framing: the size in hex (8 digits at most), CRLF. */
export const CHUNK_HEAD_ROOM = 10;
/** Bytes free after it: CRLF. */
export const CHUNK_TAIL_ROOM = 2;

/** Chunks whose buffer has room for their framing, and is theirs alone. */
const framable = new WeakSet<Uint8Array>();

/**
 * Marks a streamed body's chunk as framable in place: its buffer has
 * {@linkcode CHUNK_HEAD_ROOM} free bytes before it and
 * {@linkcode CHUNK_TAIL_ROOM} after it, and nothing else reads that buffer,
 * so the front writes the chunk's framing around it instead of copying it
 * into a framed one (a job's live log is megabytes of events a second).
 */
export function withFramingRoom(chunk: Uint8Array): Uint8Array {
  if (
    chunk.byteOffset >= CHUNK_HEAD_ROOM &&
    chunk.byteOffset + chunk.length + CHUNK_TAIL_ROOM <= chunk.buffer.byteLength
  ) framable.add(chunk);
  return chunk;
}

/** Whether {@linkcode withFramingRoom} marked `chunk`. */
export function hasFramingRoom(chunk: Uint8Array): boolean {
  return framable.has(chunk);
}
