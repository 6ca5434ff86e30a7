/**
 * Whether a path exists, without throwing: for the probes and sweeps that
 * only need to know (a path that cannot be looked at counts as missing).
 *
 * @module
 */

/** Whether `path` exists (a file, a directory, anything `stat` finds). */
export function pathExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
