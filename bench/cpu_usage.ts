/**
 * Where a benchmark's time goes: CPU used by given processes and by a
 * redis-server, and how busy the machine was, between two readings.
 *
 * Linux only (`/proc`); elsewhere every reading is null and the benchmark
 * prints its rates without this breakdown.
 *
 * @module
 */

import { type CpuReading, machineCpuMs, redisCpuMsOf, TICK_MS } from "./cpu_parse.js";

export type { CpuReading, CpuSpent } from "./cpu_parse.js";
export { cpuSpent } from "./cpu_parse.js";

/**
 * User + system CPU of a process (`self`) and of its children it has waited
 * for (`children`), ms.
 */
function processTimes(pid: number): { self: number; children: number } {
  // Fields after the command name (which may hold spaces): utime, stime, cutime and cstime are
  // the 12th to the 15th.
  const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ").map(Number);
  return {
    self: (fields[11] + fields[12]) * TICK_MS,
    children: (fields[13] + fields[14]) * TICK_MS,
  };
}

/** User + system CPU of a process, ms. */
function processCpuMs(pid: number): number {
  return processTimes(pid).self;
}

/**
 * CPU of a process and of the children it has waited for (each child's
 * whole life, counted when it has ended), ms, with the machine's busy CPU;
 * null where `/proc` is missing.
 */
export function readProcessTree(
  pid: number,
): { self: number; children: number; busy: number } | null {
  try {
    return {
      ...processTimes(pid),
      busy: machineCpuMs(Deno.readTextFileSync("/proc/stat")).busy,
    };
  } catch {
    return null;
  }
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
    return redisCpuMsOf(text);
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
    machine = machineCpuMs(Deno.readTextFileSync("/proc/stat"));
  } catch {
    return null;
  }
  return { processes: pids.map(processCpuMs), redis: await redisCpuMs(redisPort), ...machine };
}
