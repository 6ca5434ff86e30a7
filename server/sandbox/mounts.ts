/**
 * The file system a confined session sees: only what it was granted, each
 * path resolved (realpath) when its runner starts, plus what Deno itself
 * needs to run. Everything else does not exist in its mount namespace, so a
 * symlink inside a granted directory that points elsewhere leads nowhere.
 *
 * @module
 */

import { SYSTEM_DIRS } from "./probe.ts";

type Grant = boolean | string[] | undefined;

/** A granted path as given, and where it really is (null when it does not exist). */
export interface ResolvedPath {
  path: string;
  resolved: string | null;
  access: "read" | "write";
}

/** One mount of the namespace. */
export interface Mount {
  /** What is mounted (a real path). */
  source: string;
  /** Where it appears. */
  target: string;
  writable: boolean;
}

/** System files a program may read when they exist (name lookups, time zone, certificates). */
const SYSTEM_FILES = [
  "/etc/localtime",
  "/etc/resolv.conf",
  "/etc/hosts",
  "/etc/nsswitch.conf",
  "/etc/host.conf",
  "/etc/gai.conf",
  "/etc/ssl",
  "/etc/ca-certificates",
  "/etc/pki",
  "/etc/alternatives",
  "/etc/ld.so.cache",
];

function realPath(path: string): string | null {
  try {
    return Deno.realPathSync(path);
  } catch {
    return null;
  }
}

function absolute(path: string, cwd: string): string {
  const full = path.startsWith("/") ? path : `${cwd}/${path}`;
  // Normalized: "." and ".." segments and trailing slashes gone.
  const parts: string[] = [];
  for (const part of full.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/** Resolves a runner's read and write grants (lists only; `true` means everything). */
export function resolveGrants(
  read: Grant,
  write: Grant,
  cwd: string,
): ResolvedPath[] {
  const out: ResolvedPath[] = [];
  for (const [grant, access] of [[read, "read"], [write, "write"]] as const) {
    if (!Array.isArray(grant)) continue;
    for (const entry of grant) {
      const path = absolute(entry, cwd);
      out.push({ path, resolved: realPath(path), access });
    }
  }
  return out;
}

/** What a session's namespace is made of. */
export interface MountPlan {
  /** Read and write grants (`true`: the whole file system). */
  read: Grant;
  write: Grant;
  /** Those grants resolved (see {@linkcode resolveGrants}). */
  paths: ResolvedPath[];
  /** Read-only paths the process needs (its program, the session host). */
  readOnly: string[];
  /** Writable paths the process needs (its DENO_DIR, the frame socket). */
  writable: string[];
  /** Its working directory: made visible (writable only if granted). */
  cwd: string;
  /** Whether name lookups and certificates are needed (a net grant). */
  network: boolean;
}

/** Whether `path` is `dir` or under it. */
function within(path: string, dir: string): boolean {
  return dir === "/" || path === dir || path.startsWith(`${dir}/`);
}

/** The mounts of a plan, parents before children, one per target. */
export function planMounts(plan: MountPlan): Mount[] {
  const byTarget = new Map<string, Mount>();
  const add = (source: string | null, target: string, writable: boolean) => {
    if (source === null) return;
    // /proc, /dev and /tmp are the namespace's own.
    if (["/proc", "/dev"].some((d) => within(target, d))) return;
    const seen = byTarget.get(target);
    if (seen) seen.writable ||= writable;
    else byTarget.set(target, { source, target, writable });
  };
  if (plan.read === true) add("/", "/", plan.write === true);
  if (plan.write === true) add("/", "/", true);
  for (const file of plan.network ? SYSTEM_FILES : SYSTEM_FILES.slice(0, 1)) {
    if (realPath(file)) add(file, file, false);
  }
  for (const path of plan.readOnly) add(realPath(path), path, false);
  for (const path of plan.writable) add(path, path, true);
  const cwdWritable = plan.paths.some((p) => p.access === "write" && within(plan.cwd, p.path)) ||
    plan.write === true;
  add(realPath(plan.cwd), plan.cwd, cwdWritable);
  for (const grant of plan.paths) {
    // Mounted where it really is, and where the grant names it when that differs (a link).
    add(grant.resolved, grant.resolved ?? "", grant.access === "write");
    if (grant.resolved !== null && grant.resolved !== grant.path) {
      add(grant.resolved, grant.path, grant.access === "write");
    }
  }
  return [...byTarget.values()].sort((a, b) =>
    a.target.split("/").length - b.target.split("/").length ||
    a.target.localeCompare(b.target)
  );
}

/** Whether the plan already shows `/tmp` (a grant of it): then no private /tmp is made. */
function showsTmp(mounts: Mount[]): boolean {
  return mounts.some((m) => m.target === "/" || m.target === "/tmp");
}

/** bubblewrap's file system arguments for a plan. */
export function mountArgs(
  mounts: Mount[],
  systemArgs: string[],
  options: { tmpfsSize?: number } = {},
): string[] {
  const args: string[] = [];
  const whole = mounts.find((m) => m.target === "/");
  if (whole) args.push(whole.writable ? "--bind" : "--ro-bind", "/", "/");
  else args.push(...systemArgs);
  args.push("--proc", "/proc", "--dev", "/dev");
  if (!showsTmp(mounts)) {
    if (options.tmpfsSize) args.push("--size", String(options.tmpfsSize));
    args.push("--tmpfs", "/tmp");
  }
  for (const m of mounts) {
    if (m.target === "/") continue;
    // A system dir is already there, read-only; a grant under it may still make part writable.
    if (!whole && !m.writable && SYSTEM_DIRS.some((d) => within(m.target, d))) {
      continue;
    }
    args.push(m.writable ? "--bind" : "--ro-bind", m.source, m.target);
  }
  return args;
}
