/**
 * Server-Sent Events over `fetch`: unlike `EventSource`, it can send an
 * `Authorization` header, in browsers too. Works in browsers, Node ≥ 20 and
 * Deno alike.
 *
 * Parsed as the HTML standard's event-stream rules say: a line ends with
 * CRLF, LF or a lone CR (a CRLF cut between two chunks is one line end); a
 * leading BOM is dropped; `:` starts a comment; one space after a field's
 * colon is dropped; `data` lines join with LF; an `id` holding NUL is
 * ignored, and the last id stays the event's until another replaces it; an
 * event with no data is not dispatched.
 *
 * @module
 */

/** One event of a stream. */
export interface StreamEvent {
  event: string;
  /** The last event id the stream set (as `EventSource.lastEventId` would say). */
  id?: string;
  data: string;
}

/** Splits text into lines ending with CRLF, LF or CR, across chunks. */
class LineSplitter {
  #held = "";
  /** The last chunk ended with a CR: a LF at the start of the next belongs to it. */
  #afterCR = false;

  /** The complete lines in `text` (with what was held before). */
  push(text: string): string[] {
    if (this.#afterCR && text.startsWith("\n")) text = text.slice(1);
    this.#afterCR = false;
    const lines: string[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      lines.push(this.#held + text.slice(start, i));
      this.#held = "";
      if (c === 13) {
        if (i + 1 === text.length) this.#afterCR = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.#held += text.slice(start);
    return lines;
  }
}

/** Parses an SSE body into events (comments and keep-alives are skipped). */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const lines = new LineSplitter();
  let first = true;
  let event = "";
  let data: string[] = [];
  let lastId: string | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      let text = decoder.decode(value, { stream: true });
      if (first && text) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      for (const line of lines.push(text)) {
        if (line === "") {
          // A blank line dispatches the event, if it has data.
          if (data.length) yield { event: event || "message", id: lastId, data: data.join("\n") };
          event = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let fieldValue = colon < 0 ? "" : line.slice(colon + 1);
        if (fieldValue.startsWith(" ")) fieldValue = fieldValue.slice(1);
        if (field === "event") event = fieldValue;
        else if (field === "data") data.push(fieldValue);
        else if (field === "id" && !fieldValue.includes("\0")) lastId = fieldValue;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
