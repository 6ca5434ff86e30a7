/**
 * `bind_address = "unix:/path/rpc.sock"`, as seed 002 binds its `rpc.sock`:
 * the API on a Unix socket that only this user can reach (mode 0600), the
 * same JSON-RPC over it, and a socket a killed supervisor left behind is
 * taken over (one a live supervisor holds is not).
 */

import { assertEquals, assertMatch } from "../_helpers/assert.ts";
import { SECRETS, startSupervisor } from "../_helpers/supervisor.ts";

/** One HTTP/1.1 exchange over a Unix socket: status and body. */
async function request(path: string, head: string, body = ""): Promise<[number, string]> {
  const conn = await Deno.connect({ transport: "unix", path });
  await conn.write(new TextEncoder().encode(
    `${head}\r\nHost: localhost\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  ));
  let text = "";
  const buffer = new Uint8Array(65536);
  for (let n; (n = await conn.read(buffer)) !== null;) {
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  conn.close();
  const status = Number(text.split(" ")[1]);
  return [status, text.slice(text.indexOf("\r\n\r\n") + 4)];
}

Deno.test("the API on a Unix socket: 0600, JSON-RPC over it, a stale socket taken over", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hero-unix-" });
  const socket = `${dir}/rpc.sock`;
  // What a killed supervisor leaves: the socket file, with nobody listening.
  Deno.listen({ transport: "unix", path: socket }).close();
  await Deno.writeTextFile(`${dir}/.keep`, "");
  try {
    await using s = await startSupervisor({
      bind_address: `unix:${socket}`,
      runners: [{ name: "default", kind: "script", instances: 1 }],
    });
    assertEquals(s.url, `unix:${socket}`);
    assertEquals((await Deno.stat(socket)).mode! & 0o777, 0o600);
    const [healthStatus, health] = await request(socket, "GET /health HTTP/1.1");
    assertEquals([healthStatus, JSON.parse(health).status], [200, "ok"]);
    await s.sup.runners.get("default").whenReady();
    const call = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "job.run",
      params: { job: { runner: "default", payload: "export default 6 * 7" }, secret: SECRETS.user },
    });
    const [status, body] = await request(socket, "POST /rpc HTTP/1.1", call);
    assertEquals([status, JSON.parse(body).result], [200, { success: 42 }]);
    // A second supervisor on the socket a live one holds is refused, naming it.
    const second = await startSupervisor({ bind_address: `unix:${socket}` }).then(
      async (t) => {
        await t.close();
        return null;
      },
      (error: Error) => error.message,
    );
    assertMatch(second ?? "", /cannot listen on unix:.*rpc\.sock: the address is in use/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
