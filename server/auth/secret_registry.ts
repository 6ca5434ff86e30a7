/**
 * The secrets and their scopes: from the config file, added through the API,
 * or generated on first start. Only hashes are held and stored; values are
 * never logged, returned or written anywhere but the one generated-secret file.
 *
 * @module
 */

import type { SecretInfo } from "../../shared/types.generated.ts";
import type { EventLog } from "../events/event_log.ts";
import type { Principal } from "../rpc/dispatch.ts";
import { conflict, notFound, RpcError } from "../rpc/rpc_error.ts";
import { ErrorCode } from "../../shared/errors.ts";
import type { SecretRecord, Store } from "../store/store.ts";
import type { Timer } from "../util/timer.ts";
import { AuthLimiter, type AuthLimiterOptions } from "./auth_limiter.ts";
import { findHash, fingerprint, generateSecret, hashSecret } from "./secret_hash.ts";

type Kind = SecretRecord["kind"];

/** The secrets a config file gives, by kind. */
export interface ConfiguredSecrets {
  admin: readonly string[];
  user: readonly string[];
  register: readonly string[];
}

/** The file, in `data_dir`, that holds a generated admin secret. */
export const GENERATED_SECRET_FILE = "admin.secret";

/** Checks secrets and manages the stored ones. */
export class SecretRegistry {
  readonly #store: Store;
  readonly #events: EventLog;
  readonly #limiter: AuthLimiter;
  #fromConfig: SecretRecord[] = [];
  #stored: SecretRecord[] = [];
  /**
   * Both, by hash, for the check of every request: one lookup, however many
   * secrets there are (comparing with each, in constant time, cost a request
   * 125 µs with 1000 secrets; the lookup, 0.16 µs: measured). The key is a SHA-256 of the secret: how long a
   * lookup takes says nothing of the secret. A removal rebuilds it.
   */
  #byHash = new Map<string, SecretRecord>();
  #unsubscribe: (() => void) | null = null;
  /** Failed authentications waiting out their delay: answered at once on close. */
  readonly #delayed = new Map<Timer, () => void>();

  constructor(store: Store, events: EventLog, limits: AuthLimiterOptions) {
    this.#store = store;
    this.#events = events;
    this.#limiter = new AuthLimiter(limits);
  }

  /**
   * Loads the secrets. With none configured and none stored, generates an
   * admin secret, keeps its hash, writes its value to a 0600 file in
   * `dataDir` and returns it (for the caller to print once).
   */
  async init(
    configured: ConfiguredSecrets,
    dataDir: string,
  ): Promise<string | null> {
    const now = Date.now();
    this.#fromConfig = (Object.entries(configured) as [Kind, readonly string[]][]).flatMap((
      [kind, values],
    ) =>
      values.map((value) => ({
        hash: hashSecret(value),
        kind,
        fingerprint: fingerprint(value),
        created_at: now,
        source: "config" as const,
      }))
    );
    await this.#reload();
    this.#unsubscribe = this.#store.notices.subscribe((n) => {
      // A secret removed elsewhere while the news could not come is refused once it can.
      if (n.type === "secrets.changed" || n.type === "notices.resumed") {
        this.#reload().catch(() => {});
      }
    });
    if (this.#fromConfig.length || this.#stored.length) return null;
    const value = generateSecret();
    await this.#store.putSecret({
      hash: hashSecret(value),
      kind: "admin",
      fingerprint: fingerprint(value),
      created_at: now,
      source: "generated",
    });
    await this.#reload();
    const path = `${dataDir}/${GENERATED_SECRET_FILE}`;
    await Deno.writeTextFile(path, value + "\n", { mode: 0o600 });
    await Deno.chmod(path, 0o600);
    return value;
  }

  async #reload(): Promise<void> {
    this.#stored = await this.#store.listSecrets();
    // The config's first: a value both in the config and stored is the config's.
    this.#byHash = new Map(
      [...this.#stored, ...this.#fromConfig].map((record) => [record.hash, record]),
    );
  }

  /** Stops following changes; answers the failed authentications still waiting. */
  close(): void {
    this.#unsubscribe?.();
    for (const [timer, answer] of this.#delayed) {
      clearTimeout(timer);
      answer();
    }
    this.#delayed.clear();
  }

  /**
   * The caller a secret stands for. A valid secret always passes. No secret
   * is -32001; an unknown one is -32001, or -32029 (after a delay) once its
   * client has failed too often (see `auth_limiter.ts`).
   */
  authenticate(
    secret: string | undefined,
    client: string,
  ): Principal | Promise<Principal> {
    if (secret === undefined) {
      throw new RpcError(
        ErrorCode.Unauthenticated,
        "Unauthenticated: send a secret as Authorization: Bearer SECRET or as the param secret",
      );
    }
    const hash = hashSecret(secret);
    const candidate = this.#byHash.get(hash);
    // The match itself is still compared in constant time.
    const found = candidate && findHash(hash, [candidate]);
    if (found) return { kind: found.kind, fingerprint: found.fingerprint };
    const verdict = this.#limiter.fail(client);
    if (verdict.crossed) {
      this.#events.emit({
        type: "auth.throttled",
        subject: client,
        data: { retry_after_ms: verdict.retryAfterMs },
      });
    }
    const error = verdict.tooMany
      ? new RpcError(
        ErrorCode.TooManyRequests,
        `Too many failed authentications from this client: retry in ${
          Math.ceil(verdict.retryAfterMs / 1000)
        } s`,
        { retry_after_ms: verdict.retryAfterMs },
      )
      : new RpcError(
        ErrorCode.Unauthenticated,
        "Unauthenticated: unknown secret",
      );
    if (verdict.delayMs === 0) throw error;
    return new Promise<Principal>((_, reject) => {
      const answer = () => {
        this.#delayed.delete(timer);
        this.#limiter.answered(client);
        reject(error);
      };
      const timer: Timer = setTimeout(answer, verdict.delayMs);
      this.#delayed.set(timer, answer);
    });
  }

  /** Adds a secret; -32009 if that value is already a secret. */
  async add(kind: Kind, value: string, requestedBy: string): Promise<void> {
    const hash = hashSecret(value);
    if (findHash(hash, this.#fromConfig)) {
      throw conflict("this value is already a secret");
    }
    const record: SecretRecord = {
      hash,
      kind,
      fingerprint: fingerprint(value),
      created_at: Date.now(),
      source: "api",
    };
    if (!await this.#store.putSecret(record)) {
      throw conflict("this value is already a secret");
    }
    await this.#changed();
    this.#events.emit({
      type: "secret.added",
      subject: record.fingerprint,
      requested_by: requestedBy,
      data: { kind },
    });
  }

  /**
   * Removes a stored secret of that kind, named by its value or by its
   * fingerprint; -32004 if none, -32009 for a config secret or a fingerprint
   * shared by two secrets.
   */
  async remove(
    kind: Kind,
    which: { value: string } | { fingerprint: string },
    requestedBy: string,
  ): Promise<void> {
    const matches = (records: readonly SecretRecord[]) => {
      if ("value" in which) {
        const found = findHash(hashSecret(which.value), records);
        return found ? [found] : [];
      }
      // A fingerprint is public: no need for a constant-time comparison.
      return records.filter((r) => r.fingerprint === which.fingerprint);
    };
    if (matches(this.#fromConfig).some((r) => r.kind === kind)) {
      throw conflict(
        "this secret comes from the config file: remove it there and restart",
      );
    }
    const found = matches(this.#stored).filter((r) => r.kind === kind);
    if (found.length === 0) throw notFound(`${kind} secret`);
    if (found.length > 1) {
      throw conflict("two secrets share this fingerprint: remove by value");
    }
    const stored = found[0];
    await this.#store.deleteSecret(stored.hash);
    await this.#changed();
    this.#events.emit({
      type: "secret.removed",
      subject: stored.fingerprint,
      requested_by: requestedBy,
      data: { kind },
    });
  }

  async #changed(): Promise<void> {
    await this.#reload();
    await this.#store.notices.publish({ type: "secrets.changed" });
  }

  /** Every secret's kind, fingerprint and origin; never a value or a hash. */
  list(): SecretInfo[] {
    return [...this.#fromConfig, ...this.#stored].map((r) => ({
      kind: r.kind,
      fingerprint: r.fingerprint,
      created_at: r.created_at,
      source: r.source,
    }));
  }
}
