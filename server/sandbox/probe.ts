/**
 * What this host can enforce below Deno's permissions, found out at start:
 * whether bubblewrap runs here (and which of its options it knows), and
 * which cgroup hierarchy this process may create groups in. Nothing is
 * assumed: each layer is tried for real, and what is missing is named.
 *
 * @module
 */

/** A bubblewrap that was seen to work here. */
export interface BwrapInfo {
  path: string;
  /** `--unshare-user` works (unprivileged user namespaces, or root). */
  userns: boolean;
  /** Options of newer versions, found in its `--help`. */
  disableUserns: boolean;
  tmpfsSize: boolean;
}

/** The cgroup hierarchy sessions get groups in. */
export type CgroupLayout =
  | {
    version: 2;
    /** The group (a directory of the cgroup2 mount) that session groups are made in. */
    base: string;
    controllers: { memory: boolean; pids: boolean; cpu: boolean };
  }
  | {
    version: 1;
    /** Per controller, this process's own group, where session groups are made. */
    dirs: { memory?: string; pids?: string; cpu?: string };
  };

/** What the probe found: each layer, or why it is missing. */
export interface HostSandbox {
  bwrap: BwrapInfo | null;
  cgroups: CgroupLayout | null;
  /** One line per missing layer: what is missing and why. */
  missing: string[];
  /** Control groups were turned off (`sandbox_cgroups = false`), not probed. */
  cgroupsOff?: boolean;
}

const BWRAP_PATHS = ["/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"];

/** The directories every confined program needs to start (read-only). */
export const SYSTEM_DIRS = [
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib64",
  "/lib32",
  "/libx32",
];

/** bubblewrap's arguments that make `/usr` and the merged-/usr links (or dirs) visible. */
export function systemMounts(): string[] {
  const args: string[] = [];
  for (const dir of SYSTEM_DIRS) {
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(dir);
    } catch {
      continue;
    }
    if (info.isSymlink) args.push("--symlink", Deno.readLinkSync(dir), dir);
    else if (info.isDirectory) args.push("--ro-bind", dir, dir);
  }
  return args;
}

async function run(
  program: string,
  args: string[],
): Promise<{ ok: boolean; text: string }> {
  try {
    const out = await new Deno.Command(program, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      clearEnv: true,
      env: { PATH: "/usr/local/bin:/usr/bin:/bin" },
    }).output();
    const decoder = new TextDecoder();
    return {
      ok: out.success,
      text: decoder.decode(out.stdout) + decoder.decode(out.stderr),
    };
  } catch (error) {
    return { ok: false, text: (error as Error).message };
  }
}

/**
 * Finds bubblewrap (`HERO_BWRAP` names it when it is elsewhere) and runs
 * `true` in the namespaces sessions use; null and why when it cannot.
 */
export async function probeBwrap(): Promise<
  { info: BwrapInfo | null; why?: string }
> {
  const given = Deno.env.get("HERO_BWRAP");
  const path = (given ? [given] : BWRAP_PATHS).find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
  if (!path) {
    return {
      info: null,
      why: `bubblewrap (bwrap) is not installed${given ? ` at ${given}` : ""}`,
    };
  }
  const help = await run(path, ["--help"]);
  const base = [
    "--unshare-pid",
    "--unshare-net",
    "--die-with-parent",
    ...systemMounts(),
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--",
    "true",
  ];
  const withUserns = await run(path, [
    "--unshare-user",
    "--cap-drop",
    "ALL",
    ...base,
  ]);
  let userns = withUserns.ok;
  if (!userns) {
    // Root can do without a user namespace (then capabilities are dropped instead).
    const plain = await run(path, ["--cap-drop", "ALL", ...base]);
    if (!plain.ok) {
      return {
        info: null,
        why: `bubblewrap cannot create namespaces here: ${withUserns.text.trim().split("\n")[0]}`,
      };
    }
    userns = false;
  }
  return {
    info: {
      path,
      userns,
      disableUserns: help.text.includes("--disable-userns"),
      tmpfsSize: help.text.includes("--size"),
    },
  };
}

interface CgroupMount {
  type: "cgroup" | "cgroup2";
  /** Where it is mounted. */
  path: string;
  /** The group of the hierarchy that is mounted there (not "/" inside some containers). */
  root: string;
  options: string[];
}

/** The cgroup mounts of this system, from /proc/self/mountinfo. */
function cgroupMounts(): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  let text: string;
  try {
    text = Deno.readTextFileSync("/proc/self/mountinfo");
  } catch {
    return mounts;
  }
  for (const line of text.split("\n")) {
    const [left, right] = line.split(" - ");
    if (!right) continue;
    const [type, , superOptions = ""] = right.split(" ");
    if (type !== "cgroup" && type !== "cgroup2") continue;
    const fields = left.split(" ");
    const unescape = (text: string) => text.replace(/\\040/g, " ");
    mounts.push({
      type,
      path: unescape(fields[4]),
      root: unescape(fields[3]),
      options: superOptions.split(","),
    });
  }
  return mounts;
}

/** This process's group in each hierarchy, from /proc/self/cgroup (`""` keys the v2 one). */
function ownGroups(): Map<string, string> {
  const groups = new Map<string, string>();
  try {
    for (const line of Deno.readTextFileSync("/proc/self/cgroup").split("\n")) {
      const match = line.match(/^\d+:([^:]*):(.*)$/);
      if (match) groups.set(match[1], match[2]);
    }
  } catch {
    // No /proc: no cgroups either.
  }
  return groups;
}

/** Whether a directory can be made (and removed again) in `dir`. */
function canMakeGroupIn(dir: string): boolean {
  const probe = `${dir}/hero-probe-${Deno.pid}`;
  try {
    Deno.mkdirSync(probe);
    Deno.removeSync(probe);
    return true;
  } catch {
    return false;
  }
}

/** The directory of group `own` (a path of the hierarchy) where `mount` shows it. */
function groupDir(mount: CgroupMount, own: string): string | null {
  const root = mount.root === "/" ? "" : mount.root;
  if (own !== root && !own.startsWith(`${root}/`)) return null;
  return `${mount.path}${own.slice(root.length)}`.replace(/\/$/, "");
}

function readText(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

/**
 * Prepares a cgroup v2 group with the memory, pids and cpu controllers
 * enabled for its children. A group that holds processes cannot enable
 * controllers for children (the "no internal processes" rule), so when this
 * process's own group is not delegated that way yet, its processes move into
 * a leaf `supervisor` group first, as systemd's delegation asks of a service.
 */
function prepareV2(mount: CgroupMount, own: string): CgroupLayout | null {
  const dir = groupDir(mount, own);
  if (!dir) return null;
  const available = (readText(`${dir}/cgroup.controllers`) ?? "").split(/\s+/);
  const wanted = ["memory", "pids", "cpu"].filter((c) => available.includes(c));
  if (!wanted.includes("memory") && !wanted.includes("pids")) return null;
  const enabled = () => (readText(`${dir}/cgroup.subtree_control`) ?? "").split(/\s+/);
  const enable = () => {
    for (const c of wanted) {
      if (!enabled().includes(c)) {
        Deno.writeTextFileSync(`${dir}/cgroup.subtree_control`, `+${c}`);
      }
    }
  };
  try {
    try {
      enable();
    } catch {
      if (dir === mount.path) {
        throw new Error("the root group cannot be delegated");
      }
      const leaf = `${dir}/supervisor`;
      Deno.mkdirSync(leaf, { recursive: true });
      const procs = (readText(`${dir}/cgroup.procs`) ?? "").split("\n").filter(
        Boolean,
      );
      for (const pid of procs) {
        Deno.writeTextFileSync(`${leaf}/cgroup.procs`, pid);
      }
      enable();
    }
  } catch {
    return null;
  }
  if (!canMakeGroupIn(dir)) return null;
  const on = enabled();
  return {
    version: 2,
    base: dir,
    controllers: {
      memory: on.includes("memory"),
      pids: on.includes("pids"),
      cpu: on.includes("cpu"),
    },
  };
}

/** Finds where this process may create cgroups: v2 where delegated, v1 where writable. */
export function probeCgroups(): { layout: CgroupLayout | null; why?: string } {
  const mounts = cgroupMounts();
  const groups = ownGroups();
  const v1 = mounts.filter((m) => m.type === "cgroup");
  const dirs: { memory?: string; pids?: string; cpu?: string } = {};
  for (const controller of ["memory", "pids", "cpu"] as const) {
    const mount = v1.find((m) => m.options.includes(controller));
    if (!mount) continue;
    const key = [...groups.keys()].find((k) => k.split(",").includes(controller));
    const dir = groupDir(mount, key === undefined ? "/" : groups.get(key)!);
    // Our own group, else the mount's top (a container may show only its own part).
    if (dir && canMakeGroupIn(dir)) dirs[controller] = dir;
    else if (canMakeGroupIn(mount.path)) dirs[controller] = mount.path;
  }
  if (dirs.memory || dirs.pids) return { layout: { version: 1, dirs } };
  const v2 = mounts.find((m) => m.type === "cgroup2");
  if (v2 && groups.has("")) {
    const layout = prepareV2(v2, groups.get("")!);
    if (layout) return { layout };
    return {
      layout: null,
      why: "the cgroup v2 hierarchy is not delegated to this user",
    };
  }
  if (mounts.length === 0) {
    return { layout: null, why: "no cgroup file system is mounted" };
  }
  return {
    layout: null,
    why: "no cgroup hierarchy with memory or pids is writable here",
  };
}

/**
 * Probes both layers; control groups only when `cgroups` (turned off, they
 * are left out, not missing: `sandbox = "require"` does not ask for them).
 */
export async function probeHost({ cgroups: useCgroups = true } = {}): Promise<HostSandbox> {
  const bwrap = await probeBwrap();
  const cgroups = useCgroups ? probeCgroups() : { layout: null };
  const missing: string[] = [];
  if (!bwrap.info) missing.push(bwrap.why!);
  if (!cgroups.layout && useCgroups) missing.push(cgroups.why!);
  return { bwrap: bwrap.info, cgroups: cgroups.layout, missing, cgroupsOff: !useCgroups };
}
