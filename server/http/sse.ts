/**
 * Server-Sent Events responses that respect a slow reader and close on
 * shutdown.
 *
 * The producer awaits each write, so a reader that does not keep up slows
 * only its own producer loop (which reads from a store or a ring buffer),
 * never the job or the other readers. Every open stream is tracked so that
 * the server can end them before it shuts down.
 *
 * @module
 */

import { HttpReply } from "./http_reply.ts";

const encoder = new TextEncoder();

/** Writes events to one SSE stream. */
export interface SseWriter {
  /** Sends one event; resolves when the reader can take more. */
  event(
    data: unknown,
    options?: { event?: string; id?: number | string },
  ): Promise<void>;
  /** Sends many data events at once (one write). */
  events(
    items: readonly { data: unknown; id?: number | string }[],
  ): Promise<void>;
  /** Sends whole events already in the event-stream format (text, or its UTF-8). */
  raw(events: string | Uint8Array): Promise<void>;
  /** Sends a comment (keeps proxies from closing an idle stream). */
  comment(text: string): Promise<void>;
  /** Aborted when the reader goes away or the server shuts down. */
  readonly signal: AbortSignal;
}

/** Tracks open streams so that shutdown can close them. */
export class SseStreams {
  readonly #open = new Set<AbortController>();

  /** How many streams are open. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * A streaming response fed by `produce`. The stream ends when `produce`
   * returns, the reader goes away, or {@linkcode SseStreams.closeAll} is called.
   */
  respond(
    produce: (writer: SseWriter) => Promise<void>,
    request: AbortSignal,
    headers: Record<string, string> = {},
  ): HttpReply {
    const controller = new AbortController();
    this.#open.add(controller);
    // The request's signal aborts when the reader disconnects.
    const onGone = () => controller.abort(new Error("the reader went away"));
    request.addEventListener("abort", onGone, { once: true });
    // Bytes all the way: a job's log lines come as UTF-8 already (one copy fewer than a text
    // stream encoded at its end).
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const write = async (events: string | Uint8Array) => {
      if (controller.signal.aborted) throw controller.signal.reason;
      await writer.ready;
      await writer.write(typeof events === "string" ? encoder.encode(events) : events);
    };
    const sse: SseWriter = {
      signal: controller.signal,
      event: (data, options = {}) =>
        write(
          (options.id !== undefined ? `id: ${options.id}\n` : "") +
            (options.event ? `event: ${options.event}\n` : "") +
            `data: ${JSON.stringify(data)}\n\n`,
        ),
      events: (items) =>
        write(
          items.map((i) =>
            (i.id !== undefined ? `id: ${i.id}\n` : "") +
            `data: ${JSON.stringify(i.data)}\n\n`
          ).join(""),
        ),
      raw: write,
      comment: (text) => write(`: ${text}\n\n`),
    };
    (async () => {
      try {
        await produce(sse);
      } catch {
        // The reader went away or the server is closing.
      } finally {
        this.#open.delete(controller);
        request.removeEventListener("abort", onGone);
        controller.abort();
        await writer.close().catch(() => {});
      }
    })();
    return new HttpReply(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
      ...headers,
    }, readable);
  }

  /** Ends every open stream. */
  closeAll(): void {
    for (const controller of this.#open) {
      controller.abort(new Error("the server is shutting down"));
    }
  }
}
