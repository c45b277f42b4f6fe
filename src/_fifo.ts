/**
 * A first-in first-out queue over an array and a head index: `shift()` costs
 * no copy, and the array is compacted once half of it has been consumed.
 *
 * @module
 */

/** Items below the head are dropped once there are this many of them and they are half the array. */
const COMPACT_AT = 1024;

/** A FIFO queue. */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** How many items are queued. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Adds `item` at the back. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** Takes the item at the front, or undefined when empty. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#advance(this.#head + 1);
    return item;
  }

  /** Takes up to `count` items from the front, in order. */
  take(count: number): T[] {
    const end = Math.min(this.#head + count, this.#items.length);
    const taken = this.#items.slice(this.#head, end) as T[];
    this.#items.fill(undefined, this.#head, end);
    this.#advance(end);
    return taken;
  }

  /** Puts `items` at the front, in their order, before what is queued. */
  unshift(items: readonly T[]): void {
    if (items.length === 0) return;
    this.#items = [...items, ...this.#items.slice(this.#head)];
    this.#head = 0;
  }

  /** Takes every queued item, in order. */
  drain(): T[] {
    return this.take(this.size);
  }

  /** Drops every queued item. */
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }

  /** Moves the head to `head`, compacting the array when enough of it is consumed. */
  #advance(head: number): void {
    this.#head = head;
    if (head === this.#items.length) this.clear();
    else if (head >= COMPACT_AT && head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(head);
      this.#head = 0;
    }
  }
}
