/**
 * The engine-independent part of a runner, its public face: `runAll()`,
 * `stream()` and `printResults()` over the task loop (src/_task_loop.ts).
 *
 * @module
 */
import type { Engine } from "./_engine.ts";
import { Fifo } from "./_fifo.ts";
import type { ResolvedOptions } from "./_options.ts";
import { runTasks } from "./_task_loop.ts";
import type { PrintOptions, ProcResult } from "./result.ts";
import type { Tasks } from "./types.ts";

/** How many results `stream()` lets wait for its consumer before it stops starting tasks. */
const STREAM_BUFFER = 256;

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

  #run(
    emit: ((result: ProcResult) => void) | undefined,
    pause?: () => Promise<void> | undefined,
    stop?: AbortSignal,
  ): Promise<ProcResult[]> {
    return runTasks(this, this.#owner, this.#tasks, this.#options, this.#engine, emit, pause, stop);
  }
}
