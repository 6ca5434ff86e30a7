/**
 * A script runner's permissions as `deno run` flags: exactly what was
 * granted, plus what the session host needs to reach its frame socket, which
 * it revokes before job code runs.
 *
 * @module
 */

import type { Permissions } from "../../shared/types.generated.ts";

type Grant = boolean | string[] | undefined;

/** Which of the socket's grants the host must revoke (those the runner did not grant anyway). */
export interface SocketGrants {
  read: boolean;
  write: boolean;
  net: boolean;
}

function flag(name: string, grant: Grant, extra: string[] = []): string[] {
  if (grant === true) return [`--allow-${name}`];
  const list = [...(Array.isArray(grant) ? grant : []), ...extra];
  return list.length ? [`--allow-${name}=${list.join(",")}`] : [];
}

/** Whether a path grant already covers `path` (a grant of a directory covers what is under it). */
function covers(grant: Grant, path: string, cwd: string): boolean {
  if (grant === true) return true;
  if (!Array.isArray(grant)) return false;
  return grant.some((entry) => {
    const base = entry.startsWith("/") ? entry : `${cwd}/${entry}`;
    const dir = base.replace(/\/+$/, "") || "/";
    return path === dir || path.startsWith(dir === "/" ? "/" : `${dir}/`);
  });
}

/** Where Deno fetches npm packages from, unless `NPM_CONFIG_REGISTRY` says otherwise. */
export const DEFAULT_NPM_REGISTRY = "https://registry.npmjs.org/";

/**
 * Whether a net grant reaches the npm registry at `registry` (a URL): all of
 * the net, or its host (with or without its port).
 */
function reachesRegistry(net: Grant, registry: string): boolean {
  if (net === true) return true;
  if (!Array.isArray(net)) return false;
  let url: URL;
  try {
    url = new URL(registry);
  } catch {
    return false;
  }
  const port = url.port || (url.protocol === "http:" ? "80" : "443");
  return net.some((entry) => entry === url.hostname || entry === `${url.hostname}:${port}`);
}

/**
 * The permission flags of a session process, and which socket grants its
 * host must revoke. Revoking a path Deno also reaches through a broader
 * grant would take that grant away from the job, so a socket path the
 * runner's grants already cover is neither added nor revoked (the job could
 * reach it anyway; the session token still authenticates the host).
 * Remote imports are allowed only from the hosts `net` grants; `npm:`
 * imports only when `net` reaches `npmRegistry`, since Deno fetches npm
 * packages without asking any permission (a job with no grant could download
 * any package otherwise).
 * `startsProcesses`: whether a job may start processes (`run` granted).
 */
export function permissionFlags(
  permissions: Permissions = {},
  socket: string,
  cwd: string,
  npmRegistry: string = DEFAULT_NPM_REGISTRY,
): { flags: string[]; revoke: SocketGrants; startsProcesses: boolean } {
  const { read, write, net } = permissions;
  const revoke: SocketGrants = {
    read: !covers(read, socket, cwd),
    write: !covers(write, socket, cwd),
    net: net !== true,
  };
  const flags = [
    ...flag("read", read, revoke.read ? [socket] : []),
    ...flag("write", write, revoke.write ? [socket] : []),
    ...flag("net", net, revoke.net ? [`unix:${socket}`] : []),
    ...(net === true ? ["--allow-import"] : flag("import", net)),
    ...(net === true || (Array.isArray(net) && net.length) ? [] : ["--no-remote"]),
    ...(reachesRegistry(net, npmRegistry) ? [] : ["--no-npm"]),
    ...flag("env", permissions.env),
    ...flag("run", permissions.run),
    ...flag("sys", permissions.sys),
  ];
  const { run } = permissions;
  return {
    flags,
    revoke,
    startsProcesses: run === true || (Array.isArray(run) && run.length > 0),
  };
}
