/**
 * The set of task keys seen so far in a run, for refusing duplicates.
 *
 * Small non-negative integer keys (the common case: indexes, line numbers)
 * take one bit each in a bitmap instead of a `Set` entry (about 40 bytes and a
 * share of a hash table), so a run that streams a million tasks without
 * keeping their results stays flat in memory. Other keys go to a `Set`, with
 * its SameValueZero equality (the bitmap agrees: `-0` and `0` are one key, and
 * the number `1` is not the string `"1"`).
 *
 * @module
 */

/** Integer keys below this go to the bitmap (at most 2 MiB of it). */
const BITMAP_LIMIT = 1 << 24;

/** A set of keys, compact for small non-negative integers. */
export class KeySet {
  #bits = new Uint32Array(1024);
  #others: Set<unknown> | undefined;

  #index(key: unknown): number {
    return typeof key === "number" && Number.isInteger(key) && key >= 0 && key < BITMAP_LIMIT
      ? key
      : -1;
  }

  /** Whether `key` is in the set. */
  has(key: unknown): boolean {
    const i = this.#index(key);
    if (i < 0) return this.#others?.has(key) ?? false;
    const word = i >>> 5;
    return word < this.#bits.length && (this.#bits[word]! & (1 << (i & 31))) !== 0;
  }

  /** Adds `key`. */
  add(key: unknown): void {
    const i = this.#index(key);
    if (i < 0) {
      (this.#others ??= new Set()).add(key);
      return;
    }
    const word = i >>> 5;
    if (word >= this.#bits.length) {
      let size = this.#bits.length * 2;
      while (size <= word) size *= 2;
      const bits = new Uint32Array(size);
      bits.set(this.#bits);
      this.#bits = bits;
    }
    this.#bits[word]! |= 1 << (i & 31);
  }
}
