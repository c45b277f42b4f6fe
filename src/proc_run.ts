/**
 * The engine-independent part of a runner: validation, the task loop with its
 * semaphore, cancellation, timing, results and their delivery.
 *
 * @module
 */
import { guardSignals } from "./_cleanup.ts";
import {
  checkTask,
  checkTasks,
  type Program,
  type ResolvedOptions,
  resolveOptions,
  resolvePargs,
} from "./_options.ts";
import { ProcResult } from "./result.ts";
import { Semaphore } from "./semaphore.ts";
import type { Pargs, ProcRunOptions, Task, Tasks } from "./types.ts";

/** Fills `result` with the error's name and message. */
export function recordError(result: ProcResult, error: unknown): void {
  result.success = false;
  if (error instanceof Error || error instanceof DOMException) {
    result.exception = error.name;
    result.error = error.message;
  } else {
    result.exception = "Error";
    result.error = String(error);
  }
}

/** Marks `result` as cancelled by `reason`. */
export function recordCancel(
  result: ProcResult,
  reason: unknown,
  started: boolean,
): void {
  recordError(result, reason);
  result.exception = "AbortError";
  result.cancelled = true;
  if (!started) result.error = `cancelled before it started (${result.error})`;
}

/** What an engine needs from its runner; kept out of the public API. */
export interface RunInternals {
  /** The validated options, in engine units. */
  options: ResolvedOptions;
  /** What each task runs. */
  program: Program;
  /**
   * How many tasks may be handed to `execute` at once. Defaults to
   * `options.numWorkers`; an engine that queues tasks inside its workers may
   * raise it, and then sets each result's `timeStart` itself.
   */
  slots: number;
}

/** Gives an engine its runner's validated options and program. */
export let internalsOf: (run: ProcRun) => RunInternals;

const DONE = Symbol("done");

/**
 * Reads tasks one at a time: a sync iterable without a promise per task (the
 * hot path), an async iterable with one. `close()` ends the iterator early, as
 * a `for` loop that breaks would.
 */
function reader(tasks: Tasks): {
  next: () => unknown | Promise<unknown>;
  close: () => Promise<void>;
} {
  let finished = false;
  if (Symbol.asyncIterator in tasks) {
    const iterator = (tasks as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    return {
      next: async () => {
        const step = await iterator.next();
        if (step.done) finished = true;
        return step.done ? DONE : step.value;
      },
      close: async () => {
        if (!finished) await iterator.return?.();
      },
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
  };
}

/**
 * The common base of {@linkcode ProcRunAsync} and the other engines: give it
 * what to run and a list of `[key, arg]` tasks, call {@linkcode ProcRun.runAll},
 * and read one {@linkcode ProcResult} per task in {@linkcode ProcRun.results}.
 *
 * Engines implement {@linkcode ProcRun.execute}; everything else is shared.
 *
 * @example Use either engine through the base type
 * ```ts
 * import { type ProcRun, ProcRunAsync } from "@procrun/procrun";
 * import { assertEquals } from "@std/assert";
 *
 * const run: ProcRun = new ProcRunAsync(["echo"], [["a", 1]]);
 * await run.runAll();
 * assertEquals(run.results[0]!.stdout, "1\n");
 * ```
 */
export abstract class ProcRun {
  /** One result per task, in task order; filled in as tasks end. */
  readonly results: ProcResult[] = [];
  /** When the run started, or null before `runAll()`. */
  timeStart: Date | null = null;
  /** When the run ended, or null until it has. */
  timeEnd: Date | null = null;
  /** Seconds the whole run took. */
  timeRun = 0;

  #internals: RunInternals;
  #tasks: Tasks;
  #running: Promise<ProcResult[]> | undefined;
  #owner: string;

  /**
   * Validates everything; nothing runs until {@linkcode ProcRun.runAll}.
   *
   * @param owner The engine's name, for error messages.
   * @param pargs What to run for each task.
   * @param tasks The `[key, arg]` pairs.
   * @param options Run options.
   * @param defaultWorkers The engine's default `numWorkers`.
   * @throws {TypeError} For malformed `pargs`, `tasks` or options, and duplicate keys.
   * @throws {RangeError} For numbers out of range.
   */
  protected constructor(
    owner: string,
    pargs: Pargs,
    tasks: Tasks,
    options: ProcRunOptions,
    defaultWorkers: number,
  ) {
    this.#owner = owner;
    const program = resolvePargs(owner, pargs);
    checkTasks(owner, tasks);
    const resolved = resolveOptions(owner, options, defaultWorkers);
    this.#internals = { program, options: resolved, slots: resolved.numWorkers };
    this.#tasks = tasks;
  }

  static {
    internalsOf = (run) => run.#internals;
  }

  /**
   * Runs one task and fills in its result. Called with a slot held; it must
   * return (not throw) when the task ends, times out or is cancelled through
   * `signal`. Times are filled in by the caller unless set here.
   *
   * @param result The task's result, with `key` and `arg` set.
   * @param signal Aborted when the run is cancelled.
   */
  protected abstract execute(
    result: ProcResult,
    signal: AbortSignal,
  ): Promise<void>;

  /** Called once before the first task; engines start shared resources here. */
  protected setup(): Promise<void> {
    return Promise.resolve();
  }

  /** Called once after the last task has ended, even on failure. */
  protected teardown(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Runs every task, at most `numWorkers` at once, and resolves with
   * {@linkcode ProcRun.results} when all have ended. Task failures,
   * timeouts and cancellation become results; calling it again returns the
   * same promise.
   *
   * @returns The results, one per task, in task order.
   * @throws {TypeError} If a lazily read task is not a pair or repeats a key:
   * the tasks already running are cancelled first.
   *
   * @example Run
   * ```ts
   * import { ProcRunAsync } from "@procrun/procrun";
   * import { assertEquals } from "@std/assert";
   *
   * const run = new ProcRunAsync(["echo", "hi"], [[1, "there"]]);
   * const [result] = await run.runAll();
   * assertEquals(result!.stdout, "hi there\n");
   * ```
   */
  runAll(): Promise<ProcResult[]> {
    this.#running ??= this.#run(this.#internals.options.onResult);
    return this.#running;
  }

  /**
   * Runs every task, as {@linkcode ProcRun.runAll} does, and yields each
   * result as soon as its task ends, in completion order.
   *
   * @returns The results, as they come.
   * @throws {Error} If the run was already started.
   *
   * @example Stream
   * ```ts
   * import { ProcRunAsync } from "@procrun/procrun";
   * import { assertEquals } from "@std/assert";
   *
   * const run = new ProcRunAsync(["sleep"], [["slow", 0.3], ["fast", 0]]);
   * const keys = [];
   * for await (const result of run.stream()) keys.push(result.key);
   * assertEquals(keys, ["fast", "slow"]);
   * ```
   */
  async *stream(): AsyncGenerator<ProcResult, void, undefined> {
    if (this.#running) {
      throw new Error(`Cannot stream ${this.#owner} as its run has already started`);
    }
    const queue: ProcResult[] = [];
    let wake: (() => void) | undefined;
    const user = this.#internals.options.onResult;
    this.#running = this.#run((result) => {
      user?.(result);
      queue.push(result);
      wake?.();
    });
    let finished = false;
    const done = this.#running.finally(() => {
      finished = true;
      wake?.();
    });
    done.catch(() => {});
    while (true) {
      while (queue.length > 0) yield queue.shift()!;
      if (finished) break;
      await new Promise<void>((resolve) => wake = resolve);
      wake = undefined;
    }
    await done;
  }

  /**
   * Prints every result with {@linkcode ProcResult.print}, in task order, then
   * a summary line.
   *
   * @example Print
   * ```ts
   * import { ProcRunAsync } from "@procrun/procrun";
   *
   * const run = new ProcRunAsync(["echo"], [[1, "one"], [2, "two"]]);
   * await run.runAll();
   * run.printResults();
   * ```
   */
  printResults(): void {
    for (const result of this.results) result.print();
    const failed = this.results.filter((r) => !r.success).length;
    console.log(
      `${this.results.length} tasks, ${this.results.length - failed} succeeded, ${failed} failed, ${
        this.timeRun.toFixed(3)
      } s`,
    );
  }

  async #run(
    emit: ((result: ProcResult) => void) | undefined,
  ): Promise<ProcResult[]> {
    const { signal: userSignal, handleSignals } = this.#internals.options;
    const controller = new AbortController();
    const signal = userSignal
      ? AbortSignal.any([userSignal, controller.signal])
      : controller.signal;
    const sem = new Semaphore(this.#internals.slots);
    const running = new Set<Promise<void>>();
    const seen = new Set<unknown>();
    let failure: { error: unknown } | undefined;
    const deliver = (result: ProcResult) => {
      try {
        emit?.(result);
      } catch (error) {
        failure ??= { error };
        controller.abort(error);
      }
    };
    using _guard = handleSignals ? guardSignals(controller) : undefined;

    const { next, close } = reader(this.#tasks);
    const t0 = performance.now();
    this.timeStart = new Date();
    try {
      await this.setup();
      let index = 0;
      for (let task = await next(); task !== DONE; task = await next()) {
        const [key, arg] = checkTask(this.#owner, task, index++, seen) as Task;
        const result = new ProcResult(key, arg);
        if (this.#internals.options.keepResults) this.results.push(result);
        let permit;
        try {
          // A free permit is taken without a promise (the hot path).
          permit = (!signal.aborted && sem.tryAcquire()) || await sem.acquire(signal);
        } catch (reason) {
          recordCancel(result, reason, false);
          deliver(result);
          continue;
        }
        const job = this.#runOne(result, signal, deliver).finally(() => {
          permit.release();
          running.delete(job);
        });
        running.add(job);
      }
    } catch (error) {
      failure ??= { error };
      controller.abort(error);
      await close();
    }
    await Promise.all(running);
    try {
      await this.teardown();
    } finally {
      this.timeEnd = new Date();
      this.timeRun = (performance.now() - t0) / 1000;
    }
    if (failure) throw failure.error;
    return this.results;
  }

  async #runOne(
    result: ProcResult,
    signal: AbortSignal,
    deliver: (result: ProcResult) => void,
  ): Promise<void> {
    if (signal.aborted) {
      recordCancel(result, signal.reason, false);
      deliver(result);
      return;
    }
    const verbose = this.#internals.options.verbose;
    if (verbose) console.error(`procrun: start ${String(result.key)}`);
    const t0 = performance.now();
    result.timeStart = new Date();
    try {
      await this.execute(result, signal);
    } catch (error) {
      recordError(result, error);
    }
    // An engine that set the times itself, or cleared timeStart for a task
    // that never started, is left alone.
    if (result.timeEnd === null && result.timeStart !== null) {
      result.timeEnd = new Date();
      result.timeRun = (performance.now() - t0) / 1000;
    }
    if (verbose) {
      console.error(
        `procrun: end ${String(result.key)} ${
          result.success ? "ok" : `failed (${result.exception ?? result.returncode})`
        } ${result.timeRun.toFixed(3)} s`,
      );
    }
    deliver(result);
  }
}
