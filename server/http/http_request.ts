/**
 * What the HTTP handler reads of a request: the part of the Fetch API's
 * `Request` it uses, so that the front can hand over what it parsed without
 * building a `Request` (and a test can pass a real one).
 *
 * @module
 */

/** A request as the handler sees it; a `Request` is one. */
export interface HttpRequest {
  readonly method: string;
  /** An absolute URL (its origin is not the client's to choose: see `peers.ts`). */
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  /** Aborted when the client goes away (or the server closes its connection). */
  readonly signal: AbortSignal;
  /** The whole body (the front read it, within `max_body_bytes`). */
  text(): Promise<string>;
}
