/**
 * What a dead supervisor left running, found by the mark in its programs'
 * environment.
 *
 * Every process a supervisor (or agent) launches carries
 * `HERO_LAUNCHED_BY=<the name of its owned temp dir>` in its environment;
 * so do all it starts that keep their environment, bubblewrap's init (a fork
 * of bubblewrap, not a new program) and the namespace's programs. A
 * supervisor killed outright takes its launches with it (a parent-death
 * signal, bubblewrap's `--die-with-parent`), except where that signal is
 * set too late: bubblewrap sets its own only partway through its start, and
 * its init's only once its sandbox is made, with no check that the parent is
 * still there. Killed in between, it leaves that init and the program
 * running, in a session of their own, re-parented: nothing else links them
 * to the supervisor that started them. The mark does, and the next
 * supervisor or agent of the same user, when it sweeps the dead one's temp
 * dir, ends what carries its name (killing a namespace's init ends the
 * whole namespace).
 *
 * @module
 */

/** The environment variable that names the supervisor a process was launched by. */
export const LAUNCH_MARK = "HERO_LAUNCHED_BY";

const encoder = new TextEncoder();

/**
 * Sends SIGKILL to every process (that this user may read) whose
 * environment marks it as launched by one of `owners` (the names of dead
 * owners' temp dirs); again until none is left, as a process may start
 * another meanwhile. Returns how many were killed; 0 without `/proc`.
 */
export function killMarked(owners: readonly string[]): number {
  if (owners.length === 0) return 0;
  const marks = owners.map((owner) => encoder.encode(`${LAUNCH_MARK}=${owner}\0`));
  let killed = 0;
  for (let pass = 0; pass < 5; pass++) {
    let found = 0;
    let entries: Iterable<Deno.DirEntry>;
    try {
      entries = Deno.readDirSync("/proc");
    } catch {
      return killed; // No /proc here.
    }
    for (const entry of entries) {
      const pid = Number(entry.name);
      if (!Number.isInteger(pid) || pid <= 1 || pid === Deno.pid) continue;
      let environ: Uint8Array;
      try {
        // Empty for a zombie or a kernel thread; unreadable for another user's process.
        environ = Deno.readFileSync(`/proc/${pid}/environ`);
      } catch {
        continue;
      }
      if (!marks.some((mark) => hasEntry(environ, mark))) continue;
      try {
        Deno.kill(pid, "SIGKILL");
        found++;
      } catch {
        // Gone meanwhile.
      }
    }
    killed += found;
    if (found === 0) break;
  }
  return killed;
}

/** Whether `environ` (NUL-terminated `NAME=value` entries) holds `entry` (NUL included). */
function hasEntry(environ: Uint8Array, entry: Uint8Array): boolean {
  const last = environ.length - entry.length;
  for (let start = 0; start <= last;) {
    let i = 0;
    while (i < entry.length && environ[start + i] === entry[i]) i++;
    if (i === entry.length) return true;
    const end = environ.indexOf(0, start);
    if (end < 0) return false;
    start = end + 1;
  }
  return false;
}
