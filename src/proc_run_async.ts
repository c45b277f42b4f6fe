/**
 * The asynchronous engine: commands through `Deno.Command`, functions on the
 * main thread.
 *
 * @module
 */
import { commandArgs } from "./_command_args.ts";
import { type CommandOutcome, runCommand } from "./_process.ts";
import { clearArmed } from "./_timers.ts";
import { internalsOf, ProcRun, recordCancel, recordError } from "./proc_run.ts";
import type { ProcResult } from "./result.ts";
import type { Pargs, ProcRunOptions, TaskFunction, Tasks } from "./types.ts";

/** Fills `result` from what happened to its command. */
export function recordOutcome(
  result: ProcResult,
  outcome: CommandOutcome,
  timeoutMs: number,
): void {
  result.returncode = outcome.code;
  result.signal = outcome.signal;
  result.stdout = outcome.stdout;
  result.stderr = outcome.stderr;
  result.stdoutTruncated = outcome.stdoutTruncated;
  result.stderrTruncated = outcome.stderrTruncated;
  result.success = outcome.code === 0 && !outcome.timedOut &&
    outcome.cancelled === undefined;
  if (outcome.spawnError) {
    recordError(result, outcome.spawnError);
  } else if (outcome.timedOut) {
    recordTimeout(result, timeoutMs);
  } else if (outcome.cancelled !== undefined) {
    recordCancel(result, outcome.cancelled, true);
  }
}

/** Marks `result` as stopped by its timeout. */
export function recordTimeout(result: ProcResult, timeoutMs: number): void {
  result.success = false;
  result.timeout = true;
  result.exception = "TimeoutError";
  result.error = `timed out after ${timeoutMs / 1000} s`;
}

/** Checks what a task function returned and stores it. */
export function recordReturn(result: ProcResult, value: unknown): void {
  if (Array.isArray(value) && value.length === 2 && typeof value[0] === "boolean") {
    result.success = value[0];
    result.answer = value[1];
    return;
  }
  result.success = false;
  result.exception = "TypeError";
  result.error = `task function must return [success: boolean, answer]: got ${
    Deno.inspect(value, { compact: true, depth: 1, breakLength: Infinity })
  }`;
}

/**
 * Runs each task as a subprocess through `Deno.Command`, or as an async
 * function on the main thread, at most `numWorkers` at once. The port of
 * pyconcurrent's `ProcRunAsyncio`.
 *
 * - `[command, ...args]` runs `command ...args arg` for each task, in its own
 *   process group: a timeout or cancellation sends SIGTERM to the whole tree,
 *   then SIGKILL after `killGrace` seconds, and the output produced so far is
 *   kept.
 * - `[fn, ...args]` calls `fn(key, [...args, arg], signal)`, which returns
 *   `[success, answer]` or a promise of it. At the timeout the result is
 *   completed with `timeout: true` and `signal` is aborted; the function itself
 *   cannot be stopped, so it should watch `signal`.
 *
 * @example Commands (the seed's first example)
 * ```ts
 * import { ProcRunAsync } from "@procrun/procrun";
 * import { assertEquals } from "@std/assert";
 *
 * const run = new ProcRunAsync(["sleep"], [[1, 0.1], [2, 0.2], [3, 0]], {
 *   numWorkers: 2,
 *   timeout: 30,
 * });
 * await run.runAll();
 * assertEquals(run.results.map((r) => r.success), [true, true, true]);
 * ```
 *
 * @example Functions
 * ```ts
 * import { ProcRunAsync } from "@procrun/procrun";
 * import { assertEquals } from "@std/assert";
 *
 * async function double(key: unknown, args: unknown[]): Promise<[boolean, number]> {
 *   await Promise.resolve();
 *   return [true, (args.at(-1) as number) * 2];
 * }
 * const run = new ProcRunAsync([double], [["a", 1], ["b", 2]]);
 * await run.runAll();
 * assertEquals(run.results.map((r) => r.answer), [2, 4]);
 * ```
 */
export class ProcRunAsync extends ProcRun {
  /**
   * Validates the arguments; nothing runs until {@linkcode ProcRun.runAll}.
   *
   * @param pargs `[command, ...args]` or `[fn, ...args]`.
   * @param tasks `[key, arg]` pairs: an array (checked now) or any iterable
   * or async iterable (read lazily).
   * @param options Run options; `numWorkers` defaults to 4.
   * @throws {TypeError} For malformed `pargs`, `tasks` or options, and duplicate keys.
   * @throws {RangeError} For numbers out of range, such as a negative `timeout`.
   */
  constructor(pargs: Pargs, tasks: Tasks, options: ProcRunOptions = {}) {
    super("ProcRunAsync", pargs, tasks, options, 4);
  }

  /**
   * Runs one task. See {@linkcode ProcRun.execute}.
   *
   * @param result The task's result.
   * @param signal Aborted when the run is cancelled.
   */
  protected override execute(
    result: ProcResult,
    signal: AbortSignal,
  ): Promise<void> | void {
    const { program, options } = internalsOf(this);
    if (program.kind === "command") return this.#command(result, signal);
    const args = program.args.slice();
    args.push(result.arg);
    return callFunction(program.fn, args, result, signal, options.timeoutMs);
  }

  async #command(result: ProcResult, signal: AbortSignal): Promise<void> {
    const { program, options } = internalsOf(this);
    if (program.kind === "command") {
      const outcome = await runCommand({
        command: program.command,
        args: commandArgs(program.args, result.arg, options.placeholder),
        cwd: options.cwd,
        env: options.env,
        stdin: options.stdin,
        maxOutputBytes: options.maxOutputBytes,
        timeoutMs: options.timeoutMs,
        killGraceMs: options.killGraceMs,
        signal,
      });
      recordOutcome(result, outcome, options.timeoutMs);
    }
  }
}

/**
 * Calls a task function with a timeout, and fills in `result`. Returns at the
 * deadline or on cancellation even if the function never settles.
 */
export function callFunction(
  fn: TaskFunction,
  args: unknown[],
  result: ProcResult,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<void> | undefined {
  const t0 = timeoutMs > 0 ? performance.now() : 0;
  const deadline = timeoutMs > 0 ? new AbortController() : undefined;
  const taskSignal = deadline ? AbortSignal.any([signal, deadline.signal]) : signal;
  // Call it now: a function that returns synchronously (or throws) needs no
  // timer, listener or promise. (A timer could not interrupt it anyway.)
  let value;
  try {
    value = fn(result.key, args, taskSignal);
  } catch (error) {
    if (signal.aborted && error === signal.reason) recordCancel(result, error, true);
    else recordError(result, error);
    return;
  }
  if (!isThenable(value)) {
    recordReturn(result, value);
    return;
  }
  return settle(value, result, signal, timeoutMs, t0, deadline, taskSignal);
}

/** The rest of {@linkcode callFunction} for a function that returned a promise. */
async function settle(
  value: PromiseLike<unknown>,
  result: ProcResult,
  signal: AbortSignal,
  timeoutMs: number,
  t0: number,
  deadline: AbortController | undefined,
  taskSignal: AbortSignal,
): Promise<void> {
  // The deadline counts from the call, including its synchronous part.
  const timer = deadline
    ? setTimeout(
      () =>
        deadline.abort(
          new DOMException(`timed out after ${timeoutMs / 1000} s`, "TimeoutError"),
        ),
      Math.max(0, timeoutMs - (performance.now() - t0)),
    )
    : undefined;
  let onAbort: (() => void) | undefined;
  try {
    const call = Promise.resolve(value);
    call.catch(() => {}); // It may reject after the deadline, unobserved.
    const stopped = new Promise<never>((_, reject) => {
      onAbort = () => reject(taskSignal.reason);
      if (taskSignal.aborted) onAbort();
      else taskSignal.addEventListener("abort", onAbort, { once: true });
    });
    recordReturn(result, await Promise.race([call, stopped]));
  } catch (error) {
    if (deadline?.signal.aborted && error === deadline.signal.reason) {
      recordTimeout(result, timeoutMs);
    } else if (signal.aborted && error === signal.reason) {
      recordCancel(result, error, true);
    } else {
      recordError(result, error);
    }
  } finally {
    clearArmed(timer);
    if (onAbort) taskSignal.removeEventListener("abort", onAbort);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as PromiseLike<unknown>).then === "function";
}
