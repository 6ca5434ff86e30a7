/**
 * A tiny static HTTP server for browser tests: pages, the client bundle
 * standing in for a CDN, fixtures. Every answer allows any origin, as CDNs do.
 *
 * @module
 */

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
};

/** A route's content: text, or a file to read on each request. */
export type Content = { text: string; type: string } | { file: string };

/** A running static server. */
export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `routes` (path → content) on a free loopback port. */
export function serveStatic(routes: Record<string, Content>): StaticServer {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const content = routes[new URL(request.url).pathname];
      if (!content) return new Response("not found", { status: 404 });
      const headers = { "access-control-allow-origin": "*", "cache-control": "no-store" };
      if ("text" in content) {
        return new Response(content.text, {
          headers: { ...headers, "content-type": content.type },
        });
      }
      const ext = content.file.slice(content.file.lastIndexOf("."));
      return new Response(await Deno.readFile(content.file), {
        headers: { ...headers, "content-type": TYPES[ext] ?? "application/octet-stream" },
      });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    close: () => server.shutdown(),
  };
}
