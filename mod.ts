/**
 * procrun runs many tasks concurrently and gives back one result per task.
 *
 * It is the Deno port of Python's pyconcurrent: a task is a `[key, arg]` pair,
 * and each task either runs a command (`[command, ...args]` plus the task's
 * argument) or calls a function. Every task yields exactly one
 * {@linkcode ProcResult}, whatever happens to it: success, failure, timeout,
 * crash or cancellation.
 *
 * - {@linkcode ProcRunAsync} runs commands through `Deno.Command` and async
 *   functions on the main thread, with per-task timeouts that kill the whole
 *   process tree.
 * - {@linkcode ProcRunWorkers} runs functions (named with
 *   {@linkcode workerFunction}) and commands on a pool of Web Workers, on
 *   every core, with timeouts that come on time even for a synchronous loop.
 * - {@linkcode TraceRecorder} records a run as a trace for ui.perfetto.dev
 *   (the CLI's `--trace FILE`; `procrun report` turns it into an HTML
 *   timeline).
 * - `@procrun/procrun/cli` is the `procrun` command line (`xargs -P` and GNU
 *   parallel habits, JSON output, joblog): `deno run -A jsr:@procrun/procrun/cli --help`.
 *
 * @example pyconcurrent's first example, ported
 * ```ts
 * import { ProcRunAsync } from "@procrun/procrun";
 * import { assertEquals } from "@std/assert";
 *
 * const run = new ProcRunAsync(["sleep"], [[1, 0.1], [2, 0.3], [3, 0.2]], {
 *   numWorkers: 4,
 *   timeout: 30,
 * });
 * await run.runAll();
 * assertEquals(run.results.every((r) => r.success), true);
 * ```
 *
 * @module
 */
export {
  type AttemptRecord,
  type AttemptRecordJSON,
  type PrintOptions,
  ProcResult,
  type ProcResultJSON,
} from "./src/result.ts";
export type { ProcRun } from "./src/proc_run.ts";
export { ProcRunAsync, type ProcRunAsyncOptions } from "./src/proc_run_async.ts";
export { ProcRunWorkers, type ProcRunWorkersOptions } from "./src/proc_run_workers.ts";
export {
  type TraceEvent,
  type TraceFile,
  TraceRecorder,
  type TraceRecorderOptions,
} from "./src/trace.ts";
export { type WorkerFunction, workerFunction } from "./src/worker_function.ts";
export type {
  HaltPolicy,
  HaltThreshold,
  OutputEncoding,
  Pargs,
  ProcRunOptions,
  RetryOptions,
  Task,
  TaskFunction,
  TaskReturn,
  Tasks,
} from "./src/types.ts";
