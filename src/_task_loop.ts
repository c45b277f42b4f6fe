/**
 * The task loop of a run: reads the tasks, holds at most the engine's
 * capacity in it, starts each attempt, retries, halts, cancels, times and
 * delivers each result. {@linkcode ProcRun} is its public face.
 *
 * @module
 */
import type { AttemptDone, AttemptEnd, Engine } from "./_engine.ts";
import { HaltCounter } from "./_halt.ts";
import { KeySet } from "./_key_set.ts";
import { checkTask, type ResolvedOptions } from "./_options.ts";
import { guardSignals } from "./_process/signals.ts";
import { recordCancel, recordError, resetOutcome } from "./_record.ts";
import { recordAttempt, type ResolvedRetry, retryDelay, wantsRetry } from "./_retry.ts";
import { Semaphore } from "./_semaphore.ts";
import type { RunTracer } from "./_trace/tracer.ts";
import { epochNow } from "./_util.ts";
import { ProcResult, resultInEngine, resultTimes } from "./result.ts";
import { CHECK_EVERY, DONE, nextTurn, reader, TURN_INTERVAL_MS } from "./_task_reader.ts";
import { traceSupport } from "./_trace/support.ts";
import type { Task, Tasks } from "./types.ts";

/** What the loop writes on its runner. */
export interface LoopHost {
  readonly results: ProcResult[];
  timeStart: Date | null;
  timeEnd: Date | null;
  timeRun: number;
  haltedBy: ProcResult | null;
}

/** The state of one run of the task loop. */
interface RunState {
  options: ResolvedOptions;
  engine: Engine;
  /** The runner: its results, times and haltedBy are written here. */
  host: LoopHost;
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
  /** Told what happens, when the run is traced (the `trace` option). */
  tracer: RunTracer | undefined;
}

/**
 * Runs every task of `tasks` on `engine`, delivering each result to `emit`;
 * `pause` holds back new tasks while it returns a promise (`stream()`), and
 * `stop` cancels the run (a `stream()` loop left early).
 */
export async function runTasks(
  host: LoopHost,
  owner: string,
  tasks: Tasks,
  options: ResolvedOptions,
  engine: Engine,
  emit: ((result: ProcResult) => void) | undefined,
  pause?: () => Promise<void> | undefined,
  stop?: AbortSignal,
): Promise<ProcResult[]> {
  // First: what the engine loads for its run (its capacity may come with it).
  if (engine.prepare) await engine.prepare();
  const { signal: userSignal, handleSignals } = options;
  // By default stream(), the one caller with `stop`, keeps no results.
  const keepResults = options.keepResults ?? !stop;
  const controller = new AbortController();
  const signals = [controller.signal];
  if (userSignal) signals.push(userSignal);
  if (stop) signals.push(stop);
  const signal = signals.length > 1 ? AbortSignal.any(signals) : controller.signal;
  const seen = new KeySet();
  let failure: { error: unknown } | undefined;
  const halt = options.halt ? new HaltCounter(options.halt) : undefined;
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
    retry: options.retry,
    halt,
    options,
    engine,
    host,
    deliver: (result) => {
      run.tracer?.delivered(result);
      try {
        emit?.(result);
      } catch (error) {
        run.fail(error);
      }
    },
    sem: new Semaphore(engine.capacity),
    running: 0,
    done: (result, end) => finishAttempt(run, result, end),
    drained: undefined,
    tracer: undefined,
  };
  using _guard = handleSignals ? guardSignals(controller) : undefined;
  if (options.trace) {
    const { recorder, taskInfo } = options.trace;
    const slots = Number.isFinite(engine.capacity) ? engine.capacity : null;
    run.tracer = traceSupport!.begin(recorder, {
      runner: owner,
      startEpochMs: epochNow(),
      slots,
    }, taskInfo);
  }

  const { next, close, lazy } = reader(tasks, startSignal);
  const t0 = performance.now();
  host.timeStart = new Date();
  engine.start();
  const onAbort = () => {
    run.tracer?.cancel(signal.reason);
    engine.abort(signal.reason);
  };
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
      const checked = checkTask(owner, task, index++, seen) as Task;
      const result = new ProcResult(checked[0], checked[1]);
      run.tracer?.read(result);
      if (keepResults) host.results.push(result);
      // Acquired without a promise when the engine has room (the hot path).
      if (startSignal.aborted || !run.sem.tryAcquire()) {
        try {
          await run.sem.acquire(startSignal);
        } catch (reason) {
          recordCancel(result, reason, "before start");
          run.deliver(result);
          // Cancelled: an array's other tasks get their results too, but an
          // iterator is read no further (it may never end).
          if (Array.isArray(tasks)) continue;
          await close();
          break;
        }
      }
      submitTask(run, result);
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
    host.timeEnd = new Date();
    host.timeRun = (performance.now() - t0) / 1000;
    run.tracer?.end("run end");
  }
  if (failure) throw failure.error;
  return host.results;
}

/** Hands one task to the engine, which holds one count of the semaphore until it ends. Never throws. */
function submitTask(run: RunState, result: ProcResult): void {
  if (run.startSignal.aborted) {
    recordCancel(result, run.startSignal.reason, "before start");
    run.sem.release();
    run.deliver(result);
    return;
  }
  if (run.halt) run.halt.started++;
  run.running++;
  runAttempt(run, result);
}

/** Runs one attempt of a task in the engine. Never throws. */
function runAttempt(run: RunState, result: ProcResult): void {
  result.attempts++;
  run.tracer?.submit(result);
  if (run.options.verbose) {
    const again = result.attempts > 1 ? ` (attempt ${result.attempts})` : "";
    console.error(`procrun: start ${String(result.key)}${again}`);
  }
  resultInEngine.enter(result);
  try {
    run.engine.submit(result, run.done);
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
function finishAttempt(run: RunState, result: ProcResult, end: AttemptEnd): void {
  if (!resultInEngine.leave(result)) return;
  try {
    if (end.start === null) {
      resultTimes.set(result, null, null);
      result.timeRun = 0;
    } else {
      resultTimes.set(result, end.start, end.end);
      result.slot = end.slot;
      // Null (this machine) is the prototype's: a result made here keeps no field for it.
      if (end.host !== result.host) result.host = end.host;
      result.timeRun = (end.end - end.start) / 1000;
    }
    run.tracer?.attempt(result, end);
    if (run.options.verbose && end.start !== null) console.error(endLine(result, end));
    if (!result.success && run.retry && retryLater(run, run.retry, result)) return;
  } catch (error) {
    // Only a bug could land here; the result still says what happened.
    recordError(result, error);
  }
  endTask(run, result);
}

/**
 * Tries a failed task again if it wants a retry, after its delay; returns
 * whether it will. The task keeps its semaphore count meanwhile. A retry
 * that a cancellation or a halt overtakes does not run: the task ends with
 * the outcome of its last attempt.
 */
function retryLater(run: RunState, retry: ResolvedRetry, result: ProcResult): boolean {
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
    attemptAgain(run, result);
    return true;
  }
  const overtaken = () => {
    clearTimeout(timer);
    attemptAgain(run, result);
  };
  const timer = setTimeout(() => {
    run.startSignal.removeEventListener("abort", overtaken);
    attemptAgain(run, result);
  }, delay);
  run.startSignal.addEventListener("abort", overtaken, { once: true });
  return true;
}

/** Starts the next attempt of a task, unless a cancellation or a halt came first. */
function attemptAgain(run: RunState, result: ProcResult): void {
  if (run.startSignal.aborted) return endTask(run, result);
  recordAttempt(result);
  resetOutcome(result);
  runAttempt(run, result);
}

/**
 * Ends a task after its last attempt: delivers its result, counts it for
 * the halt policy and releases its semaphore count. Never throws.
 */
function endTask(run: RunState, result: ProcResult): void {
  run.running--;
  try {
    run.deliver(result);
    const why = run.halt?.end(result);
    if (why) haltRun(run, result, why);
  } catch (error) {
    // Only a bug could land here; the result still says what happened.
    recordError(result, error);
  } finally {
    run.sem.release();
    if (run.running === 0) run.drained?.();
  }
}

/** Stops the run as its halt policy says: no new task, and with "now" none running either. */
function haltRun(run: RunState, result: ProcResult, why: string): void {
  run.host.haltedBy = result;
  run.tracer?.halt(why, run.halt!.policy.when, result);
  const reason = new DOMException(`halted: ${why}`, "AbortError");
  if (run.halt!.policy.when === "now") run.cancel(reason);
  else {
    run.stopStarting(reason);
    run.engine.stopStarting(reason);
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
