import { assertEquals } from "../_helpers/assert.ts";
import { lineEvents } from "../../server/http/job_logs_stream.ts";
import type { LogLine } from "../../shared/types.generated.ts";

Deno.test("log lines as SSE events: each event's id is the seq and its data parses back to the line", () => {
  const lines: LogLine[] = [
    { seq: 1, ts: 1_800_000_000_000, stream: "stdout", line: "plain" },
    { seq: 2, ts: 1_800_000_000_001, stream: "stderr", line: 'quote " and \\ backslash \\n' },
    { seq: 3, ts: 1_800_000_000_002, stream: "system", line: "" },
    {
      seq: 4,
      ts: 1_800_000_000_003,
      stream: "stdout",
      line: "tab\tcr\r\u0000\u001f",
      partial: true,
    },
    { seq: 5, ts: 1_800_000_000_004, stream: "stdout", line: "é 😀 \ud800 lone \u2028" },
  ];
  const text = lineEvents(lines);
  // Every event is two fields and a blank line; no field spans lines.
  const events = text.split("\n\n");
  assertEquals(events.pop(), "");
  assertEquals(events.length, lines.length);
  events.forEach((event, i) => {
    const [id, data, ...rest] = event.split("\n");
    assertEquals(rest, []);
    assertEquals(id, `id: ${lines[i].seq}`);
    assertEquals(data.startsWith("data: "), true);
    assertEquals(JSON.parse(data.slice(6)), lines[i]);
    // What JSON.stringify makes of the line, to the character.
    assertEquals(
      data.slice(6),
      JSON.stringify(lines[i], ["seq", "ts", "stream", "line", "partial"]),
    );
  });
  assertEquals(lineEvents([]), "");
});
