/**
 * The supervisor client: every method of the API, typed, over plain `fetch`
 * (so one module runs in browsers, Node ≥ 20 and Deno), with JSON-RPC
 * batches, typed errors, per-call timeouts and `AbortSignal`, and live log
 * and event streams.
 *
 * @example
 * ```ts
 * const client = new SupervisorClient("http://127.0.0.1:3030", { secret });
 * const result = await client.job.run({
 *   job: { runner: "default", payload: "export default () => 6 * 7;" },
 * });
 * // { success: 42 }
 * for await (const line of client.job.logs.stream(jobId)) console.log(line.line);
 * ```
 *
 * @module
 */

import type {
  Event,
  LogLine,
  MethodName,
  MethodParams,
  MethodResults,
} from "../shared/types.generated.ts";
import { errorFromWire, SupervisorError, TimeoutError, TransportError } from "./errors.ts";
import {
  bindMethods,
  type BoundMethods,
  type Call,
  type CallOptions,
} from "./methods.generated.ts";
import { readEvents } from "./sse.ts";

/** How a client is set up. */
export interface ClientOptions {
  /** The secret, sent as `Authorization: Bearer` with every call and stream. */
  secret?: string;
  /**
   * Default per-call timeout, ms (default 30 000; 0: none). Methods that wait
   * on the server (`job.run`, `job.result`, `job.logs`) have none by default:
   * the server bounds their wait.
   */
  timeoutMs?: number;
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch;
}

/** Options of a live stream. */
export interface StreamOptions {
  /** Start after this line (`seq`) or event (`id`). */
  after?: number;
  /** Ends the stream. */
  signal?: AbortSignal;
  /** Wait before reconnecting after the connection drops, ms (default 1000). */
  retryMs?: number;
  /**
   * Reconnection attempts in a row that may fail before the stream throws a
   * {@linkcode TransportError} (default 30). A supervisor never reached at
   * all throws at once.
   */
  maxRetries?: number;
}

const WAITING = new Set<MethodName>(["job.run", "job.result", "job.logs"]);

type Bound = BoundMethods;

/** The `job` methods, with `job.logs.stream`. */
export type JobMethods = Omit<Bound["job"], "logs"> & {
  logs: Bound["job"]["logs"] & {
    /** A job's log lines as they come: the ones so far, then live ones, until it is final. */
    stream(jobId: string, options?: StreamOptions): AsyncIterable<LogLine>;
  };
};

/** The `events` methods, with `events.stream`. */
export type EventMethods = Bound["events"] & {
  /** Lifecycle events as they come (admin secret). */
  stream(options?: StreamOptions): AsyncIterable<Event>;
};

/** Every method of the API on a client (the flat ones, like `registerRunner`, included). */
export interface SupervisorClient extends Omit<Bound, "job" | "events"> {}

/** A client of one supervisor. */
export class SupervisorClient {
  /** The supervisor's base URL. */
  readonly url: string;
  /** The `job.*` methods, and `job.logs.stream`. */
  readonly job: JobMethods;
  /** `events.list`, and `events.stream`. */
  readonly events: EventMethods;
  readonly #secret?: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  #id = 0;

  constructor(url: string, options: ClientOptions = {}) {
    this.url = url.replace(/\/+$/, "");
    this.#secret = options.secret;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    const bound = bindMethods((method, params, opts) => this.call(method, params, opts));
    Object.assign(this, bound);
    this.job = {
      ...bound.job,
      logs: Object.assign(bound.job.logs, {
        stream: (jobId: string, opts?: StreamOptions) =>
          this.#stream<LogLine>(`/jobs/${encodeURIComponent(jobId)}/logs`, opts),
      }),
    };
    this.events = {
      ...bound.events,
      stream: (opts?: StreamOptions) => this.#stream<Event>("/events", opts),
    };
  }

  #headers(): Record<string, string> {
    return this.#secret ? { authorization: `Bearer ${this.#secret}` } : {};
  }

  /** Sends a body to `/rpc`; the timeout (0: none) and signal bound the whole call. */
  async #post(body: string, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) onAbort();
    let timedOut = false;
    const timer = timeoutMs > 0
      ? setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs)
      : undefined;
    try {
      const res = await this.#fetch(`${this.url}/rpc`, {
        method: "POST",
        headers: { "content-type": "application/json", ...this.#headers() },
        body,
        signal: controller.signal,
      });
      if (res.status === 204) {
        await res.body?.cancel();
        return null;
      }
      const text = await res.text();
      try {
        return JSON.parse(text);
      } catch {
        throw new TransportError(
          0,
          `HTTP ${res.status}: not a JSON-RPC answer: ${text.slice(0, 200)}`,
        );
      }
    } catch (error) {
      if (timedOut) {
        throw new TimeoutError(-32008, `no answer within ${timeoutMs} ms`, { timeoutMs });
      }
      if (signal?.aborted || error instanceof SupervisorError) throw error;
      throw new TransportError(0, `cannot reach ${this.url}: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Calls one method by name; throws a {@linkcode SupervisorError} for an error answer. */
  async call<M extends MethodName>(
    method: M,
    params: MethodParams[M],
    options: CallOptions = {},
  ): Promise<MethodResults[M]> {
    const timeout = options.timeoutMs ?? (WAITING.has(method) ? 0 : this.#timeoutMs);
    const body = JSON.stringify({ jsonrpc: "2.0", id: ++this.#id, method, params });
    const reply = await this.#post(body, timeout, options.signal) as {
      result?: MethodResults[M];
      error?: { code: number; message: string; data?: unknown };
    };
    if (reply?.error) throw errorFromWire(reply.error);
    return reply.result as MethodResults[M];
  }

  /**
   * Sends several calls in one JSON-RPC batch. `build` makes the calls on the
   * API it is given; each call's outcome comes back, in order, as settled.
   *
   * @example
   * ```ts
   * const [a, b] = await client.batch((api) => [
   *   api.job.status({ job_id: "a" }),
   *   api.job.status({ job_id: "b" }),
   * ]);
   * ```
   */
  async batch<T>(
    build: (api: Bound) => Promise<T>[],
    options: CallOptions = {},
  ): Promise<PromiseSettledResult<T>[]> {
    const requests: { id: number; method: string; params: unknown }[] = [];
    const pending = new Map<
      number,
      { resolve: (v: unknown) => void; reject: (e: unknown) => void }
    >();
    const collect: Call = (method, params) =>
      new Promise((resolve, reject) => {
        const id = ++this.#id;
        requests.push({ id, method, params });
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      });
    const calls = build(bindMethods(collect));
    if (requests.length === 0) return [];
    const body = JSON.stringify(requests.map((r) => ({ jsonrpc: "2.0", ...r })));
    try {
      const replies = await this.#post(body, options.timeoutMs ?? this.#timeoutMs, options.signal);
      if (!Array.isArray(replies)) {
        throw (replies as { error?: { code: number; message: string } })?.error
          ? errorFromWire((replies as { error: { code: number; message: string } }).error)
          : new TransportError(0, "the batch was not answered with a batch");
      }
      for (const reply of replies as { id: number; result?: unknown; error?: never }[]) {
        const call = pending.get(reply.id);
        if (!call) continue;
        pending.delete(reply.id);
        if (reply.error) call.reject(errorFromWire(reply.error));
        else call.resolve(reply.result);
      }
      for (const call of pending.values()) {
        call.reject(new TransportError(0, "no answer in the batch"));
      }
    } catch (error) {
      for (const call of pending.values()) call.reject(error);
    }
    return await Promise.allSettled(calls);
  }

  /** A live SSE stream as an async iterator, reconnecting from the last item seen. */
  async *#stream<T>(path: string, options: StreamOptions = {}): AsyncGenerator<T> {
    let cursor = options.after;
    const signal = options.signal;
    const retryMs = options.retryMs ?? 1000;
    let connected = false;
    let failures = 0;
    while (!signal?.aborted) {
      let res: Response;
      try {
        res = await this.#fetch(`${this.url}${path}`, {
          headers: {
            ...this.#headers(),
            ...(cursor !== undefined ? { "last-event-id": String(cursor) } : {}),
          },
          signal,
        });
      } catch (error) {
        if (signal?.aborted) return;
        // Never reached: say so now. Reached before: it may be restarting, so retry a while.
        if (!connected || ++failures > (options.maxRetries ?? 30)) {
          throw new TransportError(0, `cannot reach ${this.url}: ${(error as Error).message}`);
        }
        await pause(retryMs, signal);
        continue;
      }
      connected = true;
      failures = 0;
      if (!res.ok || !res.body) {
        const body = await res.json().catch(() => null) as {
          error?: { code: number; message: string };
        } | null;
        throw body?.error
          ? errorFromWire(body.error)
          : new TransportError(0, `HTTP ${res.status} from ${path}`);
      }
      try {
        for await (const event of readEvents(res.body)) {
          if (event.event === "end") return;
          if (event.event !== "message") continue;
          if (event.id !== undefined) cursor = Number(event.id);
          yield JSON.parse(event.data) as T;
        }
      } catch (error) {
        if (signal?.aborted) return;
        if (!(error instanceof TypeError)) throw error;
      }
      // The connection dropped before the end: reconnect from the last item.
      await pause(retryMs, signal);
    }
  }
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
