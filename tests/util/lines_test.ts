/**
 * Lines out of byte streams: a real pipe (read into one reused buffer), a
 * plain stream of chunks, lines cut across chunks, and lines longer than
 * the limit, handed over in pieces.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { forEachLine, MAX_LINE_CHARS } from "../../server/util/lines.ts";
import type { Timer } from "../../server/util/timer.ts";

async function lines(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  await forEachLine(stream, (line) => {
    out.push(line);
  });
  return out;
}

Deno.test("forEachLine: every line of a real pipe, in order, across many reads", async () => {
  // More than one read buffer's worth, so that the reused buffer is refilled many times.
  const count = 50_000;
  const child = new Deno.Command("seq", { args: ["1", String(count)], stdout: "piped" }).spawn();
  const got = await lines(child.stdout);
  await child.status;
  assertEquals(got.length, count);
  assertEquals(got, Array.from({ length: count }, (_, i) => String(i + 1)));
});

Deno.test("forEachLine: lines cut across chunks, CRLF, UTF-8 split mid-character, no final newline", async () => {
  const bytes = new TextEncoder().encode("ab\r\nc😀d\n\nlast");
  // Cut after each byte: every line and the emoji are split between chunks.
  const chunks = Array.from(bytes, (b) => new Uint8Array([b]));
  const byteStream = new ReadableStream({
    type: "bytes",
    pull(controller: ReadableByteStreamController) {
      const next = chunks.shift();
      if (next) return controller.enqueue(next);
      controller.close();
      // A byte source ends a pending BYOB read with an empty answer, as Deno's pipes do.
      controller.byobRequest?.respond(0);
    },
  });
  assertEquals(await lines(byteStream), ["ab", "c😀d", "", "last"]);
  // A stream that is not a byte stream is read chunk by chunk.
  assertEquals(await lines(ReadableStream.from(Array.from(bytes, (b) => new Uint8Array([b])))), [
    "ab",
    "c😀d",
    "",
    "last",
  ]);
});

Deno.test("forEachLine: a handler that throws cancels the pipe, so its writer is not left blocked", async () => {
  // `yes` writes without end: it only ends when its pipe is closed under it.
  const child = new Deno.Command("yes", { stdout: "piped" }).spawn();
  let seen = 0;
  const reading = forEachLine(child.stdout, () => {
    if (++seen === 3) throw new Error("enough");
  });
  await reading.then(() => {
    throw new Error("expected the handler's error");
  }, (error: Error) => assertEquals(error.message, "enough"));
  let timer: Timer | undefined;
  const status = await Promise.race([
    child.status,
    new Promise<null>((r) => (timer = setTimeout(() => r(null), 5000))),
  ]);
  clearTimeout(timer);
  if (!status) {
    child.kill("SIGKILL");
    await child.status;
  }
  assertEquals(status?.signal, "SIGPIPE", "the writer ends on its closed pipe");
});

Deno.test("forEachLine: a line longer than the limit comes in pieces, none lost", async () => {
  // 3.5 pieces' worth without a newline through a real pipe, then a short line.
  const long = "a".repeat(MAX_LINE_CHARS * 3) + "b".repeat(MAX_LINE_CHARS / 2);
  const child = new Deno.Command("printf", { args: ["%s\\nshort\\n", long], stdout: "piped" })
    .spawn();
  const pieces: [string, boolean][] = [];
  await forEachLine(child.stdout, (line, partial) => {
    pieces.push([line, partial]);
  });
  await child.status;
  assertEquals(pieces.map(([l, p]) => [l.length, p]), [
    [MAX_LINE_CHARS, true],
    [MAX_LINE_CHARS, true],
    [MAX_LINE_CHARS, true],
    [MAX_LINE_CHARS / 2, false],
    [5, false],
  ]);
  assertEquals(pieces.slice(0, 4).map(([l]) => l).join(""), long);
});

Deno.test("forEachLine: pieces never split a surrogate pair; CRLF is cut only at a line's end", async () => {
  const limit = 8;
  // An emoji (two UTF-16 units) across the cut, then a CRLF line.
  const text = "1234567😀89\r\nend\r";
  const chunks = [...new TextEncoder().encode(text)].map((b) => new Uint8Array([b]));
  const pieces: [string, boolean][] = [];
  await forEachLine(ReadableStream.from(chunks), (line, partial) => {
    pieces.push([line, partial]);
  }, limit);
  assertEquals(pieces, [["1234567", true], ["😀89", false], ["end", false]]);
  assert(pieces.every(([l]) => l.length <= limit));
});

Deno.test("forEachLine: each line comes with when its chunk was read, one reading a chunk", async () => {
  const encoder = new TextEncoder();
  const chunks = ["a\nb\nc", "d\ne\n", "f"].map((text) => encoder.encode(text));
  /** Date.now() as each chunk was handed over. */
  const times: number[] = [];
  const source = {
    read: (buffer: Uint8Array) => {
      const next = chunks.shift();
      if (!next) return Promise.resolve(null);
      times.push(Date.now());
      buffer.set(next);
      return Promise.resolve(next.length);
    },
  };
  const got: [string, number][] = [];
  await forEachLine(source, async (line, _partial, at) => {
    got.push([line, at]);
    // Handling a line takes time: the next line of the same chunk still has its chunk's reading.
    if (line === "cd") await new Promise((resolve) => setTimeout(resolve, 20));
  });
  const after = Date.now();
  assertEquals(got.map(([line]) => line), ["a", "b", "cd", "e", "f"]);
  const at = got.map(([, at]) => at);
  assertEquals(at[0], at[1], "one reading for the lines of the first chunk");
  assertEquals(at[2], at[3], "one reading for the lines of the second, however long they took");
  // In order, each no earlier than its chunk came: "cd" ended in the second chunk.
  assert(times[0] <= at[0] && at[0] <= times[1]);
  assert(times[1] <= at[2] && at[2] <= times[2]);
  assert(times[2] <= at[4] && at[4] <= after);
});

/**
 * How many chunks (each 1 ms of work) a reader takes before a timer set
 * first gets to run: the reader of a source always full lets the loop turn,
 * one that takes all its source has each time does not need to.
 */
async function chunksBeforeTimer(chunkBytes: number): Promise<number> {
  const line = new TextEncoder().encode("x".repeat(63) + "\n");
  let given = 0;
  const source = {
    read: (buffer: Uint8Array) => {
      if (given === 40) return Promise.resolve(null);
      given++;
      for (let at = 0; at < chunkBytes; at += line.length) buffer.set(line, at);
      return Promise.resolve(chunkBytes);
    },
  };
  let fired = -1;
  const timer = setTimeout(() => (fired = given), 0);
  let lastChunk = 0;
  await forEachLine(source, () => {
    if (given === lastChunk) return;
    lastChunk = given;
    // A millisecond of work per chunk (its first line).
    for (const end = performance.now() + 1; performance.now() < end;) { /* busy */ }
  });
  clearTimeout(timer);
  return fired < 0 ? given : fired;
}

Deno.test("forEachLine: a source always full lets the loop turn; one drained each read need not", async () => {
  // 64 KiB chunks: the reader's buffer filled each time, so more was waiting.
  assert(await chunksBeforeTimer(64 * 1024) < 40, "the timer ran while the reader read");
  // 4 KiB chunks: the reader took all there was, and the source gives the loop its time.
  assertEquals(await chunksBeforeTimer(4096), 40, "the reader went on");
});
