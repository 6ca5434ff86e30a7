/**
 * The rules a runner configuration must follow beyond its schema, checked
 * for the config file and for `register_runner` alike.
 *
 * @module
 */

import type { RunnerConfig } from "../../shared/types.generated.ts";

/** What a runner config says that its schema cannot check; null when nothing. */
export function runnerProblem(
  config: RunnerConfig,
  path: string,
): string | null {
  const kind = config.kind ?? "script";
  const program = kind === "process" || kind === "service";
  if (program && !config.binary_path) {
    return `${path}.binary_path: required when kind = "${kind}"`;
  }
  if (!program) {
    for (
      const key of [
        "binary_path",
        "args",
        "process_manager",
        "working_dir",
        "user",
        "check",
      ] as const
    ) {
      if (config[key] !== undefined) {
        return `${path}.${key}: only a process runner or a service takes it`;
      }
    }
  }
  if (kind !== "service" && config.oneshot !== undefined) {
    return `${path}.oneshot: only a service takes it`;
  }
  if (config.check?.log !== undefined) {
    try {
      new RegExp(config.check.log);
    } catch (error) {
      return `${path}.check.log: not a regular expression: ${(error as Error).message}`;
    }
  }
  if (kind !== "script" && config.permissions !== undefined) {
    return `${path}.permissions: only a script runner takes permissions (kind is "${kind}")`;
  }
  if (kind !== "script") {
    for (const key of ["isolation", "max_jobs"] as const) {
      if (config[key] !== undefined) return `${path}.${key}: only a script runner takes it`;
    }
  }
  if (kind === "noop") {
    for (const key of ["memory_mb", "pids_max", "cpu"] as const) {
      if (config[key] !== undefined) {
        return `${path}.${key}: a noop runner runs no process`;
      }
    }
  }
  if ((config.depends_on ?? []).includes(config.name)) {
    return `${path}.depends_on: a runner cannot depend on itself`;
  }
  return null;
}

/** A dependency cycle among runners, as the names along it (first = last), or null. */
export function findCycle(runners: readonly RunnerConfig[]): string[] | null {
  const deps = new Map(runners.map((r) => [r.name, r.depends_on ?? []]));
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (name: string): string[] | null => {
    if (state.get(name) === "done") return null;
    if (state.get(name) === "visiting") {
      return [...path.slice(path.indexOf(name)), name];
    }
    state.set(name, "visiting");
    path.push(name);
    for (const dep of deps.get(name) ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(name, "done");
    return null;
  };
  for (const r of runners) {
    const cycle = visit(r.name);
    if (cycle) return cycle;
  }
  return null;
}

/** Problems of a set of runners together: duplicate names, unknown dependencies, cycles. */
export function runnerSetProblem(
  runners: readonly RunnerConfig[],
  path: string,
): string | null {
  const names = new Set<string>();
  for (const [i, r] of runners.entries()) {
    if (names.has(r.name)) {
      return `${path}[${i}].name: a runner named "${r.name}" is defined twice`;
    }
    names.add(r.name);
  }
  for (const [i, r] of runners.entries()) {
    const unknown = (r.depends_on ?? []).find((d) => !names.has(d));
    if (unknown) {
      return `${path}[${i}].depends_on: no runner is named "${unknown}"`;
    }
  }
  const cycle = findCycle(runners);
  return cycle ? `${path}: depends_on forms a cycle: ${cycle.join(" -> ")}` : null;
}

/** Names in an order where every runner comes after the runners it depends on. */
export function startOrder(runners: readonly RunnerConfig[]): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  const byName = new Map(runners.map((r) => [r.name, r]));
  const place = (r: RunnerConfig) => {
    if (placed.has(r.name)) return;
    placed.add(r.name);
    for (const dep of r.depends_on ?? []) {
      const d = byName.get(dep);
      if (d) place(d);
    }
    order.push(r.name);
  };
  runners.forEach(place);
  return order;
}
