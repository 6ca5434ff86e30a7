/**
 * Runs `@open-rpc/test-coverage` against a live supervisor: every example of
 * the served document is replayed, in order, and its answer checked.
 *
 * Usage: deno run -A run_test_coverage.ts URL SECRET
 *
 * The secret goes in an `Authorization: Bearer` header (a transport the
 * library accepts as a function); the console reporter prints each call and
 * exits non-zero if any failed.
 */

import coverage from "@open-rpc/test-coverage";
import { parseOpenRPCDocument } from "@open-rpc/schema-utils-js";

const [url, secret] = Deno.args;
const document = await parseOpenRPCDocument(`${url}/openrpc.json`);
let id = 0;
const transport = async (serverUrl: string, method: string, params: unknown) => {
  const res = await fetch(serverUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
    body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
  });
  return await res.json();
};
// deno-lint-ignore no-explicit-any
const run = ((coverage as any).default ?? coverage) as (options: unknown) => Promise<unknown>;
await run({ openrpcDocument: document, transport, reporters: ["console"] });
