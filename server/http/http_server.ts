/**
 * The HTTP front: where a request enters. JSON-RPC goes to the dispatcher;
 * the other routes are health, discovery, live streams, metrics and the
 * dashboard.
 *
 * | route | what |
 * | --- | --- |
 * | `POST /`, `POST /rpc` | JSON-RPC 2.0 (`server/rpc/dispatch.ts`) |
 * | `GET /health` | liveness and the store's reachability |
 * | `GET /.well-known/heroservice.json` | name, version, endpoints |
 * | `GET /openrpc.json` | the OpenRPC document |
 * | `GET /jobs/{id}/logs` | a job's log, live (SSE; user secret) |
 * | `GET /events` | lifecycle events, live (SSE; admin secret) |
 * | `GET /metrics` | Prometheus metrics (admin secret) |
 * | `GET /`, `GET /ui/...` | the dashboard |
 *
 * @module
 */

import { ErrorCode } from "../../shared/errors.ts";
import { scopeAllows } from "../../shared/method_spec.ts";
import { PRODUCT_NAME, VERSION } from "../../shared/version.ts";
import type { Dispatcher, Principal, RequestMeta } from "../rpc/dispatch.ts";
import { RpcError } from "../rpc/rpc_error.ts";
import { streamEvents } from "./events_stream.ts";
import { streamJobLogs } from "./job_logs_stream.ts";
import type { SseStreams } from "./sse.ts";
import type { Services } from "../methods/services.ts";
import type { LogHub } from "../logs/log_hub.ts";
import { peerOf, type PeerSettings } from "./peers.ts";
import { getLog } from "../logging/mod.ts";
import type { HttpRequest } from "./http_request.ts";
import { HttpReply } from "./http_reply.ts";

const log = getLog("http");

/** What the HTTP front needs. */
export interface HttpDeps {
  dispatcher: Dispatcher;
  services: Services;
  hub: LogHub;
  streams: SseStreams;
  /** Serves `GET /metrics` (null when disabled). */
  metrics: (() => Promise<string>) | null;
  /** Serves the dashboard's files (null when there is none). */
  dashboard: ((path: string) => Promise<HttpReply | null>) | null;
  /** Counts requests (for metrics). */
  onRequest?: (route: string, status: number) => void;
  /** Refuses new work while shutting down. */
  draining: () => boolean;
  /** Maps errors from below (e.g. an unreachable store) to JSON-RPC errors. */
  translateError: (error: unknown) => RpcError | undefined;
  /** How a request's client and the links' origin are told (see `peers.ts`). */
  peers: PeerSettings;
}

/** On every answer: any origin may read it (a secret, not a cookie, is what grants). */
const CORS: Record<string, string> = { "access-control-allow-origin": "*" };

/** On a preflight (`OPTIONS`) answer only: what the actual request may carry (Fetch spec). */
const PREFLIGHT: Record<string, string> = {
  ...CORS,
  "access-control-allow-headers": "authorization, content-type, last-event-id",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-max-age": "600",
};

const json = (
  value: unknown,
  status = 200,
  headers: Record<string, string> = {},
): HttpReply =>
  new HttpReply(
    status,
    { "content-type": "application/json", ...CORS, ...headers },
    JSON.stringify(value),
  );

/** The headers of a JSON-RPC answer (one object for every answer). */
const RPC_HEADERS: Record<string, string> = { "content-type": "application/json", ...CORS };

/** An error for a non-RPC route, shaped like a JSON-RPC error object. */
function httpError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): HttpReply {
  return json({ error: { code, message } }, status, headers);
}

const HTTP_STATUS: Partial<Record<number, number>> = {
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.TooManyRequests]: 429,
  [ErrorCode.Unavailable]: 503,
};

/**
 * The path of an absolute URL as it was sent (no URL object: a quarter of a
 * small request's routing; dot segments are not resolved, so `/rpc` is
 * matched only as itself, and the dashboard checks where a file path leads).
 */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  let end = url.length;
  for (const mark of ["?", "#"]) {
    const at = url.indexOf(mark, start);
    if (at >= 0 && at < end) end = at;
  }
  return url.slice(start, end);
}

/** The `after` query parameter, if any. */
function afterParam(url: string): string | null {
  return url.includes("?") ? new URL(url).searchParams.get("after") : null;
}

/** The secret of an `Authorization: Bearer` header. */
function bearerOf(request: HttpRequest): string | undefined {
  const header = request.headers.get("authorization");
  const match = header?.match(/^Bearer\s+(.+)$/i);
  return match ? match[1].trim() : undefined;
}

/**
 * A JSON-RPC request's metadata. A class, not a literal with a getter (~0.3 µs
 * to make, measured): its signal is made only when a method that waits reads it.
 */
class RpcMeta implements RequestMeta {
  readonly #request: HttpRequest;

  constructor(
    readonly bearer: string | undefined,
    readonly client: string,
    readonly origin: string,
    request: HttpRequest,
  ) {
    this.#request = request;
  }

  get signal(): AbortSignal {
    return this.#request.signal;
  }
}

/** Builds the request handler the front (`front/`) calls. */
export function createHttpHandler(
  deps: HttpDeps,
): (request: HttpRequest) => Promise<HttpReply> {
  const { services } = deps;

  /** Authenticates a non-RPC route; null and a response when refused. */
  async function authorize(
    request: HttpRequest,
    client: string,
    scope: "user" | "admin",
  ): Promise<HttpReply | Principal> {
    try {
      const principal = await services.secrets.authenticate(
        bearerOf(request),
        client,
      );
      if (!scopeAllows[scope].includes(principal.kind)) {
        return httpError(
          403,
          ErrorCode.Forbidden,
          `Forbidden: needs a ${scope} secret`,
        );
      }
      return principal;
    } catch (error) {
      if (error instanceof RpcError) {
        return httpError(
          HTTP_STATUS[error.code] ?? 400,
          error.code,
          error.message,
        );
      }
      throw error;
    }
  }

  async function rpc(
    request: HttpRequest,
    client: string,
    origin: string,
  ): Promise<HttpReply> {
    // The front read all of the body, within max_body_bytes (it answers 413 past them).
    const body = await request.text();
    const answer = await deps.dispatcher.handle(
      body,
      new RpcMeta(bearerOf(request), client, origin, request),
    );
    return answer === null ? new HttpReply(204, CORS) : new HttpReply(200, RPC_HEADERS, answer);
  }

  async function route(request: HttpRequest): Promise<[string, HttpReply]> {
    const path = pathOf(request.url);
    const { client, origin } = peerOf(request, deps.peers);
    if (request.method === "OPTIONS") {
      return ["options", new HttpReply(204, PREFLIGHT)];
    }
    if (request.method === "POST" && (path === "/" || path === "/rpc")) {
      return ["rpc", await rpc(request, client, origin)];
    }
    if (path === "/rpc") {
      return [
        "rpc",
        httpError(
          405,
          ErrorCode.InvalidRequest,
          `${request.method} /rpc: JSON-RPC is POST only`,
          {
            allow: "POST, OPTIONS",
          },
        ),
      ];
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return [
        "other",
        httpError(
          405,
          ErrorCode.InvalidRequest,
          `${request.method} is not served here`,
          {
            allow: "GET, HEAD, OPTIONS",
          },
        ),
      ];
    }
    if (path === "/health") {
      try {
        await services.store.ping();
        const status = deps.draining() ? "stopping" : "ok";
        return [
          "health",
          json(
            { status, store: services.store.kind, version: VERSION },
            deps.draining() ? 503 : 200,
          ),
        ];
      } catch (error) {
        return [
          "health",
          json(
            {
              status: "degraded",
              store: services.store.kind,
              error: (error as Error).message,
            },
            503,
          ),
        ];
      }
    }
    if (path === "/.well-known/heroservice.json") {
      return [
        "discovery",
        json({
          name: PRODUCT_NAME,
          version: VERSION,
          protocol: "openrpc",
          endpoints: {
            rpc: "/rpc",
            openrpc: "/openrpc.json",
            health: "/health",
            job_logs: "/jobs/{id}/logs",
            events: "/events",
            metrics: "/metrics",
            dashboard: "/",
          },
        }),
      ];
    }
    if (path === "/openrpc.json") {
      return ["openrpc", json(services.openrpc(`${origin}/rpc`))];
    }
    const logs = path.match(/^\/jobs\/([^/]+)\/logs$/);
    if (logs) {
      let jobId: string;
      try {
        jobId = decodeURIComponent(logs[1]);
      } catch {
        return [
          "job_logs",
          httpError(
            400,
            ErrorCode.InvalidRequest,
            `malformed path: ${JSON.stringify(path)}`,
          ),
        ];
      }
      const auth = await authorize(request, client, "user");
      if (auth instanceof HttpReply) return ["job_logs", auth];
      if (await services.jobs.statusOf(jobId) === null) {
        return [
          "job_logs",
          httpError(
            404,
            ErrorCode.NotFound,
            `job ${JSON.stringify(jobId)} not found`,
          ),
        ];
      }
      const after = Number(
        request.headers.get("last-event-id") ?? afterParam(request.url) ??
          0,
      );
      return [
        "job_logs",
        deps.streams.respond(
          (sse) =>
            streamJobLogs(
              sse,
              jobId,
              Number.isFinite(after) ? after : 0,
              services.jobs,
              deps.hub,
            ),
          request.signal,
          CORS,
        ),
      ];
    }
    if (path === "/events") {
      const auth = await authorize(request, client, "admin");
      if (auth instanceof HttpReply) return ["events", auth];
      const given = request.headers.get("last-event-id") ??
        afterParam(request.url);
      const after = given !== null && Number.isFinite(Number(given))
        ? Number(given)
        : await services.events.lastId();
      return [
        "events",
        deps.streams.respond(
          (sse) => streamEvents(sse, after, services.events, services.store),
          request.signal,
          CORS,
        ),
      ];
    }
    if (path === "/metrics") {
      if (!deps.metrics) {
        return [
          "metrics",
          httpError(404, ErrorCode.NotFound, "metrics are disabled"),
        ];
      }
      const auth = await authorize(request, client, "admin");
      if (auth instanceof HttpReply) return ["metrics", auth];
      return [
        "metrics",
        new HttpReply(
          200,
          { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
          await deps.metrics(),
        ),
      ];
    }
    const file = await deps.dashboard?.(path);
    if (file) return ["dashboard", file];
    return ["other", httpError(404, ErrorCode.NotFound, `nothing at ${path}`)];
  }

  return async (request) => {
    let routeName = "other";
    let response: HttpReply;
    try {
      [routeName, response] = await route(request);
    } catch (error) {
      const rpc = error instanceof RpcError ? error : deps.translateError(error) ?? null;
      response = rpc
        ? httpError(HTTP_STATUS[rpc.code] ?? 500, rpc.code, rpc.message)
        : httpError(500, ErrorCode.InternalError, "Internal error");
      if (!rpc) {
        log.error(`request failed: ${(error as Error)?.message ?? error}`, {
          error,
        });
      }
    }
    deps.onRequest?.(routeName, response.status);
    return response;
  };
}
