/**
 * The ceiling of a register secret: what `register_runner` may register
 * when called with one (`[register_policy]`; an admin secret may register
 * anything). By default a script runner with no grants at all, 4 instances
 * at most: a scope meant for "a runner may announce itself" must not be a
 * way to run programs as the supervisor's user.
 *
 * @module
 */

import type { Permissions, RunnerConfig } from "../../shared/types.generated.ts";
import type { RegisterPolicy } from "../config/config_schema.ts";

type Grant = boolean | string[] | undefined;

/** The highest memory limit a register secret may ask for, MiB. */
const MAX_MEMORY_MB = 512;
/** The highest process limit a register secret may ask for. */
const MAX_PIDS = 256;

/** `path` with `.` and `..` segments resolved (a grant of `/srv/a/../../etc` is `/etc`). */
function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

function realPath(path: string): string | null {
  try {
    return Deno.realPathSync(path);
  } catch {
    return null;
  }
}

const within = (path: string, dir: string) =>
  dir === "/" || path === dir || path.startsWith(`${dir}/`);

/** Whether a host grant (`host` or `host:port`) covers a requested one. */
function hostCovers(allowed: string, requested: string): boolean {
  if (allowed === requested) return true;
  // A host without a port allows every port of it.
  return !/:\d+$/.test(allowed) && requested.startsWith(`${allowed}:`);
}

/** Why `requested` exceeds `allowed` for one permission, or null. */
function grantProblem(
  name: keyof Permissions,
  requested: Grant,
  allowed: Grant,
): string | null {
  if (requested === undefined || requested === false) return null;
  if (allowed === true) return null;
  if (requested === true) {
    return `permissions.${name}: all of it is more than the policy allows`;
  }
  if (requested.length === 0) return null;
  const list = Array.isArray(allowed) ? allowed : [];
  for (const entry of requested) {
    let ok: boolean;
    if (name === "read" || name === "write") {
      if (!entry.startsWith("/")) {
        return `permissions.${name}: ${JSON.stringify(entry)} is relative (give an absolute path)`;
      }
      // As written and where it leads: a link inside an allowed dir may point out of it.
      const paths = [normalize(entry), realPath(entry)].filter((
        p,
      ): p is string => p !== null);
      ok = paths.every((p) => list.some((dir) => within(p, normalize(dir))));
    } else if (name === "net") {
      ok = list.some((host) => hostCovers(host, entry));
    } else {
      ok = list.includes(entry);
    }
    if (!ok) {
      return `permissions.${name}: ${JSON.stringify(entry)} is beyond register_policy.permissions`;
    }
  }
  return null;
}

/** What a register secret may not register in `config`, or null when it may. */
export function registerProblem(
  config: RunnerConfig,
  policy: RegisterPolicy,
): string | null {
  const kind = config.kind ?? "script";
  if (!policy.kinds.includes(kind)) {
    return `kind ${JSON.stringify(kind)} is not allowed (register_policy.kinds: ${
      policy.kinds.join(", ") || "none"
    })`;
  }
  if (
    (kind === "process" || kind === "service") &&
    !policy.binaries.includes(config.binary_path ?? "")
  ) {
    return `binary_path ${JSON.stringify(config.binary_path)} is not in register_policy.binaries`;
  }
  // Each is a way to run something else, or as someone else: the operator's to configure.
  if (config.check?.test !== undefined) {
    return "check.test: a register secret may not give a command to run";
  }
  if (config.user !== undefined) return "user: a register secret may not choose the user";
  if ((config.process_manager ?? "simple") !== "simple") {
    return "process_manager: a register secret may only register simple runners";
  }
  if ((config.instances ?? 1) > policy.max_instances) {
    return `instances ${config.instances} is more than register_policy.max_instances (${policy.max_instances})`;
  }
  if (config.env !== undefined && Object.keys(config.env).length > 0) {
    // DENO_DIR, PATH or LD_PRELOAD in a runner's environment are as good as code.
    return "env: a register secret may not set a runner's environment";
  }
  if ((config.memory_mb ?? 0) > MAX_MEMORY_MB) {
    return `memory_mb ${config.memory_mb} is more than a register secret may ask (${MAX_MEMORY_MB})`;
  }
  if ((config.pids_max ?? 0) > MAX_PIDS) {
    return `pids_max ${config.pids_max} is more than a register secret may ask (${MAX_PIDS})`;
  }
  const requested = config.permissions ?? {};
  for (const name of ["read", "write", "net", "env", "run", "sys"] as const) {
    const problem = grantProblem(
      name,
      requested[name],
      policy.permissions[name],
    );
    if (problem) return problem;
  }
  return null;
}
