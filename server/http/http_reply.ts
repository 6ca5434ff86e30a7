/**
 * An answer as the HTTP handler gives it to the front: a status, headers,
 * and a body that is all there (text or bytes) or an event stream. Plainer
 * than a `Response`: reading a `Response`'s headers and body back costs more
 * than many a handler (measured: a quarter of a `job.status` request).
 *
 * @module
 */

/** One answer. */
export class HttpReply {
  constructor(
    readonly status: number,
    /** Header names in lower case. */
    readonly headers: Readonly<Record<string, string>>,
    /** A stream is written as it comes (an event stream); the rest at once, with its length. */
    readonly body: string | Uint8Array | ReadableStream<Uint8Array> | null = null,
  ) {}
}
