/**
 * The OS layer under Deno's permissions: per supervisor (or agent), what
 * this host can enforce; per runner, a {@linkcode Confinement} that starts
 * each of its processes inside it and says, in the runner's status, which
 * layer enforces what.
 *
 * | layer | with the OS layer | without it |
 * | --- | --- | --- |
 * | `fs` | a mount namespace with only the granted paths (resolved) | Deno's `--allow-read/write` (paths as written) |
 * | `net` | no network namespace access without a `net` grant | Deno's `--allow-net` |
 * | `pids` | a PID namespace (and control group): nothing outlives the session | the process group |
 * | `memory` | a control group bounds all its memory (and `pids_max`, `cpu`) | the V8 heap only |
 *
 * @module
 */

import type { Permissions } from "../../shared/types.generated.ts";
import { type CgroupTree, openCgroupTree } from "./cgroups.ts";
import { Jailed } from "./jail.ts";
import { LAUNCH_MARK } from "./launch_mark.ts";
import { type Mount, mountArgs, planMounts, type ResolvedPath, resolveGrants } from "./mounts.ts";
import { type HostSandbox, probeHost, systemMounts } from "./probe.ts";
import { pathExists } from "../util/path_exists.ts";

/** `sandbox` in the config: use the OS layer where this host has it, insist on it, or not. */
export type SandboxMode = "auto" | "require" | "off";

/** Which layer enforces one concern. */
export type Enforcement = "os" | "deno-only" | "none";

/** Options of {@linkcode Sandbox.open}. */
export interface SandboxOptions {
  /**
   * Whether to make control groups where the host lets this user (default
   * true). Off where another manager owns them (a container's orchestrator,
   * a systemd slice with its own limits): the PID namespace alone then ends
   * what a job starts, and `memory_mb` bounds the V8 heap only.
   */
  cgroups?: boolean;
}

/** What a runner's status says of its sandbox. */
export interface SandboxStatus {
  fs: Enforcement;
  pids: Enforcement;
  net: Enforcement;
  memory: Enforcement;
  /** The granted paths, as given and resolved at start (null: it does not exist). */
  paths?: ResolvedPath[];
  /** The limits the control group enforces. */
  limits?: { memory_mb?: number; pids_max?: number; cpu?: number };
}

/** The lowest memory limit of a confined session: the Deno runtime itself needs about 35 MiB. */
export const MIN_SESSION_MEMORY_MB = 64;
/** Default process (and thread) limit of a confined process. */
export const DEFAULT_PIDS_MAX = 256;
/** Size of a session's private /tmp. */
const TMPFS_BYTES = 64 * 1024 * 1024;

/** A script runner's sessions, as the sandbox needs to know them. */
export interface SessionSpec {
  permissions: Permissions;
  memoryMb: number;
  pidsMax?: number;
  cpus?: number;
  /** The `deno` binary and the session host it runs. */
  deno: string;
  hostPath: string;
  /** The frame socket. */
  socket: string;
  /** The sessions' working directory. */
  cwd: string;
  /** The user's module caches a session DENO_DIR links to (reachable with a net grant). */
  sharedCaches: string[];
}

/** A process runner's (or service's) instances. */
export interface ProgramSpec {
  memoryMb?: number;
  pidsMax?: number;
  cpus?: number;
}

/** How one runner's processes are confined. */
export interface Confinement {
  readonly status: SandboxStatus;
  /**
   * Starts `program` confined. `writable`: paths this one process may also
   * write (a session's own DENO_DIR). `ownGroup`: whether it leads a process
   * group of its own without namespaces (they always do with them).
   */
  spawn(
    program: string,
    options: Deno.CommandOptions,
    extra?: { writable?: string[]; ownGroup?: boolean },
  ): Jailed;
}

const grants = (grant: boolean | string[] | undefined): boolean =>
  grant === true || (Array.isArray(grant) && grant.length > 0);

/** The OS sandbox of one supervisor or agent. */
export class Sandbox {
  readonly mode: SandboxMode;
  readonly host: HostSandbox;
  /** One line saying what is missing and what that weakens; null when nothing is. */
  readonly warning: string | null;
  readonly #cgroups: CgroupTree | null;
  /** In the environment of all it launches (see `launch_mark.ts`). */
  readonly #mark: Record<string, string>;

  private constructor(
    mode: SandboxMode,
    host: HostSandbox,
    cgroups: CgroupTree | null,
    warning: string | null,
    name: string,
  ) {
    this.mode = mode;
    this.host = host;
    this.#cgroups = cgroups;
    this.warning = warning;
    this.#mark = { [LAUNCH_MARK]: name };
  }

  /**
   * Finds out what this host enforces (nothing with `off`), and makes this
   * process's control group `name`, removing those of owners that are gone
   * (`isOrphan` says which, by name; they start with `prefix`). With
   * `require`, a missing layer throws. Everything it launches is marked
   * with `name` (see `launch_mark.ts`).
   */
  static async open(
    mode: SandboxMode,
    name: string,
    prefix: string,
    isOrphan: (name: string) => boolean,
    { cgroups: useCgroups = true }: SandboxOptions = {},
  ): Promise<Sandbox> {
    if (mode === "off") {
      return new Sandbox(
        mode,
        { bwrap: null, cgroups: null, missing: [] },
        null,
        null,
        name,
      );
    }
    const host = await probeHost({ cgroups: useCgroups });
    let cgroups: CgroupTree | null = null;
    if (host.cgroups) {
      try {
        cgroups = await openCgroupTree(host.cgroups, name, prefix, isOrphan);
      } catch (error) {
        host.missing.push(
          `cannot make a control group: ${(error as Error).message}`,
        );
        host.cgroups = null;
      }
    }
    if (mode === "require" && host.missing.length) {
      throw new Error(
        `sandbox = "require", but the OS sandbox is missing: ${host.missing.join("; ")}`,
      );
    }
    return new Sandbox(mode, host, cgroups, weakened(host, cgroups), name);
  }

  /** The confinement of a script runner's sessions. */
  confineSessions(spec: SessionSpec): Confinement {
    const { permissions } = spec;
    const bwrap = this.host.bwrap;
    const network = grants(permissions.net);
    const runGranted = grants(permissions.run);
    const paths = resolveGrants(permissions.read, permissions.write, spec.cwd);
    const memoryMb = Math.max(spec.memoryMb, MIN_SESSION_MEMORY_MB);
    const limits = this.#limits(
      memoryMb,
      spec.pidsMax ?? DEFAULT_PIDS_MAX,
      spec.cpus,
    );
    const status: SandboxStatus = {
      fs: bwrap ? "os" : "deno-only",
      net: bwrap && !network ? "os" : "deno-only",
      pids: bwrap || this.#cgroups ? "os" : "deno-only",
      memory: this.#cgroups?.enforces.memory ? "os" : "deno-only",
      paths,
      ...(limits.status ? { limits: limits.status } : {}),
    };
    let base: string[] | null = null;
    if (bwrap) {
      // Programs a job may run by path must be there too.
      const programs = Array.isArray(permissions.run)
        ? permissions.run.filter((p) => p.startsWith("/"))
        : [];
      const plan = {
        read: permissions.read,
        write: permissions.write,
        paths,
        readOnly: [spec.deno, spec.hostPath, ...programs],
        writable: [
          spec.socket,
          ...(network ? spec.sharedCaches.filter(pathExists) : []),
        ],
        cwd: spec.cwd,
        network,
      };
      base = [
        ...namespaceArgs(bwrap, { user: true, net: !network }),
        ...mountArgs(planMounts(plan), systemMounts(), {
          tmpfsSize: bwrap.tmpfsSize ? TMPFS_BYTES : undefined,
        }),
        "--chdir",
        spec.cwd,
      ];
    }
    return {
      status,
      spawn: (program, options, extra = {}) => {
        const args = base && [
          ...base,
          ...(extra.writable ?? []).flatMap((p) => ["--bind", p, p]),
        ];
        return new Jailed(program, this.#marked(options), {
          bwrap: bwrap && args ? { path: bwrap.path, args } : null,
          cgroup: this.#cgroups ? this.#cgroups.create(limits.cgroup) : null,
          ownGroup: extra.ownGroup ?? runGranted,
        });
      },
    };
  }

  /**
   * The confinement of a process runner's (or service's) instances: a PID
   * namespace and a control group, with the file system and network of the
   * supervisor (its programs are the operator's, not a job's).
   */
  confinePrograms(spec: ProgramSpec): Confinement {
    const bwrap = this.host.bwrap;
    const limits = this.#limits(spec.memoryMb, spec.pidsMax, spec.cpus);
    const status: SandboxStatus = {
      fs: "none",
      net: "none",
      pids: bwrap || this.#cgroups ? "os" : "none",
      memory: spec.memoryMb && this.#cgroups?.enforces.memory ? "os" : "none",
      ...(limits.status ? { limits: limits.status } : {}),
    };
    const base = bwrap && [
      ...namespaceArgs(bwrap, { user: Deno.uid() !== 0, net: false }),
      "--dev-bind",
      "/",
      "/",
      "--proc",
      "/proc",
    ];
    return {
      status,
      spawn: (program, options) =>
        new Jailed(program, this.#marked(options), {
          bwrap: bwrap && base ? { path: bwrap.path, args: base } : null,
          cgroup: this.#cgroups ? this.#cgroups.create(limits.cgroup) : null,
          ownGroup: true,
          // bubblewrap's --die-with-parent binds a namespaced tree; a parent-death signal set
          // before it would kill bubblewrap before its sandbox's init binds itself to it
          // (measured, killed at once: 4 of 10 left that init and the program running, 0 to 2
          // of 10 without).
          dieWithParent: !bwrap,
        }),
    };
  }

  /** `options` with this supervisor's mark in the environment. */
  #marked(options: Deno.CommandOptions): Deno.CommandOptions {
    return { ...options, env: { ...options.env, ...this.#mark } };
  }

  #limits(memoryMb?: number, pidsMax?: number, cpus?: number) {
    const enforces = this.#cgroups?.enforces;
    const status: SandboxStatus["limits"] = {};
    if (memoryMb && enforces?.memory) status.memory_mb = memoryMb;
    if (pidsMax && enforces?.pids) status.pids_max = pidsMax;
    if (cpus && enforces?.cpu) status.cpu = cpus;
    return {
      status: Object.keys(status).length ? status : undefined,
      cgroup: {
        memoryBytes: status.memory_mb ? status.memory_mb * 1024 * 1024 : undefined,
        pidsMax: status.pids_max,
        cpus: status.cpu,
      },
    };
  }

  /** Removes this process's control group (its sessions must be gone). */
  async close(): Promise<void> {
    await this.#cgroups?.close();
  }
}

/** bubblewrap's namespace and privilege arguments. */
function namespaceArgs(
  bwrap: NonNullable<HostSandbox["bwrap"]>,
  want: { user: boolean; net: boolean },
): string[] {
  const args = [
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
  ];
  args.push("--die-with-parent", "--new-session");
  if (want.net) args.push("--unshare-net");
  if (want.user && bwrap.userns) {
    args.push("--unshare-user");
    if (bwrap.disableUserns) args.push("--disable-userns");
  }
  // As root, bubblewrap keeps every capability unless told: a job must have none.
  if (want.user) args.push("--cap-drop", "ALL");
  return args;
}

/** The warning for what this host lacks, naming what each gap weakens. */
function weakened(
  host: HostSandbox,
  cgroups: CgroupTree | null,
): string | null {
  const gaps: string[] = [];
  if (!host.bwrap) {
    gaps.push(
      "no namespaces: a job's file system and network are bounded by Deno's permissions only " +
        "(a symlink inside a granted path leads out of it; programs a job may run see everything)",
    );
  }
  if (!cgroups?.enforces.memory) {
    gaps.push("no memory control group: memory_mb bounds the V8 heap only");
  }
  if (!host.bwrap && !cgroups) {
    gaps.push("processes a job starts with `setsid` may outlive it");
  }
  if (gaps.length === 0) return null;
  const why = [...host.missing, ...(host.cgroupsOff ? ["sandbox_cgroups = false"] : [])];
  return `OS sandbox incomplete (${why.join("; ")}): ${gaps.join("; ")}. ` +
    `Install bubblewrap and run where cgroups are writable, or set sandbox = "require" to refuse to start.`;
}

export type { Mount, ResolvedPath };
