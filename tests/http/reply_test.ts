/**
 * The front's answers: a string body goes out with its head in one buffer,
 * its `content-length` counted in UTF-8 bytes without encoding it first;
 * the count is checked against `TextEncoder` on text of every kind (lone
 * surrogates included, which it writes as U+FFFD). A streamed body goes out
 * chunked, each chunk framed around its bytes when their buffer has room
 * for it, else copied into a framed one.
 */

import { utf8Length, writeResponse } from "../../server/http/front/reply.ts";
import {
  CHUNK_HEAD_ROOM,
  CHUNK_TAIL_ROOM,
  HttpReply,
  withFramingRoom,
} from "../../server/http/http_reply.ts";
import { assertEquals } from "../_helpers/assert.ts";

/** A small seeded generator: the same strings on every run. */
function randomStrings(count: number, seed: number): string[] {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const ranges = [[0, 0x80], [0x80, 0x800], [0x800, 0xd800], [0xd800, 0xe000], [0xe000, 0x10000]];
  return Array.from({ length: count }, () => {
    let text = "";
    const length = Math.floor(next() * 12);
    for (let i = 0; i < length; i++) {
      const [from, to] = ranges[Math.floor(next() * ranges.length)];
      text += String.fromCharCode(from + Math.floor(next() * (to - from)));
    }
    return text;
  });
}

Deno.test("utf8Length counts what TextEncoder writes, lone surrogates included", () => {
  const encoder = new TextEncoder();
  const samples = [
    "",
    "plain",
    "é€😀",
    "\ud800",
    "\udc00",
    "x\udc00\ud800y",
    "\ud83d\ude00\ud83d",
    ...randomStrings(5000, 42),
  ];
  for (const text of samples) {
    assertEquals(utf8Length(text), encoder.encode(text).length, JSON.stringify(text));
  }
});

Deno.test("a string body goes out in one write, its content-length its UTF-8 bytes", async () => {
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, result: "日本語 😀 \ud800 é" });
  const writes: Uint8Array[] = [];
  const keep = await writeResponse(
    new HttpReply(200, { "content-type": "application/json" }, body),
    {
      headOnly: false,
      keepAlive: true,
      http10: false,
      write: (bytes) => {
        writes.push(bytes);
        return Promise.resolve();
      },
    },
  );
  assertEquals(keep, true);
  assertEquals(writes.length, 1);
  const text = new TextDecoder().decode(writes[0]);
  const [head, sent] = [text.slice(0, text.indexOf("\r\n\r\n")), writes[0]];
  const length = Number(head.match(/content-length: (\d+)/)![1]);
  const bodyBytes = sent.subarray(sent.length - length);
  assertEquals(sent.length - length, new TextEncoder().encode(head + "\r\n\r\n").length);
  assertEquals(new TextDecoder().decode(bodyBytes), body.toWellFormed());
});

Deno.test("a streamed body goes out chunked: framed in place where there is room, copied elsewhere", async () => {
  const sizes = [1, 15, 16, 255, 256, 4096, 70_000];
  const chunks: Uint8Array[] = [];
  const expected: number[] = [];
  sizes.forEach((size, i) => {
    const fill = 65 + (i % 26);
    expected.push(...new Array(size).fill(fill));
    // Every other chunk with room for its framing, in a buffer that starts and ends with a
    // byte the framing must not touch (more room than needed, on both sides).
    if (i % 2 === 0) {
      const buffer = new Uint8Array(CHUNK_HEAD_ROOM + 3 + size + CHUNK_TAIL_ROOM + 3).fill(33);
      const chunk = buffer.subarray(CHUNK_HEAD_ROOM + 3, CHUNK_HEAD_ROOM + 3 + size).fill(fill);
      chunks.push(withFramingRoom(chunk));
    } else {
      chunks.push(new Uint8Array(size).fill(fill));
    }
  });
  // And one marked without the room it claims: copied, as any other (its buffer untouched).
  const tightBuffer = new Uint8Array(9).fill(33);
  const tight = tightBuffer.subarray(2, 7).fill(90);
  chunks.push(withFramingRoom(tight));
  expected.push(...tight);
  const writes: Uint8Array[] = [];
  await writeResponse(
    new HttpReply(200, { "content-type": "text/event-stream" }, ReadableStream.from(chunks)),
    {
      headOnly: false,
      keepAlive: true,
      http10: false,
      write: (bytes) => {
        writes.push(bytes.slice());
        return Promise.resolve();
      },
    },
  );
  const head = new TextDecoder().decode(writes[0]);
  assertEquals(head.includes("transfer-encoding: chunked\r\n"), true);
  // The body decoded as a client does: size line, bytes, CRLF, up to the last chunk.
  const body = writes.slice(1);
  const all = new Uint8Array(body.reduce((n, w) => n + w.length, 0));
  body.reduce((at, w) => (all.set(w, at), at + w.length), 0);
  const decoded: number[] = [];
  let at = 0;
  let count = 0;
  for (;;) {
    const eol = all.indexOf(10, at);
    const size = parseInt(new TextDecoder().decode(all.subarray(at, eol - 1)), 16);
    assertEquals(all[eol - 1], 13);
    at = eol + 1;
    if (size === 0) break;
    decoded.push(...all.subarray(at, at + size));
    assertEquals([all[at + size], all[at + size + 1]], [13, 10]);
    at += size + 2;
    count++;
  }
  assertEquals(at + 2, all.length, "the last chunk, then its CRLF");
  assertEquals(count, chunks.length);
  assertEquals(decoded, expected);
  assertEquals([...tightBuffer], [33, 33, 90, 90, 90, 90, 90, 33, 33]);
  // The chunks with room were framed where they lay (no copy); what stood around the framing
  // in their buffers is as it was.
  for (let i = 0; i < sizes.length; i += 2) {
    const buffer = new Uint8Array(chunks[i].buffer);
    const { byteOffset, length } = chunks[i];
    assertEquals(
      [buffer[byteOffset - 2], buffer[byteOffset - 1], buffer[byteOffset + length]],
      [13, 10, 13],
    );
    assertEquals([...buffer.subarray(0, 3), ...buffer.subarray(-3)], new Array(6).fill(33));
  }
});
