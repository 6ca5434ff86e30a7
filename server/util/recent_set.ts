/**
 * A set that remembers the most recent keys added, in bounded memory.
 *
 * Two generations: keys go into the current one; when it is full it becomes
 * the previous one and the old previous one is dropped whole. Every key among
 * the last `capacity` added is remembered (and at most `2 × capacity` are),
 * with O(1) work per add, unlike evicting one oldest key per add from a
 * single `Set`, whose iteration from the front slows down as deletions pile up.
 *
 * @module
 */

/** Remembers at least the last `capacity` keys added. */
export class RecentSet<T> {
  readonly #capacity: number;
  #current = new Set<T>();
  #previous = new Set<T>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Whether `key` was added recently (and not deleted since). */
  has(key: T): boolean {
    return this.#current.has(key) || this.#previous.has(key);
  }

  /** Remembers `key`. */
  add(key: T): void {
    if (this.#current.has(key)) return;
    this.#previous.delete(key);
    this.#current.add(key);
    if (this.#current.size >= this.#capacity) {
      this.#previous = this.#current;
      this.#current = new Set();
    }
  }

  /** Forgets `key`. */
  delete(key: T): void {
    this.#current.delete(key);
    this.#previous.delete(key);
  }
}
