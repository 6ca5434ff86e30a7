/**
 * Serves the dashboard's static files from `server/dashboard/static/`, and
 * the client bundle it uses from `client/dist/`.
 *
 * @module
 */

const STATIC = new URL("./static/", import.meta.url);
const BUNDLE = new URL("../../client/dist/", import.meta.url);

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  json: "application/json",
  map: "application/json",
  ico: "image/x-icon",
};

/** The file for a dashboard path, or null when the path is not the dashboard's. */
export async function serveDashboard(path: string): Promise<Response | null> {
  let file: URL;
  if (path === "/" || path === "/ui" || path === "/ui/") file = new URL("index.html", STATIC);
  else if (path.startsWith("/ui/client/")) file = new URL(path.slice("/ui/client/".length), BUNDLE);
  else if (path.startsWith("/ui/")) file = new URL(path.slice("/ui/".length), STATIC);
  else return null;
  // Only files under the two folders, and no hidden ones.
  if (
    !(file.href.startsWith(STATIC.href) || file.href.startsWith(BUNDLE.href)) ||
    file.pathname.split("/").some((part) => part.startsWith("."))
  ) {
    return null;
  }
  try {
    const body = await Deno.readFile(file);
    const ext = file.pathname.split(".").pop() ?? "";
    return new Response(body, {
      headers: {
        "content-type": TYPES[ext] ?? "application/octet-stream",
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
      },
    });
  } catch {
    return null;
  }
}
