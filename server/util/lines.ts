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

/**
 * The source's chunks, read into one reused buffer. A `ChunkReader` is read
 * with no stream in between, and so is a byte stream (a pipe) through a
 * BYOB reader: a stream's default reader allocates a fresh 64 KiB buffer per
 * read, which in a session's life cost more than its reads (measured). Each
 * chunk is only valid until the next one is asked for.
 */
async function* chunksOf(
  source: ReadableStream<Uint8Array> | ChunkReader,
): AsyncGenerator<Uint8Array> {
  if (!(source instanceof ReadableStream)) {
    const buffer = new Uint8Array(CHUNK_BYTES);
    for (let n; (n = await source.read(buffer)) !== null;) yield buffer.subarray(0, n);
    return;
  }
  let reader: ReadableStreamBYOBReader;
  try {
    reader = source.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream.
    yield* source;
    return;
  }
  let ended = false;
  try {
    let buffer = new ArrayBuffer(CHUNK_BYTES);
    while (true) {
      const { value, done } = await reader.read(new Uint8Array(buffer));
      if (done || !value) {
        ended = true;
        return;
      }
      yield value;
      buffer = value.buffer as ArrayBuffer;
    }
  } finally {
    // Left early (the line handler threw): cancel, as a stream's own iterator does, so that
    // a pipe nobody reads any more does not leave its writer blocked.
    if (!ended) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** Calls `onLine` for every line of the source (without its `\n`); resolves at the end. */
export async function forEachLine(
  source: ReadableStream<Uint8Array> | ChunkReader,
  onLine: (line: string) => void | Promise<void>,
): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of chunksOf(source)) {
    const text = rest + decoder.decode(chunk, { stream: true });
    const parts = text.split("\n");
    rest = parts.pop()!;
    for (const line of parts) {
      const pending = onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
      if (pending) await pending;
    }
  }
  rest += decoder.decode();
  if (rest) await onLine(rest);
}
