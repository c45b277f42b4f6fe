/**
 * The workers runner: function tasks (and commands) on a pool of worker
 * threads or worker processes, for CPU-bound work on every core, with
 * preemptive timeouts.
 *
 * @module
 */
import { invalid } from "./_invalid.ts";
import { type Program, type ResolvedOptions, resolveRun } from "./_options.ts";
import { commandTemplate } from "./_process/run_command.ts";
import { DeferredEngine } from "./_deferred_engine.ts";
import { importOwn } from "./_util.ts";
import type { WorkersEngine } from "./_workers/engine.ts";
import { copyableToProcess } from "./_workers/host_objects.ts";
import { resolveIsolation } from "./_workers/isolation.ts";
import { checkPermissions } from "./_workers/permissions.ts";
import { toWireTemplate, type WorkerProgram } from "./_workers/protocol.ts";
import { ProcRun } from "./proc_run.ts";
import type { Pargs, ProcRunOptions, Tasks } from "./types.ts";
import { isWorkerFunction } from "./worker_function.ts";

const OWNER = "ProcRunWorkers";

/**
 * Options of {@linkcode ProcRunWorkers}: those of every engine, plus
 * `isolation`, `memoryLimit` and `permissions`.
 */
export interface ProcRunWorkersOptions extends ProcRunOptions {
  /**
   * How many workers run tasks at once. 0 means one per CPU core.
   *
   * @default {navigator.hardwareConcurrency}
   */
  numWorkers?: number;
  /**
   * Where each worker runs: `"thread"`, a Web Worker in this process (cheap
   * to start and to talk to), or `"process"`, a Deno child process
   * (`Deno.execPath()`) running the same worker: a timeout kills it at once,
   * even in a synchronous loop, a task that runs out of memory or crashes
   * it fails alone, and its permissions are its own command-line flags. See
   * the README, "Threads or processes".
   *
   * @default {"thread"}
   *
   * @example A task that runs out of memory fails alone
   * ```ts ignore
   * import { ProcRunWorkers, workerFunction } from "@procrun/procrun";
   *
   * const fn = workerFunction(new URL("./tasks.ts", import.meta.url), "parse");
   * const run = new ProcRunWorkers([fn], files, { isolation: "process", memoryLimit: 512 });
   * for (const r of await run.runAll()) if (r.exception === "OutOfMemoryError") console.log(r.key);
   * ```
   */
  isolation?: "thread" | "process";
  /**
   * The V8 heap limit of each worker process, in MiB (V8's
   * `--max-old-space-size`): a task that needs more fails with
   * `exception: "OutOfMemoryError"`, its worker is replaced and the run goes
   * on. Only with `isolation: "process"`.
   *
   * @default {V8's own limit}
   */
  memoryLimit?: number;
  /**
   * The permissions of each worker, at most those of this process. With
   * threads, Deno's Worker `deno.permissions`, which needs Deno's
   * `--unstable-worker-options` flag; with processes, the flags each worker
   * process is started with (no unstable flag), by default this process's
   * own permissions.
   *
   * @default {"inherit"}
   */
  permissions?: Deno.PermissionOptions;
}

/** Whether `value` can be copied to a worker, thread (structured clone) or process (V8's serialiser). */
function copyable(value: unknown, isolation: unknown): boolean {
  if (isolation === "process") return copyableToProcess(value);
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

/** What the workers run, checked: a function named by module and export, or a command. */
function workerProgram(
  program: Program,
  options: ResolvedOptions,
  isolation: unknown,
): WorkerProgram {
  if (program.kind === "command") {
    return { kind: "command", template: toWireTemplate(commandTemplate(program, options)) };
  }
  if (!isWorkerFunction(program.fn)) {
    throw new TypeError(
      invalid(
        OWNER,
        "pargs[0]",
        "a command or a function named by module and export, since a function cannot be " +
          'sent to a worker: use workerFunction(new URL("./tasks.ts", import.meta.url), ' +
          '"name")',
        program.fn,
      ),
    );
  }
  if (!copyable(program.args, isolation)) {
    throw new TypeError(
      invalid(
        OWNER,
        "pargs",
        `values that can be copied to a worker ${isolation === "process" ? "process" : ""}`.trim(),
        program.args,
      ),
    );
  }
  const { moduleUrl, exportName } = program.fn;
  return { kind: "function", moduleUrl, exportName, args: program.args };
}

/**
 * Runs each task on a pool of Web Workers: true parallelism for CPU-bound
 * functions, and timeouts that stop a task even in the middle of a
 * synchronous loop. The port of pyconcurrent's `ProcRunMp`; switching from
 * {@linkcode ProcRunAsync} is a rename, except that a function must be named
 * with {@linkcode workerFunction}, since functions cannot cross threads.
 *
 * - `[workerFunction(moduleUrl, name), ...args]`: each worker imports the
 *   module once and calls `fn(key, [...args, arg], signal)` (sync or async),
 *   one task at a time. Keys, arguments and answers cross the thread boundary
 *   by structured clone: an answer that cannot be cloned fails its task with
 *   `DataCloneError`.
 * - `[command, ...args]` runs commands from the workers, exactly as
 *   `ProcRunAsync` does (process groups, TERM then KILL).
 * - At its deadline a function task gets `timeout: true`, its worker is
 *   terminated and replaced, and the run goes on. On Deno 2.8.3 to 2.9.6 a
 *   worker stuck in a synchronous loop keeps running after `terminate()`:
 *   the run still returns on time, but that thread keeps a core busy and the
 *   process does not exit by itself; end such a script with `Deno.exit()`.
 * - A task that reaches V8's heap limit ends the whole process (Deno's out
 *   of memory handler is fatal, for workers too): every result is lost. Run
 *   a task that may allocate without bound as a command
 *   (`[Deno.execPath(), "run", "task.ts"]` on {@linkcode ProcRunAsync}),
 *   where only that task fails.
 * - Tasks are sent in batches (up to 1024 per worker once the first results
 *   show how long tasks take), which a worker runs back to back in one tight
 *   loop; a worker that runs out of work takes back the tasks another worker
 *   has not started.
 *
 * @example Functions on every core
 * ```ts ignore
 * import { ProcRunWorkers, workerFunction } from "@procrun/procrun";
 *
 * // tasks.ts: export function square(key: unknown, args: unknown[]) { ... }
 * const square = workerFunction(new URL("./tasks.ts", import.meta.url), "square");
 * const run = new ProcRunWorkers([square], [["a", 2], ["b", 3]], { timeout: 30 });
 * await run.runAll();
 * run.printResults();
 * ```
 *
 * @example Commands from workers
 * ```ts
 * import { ProcRunWorkers } from "@procrun/procrun";
 * import { assertEquals } from "@std/assert";
 *
 * const run = new ProcRunWorkers(["echo"], [[1, "one"], [2, "two"]], { numWorkers: 2 });
 * await run.runAll();
 * assertEquals(run.results.map((r) => r.stdout), ["one\n", "two\n"]);
 * ```
 */
export class ProcRunWorkers extends ProcRun {
  #engine: DeferredEngine<WorkersEngine>;

  /**
   * Validates the arguments; nothing runs until {@linkcode ProcRun.runAll}.
   *
   * @param pargs `[workerFunction(moduleUrl, name), ...args]` or `[command, ...args]`.
   * @param tasks `[key, arg]` pairs: an array (checked now) or any iterable
   * or async iterable (read lazily).
   * @param options Run options; `numWorkers` defaults to the number of CPU
   * cores, and `permissions` sets each worker's permissions.
   * @throws {TypeError} For malformed `pargs`, `tasks` or options, duplicate
   * keys, a plain function as `pargs[0]` (name it with `workerFunction`),
   * arguments that cannot be copied to a worker, and `permissions` without
   * `--unstable-worker-options`.
   * @throws {RangeError} For numbers out of range, such as a negative `timeout`.
   */
  constructor(pargs: Pargs, tasks: Tasks, options: ProcRunWorkersOptions = {}) {
    const cores = navigator.hardwareConcurrency || 1;
    const { program, options: resolved } = resolveRun(OWNER, pargs, tasks, options, cores, [
      "permissions",
      "isolation",
      "memoryLimit",
    ]);
    const wire = workerProgram(program, resolved, options.isolation);
    const isolated = resolveIsolation(OWNER, options, wire);
    if (isolated.isolation === "thread") checkPermissions(OWNER, options.permissions);
    const config = {
      program: wire,
      numWorkers: resolved.numWorkers === Infinity ? cores : resolved.numWorkers,
      timeoutMs: resolved.timeoutMs,
      killGraceMs: resolved.killGraceMs,
      permissions: options.permissions,
      ...isolated,
    };
    // The engine's modules are read when a run starts: a program that only
    // imports procrun does not pay for them.
    const engine = new DeferredEngine(async () => {
      const { WorkersEngine } = await importOwn<typeof import("./_workers/engine.ts")>(
        new URL("./_workers/engine.ts", import.meta.url),
      );
      return new WorkersEngine(config);
    });
    super(OWNER, tasks, resolved, engine);
    this.#engine = engine;
  }

  /**
   * How many workers were terminated at a timeout while their task was still
   * running. On Deno 2.8.3 to 2.9.6, if such a task was stuck in a
   * synchronous loop, its thread keeps running and the process does not exit
   * by itself: a script can check this and call `Deno.exit()`.
   *
   * @returns The count, for this run.
   *
   * @example Exit when a worker could not be stopped
   * ```ts ignore
   * import { ProcRunWorkers, workerFunction } from "@procrun/procrun";
   *
   * const fn = workerFunction(new URL("./tasks.ts", import.meta.url), "work");
   * const run = new ProcRunWorkers([fn], [[1, 1]], { timeout: 5 });
   * await run.runAll();
   * if (run.abandonedWorkers > 0) Deno.exit(0);
   * ```
   */
  get abandonedWorkers(): number {
    return this.#engine.engine?.abandoned ?? 0;
  }
}
