/**
 * Reading a Server-Sent Events stream in tests: plain fetch and the wire
 * format, so the server is checked against the protocol, not our client.
 *
 * @module
 */

/** One event as received, with the time it arrived. */
export interface ReceivedEvent {
  event: string;
  id?: string;
  data: string;
  at: number;
}

/** An open stream; `events` fills as they come; `done` settles when the stream ends. */
export interface SseReader {
  status: number;
  events: ReceivedEvent[];
  done: Promise<void>;
  close(): Promise<void>;
}

/** Opens a stream and parses its events as they arrive. */
export async function openSse(
  url: string,
  secret: string,
  headers: Record<string, string> = {},
): Promise<SseReader> {
  const controller = new AbortController();
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${secret}`, ...headers },
    signal: controller.signal,
  });
  const events: ReceivedEvent[] = [];
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    return { status: res.status, events, done: Promise.resolve(), close: () => Promise.resolve() };
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const done = (async () => {
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: ReceivedEvent = { event: "message", data: "", at: Date.now() };
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue;
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "event") event.event = value;
            else if (field === "id") event.id = value;
            else if (field === "data") data.push(value);
          }
          if (data.length) {
            event.data = data.join("\n");
            events.push(event);
          }
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    status: res.status,
    events,
    done,
    close: async () => {
      controller.abort();
      await reader.cancel().catch(() => {});
      await done;
    },
  };
}
