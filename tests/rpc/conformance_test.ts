/**
 * JSON-RPC 2.0 conformance of the HTTP endpoint, against a live supervisor:
 * every rule of the spec and of CONTRACT.md's transport section.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { SECRETS, startSupervisor, SupervisorProcess } from "../_helpers/supervisor.ts";

type Reply = {
  jsonrpc: string;
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
};

Deno.test("JSON-RPC 2.0 conformance", async (t) => {
  await using s = await startSupervisor({ max_batch: 50, max_body_bytes: 64 * 1024 });
  const { admin } = s;
  const send = (body: string) => admin.raw(body);
  const call = (method: string, params?: unknown, id: unknown = 1) =>
    JSON.stringify({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });

  await t.step("invalid JSON → -32700 with id null", async () => {
    for (const body of ['{"jsonrpc":"2.0","method":"foo",', "not json", "", "[1,2"]) {
      const { status, body: reply } = await send(body);
      assertEquals(status, 200);
      const r = reply as Reply;
      assertEquals(r.jsonrpc, "2.0");
      assertEquals(r.id, null);
      assertEquals(r.error?.code, -32700);
    }
  });

  await t.step("an empty batch → one -32600 (not an array)", async () => {
    const { body } = await send("[]");
    assert(!Array.isArray(body), "one error object");
    assertEquals((body as Reply).error?.code, -32600);
    assertEquals((body as Reply).id, null);
  });

  await t.step("[1] → an array of one -32600; [1,2,3] → three", async () => {
    const one = (await send("[1]")).body as Reply[];
    assertEquals(one.length, 1);
    assertEquals(one[0].error?.code, -32600);
    assertEquals(one[0].id, null);
    const three = (await send("[1,2,3]")).body as Reply[];
    assertEquals(three.map((r) => r.error?.code), [-32600, -32600, -32600]);
  });

  await t.step("a notification gets no reply (204, empty body), but runs", async () => {
    const note = JSON.stringify({
      jsonrpc: "2.0",
      method: "jobs.create",
      params: { job: { id: "by-notification", runner: "default", payload: "x" } },
    });
    const { status, text } = await send(note);
    assertEquals(status, 204);
    assertEquals(text, "");
    const job = await admin.call<{ id: string; status: string }>("job.get", {
      job_id: "by-notification",
    });
    assertEquals([job.id, job.status], ["by-notification", "created"]);
    // An unknown method as a notification: still no reply.
    const unknown = await send(JSON.stringify({ jsonrpc: "2.0", method: "no.such.method" }));
    assertEquals([unknown.status, unknown.text], [204, ""]);
  });

  await t.step("a batch of only notifications → 204 with no body", async () => {
    const batch = JSON.stringify([
      { jsonrpc: "2.0", method: "list_runners" },
      { jsonrpc: "2.0", method: "get_supervisor_info" },
    ]);
    const { status, text } = await send(batch);
    assertEquals([status, text], [204, ""]);
  });

  await t.step("a mixed batch answers only the calls with an id, with their ids", async () => {
    const batch = JSON.stringify([
      { jsonrpc: "2.0", method: "list_runners", id: "a" },
      { jsonrpc: "2.0", method: "list_runners" },
      { jsonrpc: "2.0", method: "nope", id: 2 },
      { foo: "boo" },
    ]);
    const replies = (await send(batch)).body as Reply[];
    assertEquals(replies.length, 3);
    const byId = new Map(replies.map((r) => [r.id, r]));
    assertEquals(byId.get("a")?.result, ["default"]);
    assertEquals(byId.get(2)?.error?.code, -32601);
    assertEquals(byId.get(null)?.error?.code, -32600);
  });

  await t.step("id null is answered, with id null", async () => {
    const reply = (await send(call("list_runners", undefined, null))).body as Reply;
    assertEquals(reply.id, null);
    assertEquals(reply.result, ["default"]);
  });

  await t.step("ids come back unchanged", async () => {
    for (const id of ["abc", "", 0, 7, -3, 1.5, 9007199254740991, "é🚀"]) {
      const reply = (await send(call("list_runners", undefined, id))).body as Reply;
      assertEquals(reply.id, id);
    }
  });

  await t.step("an id that is not a string, number or null → -32600 with id null", async () => {
    for (const id of [{}, [1], true]) {
      const reply = (await send(call("list_runners", undefined, id))).body as Reply;
      assertEquals([reply.id, reply.error?.code], [null, -32600]);
    }
  });

  await t.step("params by name and by position", async () => {
    await admin.call("jobs.create", { job: { id: "p1", runner: "default", payload: "x" } });
    await admin.call("jobs.create", [{ id: "p2", runner: "default", payload: "x" }]);
    const byName = await admin.call<{ job_id: string }>("job.status", { job_id: "p1" });
    const byPosition = await admin.call<{ job_id: string }>("job.status", ["p2"]);
    assertEquals([byName.job_id, byPosition.job_id], ["p1", "p2"]);
    // Positional: a null stands for an absent optional param; the secret may come last.
    const logs = await admin.as().call<{ lines: unknown[] }>("job.logs", [
      "p1",
      null,
      null,
      null,
      SECRETS.user,
    ]);
    assertEquals(logs.lines, []);
  });

  await t.step("-32602 names the bad param and says why", async () => {
    const wrongType = await admin.error("job.status", { job_id: 42 });
    assertEquals(wrongType.code, -32602);
    assertMatch(wrongType.message, /^job_id: expected a job id .*got 42$/);
    const missing = await admin.error("job.status", {});
    assertEquals([missing.code, missing.message], [-32602, "job_id: required"]);
    const unknown = await admin.error("job.status", { jobid: "x" });
    assertMatch(unknown.message, /^params: unknown key "jobid"/);
    const nested = await admin.error("jobs.create", { job: { runner: "default", payload: 5 } });
    assertEquals(
      nested.message,
      "job.payload: expected a string of at most 1048576 characters, got 5",
    );
    const range = await admin.error("jobs.list", { limit: 5000 });
    assertEquals(range.message, "limit: expected an integer 1-1000, got 5000");
    const tooMany = await admin.error("job.status", ["a", null, "c"]);
    assertMatch(tooMany.message, /takes at most 2 params by position/);
  });

  await t.step("params that are not an object or an array → -32600", async () => {
    for (const params of ['"text"', "42", "null", "true"]) {
      const body = `{"jsonrpc":"2.0","id":1,"method":"list_runners","params":${params}}`;
      const reply = (await send(body)).body as Reply;
      assertEquals(reply.error?.code, -32600, params);
    }
  });

  await t.step("unknown method → -32601", async () => {
    const reply = (await send(call("no.such.method"))).body as Reply;
    assertEquals(reply.error?.code, -32601);
    assertMatch(reply.error!.message, /no\.such\.method/);
  });

  await t.step('jsonrpc other than "2.0" → -32600', async () => {
    for (
      const body of [
        '{"jsonrpc":"1.0","id":1,"method":"list_runners"}',
        '{"id":1,"method":"list_runners"}',
        '{"jsonrpc":2,"id":1,"method":"list_runners"}',
      ]
    ) {
      const reply = (await send(body)).body as Reply;
      assertEquals([reply.id, reply.error?.code], [1, -32600]);
    }
  });

  await t.step("a method that is not a string → -32600", async () => {
    for (const method of ["1", "null", "[]", "{}"]) {
      const reply = (await send(`{"jsonrpc":"2.0","id":1,"method":${method}}`)).body as Reply;
      assertEquals(reply.error?.code, -32600);
    }
  });

  await t.step("__proto__, constructor and prototype keys are refused (-32602)", async () => {
    for (const key of ["__proto__", "constructor", "prototype"]) {
      const body = `{"jsonrpc":"2.0","id":1,"method":"jobs.create","params":` +
        `{"job":{"runner":"default","payload":"x","env_vars":{"${key}":{"polluted":"1"}}}}}`;
      const reply = (await send(body)).body as Reply;
      assertEquals(reply.error?.code, -32602, key);
      assertMatch(
        reply.error!.message,
        new RegExp(`job\\.env_vars\\.${key}: this key is not allowed`),
      );
    }
    // Deep in a batch of jobs: the path names the job by its place.
    const job = (env: string) => `{"runner":"default","payload":"x","env_vars":{${env}}}`;
    const reply = (await send(
      `{"jsonrpc":"2.0","id":1,"method":"jobs.create_many","params":{"jobs":[` +
        `${job('"A":"1"')},${job('"B":"2"')},${job('"__proto__":{"polluted":"1"}')}]}}`,
    )).body as Reply;
    assertEquals(reply.error?.code, -32602);
    assertMatch(
      reply.error!.message,
      /^params\.jobs\[2\]\.env_vars\.__proto__: this key is not allowed/,
    );
    assertEquals(({} as Record<string, unknown>).polluted, undefined);
  });

  await t.step("a body over the limit → HTTP 413 with -32600 and the limit", async () => {
    const payload = "x".repeat(70 * 1024);
    const { status, body } = await send(
      call("jobs.create", { job: { runner: "default", payload } }),
    );
    assertEquals(status, 413);
    assertEquals((body as Reply).error?.code, -32600);
    assertMatch((body as Reply).error!.message, /larger than 65536 bytes/);
  });

  await t.step("a body without a declared length (chunked) is read up to the limit", async () => {
    const chunked = async (body: string) => {
      const bytes = new TextEncoder().encode(body);
      const res = await fetch(`${s.url}/rpc`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${SECRETS.admin}` },
        // A stream has no length up front: it goes out chunked, in 4 KiB pieces.
        body: new ReadableStream({
          start(controller) {
            for (let at = 0; at < bytes.length; at += 4096) {
              controller.enqueue(bytes.subarray(at, at + 4096));
            }
            controller.close();
          },
        }),
      });
      return { status: res.status, body: await res.json() as Reply };
    };
    const small = await chunked(call("list_runners", undefined, 7));
    assertEquals([small.status, small.body.id, Array.isArray(small.body.result)], [200, 7, true]);
    const large = await chunked(
      call("jobs.create", { job: { runner: "default", payload: "x".repeat(70 * 1024) } }),
    );
    assertEquals([large.status, large.body.error?.code], [413, -32600]);
    assertMatch(large.body.error!.message, /larger than 65536 bytes/);
  });

  await t.step("a batch over the limit → one -32600 naming the limit", async () => {
    const batch = JSON.stringify(
      Array.from({ length: 51 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "list_runners" })),
    );
    const reply = (await send(batch)).body as Reply;
    assertEquals(reply.error?.code, -32600);
    assertMatch(reply.error!.message, /batch of 51 requests, the limit is 50/);
  });

  await t.step("GET /health and /.well-known/heroservice.json", async () => {
    const health = await fetch(`${s.url}/health`);
    assertEquals(health.status, 200);
    assertEquals((await health.json()).status, "ok");
    const wk = await (await fetch(`${s.url}/.well-known/heroservice.json`)).json();
    assertEquals(wk.name, "hero-supervisor");
    assertEquals(wk.endpoints.rpc, "/rpc");
    assertEquals(wk.endpoints.openrpc, "/openrpc.json");
  });

  await t.step("POST / and POST /rpc both serve JSON-RPC", async () => {
    const res = await fetch(`${s.url}/`, {
      method: "POST",
      headers: { authorization: `Bearer ${SECRETS.admin}` },
      body: call("list_runners"),
    });
    assertEquals(((await res.json()) as Reply).result, ["default"]);
  });
});

Deno.test("SIGTERM shuts the supervisor down gracefully", async () => {
  const proc = await SupervisorProcess.start('[[runners]]\nname = "default"\nkind = "noop"\n');
  proc.signal("SIGTERM");
  const { status, output } = await proc.exited();
  assertEquals(status.code, 0);
  assertMatch(output, /SIGTERM: shutting down/);
  assertMatch(output, /stopped/);
  await Deno.remove(proc.dataDir, { recursive: true });
});
