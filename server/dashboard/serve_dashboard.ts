/**
 * Serves the dashboard's static files from `server/dashboard/static/`, and
 * the client bundle it uses from `client/dist/` at `/ui/client/` (in the
 * source tree, `static/client` links there too, so that tools resolve the
 * dashboard's import of the bundle; the server does not rely on the link).
 *
 * @module
 */

import { HttpReply } from "../http/http_reply.ts";

const STATIC = new URL("./static/", import.meta.url);
const BUNDLE = new URL("../../client/dist/", import.meta.url);

/**
 * The dashboard loads nothing from elsewhere and runs no inline script: a
 * strict policy costs it nothing and blunts injected markup.
 */
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; " +
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; " +
    "form-action 'self'",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
};

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
export async function serveDashboard(path: string): Promise<HttpReply | null> {
  let file: URL;
  if (path === "/" || path === "/ui" || path === "/ui/") {
    file = new URL("index.html", STATIC);
  } else if (path.startsWith("/ui/client/")) {
    file = new URL(path.slice("/ui/client/".length), BUNDLE);
  } else if (path.startsWith("/ui/")) {
    file = new URL(path.slice("/ui/".length), STATIC);
  } else return null;
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
    return new HttpReply(200, {
      "content-type": TYPES[ext] ?? "application/octet-stream",
      "cache-control": "no-cache",
      ...SECURITY_HEADERS,
    }, body);
  } catch {
    return null;
  }
}
