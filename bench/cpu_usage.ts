/**
 * Where a benchmark's time goes: CPU used by given processes and by a
 * redis-server, and how busy the machine was, between two readings.
 *
 * Linux only (`/proc`); elsewhere every reading is null and the benchmark
 * prints its rates without this breakdown.
 *
 * @module
 */

/** One reading: CPU ms per process, Redis CPU ms, and machine CPU ms (busy, total). */
export interface CpuReading {
  processes: number[];
  redis: number;
  busy: number;
  total: number;
}

/** CPU used between two readings, in ms, and the share of the machine that was busy. */
export interface CpuSpent {
  processes: number[];
  redis: number;
  busyShare: number;
}

/** Clock ticks per second of `/proc` times: 100 on every Linux this runs on. */
const TICK_MS = 10;

/** User + system CPU of a process, ms. */
function processCpuMs(pid: number): number {
  // Fields after the command name (which may hold spaces); utime and stime are the 12th and 13th.
  const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** The machine's busy and total CPU, ms, from the first line of `/proc/stat`. */
function machineCpuMs(): { busy: number; total: number } {
  // user nice system idle iowait irq softirq steal; guest time is already counted in user.
  const ticks = Deno.readTextFileSync("/proc/stat").split("\n")[0].trim().split(/\s+/).slice(1, 9)
    .map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = ticks[3] + (ticks[4] ?? 0);
  return { busy: (total - idle) * TICK_MS, total: total * TICK_MS };
}

/** User + system CPU of the redis-server on `port`, ms, from `INFO cpu`. */
async function redisCpuMs(port: number): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode("INFO cpu\r\n"));
    let text = "";
    const buf = new Uint8Array(4096);
    // The reply is a bulk string, "$<length>\r\n<body>\r\n" (ASCII), or an error line.
    while (!isComplete(text)) {
      const n = await conn.read(buf);
      if (n === null) throw new Error("Redis closed the connection during INFO");
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    if (!text.startsWith("$")) throw new Error(`INFO cpu failed: ${text.trim()}`);
    const seconds = (name: string) => Number(text.match(new RegExp(`${name}:([\\d.]+)`))?.[1] ?? 0);
    return (seconds("used_cpu_user") + seconds("used_cpu_sys")) * 1000;
  } finally {
    conn.close();
  }
}

/** A whole reply: a bulk string with all of its body, or any other one-line reply. */
function isComplete(text: string): boolean {
  if (!text.includes("\r\n")) return false;
  const bulk = text.match(/^\$(\d+)\r\n/);
  return !bulk || text.length >= bulk[0].length + Number(bulk[1]) + 2;
}

/**
 * Reads CPU times now; null where `/proc` is missing. A redis-server that
 * does not answer `INFO cpu` is an error, not a missing reading.
 */
export async function readCpu(pids: number[], redisPort: number): Promise<CpuReading | null> {
  let machine: { busy: number; total: number };
  try {
    machine = machineCpuMs();
  } catch {
    return null;
  }
  return { processes: pids.map(processCpuMs), redis: await redisCpuMs(redisPort), ...machine };
}

/** What was spent between two readings. */
export function cpuSpent(before: CpuReading | null, after: CpuReading | null): CpuSpent | null {
  if (!before || !after) return null;
  return {
    processes: after.processes.map((ms, i) => ms - before.processes[i]),
    redis: after.redis - before.redis,
    busyShare: (after.busy - before.busy) / Math.max(1, after.total - before.total),
  };
}
