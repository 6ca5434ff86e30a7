/**
 * A bare JSON-RPC caller for tests of the server: plain fetch, so that the
 * server is tested against the wire, not against our own client.
 *
 * @module
 */

/** A JSON-RPC error object as received. */
export interface WireError {
  code: number;
  message: string;
  data?: unknown;
}

/** Thrown by {@linkcode RpcCaller.call} for an error response. */
export class WireRpcError extends Error {
  constructor(readonly error: WireError) {
    super(`${error.code}: ${error.message}`);
  }
  get code(): number {
    return this.error.code;
  }
}

/** Calls one server. */
export class RpcCaller {
  #id = 0;
  constructor(readonly url: string, readonly secret?: string) {}

  /** A caller with another secret (or none). */
  as(secret?: string): RpcCaller {
    return new RpcCaller(this.url, secret);
  }

  /** POSTs a raw body; returns the status and the parsed body (null when empty). */
  async raw(
    body: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: unknown; text: string }> {
    const res = await fetch(`${this.url}/rpc`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(this.secret ? { authorization: `Bearer ${this.secret}` } : {}),
        ...headers,
      },
      body,
    });
    const text = await res.text();
    return { status: res.status, text, body: text ? JSON.parse(text) : null };
  }

  /** Calls a method; returns its result or throws {@linkcode WireRpcError}. */
  async call<T = unknown>(method: string, params?: unknown): Promise<T> {
    const id = ++this.#id;
    const { body } = await this.raw(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    const reply = body as { id: number; result?: T; error?: WireError };
    if (reply.id !== id) throw new Error(`reply for id ${reply.id}, expected ${id}`);
    if (reply.error) throw new WireRpcError(reply.error);
    return reply.result as T;
  }

  /** Calls a method expecting an error; returns it (fails if the call succeeds). */
  async error(method: string, params?: unknown): Promise<WireError> {
    try {
      const result = await this.call(method, params);
      throw new Error(`${method} succeeded with ${JSON.stringify(result)}; an error was expected`);
    } catch (error) {
      if (error instanceof WireRpcError) return error.error;
      throw error;
    }
  }
}
