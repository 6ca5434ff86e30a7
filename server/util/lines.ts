/**
 * Splitting a byte stream into text lines, fast: one decode per chunk, no
 * per-byte work in JavaScript.
 *
 * @module
 */

/** Calls `onLine` for every line of the stream (without its `\n`); resolves at the end. */
export async function forEachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void | Promise<void>,
): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
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
