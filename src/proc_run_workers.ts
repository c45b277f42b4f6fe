/**
 * The Web Workers engine: function tasks on a pool of worker threads, for
 * CPU-bound work on every core, with preemptive timeouts.
 *
 * @module
 */
import { killGroup, trackGroup, untrackGroup } from "./_cleanup.ts";
import { invalid } from "./_options.ts";
import type { CommandOutcome } from "./_process.ts";
import { clearArmed } from "./_timers.ts";
import {
  Ctrl,
  type ErrorShape,
  type FromWorker,
  type PairColumns,
  type TaskReport,
  type ToWorker,
  type WorkerProgram,
} from "./_worker_types.ts";
import { internalsOf, ProcRun, recordCancel, recordError } from "./proc_run.ts";
import { recordOutcome, recordReturn, recordTimeout } from "./proc_run_async.ts";
import { type ProcResult, resultTimes } from "./result.ts";
import type { Pargs, ProcRunOptions, Tasks } from "./types.ts";
import { isWorkerFunction } from "./worker_function.ts";

const OWNER = "ProcRunWorkers";
/** Most tasks sent to one worker and not yet reported. */
const MAX_IN_FLIGHT = 1024;
/**
 * Milliseconds of work to keep queued in each worker. Long: a worker runs its
 * queue in one synchronous loop, and on Deno 2.9.6 a function called in a long
 * loop keeps fast code where one called once per event-loop turn may not.
 * Work stealing keeps long queues from holding tasks up.
 */
const TARGET_QUEUE_MS = 10_000;
/**
 * Below this many ms of queued work, a worker gets whatever tasks are
 * waiting. More than two report intervals (`FLUSH_MS`): the count the main
 * thread sees is that old, and the tasks must arrive before the queue runs dry.
 */
const LOW_QUEUE_MS = 120;
/**
 * Tasks kept in flight per worker until the first reports show how long tasks
 * take: enough that a worker does not wait for a round trip after its first
 * task. Work stealing takes back what a long first task holds up.
 */
const FIRST_DEPTH = 64;
/** Work (ms) that an idle worker takes back from a busy one. */
const STEAL_MS = 5;
/**
 * A worker sends its reports at least this often (ms) while it works, and at
 * once when its queue runs dry. Not more often: on Deno 2.9.6 each message
 * costs the worker and the main thread 0.1 to 0.4 ms of CPU, taken from the
 * tasks when every core is busy. With a timeout, reports go out more often:
 * when a worker is terminated at a timeout, the tasks it finished but had not
 * reported yet run again.
 */
const FLUSH_MS = 50;
const FLUSH_MS_WITH_TIMEOUT = 10;

/** Options of {@linkcode ProcRunWorkers}: those of every engine, plus `permissions`. */
export interface ProcRunWorkersOptions extends ProcRunOptions {
  /**
   * How many worker threads run tasks at once. 0 means one per CPU core.
   *
   * @default {navigator.hardwareConcurrency}
   */
  numWorkers?: number;
  /**
   * The permissions of each worker (Deno's Worker `deno.permissions`), at
   * most those of the process. Needs Deno's `--unstable-worker-options` flag.
   *
   * @default {"inherit"}
   */
  permissions?: Deno.PermissionOptions;
}

/** A task handed to the pool, waiting for its report. */
interface Job {
  result: ProcResult;
  done: () => void;
}

/** One worker thread and the tasks it holds. */
interface Slot {
  worker: Worker;
  ctrl: Int32Array;
  /** The index the next task sent gets. */
  sent: number;
  /** Tasks sent and not yet reported, by index. */
  jobs: Map<number, Job>;
  /** Process groups of running commands, by task index. */
  groups: Map<number, number>;
  timer: ReturnType<typeof setTimeout> | undefined;
  dead: boolean;
  /** Whether the worker has loaded its modules. */
  ready: boolean;
}

function errorFrom(shape: ErrorShape): Error {
  const error = new Error(shape.message);
  error.name = shape.name;
  return error;
}

/** Reads Deno's own error message: "Uncaught (in promise) RangeError: boom". */
function parseUncaught(message: string): Error {
  const match = /^Uncaught (?:\(in promise\) )?(\w+): ([\s\S]*)$/.exec(message);
  return match ? errorFrom({ name: match[1]!, message: match[2]! }) : new Error(message);
}

let warnedStuck = false;

/**
 * Whether this process may give workers their own permissions: `undefined`
 * when it cannot tell. Deno ends the whole process (exit code 70) when a
 * worker is given `deno.permissions` without `--unstable-worker-options`, so
 * procrun checks the command line (and a config file that may enable it)
 * before it starts one.
 */
function workerOptionsEnabled(): boolean | undefined {
  const readable = (path: string) => {
    try {
      return Deno.permissions.querySync({ name: "read", path }).state === "granted";
    } catch {
      return false;
    }
  };
  if (Deno.build.os !== "linux" || !readable("/proc/self/cmdline")) return undefined;
  let argv: string[];
  try {
    argv = Deno.readTextFileSync("/proc/self/cmdline").split("\0");
  } catch {
    return undefined;
  }
  if (argv.some((a) => a === "--unstable-worker-options" || a === "--unstable")) return true;
  // The flag may come from a config file's "unstable" list instead.
  if (argv.some((a) => a === "--config" || a === "-c" || a.startsWith("--config="))) {
    return undefined;
  }
  let dir = Deno.cwd();
  while (true) {
    for (const name of ["deno.json", "deno.jsonc"]) {
      const path = `${dir}/${name}`;
      if (!readable(path)) return undefined;
      try {
        if (Deno.readTextFileSync(path).includes("worker-options")) return true;
      } catch {
        // No such file.
      }
    }
    const parent = dir.replace(/\/[^/]*$/, "");
    if (parent === dir || parent === "") return false;
    dir = parent;
  }
}

function checkPermissions(permissions: unknown): void {
  if (permissions === undefined) return;
  if (
    permissions !== "inherit" && permissions !== "none" &&
    (permissions === null || typeof permissions !== "object" || Array.isArray(permissions))
  ) {
    throw new TypeError(
      invalid(OWNER, "permissions", '"inherit", "none" or an object of permissions', permissions),
    );
  }
  if (workerOptionsEnabled() === false) {
    throw new TypeError(
      invalid(
        OWNER,
        "permissions",
        "left out unless Deno runs with --unstable-worker-options (Deno ends the process " +
          "otherwise)",
        permissions,
      ),
    );
  }
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
  #program: WorkerProgram;
  #permissions: Deno.PermissionOptions | undefined;
  #slots: Slot[] = [];
  /** Jobs not sent to any worker yet; `#head` is the first. */
  #pending: Job[] = [];
  #head = 0;
  #avgMs: number | undefined;
  #base = performance.timeOrigin + performance.now();
  #scheduled = false;
  #signal: AbortSignal | undefined;
  #cancelled = false;
  #broken: Error | undefined;
  #graceTimers = new Set<ReturnType<typeof setTimeout>>();
  #abortTimers = new Set<ReturnType<typeof setTimeout>>();
  #abandoned = 0;
  #stealTimer: ReturnType<typeof setTimeout> | undefined;
  #stealing = false;

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
    super(OWNER, pargs, tasks, options, cores);
    const internals = internalsOf(this);
    const resolved = internals.options;
    if (resolved.numWorkers === Infinity) resolved.numWorkers = cores;
    internals.slots = resolved.numWorkers * MAX_IN_FLIGHT * 2;
    internals.enqueue = (result, signal, done) => this.#enqueue(result, signal, done);
    const program = internals.program;
    if (program.kind === "function") {
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
      try {
        structuredClone(program.args);
      } catch {
        throw new TypeError(
          invalid(OWNER, "pargs", "values that can be copied to a worker", program.args),
        );
      }
      this.#program = {
        kind: "function",
        moduleUrl: program.fn.moduleUrl,
        exportName: program.fn.exportName,
        args: program.args,
      };
    } else {
      const { cwd } = resolved;
      this.#program = {
        kind: "command",
        command: program.command instanceof URL ? program.command.href : program.command,
        commandIsUrl: program.command instanceof URL,
        args: program.args,
        placeholder: resolved.placeholder,
        cwd: cwd instanceof URL ? cwd.href : cwd,
        cwdIsUrl: cwd instanceof URL,
        env: resolved.env,
        stdin: resolved.stdin,
        maxOutputBytes: resolved.maxOutputBytes,
        timeoutMs: resolved.timeoutMs,
        killGraceMs: resolved.killGraceMs,
      };
    }
    checkPermissions(options.permissions);
    this.#permissions = options.permissions;
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
    return this.#abandoned;
  }

  /** Starts nothing: workers start as work arrives. */
  protected override setup(): Promise<void> {
    this.#base = performance.timeOrigin + performance.now();
    return Promise.resolve();
  }

  /** Ends every worker, so that the process can exit. */
  protected override teardown(): Promise<void> {
    clearArmed(this.#stealTimer);
    for (const timer of this.#abortTimers) clearTimeout(timer);
    this.#abortTimers.clear();
    for (const slot of [...this.#slots]) this.#cancelAll(this.#retire(slot), true);
    return Promise.resolve();
  }

  /**
   * Queues one task for the pool. See {@linkcode ProcRun.execute}.
   *
   * @param result The task's result.
   * @param signal Aborted when the run is cancelled.
   */
  protected override execute(result: ProcResult, signal: AbortSignal): Promise<void> {
    return new Promise<void>((done) => this.#enqueue(result, signal, done));
  }

  /** Queues one task; `done` is called once its result is filled in. */
  #enqueue(result: ProcResult, signal: AbortSignal, done: () => void): void {
    if (this.#signal !== signal) this.#watch(signal);
    const job = { result, done };
    if (this.#cancelled) {
      this.#cancel(job, signal.reason, false);
      return;
    }
    if (this.#broken) {
      recordError(result, this.#broken);
      result.timeStart = null;
      done();
      return;
    }
    this.#pending.push(job);
    // The first task starts a worker at once, and until the first reports
    // each batch's worth goes out as it arrives: workers boot and start while
    // the tasks after them are queued, which takes a while for a long list.
    if (
      this.#slots.length === 0 ||
      this.#avgMs === undefined && (this.#pending.length - this.#head) % FIRST_DEPTH === 0
    ) {
      this.#dispatch();
      return;
    }
    if (this.#scheduled) return;
    // Send what arrives in this turn of the event loop together: at the end
    // of this synchronous run of tasks when a worker is starving, else in the
    // next turn.
    this.#scheduled = true;
    const dispatch = () => {
      this.#scheduled = false;
      this.#dispatch();
    };
    if (this.#starving()) queueMicrotask(dispatch);
    else setTimeout(dispatch, 0);
  }

  #watch(signal: AbortSignal): void {
    this.#signal = signal;
    if (signal.aborted) this.#onAbort(signal.reason);
    else signal.addEventListener("abort", () => this.#onAbort(signal.reason), { once: true });
  }

  #starving(): boolean {
    if (this.#slots.length < internalsOf(this).options.numWorkers) return true;
    return this.#slots.some((slot) => slot.jobs.size === 0);
  }

  /** Tasks to keep in flight per worker, from how long tasks take. */
  #depth(): number {
    if (this.#avgMs === undefined) return FIRST_DEPTH;
    return Math.max(2, Math.min(MAX_IN_FLIGHT, Math.ceil(TARGET_QUEUE_MS / this.#avgMs)));
  }

  #dispatch(): void {
    const { numWorkers } = internalsOf(this).options;
    const depth = this.#depth();
    // One batch per worker per call: the tasks left are shared, not halved
    // again and again for the same worker.
    const served = new Set<Slot>();
    while (this.#head < this.#pending.length) {
      let best: Slot | undefined;
      for (const slot of this.#slots) {
        if (served.has(slot)) continue;
        if (!best || slot.jobs.size < best.jobs.size) best = slot;
      }
      const available = this.#pending.length - this.#head;
      const full = best === undefined || best.jobs.size > depth >> 1;
      // A new worker when every worker is full, or when all are busy and too
      // few tasks wait to fill a batch: a task goes to an idle thread first.
      const busy = !full && best!.jobs.size > 0 && available < depth - best!.jobs.size;
      let slot: Slot;
      if ((full || busy) && this.#slots.length < numWorkers) slot = this.#spawn();
      else if (full) break;
      else slot = best!;
      const want = depth - slot.jobs.size;
      if (available < want && slot.jobs.size * (this.#avgMs ?? 0) > LOW_QUEUE_MS) {
        // The worker has work for a while: wait for a fuller batch rather
        // than send a few tasks at a time (more come as results free slots).
        break;
      }
      // With few tasks left, share them between the workers.
      const share = available < want * numWorkers ? Math.ceil(available / numWorkers) : want;
      this.#send(slot, Math.min(want, share));
      served.add(slot);
    }
    if (this.#head === this.#pending.length) {
      this.#pending = [];
      this.#head = 0;
      if (!this.#stealing) this.#steal();
    } else if (this.#head > 4096 && this.#head * 2 > this.#pending.length) {
      this.#pending = this.#pending.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Sends up to `count` pending tasks to `slot`. */
  #send(slot: Slot, count: number): void {
    const end = Math.min(this.#head + Math.max(1, count), this.#pending.length);
    const jobs = this.#pending.slice(this.#head, end);
    this.#head = end;
    const keys = jobs.map((job) => job.result.key);
    const args = jobs.map((job) => job.result.arg);
    try {
      this.#post(slot, { type: "run", first: slot.sent, keys, args });
    } catch {
      // Some key or argument cannot be cloned: send them one at a time.
      for (const job of jobs) {
        try {
          this.#post(slot, {
            type: "run",
            first: slot.sent,
            keys: [job.result.key],
            args: [job.result.arg],
          });
        } catch (error) {
          recordError(job.result, error);
          job.result.timeStart = null;
          job.done();
          continue;
        }
        slot.jobs.set(slot.sent++, job);
      }
      this.#arm(slot);
      return;
    }
    for (const job of jobs) slot.jobs.set(slot.sent++, job);
    this.#arm(slot);
  }

  #post(slot: Slot, message: ToWorker): void {
    slot.worker.postMessage(message);
  }

  #spawn(): Slot {
    const options: WorkerOptions & { deno?: { permissions: Deno.PermissionOptions } } = {
      type: "module",
      name: `procrun-worker-${this.#slots.length}`,
    };
    if (this.#permissions !== undefined) options.deno = { permissions: this.#permissions };
    const worker = new Worker(new URL("./_worker.ts", import.meta.url), options);
    const sab = new SharedArrayBuffer(Ctrl.Size * Int32Array.BYTES_PER_ELEMENT);
    const slot: Slot = {
      worker,
      ctrl: new Int32Array(sab),
      sent: 0,
      jobs: new Map(),
      groups: new Map(),
      timer: undefined,
      dead: false,
      ready: false,
    };
    slot.ctrl[Ctrl.Current] = -1;
    worker.onmessage = (event: MessageEvent<FromWorker>) => this.#onMessage(slot, event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      const error = parseUncaught(event.message ?? "the worker crashed");
      if (slot.ready) {
        this.#onCrash(slot, error);
      } else {
        // It could not even load: another worker would fail the same way.
        error.message = `a procrun worker could not start: ${error.message}`;
        this.#failAll(error);
      }
    };
    worker.onmessageerror = () => {
      this.#onCrash(slot, new Error("a message from the worker could not be read"));
    };
    this.#post(slot, {
      type: "init",
      program: this.#program,
      ctrl: sab,
      base: this.#base,
      flushMs: internalsOf(this).options.timeoutMs > 0 ? FLUSH_MS_WITH_TIMEOUT : FLUSH_MS,
    });
    this.#slots.push(slot);
    return slot;
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    if (slot.dead) return;
    switch (message.type) {
      case "results":
        if (message.pairs) this.#reportPairs(slot, message.pairs);
        this.#report(slot, message.reports);
        this.#arm(slot);
        this.#dispatch();
        return;
      case "spawn":
        trackGroup(message.pgid);
        slot.groups.set(message.i, message.pgid);
        return;
      case "fatal":
        this.#report(slot, message.reports);
        if (message.init) {
          this.#failAll(errorFrom(message.error));
        } else {
          this.#onCrash(slot, errorFrom(message.error));
        }
        return;
      case "ready":
        slot.ready = true;
        return;
    }
  }

  #report(slot: Slot, reports: TaskReport[]): void {
    let total = 0;
    for (const report of reports) {
      const job = slot.jobs.get(report.i);
      if (!job) continue;
      slot.jobs.delete(report.i);
      const result = job.result;
      resultTimes.set(result, report.s, report.e);
      result.timeRun = (report.e - report.s) / 1000;
      total += report.e - report.s;
      if (report.error !== undefined) recordError(result, errorFrom(report.error));
      else if (report.outcome !== undefined) this.#recordCommand(slot, report, result);
      else recordReturn(result, report.value);
      job.done();
    }
    if (reports.length > 0) {
      const avg = Math.max(total / reports.length, 0.0001);
      this.#avgMs = this.#avgMs === undefined ? avg : 0.7 * this.#avgMs + 0.3 * avg;
    }
  }

  #reportPairs(slot: Slot, pairs: PairColumns): void {
    const { index, times, success, answers } = pairs;
    const n = index.length;
    for (let k = 0; k < n; k++) {
      const i = index[k]!;
      const job = slot.jobs.get(i);
      if (!job) continue;
      slot.jobs.delete(i);
      const result = job.result;
      const s = times[2 * k]!;
      const e = times[2 * k + 1]!;
      resultTimes.set(result, s, e);
      result.timeRun = (e - s) / 1000;
      result.success = success[k] === 1;
      result.answer = answers[k];
      job.done();
    }
    if (n > 0) {
      const avg = Math.max((times[2 * n - 1]! - times[0]!) / n, 0.0001);
      this.#avgMs = this.#avgMs === undefined ? avg : 0.7 * this.#avgMs + 0.3 * avg;
    }
  }

  #recordCommand(slot: Slot, report: TaskReport, result: ProcResult): void {
    const shape = report.outcome!;
    const outcome: CommandOutcome = {
      ...shape,
      cancelled: shape.cancelled === null
        ? undefined
        : new DOMException(shape.cancelled, "AbortError"),
      spawnError: shape.spawnError ? errorFrom(shape.spawnError) : null,
    };
    const { timeoutMs, killGraceMs } = internalsOf(this).options;
    recordOutcome(result, outcome, timeoutMs);
    const pgid = slot.groups.get(report.i);
    if (pgid === undefined) return;
    slot.groups.delete(report.i);
    if (shape.timedOut || shape.cancelled !== null) {
      // The worker kills what ignored SIGTERM after the grace period; do it
      // from here too, in case the worker is gone by then.
      this.#killLater(pgid, killGraceMs);
    } else {
      untrackGroup(pgid);
    }
  }

  #killLater(pgid: number, ms: number): void {
    const timer = setTimeout(() => {
      this.#graceTimers.delete(timer);
      killGroup(pgid, "SIGKILL");
      untrackGroup(pgid);
    }, ms);
    this.#graceTimers.add(timer);
  }

  /** Arms the timeout watchdog of `slot` while it has tasks (functions only). */
  #arm(slot: Slot, at?: number): void {
    const { timeoutMs } = internalsOf(this).options;
    if (timeoutMs === 0 || this.#program.kind !== "function" || slot.dead) return;
    if (slot.jobs.size === 0) {
      clearArmed(slot.timer);
      slot.timer = undefined;
      return;
    }
    if (slot.timer !== undefined && at === undefined) return;
    const wait = Math.max(0, (at ?? this.#now() + timeoutMs) - this.#now());
    clearArmed(slot.timer);
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      this.#check(slot);
    }, wait);
  }

  /** Milliseconds since the run's time base. */
  #now(): number {
    return performance.timeOrigin + performance.now() - this.#base;
  }

  #check(slot: Slot): void {
    if (slot.dead || slot.jobs.size === 0) return;
    const { timeoutMs } = internalsOf(this).options;
    const current = Atomics.load(slot.ctrl, Ctrl.Current);
    const start = Atomics.load(slot.ctrl, Ctrl.Start);
    const job = current >= 0 ? slot.jobs.get(current) : undefined;
    if (!job) {
      // Between two tasks: look again soon.
      this.#arm(slot, this.#now() + Math.min(timeoutMs, 20));
      return;
    }
    const deadline = start + timeoutMs;
    if (this.#now() < deadline) {
      this.#arm(slot, deadline);
      return;
    }
    slot.jobs.delete(current);
    const result = job.result;
    recordTimeout(result, timeoutMs);
    result.timeStart = new Date(this.#base + start);
    result.timeEnd = new Date();
    result.timeRun = (result.timeEnd.getTime() - result.timeStart.getTime()) / 1000;
    job.done();
    this.#abandoned++;
    this.#warnStuck();
    this.#requeue(this.#retire(slot));
    this.#dispatch();
  }

  #warnStuck(): void {
    if (warnedStuck) return;
    const [major, minor, patch] = Deno.version.deno.split(".").map(Number) as number[];
    const version = major! * 10000 + minor! * 100 + patch!;
    if (version < 20803 || version > 20906) return;
    warnedStuck = true;
    console.error(
      `procrun: a task timed out in a worker and its worker was terminated; if that task was ` +
        `stuck in a synchronous loop, Deno ${Deno.version.deno} cannot stop its thread and the ` +
        `process will not exit by itself: end the script with Deno.exit()`,
    );
  }

  /** The worker of `slot` is gone: its running task fails with `error`. */
  #onCrash(slot: Slot, error: Error): void {
    if (slot.dead) return;
    const current = Atomics.load(slot.ctrl, Ctrl.Current);
    const job = slot.jobs.get(current);
    if (job) {
      slot.jobs.delete(current);
      const start = Atomics.load(slot.ctrl, Ctrl.Start);
      recordError(job.result, error);
      job.result.timeStart = new Date(this.#base + start);
      job.result.timeEnd = new Date();
      job.result.timeRun = (job.result.timeEnd.getTime() - job.result.timeStart.getTime()) /
        1000;
      job.done();
    }
    this.#requeue(this.#retire(slot));
    this.#dispatch();
  }

  /**
   * Terminates the worker of `slot` and returns the tasks it had not
   * reported: those it had not started, and those whose reports it had not
   * sent yet.
   */
  #retire(slot: Slot): Job[] {
    if (slot.dead) return [];
    slot.dead = true;
    clearArmed(slot.timer);
    slot.worker.terminate();
    // Stop it from starting anything else, in case its thread still runs.
    Atomics.store(slot.ctrl, Ctrl.Next, 0x7fffffff);
    this.#slots = this.#slots.filter((s) => s !== slot);
    for (const pgid of slot.groups.values()) {
      killGroup(pgid, "SIGTERM");
      this.#killLater(pgid, internalsOf(this).options.killGraceMs);
    }
    slot.groups.clear();
    const jobs = [...slot.jobs.values()];
    slot.jobs.clear();
    return jobs;
  }

  /** Puts tasks back at the front of the queue, to run on another worker. */
  #requeue(jobs: Job[]): void {
    if (this.#cancelled) {
      this.#cancelAll(jobs, true);
      return;
    }
    this.#pending = [...jobs, ...this.#pending.slice(this.#head)];
    this.#head = 0;
  }

  #cancelAll(jobs: Job[], started: boolean): void {
    const reason = this.#signal?.aborted
      ? this.#signal.reason
      : new DOMException("the run ended before the task", "AbortError");
    for (const job of jobs) this.#cancel(job, reason, started);
  }

  /**
   * Takes back the tasks a busy worker has not started, when another is
   * idle: when they are worth more than a few ms by the average, or when the
   * task in front of them has run for a while (the average was wrong).
   */
  #steal(): void {
    clearArmed(this.#stealTimer);
    this.#stealTimer = undefined;
    if (this.#cancelled || !this.#slots.some((slot) => slot.jobs.size === 0)) return;
    const avg = this.#avgMs ?? 0;
    const now = this.#now();
    let victim: Slot | undefined;
    let most = 0;
    let recheck = Infinity;
    for (const slot of this.#slots) {
      const unstarted = slot.sent - Atomics.load(slot.ctrl, Ctrl.Next);
      if (unstarted <= 0) continue;
      if (slot.jobs.size <= unstarted) {
        // A worker holding only unstarted tasks is about to start them: taking
        // them back could hand them to this same idle slot. Look again soon.
        recheck = Math.min(recheck, STEAL_MS);
        continue;
      }
      const current = Atomics.load(slot.ctrl, Ctrl.Current);
      const ran = current >= 0 ? now - Atomics.load(slot.ctrl, Ctrl.Start) : 0;
      if (unstarted * avg >= STEAL_MS || ran >= STEAL_MS) {
        if (unstarted > most) [victim, most] = [slot, unstarted];
      } else {
        recheck = Math.min(recheck, STEAL_MS - ran);
      }
    }
    if (!victim) {
      if (recheck < Infinity) {
        this.#stealTimer = setTimeout(() => {
          this.#stealTimer = undefined;
          if (this.#head === this.#pending.length) this.#steal();
        }, Math.max(1, recheck));
      }
      return;
    }
    const taken = this.#takeBack(victim);
    if (taken.length === 0) return;
    this.#pending = taken;
    this.#head = 0;
    // One steal per call: the dispatch below must not steal again, or two
    // slots could pass the same tasks back and forth without end.
    this.#stealing = true;
    try {
      this.#dispatch();
    } finally {
      this.#stealing = false;
    }
  }

  /** Atomically takes back the tasks `slot` has not started. */
  #takeBack(slot: Slot): Job[] {
    while (true) {
      const next = Atomics.load(slot.ctrl, Ctrl.Next);
      if (next >= slot.sent) return [];
      if (Atomics.compareExchange(slot.ctrl, Ctrl.Next, next, slot.sent) !== next) continue;
      const taken: Job[] = [];
      for (let i = next; i < slot.sent; i++) {
        const job = slot.jobs.get(i);
        if (job) {
          slot.jobs.delete(i);
          taken.push(job);
        }
      }
      return taken;
    }
  }

  #cancel(job: Job, reason: unknown, started: boolean): void {
    recordCancel(job.result, reason, started);
    if (!started) job.result.timeStart = null;
    job.done();
  }

  /** The task module cannot be loaded: every task fails with `error`, none runs. */
  #failAll(error: Error): void {
    this.#broken = error;
    const jobs = this.#pending.slice(this.#head);
    this.#pending = [];
    this.#head = 0;
    for (const slot of [...this.#slots]) jobs.push(...this.#retire(slot));
    for (const job of jobs) {
      recordError(job.result, error);
      job.result.timeStart = null;
      job.done();
    }
  }

  #onAbort(reason: unknown): void {
    this.#cancelled = true;
    const jobs = this.#pending.slice(this.#head);
    this.#pending = [];
    this.#head = 0;
    for (const job of jobs) this.#cancel(job, reason, false);
    for (const slot of [...this.#slots]) {
      for (const job of this.#takeBack(slot)) this.#cancel(job, reason, false);
      if (this.#program.kind === "command") {
        // The worker kills each command's group and reports what it printed.
        this.#post(slot, { type: "abort", reason: describe(reason) });
        const grace = internalsOf(this).options.killGraceMs + 2000;
        const timer = setTimeout(() => {
          this.#abortTimers.delete(timer);
          this.#cancelAll(this.#retire(slot), true);
        }, grace);
        this.#abortTimers.add(timer);
      } else {
        this.#cancelAll(this.#retire(slot), true);
      }
    }
  }
}

function describe(reason: unknown): string {
  if (reason instanceof Error || reason instanceof DOMException) return reason.message;
  return String(reason);
}
