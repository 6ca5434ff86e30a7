import { assertEquals } from "../_helpers/assert.ts";
import { lineEvents } from "../../server/http/job_logs_stream.ts";
import { LogBatch } from "../../server/logs/log_batch.ts";
import type { LogLine } from "../../shared/types.generated.ts";

/** `lines` as batches: each run of consecutive seqs one batch, as a reader is sent them. */
function batches(lines: readonly LogLine[]): LogBatch[] {
  const runs: LogLine[][] = [];
  for (const line of lines) {
    const run = runs.at(-1);
    if (run && run.at(-1)!.seq + 1 === line.seq) run.push(line);
    else runs.push([line]);
  }
  return runs.map((run) => LogBatch.of(run)!);
}

Deno.test("log lines as SSE events: each event's id is the seq and its data parses back to the line", () => {
  const lines: LogLine[] = [
    { seq: 1, ts: 1_800_000_000_000, stream: "stdout", line: "plain" },
    {
      seq: 2,
      ts: 1_800_000_000_001,
      stream: "stderr",
      line: 'quote " and \\ backslash \\n',
    },
    { seq: 3, ts: 1_800_000_000_002, stream: "system", line: "" },
    {
      seq: 4,
      ts: 1_800_000_000_003,
      stream: "stdout",
      line: "tab\tcr\r\u0000\u001f",
      partial: true,
    },
    {
      seq: 5,
      ts: 1_800_000_000_004,
      stream: "stdout",
      line: "é 😀 \ud800 lone \u2028",
    },
    // Timestamps and numbers of every kind, and a stream name that needs escaping.
    { seq: 2 ** 31 - 1, ts: 1.5, stream: "stdout", line: "\u007f~ " },
    { seq: 2 ** 31, ts: -3, stream: 'std"out' as "stdout", line: "x" },
    { seq: 2 ** 52 + 7, ts: NaN, stream: "stdout", line: "y" },
    { seq: 10, ts: Infinity, stream: "constructor" as "stdout", line: "z" },
    { seq: 100, ts: -0, stream: "stdout", line: "0" },
    { seq: 1000, ts: -0, stream: "stdout", line: "x".repeat(5000) + '"' },
  ];
  const text = new TextDecoder().decode(lineEvents(batches(lines)));
  // Every event is two fields and a blank line; no field spans lines.
  const events = text.split("\n\n");
  assertEquals(events.pop(), "");
  assertEquals(events.length, lines.length);
  events.forEach((event, i) => {
    const [id, data, ...rest] = event.split("\n");
    assertEquals(rest, []);
    assertEquals(id, `id: ${lines[i].seq}`);
    assertEquals(data.startsWith("data: "), true);
    assertEquals(
      JSON.parse(data.slice(6)),
      JSON.parse(JSON.stringify(lines[i])),
    );
    // What JSON.stringify makes of the line, to the character.
    assertEquals(
      data.slice(6),
      JSON.stringify(lines[i], ["seq", "ts", "stream", "line", "partial"]),
    );
  });
  assertEquals(lineEvents([]).length, 0);
  assertEquals(lineEvents([LogBatch.EMPTY]).length, 0);
});

Deno.test("log lines as SSE events: a long run of lines, their seqs carried over digit by digit, streams interleaved", () => {
  // What one event carries is made once for lines that share it (a timestamp, a stream),
  // and each seq from the one before: a run across 9 -> 10 -> ... -> 1000, a stream that
  // changes every few lines, a timestamp that changes, then comes back.
  const lines: LogLine[] = [];
  for (let seq = 0; seq <= 1200; seq++) {
    lines.push({
      seq,
      ts: seq < 600 ? 1_800_000_000_000 + Math.floor(seq / 50) : 1_800_000_000_000,
      stream: Math.floor(seq / 7) % 3 === 0 ? "stderr" : "stdout",
      line: seq % 11 === 0 ? `"${seq}"` : String(seq),
    });
  }
  // Whole numbers up to 2^31 - 1 are written by hand; past it, as JSON does.
  for (const seq of [2 ** 31 - 2, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 7, 8]) {
    lines.push({ seq, ts: 1, stream: "stdout", line: "n" });
  }
  const text = new TextDecoder().decode(lineEvents(batches(lines)));
  const expected = lines.map((line) =>
    `id: ${line.seq}\ndata: ${JSON.stringify(line, ["seq", "ts", "stream", "line"])}\n\n`
  ).join("");
  assertEquals(text, expected);
});
