/**
 * JSON-RPC 2.0 dispatch: from a request body to a response body.
 *
 * Exact to the spec: a parse error answers -32700 with `id: null`; an empty
 * batch answers one -32600; each invalid member of a batch answers its own
 * -32600; notifications (no `id`) are run but never answered, and a body of
 * only notifications answers nothing (the HTTP layer sends 204). Then, per
 * call: method lookup (-32601), secret and scope (-32001, -32002, -32029),
 * params (-32602, naming the param), and the handler.
 *
 * @module
 */

import { ErrorCode } from "../../shared/errors.ts";
import { type MethodSpec, type Scope, scopeAllows } from "../../shared/method_spec.ts";
import { wireParams } from "../../shared/openrpc.ts";
import { ParamsParser } from "./params.ts";
import { RpcError } from "./rpc_error.ts";

/** Who is calling, once the secret is known. */
export interface Principal {
  kind: "admin" | "user" | "register";
  /** The secret's fingerprint: names it in audit records without revealing it. */
  fingerprint: string;
}

/** What a handler knows about its call. */
export interface CallContext {
  /** The authenticated caller; null for a public method called without a secret. */
  principal: Principal | null;
  /** The client's address, for limits and audit. */
  client: string;
  /** Aborted when the HTTP request goes away. */
  signal: AbortSignal;
  /** The origin the request was sent to (`http://host:port`). */
  origin: string;
}

/** Runs one method. Params are already validated against the method's schema. */
export type Handler = (
  params: Record<string, unknown>,
  ctx: CallContext,
) => unknown | Promise<unknown>;

/** Checks a secret; throws {@linkcode RpcError} -32001 or -32029 when it cannot be accepted. */
export type Authenticate = (
  secret: string | undefined,
  client: string,
) => Principal | Promise<Principal>;

/** What the dispatcher needs. */
export interface DispatcherOptions {
  methods: readonly MethodSpec[];
  handlers: Readonly<Record<string, Handler>>;
  authenticate: Authenticate;
  /** The most requests one batch may hold. */
  maxBatch: number;
  /** Maps an error that is not an {@linkcode RpcError} to one, or returns undefined. */
  translateError?: (error: unknown) => RpcError | undefined;
  /** Called for faults; returns a reference to quote to the caller. */
  onInternalError?: (error: unknown, method: string) => string;
  /**
   * Called when a call of a method of the table is answered: its error code
   * (null for a result) and how long it took, seconds.
   */
  onCall?: (method: string, code: number | null, seconds: number) => void;
}

/** The metadata of one HTTP request that the dispatcher uses. */
export interface RequestMeta {
  /** The secret from `Authorization: Bearer`, if any. */
  bearer?: string;
  client: string;
  signal: AbortSignal;
  origin: string;
}

/** A request's metadata, with its memoized authentication. */
interface CallMeta extends RequestMeta {
  /** The principal of a secret: at once when it is known, a promise when it is being checked. */
  authenticate(secret: string | undefined): Principal | Promise<Principal>;
}

// Classes, not object literals, for what is made per body and per call: a literal with a getter
// costs ~0.3 µs to make (measured), a class instance next to nothing, and a request made three.

/**
 * A request's metadata but its secret, read through: its signal is made only
 * when a method that waits reads it.
 */
class MetaView {
  readonly #meta: RequestMeta;

  constructor(meta: RequestMeta) {
    this.#meta = meta;
  }

  get client(): string {
    return this.#meta.client;
  }

  get signal(): AbortSignal {
    return this.#meta.signal;
  }

  get origin(): string {
    return this.#meta.origin;
  }
}

/**
 * The calls of one body: its metadata, and one authentication per distinct
 * secret (a batch of 1000 calls checks once; a known secret is known at
 * once: no promise, no map, for the one call of most bodies).
 */
class BodyCalls extends MetaView implements CallMeta {
  #firstSecret: string | undefined;
  #first: Principal | Promise<Principal> | undefined;
  #others: Map<string | undefined, Principal | Promise<Principal>> | undefined;
  readonly #options: DispatcherOptions;
  readonly bearer: string | undefined;

  constructor(meta: RequestMeta, options: DispatcherOptions) {
    super(meta);
    this.bearer = meta.bearer;
    this.#options = options;
  }

  authenticate(secret: string | undefined): Principal | Promise<Principal> {
    if (this.#first !== undefined && secret === this.#firstSecret) return this.#first;
    let principal = this.#others?.get(secret);
    if (principal === undefined) {
      try {
        principal = this.#options.authenticate(secret, this.client);
      } catch (error) {
        principal = Promise.reject(error);
        principal.catch(() => {}); // each call that asks awaits it
      }
      if (this.#first === undefined) {
        this.#first = principal;
        this.#firstSecret = secret;
      } else (this.#others ??= new Map()).set(secret, principal);
    }
    return principal;
  }
}

/** What a handler is given: its caller, and the request's metadata but its secret. */
class Context extends MetaView implements CallContext {
  constructor(readonly principal: Principal | null, meta: RequestMeta) {
    super(meta);
  }
}

type Id = string | number | null;
interface ErrorObject {
  code: number;
  message: string;
  data?: unknown;
}
type Response = { jsonrpc: "2.0"; id: Id; result: unknown } | {
  jsonrpc: "2.0";
  id: Id;
  error: ErrorObject;
};

const errorResponse = (id: Id, error: ErrorObject): Response => ({
  jsonrpc: "2.0",
  id,
  error,
});

interface Entry {
  spec: MethodSpec;
  parser: ParamsParser;
  handler: Handler;
  allowed: readonly string[];
  secretPosition: number;
}

/** Routes JSON-RPC request bodies to the method handlers. */
export class Dispatcher {
  readonly #entries = new Map<string, Entry>();
  readonly #options: DispatcherOptions;

  constructor(options: DispatcherOptions) {
    this.#options = options;
    for (const spec of options.methods) {
      const handler = options.handlers[spec.name];
      if (!handler) throw new Error(`no handler for method ${spec.name}`);
      this.#entries.set(spec.name, {
        spec,
        parser: new ParamsParser(spec),
        handler,
        allowed: scopeAllows[spec.scope as Scope],
        secretPosition: wireParams(spec).findIndex((p) => p.name === "secret"),
      });
    }
  }

  /**
   * Answers a request body. Returns the response text, or null when nothing
   * is to be sent back (only notifications).
   */
  async handle(body: string, meta: RequestMeta): Promise<string | null> {
    const call = new BodyCalls(meta, this.#options);
    let message: unknown;
    try {
      message = JSON.parse(body);
    } catch (e) {
      const detail = e instanceof SyntaxError ? `: ${e.message}` : "";
      return JSON.stringify(
        errorResponse(null, {
          code: ErrorCode.ParseError,
          message: `Parse error${detail}`,
        }),
      );
    }
    if (Array.isArray(message)) {
      if (message.length === 0) {
        return JSON.stringify(errorResponse(null, {
          code: ErrorCode.InvalidRequest,
          message: "Invalid request: empty batch",
        }));
      }
      if (message.length > this.#options.maxBatch) {
        return JSON.stringify(errorResponse(null, {
          code: ErrorCode.InvalidRequest,
          message: `Invalid request: batch of ${message.length} requests, ` +
            `the limit is ${this.#options.maxBatch}`,
        }));
      }
      const responses = await Promise.all(
        message.map((m) => this.#handleOne(m, call)),
      );
      const answered = responses.filter((r): r is Response => r !== null);
      return answered.length ? JSON.stringify(answered) : null;
    }
    const response = await this.#handleOne(message, call);
    return response ? JSON.stringify(response) : null;
  }

  async #handleOne(request: unknown, meta: CallMeta): Promise<Response | null> {
    if (
      request === null || typeof request !== "object" || Array.isArray(request)
    ) {
      return invalid(null, "a request must be an object");
    }
    const { jsonrpc, method, params, id } = request as Record<string, unknown>;
    const isNotification = !("id" in request);
    if (!isNotification && !isValidId(id)) {
      return invalid(null, "id must be a string, a number or null");
    }
    const replyId = isNotification ? null : id as Id;
    if (jsonrpc !== "2.0") {
      return invalid(replyId, 'jsonrpc must be exactly "2.0"');
    }
    if (typeof method !== "string") {
      return invalid(replyId, "method must be a string");
    }
    if (
      params !== undefined && (params === null || typeof params !== "object")
    ) {
      return invalid(replyId, "params must be an object or an array");
    }
    const onCall = this.#entries.has(method) ? this.#options.onCall : undefined;
    const began = onCall ? performance.now() : 0;
    try {
      const result = await this.#call(method, params, meta);
      onCall?.(method, null, (performance.now() - began) / 1000);
      return isNotification ? null : { jsonrpc: "2.0", id: replyId, result: result ?? null };
    } catch (error) {
      const reply = this.#toErrorObject(error, method);
      onCall?.(method, reply.code, (performance.now() - began) / 1000);
      return isNotification ? null : errorResponse(replyId, reply);
    }
  }

  async #call(
    method: string,
    rawParams: unknown,
    meta: CallMeta,
  ): Promise<unknown> {
    const entry = this.#entries.get(method);
    if (!entry) {
      throw new RpcError(
        ErrorCode.MethodNotFound,
        `Method not found: ${method}`,
      );
    }
    let principal: Principal | null = null;
    if (entry.spec.scope !== "public") {
      const secret = secretOf(rawParams, entry.secretPosition) ?? meta.bearer;
      const known = meta.authenticate(secret);
      principal = known instanceof Promise ? await known : known;
      if (!entry.allowed.includes(principal.kind)) {
        throw new RpcError(
          ErrorCode.Forbidden,
          `Forbidden: a ${principal.kind} secret may not call ${method} ` +
            `(needs ${entry.allowed.join(" or ")})`,
        );
      }
    }
    const { params } = entry.parser.parse(rawParams);
    return await entry.handler(params, new Context(principal, meta));
  }

  #toErrorObject(error: unknown, method: string): ErrorObject {
    const rpc = error instanceof RpcError ? error : this.#options.translateError?.(error);
    if (rpc) {
      return rpc.data === undefined
        ? { code: rpc.code, message: rpc.message }
        : { code: rpc.code, message: rpc.message, data: rpc.data };
    }
    const ref = this.#options.onInternalError?.(error, method) ?? "unlogged";
    return {
      code: ErrorCode.InternalError,
      message: `Internal error (ref ${ref})`,
    };
  }
}

function invalid(id: Id, why: string): Response {
  return errorResponse(id, {
    code: ErrorCode.InvalidRequest,
    message: `Invalid request: ${why}`,
  });
}

function isValidId(id: unknown): boolean {
  return id === null || typeof id === "string" ||
    (typeof id === "number" && Number.isFinite(id));
}

/** The secret given in params, by name or in its position; undefined when none is. */
function secretOf(params: unknown, position: number): string | undefined {
  const value = Array.isArray(params)
    ? params[position]
    : params && typeof params === "object"
    ? (params as Record<string, unknown>).secret
    : undefined;
  return typeof value === "string" && value.length > 0 ? value : undefined;
}
