/**
 * Serves the repository's files for the browser example, so that the page
 * can load the built client from `client/dist/` (in your own app, load it from
 * a CDN instead: see `index.html`).
 *
 *     deno run --allow-net=127.0.0.1 --allow-read=. examples/browser/serve.ts [--port 8080]
 *
 * then open the URL it prints. Read-only, loopback only, GET only.
 *
 * @module
 */

const root = new URL("../../", import.meta.url);
const portArg = Deno.args.indexOf("--port");
const port = portArg >= 0 ? Number(Deno.args[portArg + 1]) : 8080;

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  ts: "text/plain; charset=utf-8",
};

Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: ({ port }) => console.log(`http://127.0.0.1:${port}/examples/browser/`),
}, async (request) => {
  if (request.method !== "GET") return new Response("GET only", { status: 405 });
  let path = decodeURIComponent(new URL(request.url).pathname);
  if (path.endsWith("/")) path += "index.html";
  // Resolve against the root and refuse anything outside it.
  const file = new URL(`.${path}`, root);
  if (!file.href.startsWith(root.href) || path.includes("..")) {
    return new Response("not found", { status: 404 });
  }
  try {
    const body = await Deno.readFile(file);
    const type = TYPES[path.slice(path.lastIndexOf(".") + 1)] ?? "application/octet-stream";
    return new Response(body, { headers: { "content-type": type } });
  } catch {
    return new Response("not found", { status: 404 });
  }
});
