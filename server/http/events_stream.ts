/**
 * `GET /events`: lifecycle events as Server-Sent Events: those after
 * `Last-Event-ID` (or `?after=ID`; by default only new ones), then live ones.
 * Each is a `message` event whose `id` is the event's id and whose data is
 * the event.
 *
 * @module
 */

import type { EventLog } from "../events/event_log.ts";
import type { Store } from "../store/store.ts";
import { Wakeup } from "../util/wakeup.ts";
import type { SseWriter } from "./sse.ts";

const KEEPALIVE_MS = 15_000;

/** Streams events to one reader, from `after` on. */
export async function streamEvents(
  sse: SseWriter,
  after: number,
  events: EventLog,
  store: Store,
): Promise<void> {
  const wakeup = new Wakeup();
  const unsubscribe = store.notices.subscribe((n) =>
    (n.type === "events" || n.type === "notices.resumed") && wakeup.fire()
  );
  try {
    let cursor = after;
    await sse.comment("connected");
    while (!sse.signal.aborted) {
      const page = await events.list(cursor, 500);
      if (page.events.length) {
        await sse.events(page.events.map((e) => ({ data: e, id: e.id })));
        cursor = page.next;
        continue;
      }
      const before = Date.now();
      await wakeup.wait(KEEPALIVE_MS, sse.signal);
      if (Date.now() - before >= KEEPALIVE_MS) await sse.comment("keepalive");
    }
  } finally {
    unsubscribe();
  }
}
