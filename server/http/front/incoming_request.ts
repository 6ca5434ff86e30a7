/**
 * A request as the front read it: head and whole body in hand, handed to
 * the handler as an {@linkcode HttpRequest}. Cheaper than a `Request` (no
 * header list to validate again, no body stream, no abort signal unless
 * read: a request's signal costs more than many a handler).
 *
 * @module
 */

import type { HttpRequest } from "../http_request.ts";

const decoder = new TextDecoder();

/** Header lookup over the parsed list (names in lower case; repeated ones joined). */
class HeaderList {
  constructor(readonly list: readonly (readonly [string, string])[]) {}

  get(name: string): string | null {
    const wanted = name.toLowerCase();
    let value: string | null = null;
    for (const [key, v] of this.list) {
      if (key === wanted) value = value === null ? v : `${value}, ${v}`;
    }
    return value;
  }
}

/** One request of a connection. */
export class IncomingRequest implements HttpRequest {
  readonly headers: HeaderList;
  #controller: AbortController | null = null;
  #gone = false;

  constructor(
    readonly method: string,
    readonly url: string,
    headers: readonly (readonly [string, string])[],
    readonly bytes: Uint8Array,
  ) {
    this.headers = new HeaderList(headers);
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#gone) this.#controller.abort(new Error("the client went away"));
    }
    return this.#controller.signal;
  }

  text(): Promise<string> {
    return Promise.resolve(decoder.decode(this.bytes));
  }

  /** The client went away, or its connection was closed: the signal aborts. */
  gone(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#controller?.abort(new Error("the client went away"));
  }
}
