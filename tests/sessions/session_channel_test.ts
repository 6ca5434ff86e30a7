/**
 * The frame channel: a token is good for one connection, so seeing a
 * session's token (it is among the host's arguments) gets a peer nothing.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { SessionChannel } from "../../server/sessions/session_channel.ts";
import type { SessionFrame } from "../../server/sessions/frames.ts";
import type { Timer } from "../../server/util/timer.ts";

const encoder = new TextEncoder();

/** Connects, sends `lines`, and resolves once the channel hung up (true) or after 1 s (false). */
async function hungUp(path: string, lines: string[]): Promise<boolean> {
  const conn = await Deno.connect({ transport: "unix", path });
  await conn.write(encoder.encode(lines.map((l) => l + "\n").join("")));
  let timer: Timer | undefined;
  const closed = await Promise.race([
    conn.read(new Uint8Array(16)).then((n) => n === null, () => true),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 1000))),
  ]);
  clearTimeout(timer);
  conn.close();
  return closed;
}

Deno.test("session channel: one connection per token; strangers are hung up on", async () => {
  const parent = await Deno.makeTempDir({ prefix: "hero-channel-test-" });
  const channel = await SessionChannel.open(parent);
  try {
    const frames: SessionFrame[] = [];
    const expected = channel.expect("token-1", (frame) => frames.push(frame));
    const host = await Deno.connect({ transport: "unix", path: channel.path });
    await host.write(
      encoder.encode(JSON.stringify({ type: "hello", token: "token-1", pid: 7 }) + "\n"),
    );
    const conn = await expected.connected;
    // The connection is the session's: what the supervisor writes on it reaches the host.
    await conn.write(encoder.encode("job\n"));
    const buffer = new Uint8Array(16);
    const n = await host.read(buffer);
    assertEquals(new TextDecoder().decode(buffer.subarray(0, n!)), "job\n");

    const result = JSON.stringify({ type: "result", mode: "value", value: "forged" });
    const hello = JSON.stringify({ type: "hello", token: "token-1", pid: 8 });
    assert(await hungUp(channel.path, [hello, result]), "a spent token is refused");
    assert(await hungUp(channel.path, [result]), "a frame before any hello is refused");
    assert(
      await hungUp(channel.path, [JSON.stringify({ type: "hello", token: "never-given", pid: 9 })]),
      "a token never given out is refused",
    );
    // Only the session's own hello reached its handler.
    assertEquals(frames, [{ type: "hello", token: "token-1", pid: 7 }]);
    host.close();
  } finally {
    await channel.close();
    await Deno.remove(parent, { recursive: true });
  }
});
