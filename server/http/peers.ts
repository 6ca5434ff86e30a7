/**
 * Who sent a request, and where the supervisor is as its links should say.
 *
 * The front (`front/`) names the connection's peer in a header. A peer
 * listed in `trusted_proxies` may say who its client was (`X-Forwarded-For`,
 * `Forwarded: for=`) and how it was reached (`X-Forwarded-Proto`,
 * `X-Forwarded-Host`, `Forwarded: proto= host=`); anyone else's such headers
 * are ignored. The `Host` header is never echoed into a link: a link is
 * `public_url`, else what a trusted proxy says, else the address the
 * supervisor listens on.
 *
 * @module
 */

import { PEER_HEADER } from "./front/mod.ts";
import type { HttpRequest } from "./http_request.ts";

/** How peers are told apart. */
export interface PeerSettings {
  /** Addresses of trusted reverse proxies. */
  trusted: readonly string[];
  /** `public_url`, when configured. */
  publicUrl?: string;
  /** Where the supervisor listens (`host:port` or `unix:/path`). */
  bound: string;
}

/** A request's client address and the origin links are made from. */
export interface Peer {
  client: string;
  origin: string;
}

/** The `for=`, `proto=` and `host=` of a `Forwarded` header, hop by hop. */
function forwarded(
  header: string,
): { for?: string; proto?: string; host?: string }[] {
  return header.split(",").map((hop) => {
    const out: { for?: string; proto?: string; host?: string } = {};
    for (const pair of hop.split(";")) {
      const eq = pair.indexOf("=");
      if (eq < 0) continue;
      const key = pair.slice(0, eq).trim().toLowerCase();
      const value = pair.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1");
      if (key === "for" || key === "proto" || key === "host") out[key] = value;
    }
    return out;
  });
}

/** An address without its port and brackets (`[::1]:80` → `::1`, `10.0.0.1:80` → `10.0.0.1`). */
function bareAddress(text: string): string {
  const bracketed = text.match(/^\[([^\]]+)\](?::\d+)?$/);
  if (bracketed) return bracketed[1];
  return /^[^:]+:\d+$/.test(text) ? text.slice(0, text.lastIndexOf(":")) : text;
}

const HOST = /^[A-Za-z0-9.\-:[\]]{1,255}$/;

/** The client and the link origin of a request. */
export function peerOf(request: HttpRequest, settings: PeerSettings): Peer {
  const peer = request.headers.get(PEER_HEADER) ?? "unknown";
  const own = settings.publicUrl ??
    (settings.bound.startsWith("unix:") ? "http://localhost" : `http://${settings.bound}`);
  if (!settings.trusted.includes(peer)) return { client: peer, origin: own };
  // Hops are appended left to right: the client is the last one that is not a trusted proxy.
  const xff = request.headers.get("x-forwarded-for");
  const fwd = request.headers.get("forwarded");
  const hops = xff
    ? xff.split(",").map((h) => bareAddress(h.trim()))
    : fwd
    ? forwarded(fwd).map((h) => bareAddress(h.for ?? ""))
    : [];
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!hops[i]) break;
    client = hops[i];
    if (!settings.trusted.includes(hops[i])) break;
  }
  if (settings.publicUrl) return { client, origin: settings.publicUrl };
  const first = fwd ? forwarded(fwd)[0] : {};
  const proto = (request.headers.get("x-forwarded-proto") ?? first.proto ?? "http")
    .split(",")[0].trim().toLowerCase();
  const host = (request.headers.get("x-forwarded-host") ?? first.host ?? "")
    .split(",")[0].trim();
  const origin = (proto === "http" || proto === "https") && HOST.test(host)
    ? `${proto}://${host}`
    : own;
  return { client, origin };
}
