/**
 * A counting semaphore with FIFO waiters and disposable permits.
 *
 * @module
 */

/**
 * A permit from a {@linkcode Semaphore}: release it once, by `release()` or by
 * leaving the scope of a `using` declaration. Releasing twice does nothing.
 */
export interface Permit extends Disposable {
  /** Gives the permit back to its semaphore. Idempotent. */
  release(): void;
}

interface Waiter {
  resolve: (permit: Permit) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

let releaseTo: (sem: Semaphore) => void;

/**
 * A counting semaphore: at most `max` permits are out at once, and waiters are
 * served in the order they asked.
 */
export class Semaphore {
  #max: number;
  #active = 0;
  #waiters: Waiter[] = [];
  #head = 0;

  /**
   * Creates a semaphore.
   *
   * @param max How many permits may be out at once: a positive integer, or
   * `Infinity` for no limit.
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

  /** How many permits are out now. */
  get activeCount(): number {
    return this.#active;
  }

  /** How many callers are waiting for a permit. */
  get pendingCount(): number {
    return this.#waiters.length - this.#head;
  }

  /**
   * Takes a permit if one is free now.
   *
   * @returns A permit, or `undefined` when none is free.
   */
  tryAcquire(): Permit | undefined {
    if (this.#active >= this.#max || this.pendingCount > 0) return undefined;
    this.#active++;
    return this.#permit();
  }

  /**
   * Waits for a permit, in FIFO order.
   *
   * @param signal Stops waiting when aborted: the promise rejects with the
   * signal's reason and no permit is taken.
   * @returns A permit to release when done.
   */
  acquire(signal?: AbortSignal): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const permit = this.tryAcquire();
    if (permit) return Promise.resolve(permit);
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.#waiters.indexOf(waiter, this.#head);
          if (index !== -1) this.#waiters.splice(index, 1);
          reject(signal!.reason);
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  #permit(): Permit {
    return new SemaphorePermit(this);
  }

  static {
    releaseTo = (sem) => sem.#release();
  }

  #release(): void {
    if (this.#head < this.#waiters.length) {
      const waiter = this.#waiters[this.#head]!;
      this.#head++;
      if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
        this.#waiters = this.#waiters.slice(this.#head);
        this.#head = 0;
      }
      waiter.signal?.removeEventListener("abort", waiter.onAbort);
      waiter.resolve(this.#permit());
      return;
    }
    this.#active--;
  }
}

/** One object per permit (no closures): permits are taken once per task. */
class SemaphorePermit implements Permit {
  #sem: Semaphore | undefined;

  constructor(sem: Semaphore) {
    this.#sem = sem;
  }

  release(): void {
    const sem = this.#sem;
    if (sem === undefined) return;
    this.#sem = undefined;
    releaseTo(sem);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
