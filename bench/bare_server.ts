/**
 * The yardstick of the API path (`bench/queue.ts`): a bare `Deno.serve`
 * on the given port that reads each request's body and answers a fixed
 * JSON-RPC body, as small as `job.status`'s.
 *
 * @module
 */

const port = Number(Deno.args[0]);
const body = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { status: "succeeded" } });
Deno.serve(
  { hostname: "127.0.0.1", port, onListen: () => console.log("listening") },
  async (req) => {
    await req.text();
    return new Response(body, { headers: { "content-type": "application/json" } });
  },
);
