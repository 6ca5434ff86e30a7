/**
 * Membership of the cluster: every supervisor and remote agent sharing a
 * store records itself there with a heartbeat (who, where, which runners,
 * how busy), so that any member can list them all (`cluster.members`) and
 * tell the live from the gone. The runners a live supervisor serves are
 * known to every other one through its record, so that a job for any runner
 * of the cluster can be submitted through any supervisor.
 *
 * @module
 */

import type { ClusterMember, RunnerConfig } from "../../shared/types.generated.ts";
import type { MemberRecord, Store } from "../store/mod.ts";
import { Periodic } from "../util/periodic.ts";

/** Seconds between heartbeats. */
export const MEMBER_HEARTBEAT_MS = 5000;
/** A heartbeat holds for three beats: a member missing them is gone. */
export const MEMBER_TTL_MS = 3 * MEMBER_HEARTBEAT_MS;
/** A member gone for this long is forgotten (its record removed). */
export const MEMBER_FORGET_MS = 60 * 60 * 1000;

/** What a member says about itself at each beat. */
export interface MemberFacts {
  url?: string;
  /** Its runners' configs (a supervisor: its local runners). */
  runners: RunnerConfig[];
  load: { busy: number; instances: number };
}

/** Keeps one member's record (and, on a shared store, its runners) fresh. */
export class MemberHeartbeat {
  readonly id: string;
  readonly #store: Store;
  readonly #role: MemberRecord["role"];
  readonly #facts: () => MemberFacts;
  readonly #onBeat: (() => void) | undefined;
  readonly #version: string;
  readonly #startedAt = Date.now();
  /** The store down, a beat fails: the next one tries again (missed ones are what "gone" is). */
  readonly #loop = new Periodic(MEMBER_HEARTBEAT_MS, () => this.beat());

  constructor(
    store: Store,
    id: string,
    role: MemberRecord["role"],
    version: string,
    facts: () => MemberFacts,
    /** Also done at each beat (a supervisor catches up on the cluster's runners). */
    onBeat?: () => void,
  ) {
    this.#store = store;
    this.id = id;
    this.#role = role;
    this.#version = version;
    this.#facts = facts;
    this.#onBeat = onBeat;
  }

  /** Beats now, then every {@linkcode MEMBER_HEARTBEAT_MS}. */
  start(): Promise<void> {
    this.#loop.start();
    return this.beat();
  }

  /** Records this member, its runners and its load. */
  async beat(): Promise<void> {
    this.#onBeat?.();
    const now = Date.now();
    const facts = this.#facts();
    const until = now + MEMBER_TTL_MS;
    const record: MemberRecord = {
      id: this.id,
      role: this.#role,
      host: Deno.hostname(),
      pid: Deno.pid,
      version: this.#version,
      started_at: this.#startedAt,
      last_seen: now,
      until,
      runners: facts.runners,
      load: facts.load,
      ...(facts.url ? { url: facts.url } : {}),
    };
    await this.#store.heartbeatMember(record);
  }

  /** Stops beating and takes this member off the record (a clean stop is not "gone"). */
  async stop(): Promise<void> {
    await this.#loop.stop();
    await this.#store.removeMember(this.id).catch(() => {});
  }
}

/**
 * The members as `cluster.members` shows them: live ones `up`, the others
 * `gone`; those gone longer than {@linkcode MEMBER_FORGET_MS} are forgotten.
 */
export async function listMembers(
  store: Store,
  self: string,
  now = Date.now(),
): Promise<ClusterMember[]> {
  const records = await store.listMembers();
  const shown: ClusterMember[] = [];
  for (const m of records) {
    if (m.until + MEMBER_FORGET_MS < now) {
      await store.removeMember(m.id);
      continue;
    }
    shown.push({
      id: m.id,
      role: m.role,
      state: m.until >= now ? "up" : "gone",
      self: m.id === self,
      host: m.host,
      pid: m.pid,
      version: m.version,
      started_at: m.started_at,
      last_seen: m.last_seen,
      runners: m.runners.map((r) => r.name),
      load: m.load,
      ...(m.url ? { url: m.url } : {}),
    });
  }
  return shown;
}
