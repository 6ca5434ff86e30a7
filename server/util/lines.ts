/**
 * Splitting a byte stream into text lines, fast: one decode per chunk, no
 * per-byte work in JavaScript.
 *
 * @module
 */

/** Bytes read at a time, into one buffer reused for the whole stream. */
const CHUNK_BYTES = 64 * 1024;

/**
 * The stream's chunks. A byte stream (a pipe, a socket) is read into one
 * reused buffer: the default reader allocates a fresh 64 KiB buffer per read,
 * which in a session's life cost more than its reads (measured). Each chunk
 * is only valid until the next one is asked for.
 */
async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = stream.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream.
    yield* stream;
    return;
  }
  try {
    let buffer = new ArrayBuffer(CHUNK_BYTES);
    while (true) {
      const { value, done } = await reader.read(new Uint8Array(buffer));
      if (done || !value) return;
      yield value;
      buffer = value.buffer as ArrayBuffer;
    }
  } finally {
    reader.releaseLock();
  }
}

/** Calls `onLine` for every line of the stream (without its `\n`); resolves at the end. */
export async function forEachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void | Promise<void>,
): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of chunksOf(stream)) {
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
