/**
 * A counting semaphore with FIFO waiters: the limit on how many tasks of a run
 * are in its engine at once.
 *
 * It hands out counts, not permit objects: the runner takes one per task and
 * gives it back when the task ends, and an object per task would be garbage
 * on the hot path (bench/README.md, "Design notes").
 *
 * @module
 */
import { Fifo } from "./_fifo.ts";

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
  /** Set when the wait was abandoned (its signal aborted): skipped on release. */
  gone: boolean;
}

/**
 * A counting semaphore: at most `max` acquisitions are held at once, and
 * waiters are served in the order they asked.
 */
export class Semaphore {
  #max: number;
  #active = 0;
  #waiters = new Fifo<Waiter>();
  #pending = 0;

  /**
   * Creates a semaphore.
   *
   * @param max How many acquisitions may be held at once: a positive integer,
   * or `Infinity` for no limit.
   * @throws {RangeError} If `max` is not a positive integer or `Infinity`.
   */
  constructor(max: number) {
    if (!(max === Infinity || (Number.isInteger(max) && max > 0))) {
      throw new RangeError(
        `Cannot create semaphore as 'max' must be a positive integer or Infinity: current value is ${
          String(max)
        }`,
      );
    }
    this.#max = max;
  }

  /** How many acquisitions are held now. */
  get activeCount(): number {
    return this.#active;
  }

  /** How many callers are waiting. */
  get pendingCount(): number {
    return this.#pending;
  }

  /**
   * Acquires if that is possible now, without a promise (the hot path).
   *
   * @returns Whether it acquired: `false` when the limit is reached or others wait.
   */
  tryAcquire(): boolean {
    if (this.#active >= this.#max || this.#pending > 0) return false;
    this.#active++;
    return true;
  }

  /**
   * Waits to acquire, in FIFO order.
   *
   * @param signal Stops waiting when aborted: the promise rejects with the
   * signal's reason and nothing is acquired.
   */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        gone: false,
        onAbort: () => {
          waiter.gone = true;
          this.#pending--;
          reject(signal!.reason);
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#pending++;
    });
  }

  /**
   * Gives back one acquisition: the first waiter gets it, if any.
   *
   * @throws {RangeError} If nothing is held (a release without its acquire).
   */
  release(): void {
    if (this.#active === 0) {
      throw new RangeError("Cannot release semaphore as nothing is acquired");
    }
    for (let waiter = this.#waiters.shift(); waiter; waiter = this.#waiters.shift()) {
      if (waiter.gone) continue;
      this.#pending--;
      waiter.signal?.removeEventListener("abort", waiter.onAbort);
      waiter.resolve();
      return;
    }
    this.#active--;
  }
}
