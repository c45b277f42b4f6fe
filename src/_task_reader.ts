/**
 * Reading a run's task list: one task at a time, without a promise per task
 * for a sync iterable, and giving up on an async one once the run is
 * cancelled.
 *
 * @module
 */
import type { Tasks } from "./types.ts";

/** What `next()` returns at the end of the task list. */
export const DONE: unique symbol = Symbol("done");

/** Every how many tasks a sync task list's loop looks at the clock. */
export const CHECK_EVERY = 1024;

/** How long a sync task list's loop may run before it lets the event loop turn. */
export const TURN_INTERVAL_MS = 100;

/** Resolves on a later turn of the event loop (a macrotask: signals are seen). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Reads tasks one at a time: a sync iterable without a promise per task (the
 * hot path), an async iterable with one. `close()` ends the iterator early, as
 * a `for` loop that breaks would. Once `signal` is aborted, an async
 * iterable's pending `next()` gives up (it may wait forever, on a terminal
 * say) and reads as the end.
 */
export function reader(tasks: Tasks, signal: AbortSignal): {
  next: () => unknown | Promise<unknown>;
  close: () => Promise<void>;
  /** Whether `next()` returns a promise (an async iterable). */
  lazy: boolean;
} {
  let finished = false;
  if (Symbol.asyncIterator in tasks) {
    const iterator = (tasks as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    // Ends the pending next() early. (Not a Promise.race against one shared
    // promise: each race would leave a reaction on it for the whole run.)
    let interrupt: ((end: typeof DONE) => void) | undefined;
    signal.addEventListener("abort", () => interrupt?.(DONE), { once: true });
    let abandoned = false;
    return {
      next: async () => {
        if (signal.aborted) return DONE; // close() returns the iterator
        const pending = iterator.next();
        const step = await new Promise<IteratorResult<unknown> | typeof DONE>(
          (resolve, reject) => {
            interrupt = resolve;
            pending.then(resolve, reject);
          },
        );
        interrupt = undefined;
        if (step === DONE) {
          // An async generator's return() waits for its pending next(): do not wait.
          abandoned = true;
          pending.then(() => iterator.return?.(), () => {}).catch(() => {});
          return DONE;
        }
        if (step.done) finished = true;
        return step.done ? DONE : step.value;
      },
      close: async () => {
        if (!finished && !abandoned) await iterator.return?.();
      },
      lazy: true,
    };
  }
  const iterator = (tasks as Iterable<unknown>)[Symbol.iterator]();
  return {
    next: () => {
      const step = iterator.next();
      if (step.done) finished = true;
      return step.done ? DONE : step.value;
    },
    close: () => {
      if (!finished) iterator.return?.();
      return Promise.resolve();
    },
    lazy: false,
  };
}
