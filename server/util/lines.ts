/**
 * Splitting a byte stream into text lines, fast: one decode per chunk, no
 * per-byte work in JavaScript.
 *
 * @module
 */

/** Bytes read at a time, into one buffer reused for the whole stream. */
const CHUNK_BYTES = 64 * 1024;

/** What can be read a chunk at a time straight into a buffer (a socket, say). */
export interface ChunkReader {
  /** Fills the start of `buffer`: how many bytes, or null at the end. */
  read(buffer: Uint8Array): Promise<number | null>;
}

/** Gives the source's chunks one at a time; `close` when done with it (early or not). */
interface Chunks {
  /** The next chunk (valid until the next call), or null at the end. */
  next(): Promise<Uint8Array | null>;
  /**
   * The most one read gives: a shorter chunk took all the source had ready
   * (0 when that cannot be told, as of a stream that makes its own chunks).
   */
  readonly capacity: number;
  close(): Promise<void>;
}

/**
 * The source's chunks, read into one reused buffer. A `ChunkReader` is read
 * with no stream in between, and so is a byte stream (a pipe) through a
 * BYOB reader: a stream's default reader allocates a fresh 64 KiB buffer per
 * read, which in a session's life cost more than its reads (measured). No
 * async generator: its promise hops were half the cost of a short chunk
 * (measured, two end marks per job).
 */
function chunksOf(source: ReadableStream<Uint8Array> | ChunkReader): Chunks {
  if (!(source instanceof ReadableStream)) {
    const buffer = new Uint8Array(CHUNK_BYTES);
    return {
      next: async () => {
        const n = await source.read(buffer);
        return n === null ? null : buffer.subarray(0, n);
      },
      capacity: CHUNK_BYTES,
      close: () => Promise.resolve(),
    };
  }
  let byob: ReadableStreamBYOBReader | null = null;
  try {
    byob = source.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream.
  }
  if (!byob) {
    const reader = source.getReader();
    let ended = false;
    return {
      next: async () => {
        const { value, done } = await reader.read();
        if (done) ended = true;
        return done ? null : value;
      },
      capacity: 0,
      close: async () => {
        if (!ended) await reader.cancel().catch(() => {});
        reader.releaseLock();
      },
    };
  }
  const reader = byob;
  let buffer = new ArrayBuffer(CHUNK_BYTES);
  let ended = false;
  return {
    next: async () => {
      const { value, done } = await reader.read(new Uint8Array(buffer));
      if (done || !value) {
        ended = true;
        return null;
      }
      buffer = value.buffer as ArrayBuffer;
      return value;
    },
    capacity: CHUNK_BYTES,
    // Left early (the line handler threw): cancel, as a stream's own iterator does, so that
    // a pipe nobody reads any more does not leave its writer blocked.
    close: async () => {
      if (!ended) await reader.cancel().catch(() => {});
      reader.releaseLock();
    },
  };
}

/**
 * How long a reader may work on chunks that keep coming without letting the
 * event loop take a turn, ms (time waiting for a chunk does not count).
 * Output that is always ready (a job printing as fast as it can) would
 * otherwise keep one reader's promises going while timers, other streams
 * and HTTP requests wait (measured: 93 ms of lag, p50, during a flood). A
 * timer, not an immediate: an immediate lets the loop poll once, and an
 * HTTP request needs several polls (measured: /health 129 ms p50 with
 * immediates, 6 ms with timers).
 *
 * A reader that takes all its source had ready (a chunk shorter than it
 * could be) keeps up with it, and the loop has its time until more comes:
 * it counts afresh. A timer of 0 ms fires after 1-2 ms (2.1 ms measured
 * here): the reader of a job printing 1 000 lines per write waited there
 * every 4 ms, with nothing else to let through (measured without those
 * waits: lines/s to SSE +21-36%, /health p50 as fast during it; a job
 * printing 1 GiB without a newline fills every read and waits as before).
 */
const TURN_MS = 4;

/** The longest line handed over whole, in characters; a longer one comes in pieces. */
export const MAX_LINE_CHARS = 16_384;

/**
 * Receives one line (without its `\n`, or `\r\n`). `partial`: the line was
 * longer than the limit and this is one of its pieces; the next call
 * continues it (its last piece comes with `partial` false). `at`: when the
 * chunk it ended in was read (ms since the epoch), one reading for all the
 * lines of a chunk: a clock read per line was a number allocated per line.
 */
export type LineHandler = (
  line: string,
  partial: boolean,
  at: number,
) => void | Promise<void>;

/** Where to cut `text` at most `max` characters in, without splitting a surrogate pair. */
function cutAt(text: string, max: number): number {
  return Math.max(pieceEnd(text, 0, max), 1);
}

/**
 * The end of a piece of `text` from `from`, at most `count` long, that does
 * not split a surrogate pair (so possibly `from` itself, for a count of 1).
 */
function pieceEnd(text: string, from: number, count: number): number {
  const code = text.charCodeAt(from + count - 1);
  return code >= 0xd800 && code <= 0xdbff ? from + count - 1 : from + count;
}

/**
 * Calls `onLine` for every line of the source; resolves at the end. Linear
 * in the bytes read: each chunk is searched once for newlines, and what is
 * held of an unfinished line never exceeds `maxLineChars` (a longer line is
 * handed over in pieces of that size), so output without newlines costs no
 * more than output with them.
 */
export async function forEachLine(
  source: ReadableStream<Uint8Array> | ChunkReader,
  onLine: LineHandler,
  maxLineChars: number = MAX_LINE_CHARS,
): Promise<void> {
  const decoder = new TextDecoder();
  let held = "";
  /** Time spent on chunks since the loop last had a turn or the source ran dry, ms. */
  let busy = 0;
  const emit = async (line: string, partial: boolean, at: number) => {
    while (line.length > maxLineChars) {
      const cut = cutAt(line, maxLineChars);
      const pending = onLine(line.slice(0, cut), true, at);
      if (pending) await pending;
      line = line.slice(cut);
    }
    if (!partial && line.endsWith("\r")) line = line.slice(0, -1);
    if (partial && line.length === 0) return;
    const pending = onLine(line, partial, at);
    if (pending) await pending;
  };
  const chunks = chunksOf(source);
  try {
    for (let chunk; (chunk = await chunks.next()) !== null;) {
      if (busy > TURN_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        busy = 0;
      }
      const began = performance.now();
      await onChunk(chunk);
      busy = chunk.length < chunks.capacity ? 0 : busy + performance.now() - began;
    }
  } finally {
    await chunks.close();
  }
  held += decoder.decode();
  if (held) await emit(held, false, Date.now());

  async function onChunk(chunk: Uint8Array): Promise<void> {
    const at = Date.now();
    const text = decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      const line = held ? held + text.slice(start, nl) : text.slice(start, nl);
      held = "";
      start = nl + 1;
      // Most lines are short and need no wait: no promise made for them.
      if (line.length <= maxLineChars && !line.endsWith("\r")) {
        const pending = onLine(line, false, at);
        if (pending) await pending;
      } else {
        await emit(line, false, at);
      }
    }
    // An unfinished line past the limit goes out in pieces, cut straight from the chunk (no
    // string the size of the line is ever built); the rest waits for what follows.
    if (held.length + text.length - start > maxLineChars) {
      if (held) {
        const end = pieceEnd(text, start, maxLineChars - held.length);
        const pending = onLine(held + text.slice(start, end), true, at);
        if (pending) await pending;
        held = "";
        start = end;
      }
      while (text.length - start > maxLineChars) {
        const end = Math.max(pieceEnd(text, start, maxLineChars), start + 1);
        const pending = onLine(text.slice(start, end), true, at);
        if (pending) await pending;
        start = end;
      }
    }
    if (start < text.length) held += text.slice(start);
  }
}
