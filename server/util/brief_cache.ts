/**
 * A map read from the store and kept briefly: asked on every job's
 * creation, it is read again only after `maxAgeMs`, or sooner (after
 * `missAgeMs`) when asked for a key it does not have, so that something
 * new elsewhere is found at once and a hot path pays no read per call.
 *
 * @module
 */

/** A keyed map loaded on demand and kept for a while. */
export class BriefCache<V> {
  #map = new Map<string, V>();
  #at = -Infinity;

  constructor(
    readonly load: () => Promise<Map<string, V>>,
    readonly maxAgeMs = 2000,
    readonly missAgeMs = 100,
  ) {}

  /** The map, read again when stale (or when it lacks `lookingFor` and is not brand new). */
  async get(lookingFor?: string): Promise<Map<string, V>> {
    const age = Date.now() - this.#at;
    if (
      age > this.maxAgeMs ||
      (lookingFor && !this.#map.has(lookingFor) && age > this.missAgeMs)
    ) {
      this.#map = await this.load();
      this.#at = Date.now();
    }
    return this.#map;
  }
}
