/**
 * The front's answers: a string body goes out with its head in one buffer,
 * its `content-length` counted in UTF-8 bytes without encoding it first;
 * the count is checked against `TextEncoder` on text of every kind (lone
 * surrogates included, which it writes as U+FFFD).
 */

import { utf8Length, writeResponse } from "../../server/http/front/reply.ts";
import { HttpReply } from "../../server/http/http_reply.ts";
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
