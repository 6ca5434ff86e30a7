/**
 * The links the server prints (`servers` of the OpenRPC document) and the
 * client address its limits count by: a `Host` header is never echoed, and
 * forwarding headers (`X-Forwarded-*`, `Forwarded`) count only from a
 * configured trusted proxy; `public_url` wins over both.
 */

import { assertEquals } from "../_helpers/assert.ts";
import { startSupervisor, type TestSupervisor } from "../_helpers/supervisor.ts";

/** `servers[0].url` of `GET /openrpc.json` sent with `headers`, over a raw socket. */
async function serverUrl(s: TestSupervisor, headers: Record<string, string>): Promise<string> {
  const { hostname, port } = new URL(s.url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  await conn.write(
    new TextEncoder().encode(
      `GET /openrpc.json HTTP/1.1\r\nHost: evil.example\r\n${lines}Connection: close\r\n\r\n`,
    ),
  );
  let text = "";
  const buffer = new Uint8Array(65536);
  const decoder = new TextDecoder();
  for (let n; (n = await conn.read(buffer)) !== null;) {
    text += decoder.decode(buffer.subarray(0, n), { stream: true });
  }
  conn.close();
  const body = text.slice(text.indexOf("\r\n\r\n") + 4);
  // The body may be chunked: the document is the JSON object in it.
  return JSON.parse(body.slice(body.indexOf("{"), body.lastIndexOf("}") + 1)).servers[0].url;
}

const FORWARDED = {
  "X-Forwarded-Proto": "https",
  "X-Forwarded-Host": "api.example.com",
  "X-Forwarded-For": "203.0.113.7",
};

Deno.test("links: the Host header is not echoed; forwarding headers count from trusted proxies only", async (t) => {
  await t.step(
    "no trusted proxy: the address it listens on, whatever the headers say",
    async () => {
      await using s = await startSupervisor();
      assertEquals(await serverUrl(s, FORWARDED), `${s.url}/rpc`);
      assertEquals(
        await serverUrl(s, { Forwarded: 'for=203.0.113.7;proto=https;host="api.example.com"' }),
        `${s.url}/rpc`,
      );
    },
  );

  await t.step("from a trusted proxy: its scheme, host and client", async () => {
    await using s = await startSupervisor({
      trusted_proxies: ["127.0.0.1"],
      auth_max_failures: 1,
    });
    assertEquals(await serverUrl(s, FORWARDED), "https://api.example.com/rpc");
    assertEquals(
      await serverUrl(s, { Forwarded: 'for=203.0.113.7;proto=https;host="api.example.com"' }),
      "https://api.example.com/rpc",
    );
    // The client it names is the one the limiter counts (and names in its event).
    const guess = (from: string) =>
      fetch(`${s.url}/rpc`, {
        method: "POST",
        headers: { "x-forwarded-for": from, authorization: "Bearer wrong-secret-000" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "jobs.list" }),
      }).then((r) => r.json());
    assertEquals((await guess("203.0.113.7")).error.code, -32001);
    assertEquals((await guess("203.0.113.7")).error.code, -32029);
    // Another client behind the same proxy is its own.
    assertEquals((await guess("198.51.100.9")).error.code, -32001);
    const events = await s.admin.call<{ events: { subject: string }[] }>("events.list", {
      type: "auth.throttled",
    });
    assertEquals(events.events.map((e) => e.subject), ["203.0.113.7"]);
  });

  await t.step("public_url wins", async () => {
    await using s = await startSupervisor({
      trusted_proxies: ["127.0.0.1"],
      public_url: "https://hero.example.org",
    });
    assertEquals(await serverUrl(s, FORWARDED), "https://hero.example.org/rpc");
    assertEquals(
      (await s.admin.as().call<{ servers: { url: string }[] }>("rpc.discover")).servers[0].url,
      "https://hero.example.org/rpc",
    );
  });
});
