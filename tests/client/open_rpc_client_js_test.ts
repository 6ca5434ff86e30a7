/**
 * A client nobody here wrote, `@open-rpc/client-js`, calls the supervisor:
 * single requests, a batch, a notification and error answers, with the
 * secret in an `Authorization` header. Proof that the API is standard
 * JSON-RPC 2.0 over HTTP, not just matched to our own client.
 *
 * @module
 */

import { Client, HTTPTransport, RequestManager } from "@open-rpc/client-js";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { SECRETS, startSupervisor } from "../_helpers/supervisor.ts";

function openRpcClient(url: string, secret?: string): Client {
  const headers: Record<string, string> = secret ? { Authorization: `Bearer ${secret}` } : {};
  return new Client(new RequestManager([new HTTPTransport(`${url}/rpc`, { headers })]));
}

Deno.test("@open-rpc/client-js calls the supervisor", async (t) => {
  await using sup = await startSupervisor({
    runners: [{ name: "scripts", kind: "script", instances: 2 }],
  });
  const client = openRpcClient(sup.url, SECRETS.user);
  try {
    await t.step("a request", async () => {
      const result = await client.request({
        method: "job.run",
        params: { job: { runner: "scripts", payload: "export default () => 6 * 7;" } },
      });
      assertEquals(result, { success: 42 });
    });

    await t.step("a request with params by position, in the OpenRPC document's order", async () => {
      const id = await client.request({
        method: "jobs.create",
        params: [{ runner: "scripts", payload: "export default 1;" }],
      });
      const status = await client.request({ method: "job.status", params: [id] });
      assertEquals(status.status, "created");
    });

    await t.step("a batch: each call settles on its own", async () => {
      const id = await client.request({
        method: "jobs.create",
        params: { job: { runner: "scripts", payload: "export default 1;" } },
      });
      client.startBatch();
      const calls = [
        client.request({ method: "job.status", params: { job_id: id } }),
        client.request({ method: "job.status", params: { job_id: "no-such-job" } }),
        client.request({ method: "jobs.list", params: { limit: 1 } }),
      ];
      client.stopBatch();
      const [status, missing, list] = await Promise.allSettled(calls);
      assert(status.status === "fulfilled", JSON.stringify(status));
      assertEquals(status.value.job_id, id);
      assert(missing.status === "rejected", JSON.stringify(missing));
      assertEquals(missing.reason.code, -32004);
      assert(list.status === "fulfilled", JSON.stringify(list));
      assertEquals(list.value.length, 1);
    });

    await t.step("a notification is carried out, without an answer", async () => {
      const id = await client.request({
        method: "jobs.create",
        params: { job: { runner: "scripts", payload: "export default 'notified';" } },
      });
      await client.notify({ method: "job.start", params: { job_id: id } });
      const result = await client.request({ method: "job.result", params: { job_id: id } });
      assertEquals(result, { success: "notified" });
    });

    await t.step("error answers carry the contract's codes", async () => {
      const anonymous = openRpcClient(sup.url);
      const unauthenticated = await anonymous.request({ method: "jobs.list", params: {} })
        .then(() => null, (error) => error);
      assertEquals(unauthenticated?.code, -32001);
      const invalid = await client.request({ method: "jobs.create", params: { job: {} } })
        .then(() => null, (error) => error);
      assertEquals(invalid?.code, -32602);
      const unknown = await client.request({ method: "no.such.method", params: {} })
        .then(() => null, (error) => error);
      assertEquals(unknown?.code, -32601);
      anonymous.close();
    });

    await t.step("rpc.discover gives the OpenRPC document", async () => {
      const doc = await client.request({ method: "rpc.discover" });
      assert(doc.openrpc.startsWith("1."), doc.openrpc);
      assert(doc.methods.some((m: { name: string }) => m.name === "job.run"));
    });
  } finally {
    client.close();
  }
});
