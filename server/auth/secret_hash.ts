/**
 * How secrets are kept: only a SHA-256 hash, compared in constant time; and
 * a short fingerprint that names a secret without revealing it.
 *
 * Secrets are long random strings (generated, or required to be at least 12
 * characters), so a fast hash is enough; a slow one would cost every request.
 *
 * @module
 */

import { hash } from "node:crypto";

/** The hash a secret is stored as (hex). */
export function hashSecret(value: string): string {
  return hash("sha256", value, "hex");
}

/** A short name for a secret, derived one-way and apart from its stored hash. */
export function fingerprint(value: string): string {
  return "sha256:" + hash("sha256", `hero-fingerprint:${value}`, "hex").slice(0, 12);
}

/**
 * Finds the stored hash equal to `hash`, comparing with every candidate in
 * constant time (no early exit, no branch on the characters), so timing
 * tells nothing about near misses. Both sides are hex SHA-256 digests.
 */
export function findHash<T extends { hash: string }>(
  hash: string,
  candidates: readonly T[],
): T | undefined {
  let found: T | undefined;
  for (const candidate of candidates) {
    const stored = candidate.hash;
    let diff = stored.length ^ hash.length;
    for (let i = 0; i < hash.length; i++) {
      diff |= stored.charCodeAt(i) ^ hash.charCodeAt(i);
    }
    if (diff === 0 && !found) found = candidate;
  }
  return found;
}

/** A new random secret: 32 bytes, base64url. */
export function generateSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll(
    "/",
    "_",
  ).replace(
    /=+$/,
    "",
  );
}
