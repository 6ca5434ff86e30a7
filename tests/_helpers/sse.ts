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
    // One pass over whole lines per chunk (a block ends at an empty line), so that a
    // fast stream is not held up by its reader: benchmarks read 500 000 events with it.
    let rest = "";
    let event = "message";
    let id: string | undefined;
    let data: string | undefined;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const lines = (rest + value).split("\n");
        rest = lines.pop()!;
        const at = Date.now();
        for (const line of lines) {
          if (line === "") {
            if (data !== undefined) {
              events.push(id === undefined ? { event, data, at } : { event, id, data, at });
            }
            event = "message";
            id = undefined;
            data = undefined;
            continue;
          }
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          let value = colon < 0 ? "" : line.slice(colon + 1);
          if (value.startsWith(" ")) value = value.slice(1);
          if (field === "event") event = value;
          else if (field === "id") id = value;
          else if (field === "data") data = data === undefined ? value : `${data}\n${value}`;
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
