/**
 * The running median of the run times of the tasks that succeeded, for
 * `--timeout P%`.
 *
 * @module
 */
import type { ProcResult } from "../result.ts";

/**
 * The median run time of the tasks that succeeded so far, for `--timeout
 * P%`: no timeout until one has succeeded, as GNU parallel. Two heaps (the
 * lower half, largest first; the upper half, smallest first) keep each
 * update O(log n).
 */
export class MedianRun {
  #lower = new Heap((a, b) => a > b);
  #upper = new Heap((a, b) => a < b);

  /** Counts a task that ended. */
  add(result: ProcResult): void {
    if (!result.success) return;
    const lower = this.#lower;
    const upper = this.#upper;
    if (lower.size === 0 || result.timeRun <= lower.top!) lower.push(result.timeRun);
    else upper.push(result.timeRun);
    if (lower.size > upper.size + 1) upper.push(lower.pop()!);
    else if (upper.size > lower.size) lower.push(upper.pop()!);
  }

  /** The timeout, in ms, of a task that starts now: `percent` of the median (0: none yet). */
  timeoutFor(percent: number): () => number {
    return () => {
      const lower = this.#lower;
      if (lower.size === 0) return 0;
      const median = lower.size > this.#upper.size
        ? lower.top!
        : (lower.top! + this.#upper.top!) / 2;
      return Math.max(1, median * percent * 10);
    };
  }
}

/** A binary heap of numbers; `before(a, b)` says whether a comes out first. */
class Heap {
  #items: number[] = [];
  #before: (a: number, b: number) => boolean;

  constructor(before: (a: number, b: number) => boolean) {
    this.#before = before;
  }

  get size(): number {
    return this.#items.length;
  }

  get top(): number | undefined {
    return this.#items[0];
  }

  push(value: number): void {
    const items = this.#items;
    items.push(value);
    for (let i = items.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!this.#before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): number | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      for (let i = 0;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let next = i;
        if (left < items.length && this.#before(items[left]!, items[next]!)) next = left;
        if (right < items.length && this.#before(items[right]!, items[next]!)) next = right;
        if (next === i) break;
        [items[i], items[next]] = [items[next]!, items[i]!];
        i = next;
      }
    }
    return top;
  }
}
