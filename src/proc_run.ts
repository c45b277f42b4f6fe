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
import { KeySet } from "./_key_set.ts";
import { ProcResult, resultTimes } from "./result.ts";
import { type Permit, Semaphore } from "./semaphore.ts";
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
  /**
   * Set by an engine that completes tasks in batches: called instead of
   * `execute`, with a callback for the end of the task, which saves a promise
   * and an `await` per task.
   */
  enqueue?: (result: ProcResult, signal: AbortSignal, done: () => void) => void;
}

/** Gives an engine its runner's validated options and program. */
export let internalsOf: (run: ProcRun) => RunInternals;

const DONE = Symbol("done");

/** How many results `stream()` lets wait for its consumer before it stops starting tasks. */
const STREAM_BUFFER = 256;

interface Jobs {
  active: number;
  drained: (() => void) | undefined;
}

/**
 * Reads tasks one at a time: a sync iterable without a promise per task (the
 * hot path), an async iterable with one. `close()` ends the iterator early, as
 * a `for` loop that breaks would.
 */
function reader(tasks: Tasks): {
  next: () => unknown | Promise<unknown>;
  close: () => Promise<void>;
  /** Whether `next()` returns a promise (an async iterable). */
  lazy: boolean;
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
   * @returns A promise that settles when the task has ended, or nothing when
   * it ended synchronously (which spares the hot path a promise).
   */
  protected abstract execute(
    result: ProcResult,
    signal: AbortSignal,
  ): Promise<void> | void;

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
    // Results wait here for the consumer. When too many wait, no new task
    // starts until the consumer catches up, so a slow consumer bounds memory.
    let queue: (ProcResult | undefined)[] = [];
    let head = 0;
    let wake: (() => void) | undefined;
    let resume: (() => void) | undefined;
    let listening = true;
    const user = this.#internals.options.onResult;
    this.#running = this.#run(
      (result) => {
        user?.(result);
        if (!listening) return;
        queue.push(result);
        wake?.();
      },
      () =>
        listening && queue.length - head >= STREAM_BUFFER
          ? new Promise<void>((resolve) => resume = resolve)
          : undefined,
    );
    let finished = false;
    const done = this.#running.finally(() => {
      finished = true;
      wake?.();
    });
    done.catch(() => {});
    try {
      while (true) {
        while (head < queue.length) {
          const result = queue[head]!;
          queue[head++] = undefined;
          if (head >= 1024 && head * 2 >= queue.length) {
            queue = queue.slice(head);
            head = 0;
          }
          if (resume && queue.length - head <= STREAM_BUFFER / 2) {
            const go = resume;
            resume = undefined;
            go();
          }
          yield result;
        }
        if (finished) break;
        await new Promise<void>((resolve) => wake = resolve);
        wake = undefined;
      }
    } finally {
      // A consumer that stops early lets the run go on without it.
      listening = false;
      queue = [];
      head = 0;
      resume?.();
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
    pause?: () => Promise<void> | undefined,
  ): Promise<ProcResult[]> {
    const { signal: userSignal, handleSignals } = this.#internals.options;
    const controller = new AbortController();
    const signal = userSignal
      ? AbortSignal.any([userSignal, controller.signal])
      : controller.signal;
    const sem = new Semaphore(this.#internals.slots);
    // Tasks still running, and what to call when the last one ends.
    const jobs: Jobs = { active: 0, drained: undefined };
    const seen = new KeySet();
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

    const { next, close, lazy } = reader(this.#tasks);
    const t0 = performance.now();
    this.timeStart = new Date();
    try {
      await this.setup();
      let index = 0;
      // No await per task for a sync iterable: a microtask each is 10% of a
      // run of trivial functions.
      for (
        let task = lazy ? await next() : next();
        task !== DONE;
        task = lazy ? await next() : next()
      ) {
        const wait = pause?.();
        if (wait) await wait;
        const checked = checkTask(this.#owner, task, index++, seen) as Task;
        const result = new ProcResult(checked[0], checked[1]);
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
        jobs.active++;
        this.#runOne(result, signal, deliver, permit, jobs);
      }
    } catch (error) {
      failure ??= { error };
      controller.abort(error);
      await close();
    }
    if (jobs.active > 0) await new Promise<void>((resolve) => jobs.drained = resolve);
    try {
      await this.teardown();
    } finally {
      this.timeEnd = new Date();
      this.timeRun = (performance.now() - t0) / 1000;
    }
    if (failure) throw failure.error;
    return this.results;
  }

  /**
   * Runs one task; `#finish` delivers its result and gives back its permit.
   * Never throws.
   */
  #runOne(
    result: ProcResult,
    signal: AbortSignal,
    deliver: (result: ProcResult) => void,
    permit: Permit,
    jobs: Jobs,
  ): void {
    if (signal.aborted) {
      recordCancel(result, signal.reason, false);
      this.#finish(result, -1, deliver, permit, jobs);
      return;
    }
    if (this.#internals.options.verbose) console.error(`procrun: start ${String(result.key)}`);
    const t0 = performance.now();
    resultTimes.set(result, Date.now(), null);
    const enqueue = this.#internals.enqueue;
    if (enqueue) {
      // Ends the task once, however often the engine calls it.
      let ended = false;
      const done = () => {
        if (ended) return;
        ended = true;
        this.#finish(result, t0, deliver, permit, jobs);
      };
      try {
        enqueue(result, signal, done);
      } catch (error) {
        if (!ended) recordError(result, error);
        done();
      }
      return;
    }
    let pending;
    try {
      pending = this.execute(result, signal);
    } catch (error) {
      recordError(result, error);
    }
    // No closure on the synchronous path: it is most tasks of a fast run.
    if (!pending) {
      this.#finish(result, t0, deliver, permit, jobs);
      return;
    }
    // Promise.resolve: a thenable whose then() throws still ends the task.
    Promise.resolve(pending).then(
      () => this.#finish(result, t0, deliver, permit, jobs),
      (error) => {
        recordError(result, error);
        this.#finish(result, t0, deliver, permit, jobs);
      },
    );
  }

  /**
   * Completes the clock of a task that ran for `t0` on (unless its engine set
   * the times, or it never started: `t0` -1), delivers its result and gives
   * back its permit. Never throws.
   */
  #finish(
    result: ProcResult,
    t0: number,
    deliver: (result: ProcResult) => void,
    permit: Permit,
    jobs: Jobs,
  ): void {
    try {
      if (t0 >= 0) {
        // An engine that set the times itself, or cleared timeStart for a
        // task that never started, is left alone.
        const start = resultTimes.start(result);
        if (resultTimes.end(result) === null && start !== null) {
          resultTimes.set(result, start, Date.now());
          result.timeRun = (performance.now() - t0) / 1000;
        }
        if (this.#internals.options.verbose) {
          console.error(
            `procrun: end ${String(result.key)} ${
              result.success ? "ok" : `failed (${result.exception ?? result.returncode})`
            } ${result.timeRun.toFixed(3)} s`,
          );
        }
      }
      deliver(result);
    } catch (error) {
      // Only a bug could land here; the result still says what happened.
      recordError(result, error);
    } finally {
      permit.release();
      if (--jobs.active === 0) jobs.drained?.();
    }
  }
}
