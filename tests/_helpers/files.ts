/**
 * Asking the file system what is there, for tests of what a process leaves
 * behind.
 *
 * @module
 */

/** Whether anything (a file, a dir, a link) is at `path`. */
export const pathExists = (path: string): Promise<boolean> =>
  Deno.lstat(path).then(() => true, () => false);

/**
 * The temp dir of the supervisor (or agent) whose session process is
 * `sessionPid`: a session's cwd is that dir's `work/`, read from the OS.
 */
export function runtimeDirOf(sessionPid: number): string {
  return Deno.readLinkSync(`/proc/${sessionPid}/cwd`).replace(/\/work$/, "");
}
