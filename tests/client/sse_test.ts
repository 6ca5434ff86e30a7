/**
 * The client's SSE reader against the event-stream rules, chunk boundaries
 * included: each edge a server or a proxy may produce.
 */

import { readEvents, type StreamEvent } from "../../client/sse.ts";
import { assertEquals } from "../_helpers/assert.ts";

/** The events of a body sent as these chunks (each a string, UTF-8 encoded). */
async function events(...chunks: string[]): Promise<StreamEvent[]> {
  const encoder = new TextEncoder();
  const body = ReadableStream.from(chunks.map((c) => encoder.encode(c)));
  const out: StreamEvent[] = [];
  for await (const e of readEvents(body)) out.push(e);
  return out;
}

const msg = (data: string, id?: string, event = "message"): StreamEvent => ({ event, id, data });

Deno.test("SSE: a CRLF cut between two chunks is one line end, not an empty line", async () => {
  assertEquals(await events("data: a\r", "\ndata: b\r\n\r\n"), [msg("a\nb")]);
  assertEquals(await events("data: a\r\n\r", "\n"), [msg("a")]);
});

Deno.test("SSE: CR-only and LF-only line ends, and a mix of all three", async () => {
  assertEquals(await events("data: one\r\rdata: two\r\r"), [msg("one"), msg("two")]);
  assertEquals(await events("data: x\n\n"), [msg("x")]);
  assertEquals(await events("data: a\rdata: b\ndata: c\r\n\r\n"), [msg("a\nb\nc")]);
});

Deno.test("SSE: an id with NUL is ignored; the last id stays until replaced", async () => {
  assertEquals(
    await events("id: 1\ndata: a\n\ndata: b\n\nid: 2\0x\ndata: c\n\nid: 3\ndata: d\n\n"),
    [msg("a", "1"), msg("b", "1"), msg("c", "1"), msg("d", "3")],
  );
});

Deno.test("SSE: BOM, comments, one space dropped, no-colon fields, events without data", async () => {
  assertEquals(
    await events(
      "\uFEFF: a comment\nevent: end\ndata:  two spaces\n\n",
      "event: ignored\n\n",
      "data\n\n",
      "data:tight\nretry: 100\nunknown: x\n\n",
      "data: unterminated",
    ),
    [msg(" two spaces", undefined, "end"), msg(""), msg("tight")],
  );
});

Deno.test("SSE: a UTF-8 character cut between chunks", async () => {
  const bytes = new TextEncoder().encode("data: é😀\n\n");
  const body = ReadableStream.from(Array.from(bytes, (b) => new Uint8Array([b])));
  const out: StreamEvent[] = [];
  for await (const e of readEvents(body)) out.push(e);
  assertEquals(out, [msg("é😀")]);
});
