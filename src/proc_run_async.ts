/**
 * The asynchronous runner: commands through `Deno.Command`, functions on the
 * main thread.
 *
 * @module
 */
import { AsyncEngine } from "./_async_engine.ts";
import { resolveRun } from "./_options.ts";
import { ProcRun } from "./proc_run.ts";
import type { Pargs, ProcRunOptions, Tasks } from "./types.ts";

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
 * @example Commands (pyconcurrent's first example)
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
    const { program, options: resolved } = resolveRun("ProcRunAsync", pargs, tasks, options, 4);
    super("ProcRunAsync", tasks, resolved, new AsyncEngine(program, resolved));
  }
}
