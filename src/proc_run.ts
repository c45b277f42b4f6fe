/**
 * The engine-independent part of a runner: validation, the task loop with its
 * semaphore, cancellation, timing, results and their delivery.
 *
 * @module
 */
import type { AttemptDone, AttemptEnd, Engine } from "./_engine.ts";
import { Fifo } from "./_fifo.ts";
import { HaltCounter } from "./_halt.ts";
import { KeySet } from "./_key_set.ts";
import { checkTask, type ResolvedOptions } from "./_options.ts";
import { guardSignals } from "./_process/signals.ts";
import { recordCancel, recordError, resetOutcome } from "./_record.ts";
import { recordAttempt, type ResolvedRetry, retryDelay, wantsRetry } from "./_retry.ts";
import { Semaphore } from "./_semaphore.ts";
import { epochNow } from "./_util.ts";
import { type PrintOptions, ProcResult, resultInEngine, resultTimes } from "./result.ts";
import { CHECK_EVERY, DONE, nextTurn, reader, TURN_INTERVAL_MS } from "./_task_reader.ts";
import type { Task, Tasks } from "./types.ts";

/** How many results `stream()` lets wait for its consumer before it stops starting tasks. */
const STREAM_BUFFER = 256;

/** The state of one run of the task loop. */
interface RunState {
  /** Aborted when the run is cancelled (or halted "now"): stops everything. */
  signal: AbortSignal;
  /** Aborted also by a halt "soon": no task, first attempt or retry, starts after it. */
  startSignal: AbortSignal;
  /** Cancels the run, with a reason. */
  cancel: (reason: unknown) => void;
  /** Fails the run (runAll rejects with `error`) and cancels it. */
  fail: (error: unknown) => void;
  /** Stops starting tasks (a halt "soon"), with a reason. */
  stopStarting: (reason: unknown) => void;
  retry: ResolvedRetry | undefined;
  halt: HaltCounter | undefined;
  deliver: (result: ProcResult) => void;
  /** Held once per task in the engine. */
  sem: Semaphore;
  /**
   * How many tasks are in the engine. An attempt ends once, however often its
   * engine calls `done`: each result says whether it is in (`resultInEngine`),
   * which keeps the hot path free of closures and garbage.
   */
  running: number;
  /** The one `done` given to every `submit` of the run. */
  done: AttemptDone;
  /** Called when the last task in flight ends, once the input is read. */
  drained: (() => void) | undefined;
}

/**
 * What every runner offers, whatever runs its tasks: give it what to run and a
 * list of `[key, arg]` tasks, call {@linkcode ProcRun.runAll}, and read one
 * {@linkcode ProcResult} per task in {@linkcode ProcRun.results}.
 * {@linkcode ProcRunAsync} and {@linkcode ProcRunWorkers} are runners.
 *
 * @example Use either engine through the common type
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
  /**
   * The result whose end met the `halt` policy, or null when the run did not
   * halt: the tasks not run after it got cancelled results.
   */
  haltedBy: ProcResult | null = null;

  #owner: string;
  #tasks: Tasks;
  #options: ResolvedOptions;
  #engine: Engine;
  #running: Promise<ProcResult[]> | undefined;

  /**
   * For the engines' classes: a runner of `tasks`, already validated, on
   * `engine`. Nothing runs until {@linkcode ProcRun.runAll}.
   *
   * @ignore
   */
  protected constructor(owner: string, tasks: Tasks, options: ResolvedOptions, engine: Engine) {
    this.#owner = owner;
    this.#tasks = tasks;
    this.#options = options;
    this.#engine = engine;
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
    this.#running ??= this.#run(this.#options.onResult);
    return this.#running;
  }

  /**
   * Runs every task, as {@linkcode ProcRun.runAll} does, and yields each
   * result as soon as its task ends, in completion order.
   *
   * The loop gets every result, so by default none is kept in
   * {@linkcode ProcRun.results} (memory stays flat over an endless task
   * list); pass `keepResults: true` to keep them.
   *
   * Leaving the loop early (`break`, `return`, a throw) cancels the run, as
   * its `signal` would: no more tasks are read, running ones are stopped, and
   * the loop is left once they have ended. The results it did not yield still
   * go to `onResult` (and to `results` with `keepResults: true`).
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
    const queue = new Fifo<ProcResult>();
    let wake: (() => void) | undefined;
    let resume: (() => void) | undefined;
    let listening = true;
    const user = this.#options.onResult;
    // Leaving the loop early (break, return, throw) cancels the run.
    const left = new AbortController();
    this.#running = this.#run(
      (result) => {
        user?.(result);
        if (!listening) return;
        queue.push(result);
        wake?.();
      },
      () =>
        listening && queue.size >= STREAM_BUFFER
          ? new Promise<void>((resolve) => resume = resolve)
          : undefined,
      left.signal,
    );
    let finished = false;
    const done = this.#running.finally(() => {
      finished = true;
      wake?.();
    });
    done.catch(() => {});
    try {
      while (true) {
        for (let result = queue.shift(); result; result = queue.shift()) {
          if (resume && queue.size <= STREAM_BUFFER / 2) {
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
      listening = false;
      queue.clear();
      if (!finished) {
        left.abort(new DOMException("the stream() loop was left", "AbortError"));
      }
      resume?.();
    }
    await done;
  }

  /**
   * Prints every result with {@linkcode ProcResult.print}, in task order, then
   * a summary line.
   *
   * @param options `color`: whether to colour the report; by default only when
   * standard output is a terminal and `NO_COLOR` is not set.
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
  printResults(options: PrintOptions = {}): void {
    for (const result of this.results) result.print(options);
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
    stop?: AbortSignal,
  ): Promise<ProcResult[]> {
    const { signal: userSignal, handleSignals } = this.#options;
    // By default stream(), the one caller with `stop`, keeps no results.
    const keepResults = this.#options.keepResults ?? !stop;
    const engine = this.#engine;
    const controller = new AbortController();
    const signals = [controller.signal];
    if (userSignal) signals.push(userSignal);
    if (stop) signals.push(stop);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : controller.signal;
    const seen = new KeySet();
    let failure: { error: unknown } | undefined;
    const halt = this.#options.halt ? new HaltCounter(this.#options.halt) : undefined;
    const starting = halt ? new AbortController() : undefined;
    const startSignal = starting ? AbortSignal.any([signal, starting.signal]) : signal;
    const run: RunState = {
      signal,
      startSignal,
      cancel: (reason) => controller.abort(reason),
      fail: (error) => {
        failure ??= { error };
        controller.abort(error);
      },
      stopStarting: (reason) => starting?.abort(reason),
      retry: this.#options.retry,
      halt,
      deliver: (result) => {
        try {
          emit?.(result);
        } catch (error) {
          run.fail(error);
        }
      },
      sem: new Semaphore(engine.capacity),
      running: 0,
      done: (result, end) => this.#finish(run, result, end),
      drained: undefined,
    };
    using _guard = handleSignals ? guardSignals(controller) : undefined;

    const { next, close, lazy } = reader(this.#tasks, startSignal);
    const t0 = performance.now();
    this.timeStart = new Date();
    engine.start();
    const onAbort = () => engine.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      if (signal.aborted) onAbort();
      let index = 0;
      let lastTurn = performance.now();
      // No await per task for a sync iterable: a microtask each is a
      // noticeable share of a run of trivial functions.
      for (
        let task = lazy ? await next() : next();
        task !== DONE;
        task = lazy ? await next() : next()
      ) {
        const wait = pause?.();
        if (wait) await wait;
        // A sync task list with sync tasks never awaits: let the event loop
        // turn now and then, or a SIGINT could not stop an endless one. (A
        // turn costs a timer, about a millisecond: at most one per interval.)
        if (!lazy && index % CHECK_EVERY === 0 && performance.now() - lastTurn > TURN_INTERVAL_MS) {
          await nextTurn();
          lastTurn = performance.now();
        }
        const checked = checkTask(this.#owner, task, index++, seen) as Task;
        const result = new ProcResult(checked[0], checked[1]);
        if (keepResults) this.results.push(result);
        // Acquired without a promise when the engine has room (the hot path).
        if (startSignal.aborted || !run.sem.tryAcquire()) {
          try {
            await run.sem.acquire(startSignal);
          } catch (reason) {
            recordCancel(result, reason, "before start");
            run.deliver(result);
            // Cancelled: an array's other tasks get their results too, but an
            // iterator is read no further (it may never end).
            if (Array.isArray(this.#tasks)) continue;
            await close();
            break;
          }
        }
        this.#submit(run, result);
      }
      // Reading stopped at a cancellation or a halt: let the task list clean up.
      if (startSignal.aborted) await close();
    } catch (error) {
      failure ??= { error };
      controller.abort(error);
      await close();
    }
    if (run.running > 0) await new Promise<void>((resolve) => run.drained = resolve);
    try {
      await engine.close();
    } finally {
      signal.removeEventListener("abort", onAbort);
      this.timeEnd = new Date();
      this.timeRun = (performance.now() - t0) / 1000;
    }
    if (failure) throw failure.error;
    return this.results;
  }

  /** Hands one task to the engine, which holds one count of the semaphore until it ends. Never throws. */
  #submit(run: RunState, result: ProcResult): void {
    if (run.startSignal.aborted) {
      recordCancel(result, run.startSignal.reason, "before start");
      run.sem.release();
      run.deliver(result);
      return;
    }
    if (run.halt) run.halt.started++;
    run.running++;
    this.#attempt(run, result);
  }

  /** Runs one attempt of a task in the engine. Never throws. */
  #attempt(run: RunState, result: ProcResult): void {
    result.attempts++;
    if (this.#options.verbose) {
      const again = result.attempts > 1 ? ` (attempt ${result.attempts})` : "";
      console.error(`procrun: start ${String(result.key)}${again}`);
    }
    resultInEngine.enter(result);
    try {
      this.#engine.submit(result, run.done);
    } catch (error) {
      // Only a bug of the engine's could land here: the task still ends.
      if (!resultInEngine.has(result)) return;
      recordError(result, error);
      const now = epochNow();
      run.done(result, { start: now, end: now, slot: null, host: null });
    }
  }

  /**
   * Ends an attempt as its engine reports it: sets the times, then tries the
   * task again or ends it. Never throws.
   */
  #finish(run: RunState, result: ProcResult, end: AttemptEnd): void {
    if (!resultInEngine.leave(result)) return;
    try {
      if (end.start === null) {
        resultTimes.set(result, null, null);
        result.timeRun = 0;
      } else {
        resultTimes.set(result, end.start, end.end);
        result.slot = end.slot;
        result.timeRun = (end.end - end.start) / 1000;
      }
      if (this.#options.verbose && end.start !== null) console.error(endLine(result, end));
      if (!result.success && run.retry && this.#retry(run, run.retry, result)) return;
    } catch (error) {
      // Only a bug could land here; the result still says what happened.
      recordError(result, error);
    }
    this.#end(run, result);
  }

  /**
   * Tries a failed task again if it wants a retry, after its delay; returns
   * whether it will. The task keeps its semaphore count meanwhile. A retry
   * that a cancellation or a halt overtakes does not run: the task ends with
   * the outcome of its last attempt.
   */
  #retry(run: RunState, retry: ResolvedRetry, result: ProcResult): boolean {
    if (run.startSignal.aborted) return false;
    try {
      if (!wantsRetry(retry, result)) return false;
    } catch (error) {
      // A throwing isRetriable fails the run, as a throwing onResult does.
      run.fail(error);
      return false;
    }
    const delay = retryDelay(retry, result.attempts);
    if (delay <= 0) {
      this.#again(run, result);
      return true;
    }
    const overtaken = () => {
      clearTimeout(timer);
      this.#again(run, result);
    };
    const timer = setTimeout(() => {
      run.startSignal.removeEventListener("abort", overtaken);
      this.#again(run, result);
    }, delay);
    run.startSignal.addEventListener("abort", overtaken, { once: true });
    return true;
  }

  /** Starts the next attempt of a task, unless a cancellation or a halt came first. */
  #again(run: RunState, result: ProcResult): void {
    if (run.startSignal.aborted) return this.#end(run, result);
    recordAttempt(result);
    resetOutcome(result);
    this.#attempt(run, result);
  }

  /**
   * Ends a task after its last attempt: delivers its result, counts it for
   * the halt policy and releases its semaphore count. Never throws.
   */
  #end(run: RunState, result: ProcResult): void {
    run.running--;
    try {
      run.deliver(result);
      const why = run.halt?.end(result);
      if (why) this.#halt(run, result, why);
    } catch (error) {
      // Only a bug could land here; the result still says what happened.
      recordError(result, error);
    } finally {
      run.sem.release();
      if (run.running === 0) run.drained?.();
    }
  }

  /** Stops the run as its halt policy says: no new task, and with "now" none running either. */
  #halt(run: RunState, result: ProcResult, why: string): void {
    this.haltedBy = result;
    const reason = new DOMException(`halted: ${why}`, "AbortError");
    if (run.halt!.policy.when === "now") run.cancel(reason);
    else {
      run.stopStarting(reason);
      this.#engine.stopStarting(reason);
    }
  }
}

/** The `verbose` line for an attempt that ran. */
function endLine(result: ProcResult, end: AttemptEnd): string {
  const where = end.host === null ? "" : ` on ${end.host}`;
  const outcome = result.success ? "ok" : `failed (${result.exception ?? result.returncode})`;
  return `procrun: end ${String(result.key)} ${outcome} ${
    result.timeRun.toFixed(3)
  } s (slot ${end.slot}${where})`;
}
