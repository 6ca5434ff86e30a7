/**
 * The front against real sockets, as an attacker or a broken client would
 * use them: heads that never finish, bodies that trickle, more connections
 * than allowed, smuggling, malformed paths, pipelining and chunked bodies.
 * Each gets its answer (408, 503, 400, 413, 405...) and its connection
 * closed, while a well-behaved client is served throughout.
 */

import { assert, assertEquals, assertMatch, eventually } from "../_helpers/assert.ts";
import { SECRETS, startSupervisor, type TestSupervisor } from "../_helpers/supervisor.ts";

const encoder = new TextEncoder();

/** A raw connection to the supervisor. */
async function open(s: TestSupervisor): Promise<Deno.TcpConn> {
  const { hostname, port } = new URL(s.url);
  return await Deno.connect({ hostname, port: Number(port) });
}

/** Everything the server sends until it closes the connection. */
async function readToEnd(conn: Deno.Conn): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(65536);
  try {
    for (let n; (n = await conn.read(buffer)) !== null;) chunks.push(buffer.slice(0, n));
  } catch {
    // Reset: the same as closed here.
  }
  conn.close();
  return new TextDecoder().decode(
    chunks.reduce((all, c) => {
      const joined = new Uint8Array(all.length + c.length);
      joined.set(all);
      joined.set(c, all.length);
      return joined;
    }, new Uint8Array(0)),
  );
}

/** The status code of each response in a raw answer, in order. */
function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
}

Deno.test("the front: deadlines, limits and framing, before anything reaches the server", async (t) => {
  await using s = await startSupervisor({
    header_timeout: 1,
    body_timeout: 2,
    max_connections: 40,
    max_body_bytes: 64 * 1024,
  });
  const healthy = async () => {
    const res = await fetch(`${s.url}/health`);
    await res.body?.cancel();
    return res.status === 200;
  };

  await t.step(
    "heads that never finish (and silent connections) get 408 and are closed",
    async () => {
      const conns = await Promise.all(Array.from({ length: 20 }, () => open(s)));
      // Half of them send part of a head, the other half nothing at all.
      await Promise.all(
        conns.slice(0, 10).map((c) => c.write(encoder.encode("POST /rpc HTTP/1.1\r\nHost: x\r\n"))),
      );
      assert(await healthy(), "a normal client is served meanwhile");
      const answers = await Promise.all(conns.map(readToEnd));
      for (const answer of answers) {
        assertEquals(statuses(answer), [408]);
        assertMatch(answer, /did not arrive in time/);
      }
    },
  );

  await t.step(
    "a body that trickles gets 408 and is closed; one that completes is answered",
    async () => {
      const slow = await Promise.all(Array.from({ length: 20 }, () => open(s)));
      for (const c of slow) {
        await c.write(
          encoder.encode(
            'POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n{"jsonrpc"',
          ),
        );
      }
      assert(await healthy());
      for (const answer of await Promise.all(slow.map(readToEnd))) {
        assertEquals(statuses(answer), [408]);
        assertMatch(answer, /the request body did not arrive in time/);
      }
    },
  );

  await t.step(
    "a body declared larger than max_body_bytes is refused before it is sent: 413",
    async () => {
      const c = await open(s);
      await c.write(
        encoder.encode("POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n"),
      );
      assertEquals(statuses(await readToEnd(c)), [413]);
    },
  );

  await t.step(
    "more connections than max_connections: 503 at once for the extra ones",
    async () => {
      const held = await Promise.all(Array.from({ length: 40 }, () => open(s)));
      const extra = await open(s);
      const answer = await readToEnd(extra);
      assertEquals(statuses(answer), [503]);
      assertMatch(answer, /too many connections/);
      for (const c of held) c.close();
      await eventually(healthy, 10_000, "served again once they are gone");
    },
  );

  await t.step("request smuggling shapes and bad heads are 400/501 and closed", async () => {
    const cases: [string, number][] = [
      [
        "POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        400,
      ],
      ["POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400],
      ["POST /rpc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501],
      ["GET /health HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n", 400],
      ["GARBAGE\r\n\r\n", 400],
      [`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(40_000)}\r\n\r\n`, 431],
    ];
    for (const [head, status] of cases) {
      const c = await open(s);
      await c.write(encoder.encode(head)).catch(() => {});
      assertEquals(statuses(await readToEnd(c)), [status], JSON.stringify(head.slice(0, 60)));
    }
  });

  await t.step("a malformed path is 400; GET /rpc is 405 with Allow", async () => {
    const bad = await fetch(`${s.url}/jobs/%E0%A4%A/logs`);
    assertEquals(bad.status, 400);
    assertMatch((await bad.json()).error.message, /malformed path/);
    const get = await fetch(`${s.url}/rpc`);
    await get.body?.cancel();
    assertEquals([get.status, get.headers.get("allow")], [405, "POST, OPTIONS"]);
  });

  await t.step(
    "pipelined requests and a chunked body are answered in order on one connection",
    async () => {
      const c = await open(s);
      const call = JSON.stringify({ jsonrpc: "2.0", id: 7, method: "rpc.discover" });
      const chunked = `${call.length.toString(16)}\r\n${call}\r\n0\r\n\r\n`;
      await c.write(encoder.encode(
        "GET /health HTTP/1.1\r\nHost: x\r\n\r\n" +
          `POST /rpc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}` +
          "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      ));
      const answer = await readToEnd(c);
      assertEquals(statuses(answer), [200, 200, 200]);
      assertMatch(answer, /"openrpc":"1\.2\.6"/);
    },
  );

  await t.step("a chunked body past max_body_bytes is 413, framing counted", async () => {
    const head = "POST /rpc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    const kib = "a".repeat(1024);
    // 70 KiB of data in 1 KiB chunks; then 22 000 one-byte chunks (22 KB of data, 132 KB sent).
    for (const body of [`400\r\n${kib}\r\n`.repeat(70), "1\r\na\r\n".repeat(22_000)]) {
      const c = await open(s);
      await c.write(encoder.encode(head + body)).catch(() => {});
      assertEquals(statuses(await readToEnd(c)), [413]);
    }
  });

  await t.step("Expect: 100-continue gets its go-ahead before the body is sent", async () => {
    const c = await open(s);
    const call = JSON.stringify({ jsonrpc: "2.0", id: 3, method: "rpc.discover" });
    await c.write(encoder.encode(
      `POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Length: ${call.length}\r\n` +
        "Expect: 100-continue\r\nConnection: close\r\n\r\n",
    ));
    const buffer = new Uint8Array(1024);
    const n = await c.read(buffer);
    assertMatch(
      new TextDecoder().decode(buffer.subarray(0, n ?? 0)),
      /^HTTP\/1\.1 100 Continue\r\n/,
    );
    await c.write(encoder.encode(call));
    const answer = await readToEnd(c);
    assertEquals(statuses(answer), [200]);
    assertMatch(answer, /"id":3/);
  });

  await t.step("HTTP/1.0 is answered with its length and the connection closed", async () => {
    const c = await open(s);
    await c.write(encoder.encode("GET /health HTTP/1.0\r\n\r\n"));
    const answer = await readToEnd(c); // returns once the server closed it
    assertEquals(statuses(answer), [200]);
    assertMatch(answer, /\r\ncontent-length: \d+\r\n/);
    assertMatch(answer, /\r\nconnection: close\r\n/);
  });

  await t.step("HEAD gets the head alone", async () => {
    const c = await open(s);
    await c.write(encoder.encode("HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    const answer = await readToEnd(c);
    assertEquals(statuses(answer), [200]);
    assert(answer.endsWith("\r\n\r\n"), "no body after the head");
  });

  await t.step("a client cannot pose as another peer", async () => {
    // The front drops any peer header a client sends and sets its own.
    const res = await fetch(`${s.url}/rpc`, {
      method: "POST",
      headers: { "x-hero-peer": "10.9.9.9", authorization: "Bearer wrong-secret-x" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "jobs.list" }),
    });
    await res.body?.cancel();
    const events = await s.admin.call<{ events: unknown[] }>("events.list", {});
    assert(!JSON.stringify(events).includes("10.9.9.9"));
  });
});

Deno.test("a head the same as the last one is the same request; one byte apart is another", async () => {
  await using s = await startSupervisor();
  const c = await open(s);
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "get_all_runner_status" });
  const head = (secret: string, extra = "") =>
    `POST /rpc HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${secret}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n${extra}\r\n` + body;
  // The same secret's length, one character changed: the head is as long, and not the same.
  const wrong = SECRETS.admin.slice(0, -1) + (SECRETS.admin.endsWith("x") ? "y" : "x");
  await c.write(encoder.encode(
    head(SECRETS.admin) + head(SECRETS.admin) + head(wrong) + head(SECRETS.admin) +
      head(SECRETS.admin, "Connection: close\r\n"),
  ));
  const answers = (await readToEnd(c)).split(/(?=HTTP\/1\.1 )/).map((a) =>
    JSON.parse(a.slice(a.indexOf("\r\n\r\n") + 4))
  );
  assertEquals(answers.map((a) => "result" in a ? "result" : a.error.code), [
    "result",
    "result",
    -32001,
    "result",
    "result",
  ]);
});

Deno.test("a call that waits ends when its client goes away", async () => {
  await using s = await startSupervisor();
  // Created, never started: never final, so job.result would wait all of its wait_ms.
  const id = await s.admin.call<string>("jobs.create", { job: { runner: "default", payload: "" } });
  const body = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "job.result",
    params: { job_id: id, wait_ms: 600_000 },
  });
  const c = await open(s);
  await c.write(encoder.encode(
    `POST /rpc HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${SECRETS.admin}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  ));
  c.close();
  // The call is counted once answered: its wait ended with its client, not after 10 minutes.
  await eventually(
    async () => {
      const res = await fetch(`${s.url}/metrics`, {
        headers: { authorization: `Bearer ${SECRETS.admin}` },
      });
      return /hero_rpc_requests_total\{method="job\.result"/.test(await res.text());
    },
    10_000,
    "job.result answered",
  );
});

Deno.test("a request being answered is not cut by idle_timeout (only silence is)", async () => {
  await using s = await startSupervisor({
    idle_timeout: 1,
    runners: [{ name: "slow", kind: "script", instances: 1 }],
  });
  // The job takes longer than idle_timeout; the client sends nothing meanwhile.
  const result = await s.user.call("job.run", {
    job: {
      runner: "slow",
      payload: "await new Promise((r) => setTimeout(r, 2500)); export default 42;",
    },
  });
  assertEquals(result, { success: 42 });
  // A connection that says nothing is still closed.
  const c = await open(s);
  await c.write(encoder.encode("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  const answer = await readToEnd(c); // the answer, then the close after a silent second
  assertEquals(statuses(answer), [200]);
});

Deno.test("a shutdown lets an event stream end cleanly, then closes its connection", async () => {
  const s = await startSupervisor();
  const c = await open(s);
  await c.write(encoder.encode(
    `GET /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${SECRETS.admin}\r\n\r\n`,
  ));
  const buffer = new Uint8Array(4096);
  const n = await c.read(buffer);
  assertMatch(new TextDecoder().decode(buffer.subarray(0, n ?? 0)), /^HTTP\/1\.1 200 /);
  const [answer] = await Promise.all([readToEnd(c), s.close()]);
  // The stream's last chunk, then the close: not a connection cut mid-stream.
  assert(
    answer.endsWith("0\r\n\r\n"),
    `the stream ended with ${JSON.stringify(answer.slice(-40))}`,
  );
});

Deno.test("500 slow clients declaring 4 MiB bodies cost the supervisor less than 100 MB", async () => {
  await using s = await startSupervisor({ body_timeout: 600 });
  // This isolate's heap and buffers (the supervisor runs in it): not the process's RSS, which
  // test files running beside this one share.
  const held = () => {
    const { heapTotal, external } = Deno.memoryUsage();
    return heapTotal + external;
  };
  const before = held();
  const conns = await Promise.all(Array.from({ length: 500 }, () => open(s)));
  for (const c of conns) {
    await c.write(
      encoder.encode(`POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Length: ${4 << 20}\r\n\r\n{"a":`),
    );
  }
  // All of them in flight at once, as the server sees them: a well-behaved call still answers.
  await eventually(async () => {
    const res = await fetch(`${s.url}/health`);
    await res.body?.cancel();
    return res.ok;
  });
  await new Promise((r) => setTimeout(r, 500));
  const grew = held() - before;
  for (const c of conns) c.close();
  assert(grew < 100 * 1024 * 1024, `grew by ${(grew / 1048576).toFixed(0)} MiB`);
  console.log(`500 slow 4 MiB bodies: +${(grew / 1048576).toFixed(1)} MiB`);
});
