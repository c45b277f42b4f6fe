/**
 * The worker side of `ProcRunWorkers`: loads the task function's module (or
 * runs commands), runs its tasks one at a time in index order, and posts
 * their reports in batches. Everything a task does wrong becomes a report:
 * a throw or rejection, an error thrown from a timer while the task runs, an
 * answer that cannot be cloned, and a call to `self.close()` or `Deno.exit()`.
 *
 * The message shapes are in `_worker_types.ts`.
 *
 * @module
 */
import { commandArgs } from "./_command_args.ts";
import { runCommand } from "./_process.ts";
import {
  Ctrl,
  type ErrorShape,
  type FromWorker,
  type InitMessage,
  type OutcomeShape,
  type RunMessage,
  type TaskReport,
  type ToWorker,
  type WorkerProgram,
} from "./_worker_types.ts";
import type { TaskFunction } from "./types.ts";

interface Scope {
  postMessage(message: unknown): void;
  close(): void;
}

const scope = globalThis as unknown as Scope;
// Taken before any task code runs, so that tasks cannot replace them.
const post = scope.postMessage.bind(scope) as (message: FromWorker) => void;
const realClose = scope.close.bind(scope);
const realExit = Deno.exit;

let program: WorkerProgram | undefined;
let fn: TaskFunction | undefined;
let fnArgs: unknown[] = [];
let ctrl: Int32Array;
let base = 0;
let flushMs = 1;
let ready = false;
let draining = false;
let lastFlush = 0;
let out: TaskReport[] = [];
const queue: (RunMessage & { pos: number })[] = [];
const controller = new AbortController();
/** Rejects the running asynchronous task, when something crashes under it. */
let crash: ((error: unknown) => void) | undefined;

function now(): number {
  return performance.timeOrigin + performance.now();
}

function shape(error: unknown): ErrorShape {
  try {
    if (error !== null && typeof error === "object" && "message" in error) {
      const name = (error as { name?: unknown }).name;
      return {
        name: typeof name === "string" ? name : "Error",
        message: String((error as { message: unknown }).message),
      };
    }
    return { name: "Error", message: String(error) };
  } catch {
    return { name: "Error", message: "(an error that cannot be described)" };
  }
}

/** Posts reports; an answer that cannot be cloned becomes an error report. */
function send(reports: TaskReport[]): void {
  try {
    post({ type: "results", reports });
    return;
  } catch {
    // Find the reports that cannot be cloned, one at a time.
  }
  for (const report of reports) {
    try {
      post({ type: "results", reports: [report] });
    } catch (error) {
      post({
        type: "results",
        reports: [{ i: report.i, s: report.s, e: report.e, error: shape(error) }],
      });
    }
  }
}

function flush(at: number): void {
  lastFlush = at;
  if (out.length === 0) return;
  const reports = out;
  out = [];
  send(reports);
}

/** Tells the main thread that this worker is gone, with what it had not sent yet. */
function leave(error: ErrorShape, init: boolean): void {
  const reports = out;
  out = [];
  try {
    post({ type: "fatal", reports, error, init });
  } catch {
    send(reports);
    post({ type: "fatal", reports: [], error, init });
  }
}

// A task that ends its worker must still get a result.
(globalThis as unknown as { close: () => void }).close = () => {
  leave({ name: "WorkerExit", message: "the task's worker was closed by self.close()" }, false);
  realClose();
};
(Deno as { exit: (code?: number) => never }).exit = (code?: number): never => {
  leave({
    name: "WorkerExit",
    message: `the task's worker was ended by Deno.exit(${code ?? ""})`,
  }, false);
  return realExit(code);
};

// An error thrown from a timer or an unhandled rejection fails the running
// task instead of killing the worker.
function onCrash(error: unknown): void {
  if (crash) crash(error);
  else console.error("procrun: uncaught error in a worker, outside any task:", error);
}
globalThis.addEventListener("error", (event) => {
  event.preventDefault();
  onCrash(event.error ?? new Error(event.message));
});
globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  onCrash(event.reason);
});

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function";
}

function settle(value: PromiseLike<unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    crash = reject;
    value.then(resolve, reject);
  }).finally(() => crash = undefined);
}

function outcomeShape(outcome: Awaited<ReturnType<typeof runCommand>>): OutcomeShape {
  return {
    code: outcome.code,
    signal: outcome.signal,
    stdout: outcome.stdout,
    stderr: outcome.stderr,
    stdoutTruncated: outcome.stdoutTruncated,
    stderrTruncated: outcome.stderrTruncated,
    timedOut: outcome.timedOut,
    cancelled: outcome.cancelled === undefined ? null : shape(outcome.cancelled).message,
    spawnError: outcome.spawnError ? shape(outcome.spawnError) : null,
  };
}

async function runOne(i: number, key: unknown, arg: unknown, s: number): Promise<TaskReport> {
  const p = program!;
  if (p.kind === "command") {
    const outcome = await runCommand({
      command: p.commandIsUrl ? new URL(p.command) : p.command,
      args: commandArgs(p.args, arg, p.placeholder),
      cwd: p.cwd === undefined ? undefined : p.cwdIsUrl ? new URL(p.cwd) : p.cwd,
      env: p.env,
      stdin: p.stdin,
      maxOutputBytes: p.maxOutputBytes,
      timeoutMs: p.timeoutMs,
      killGraceMs: p.killGraceMs,
      signal: controller.signal,
      onSpawn: (pgid) => post({ type: "spawn", i, pgid }),
    });
    return { i, s, e: now(), outcome: outcomeShape(outcome) };
  }
  try {
    let value = fn!(key, [...fnArgs, arg], controller.signal);
    if (isThenable(value)) value = await settle(value) as typeof value;
    return { i, s, e: now(), value };
  } catch (error) {
    return { i, s, e: now(), error: shape(error) };
  }
}

/**
 * Runs the queued tasks one at a time. Synchronous functions run back to
 * back in one tight loop, without returning to the event loop.
 */
async function drain(): Promise<void> {
  draining = true;
  const command = program!.kind === "command";
  try {
    while (queue.length > 0) {
      const batch = queue[0]!;
      if (batch.pos >= batch.keys.length) {
        queue.shift();
        continue;
      }
      const pos = batch.pos++;
      const i = batch.first + pos;
      // Claim the task; the main thread may have taken it back.
      if (Atomics.compareExchange(ctrl, Ctrl.Next, i, i + 1) !== i) continue;
      const s = now();
      Atomics.store(ctrl, Ctrl.Start, Math.floor(s - base));
      Atomics.store(ctrl, Ctrl.Current, i);
      let report: TaskReport;
      if (command) {
        report = await runOne(i, batch.keys[pos], batch.args[pos], s);
      } else {
        // Inline the synchronous path: no promise per task.
        try {
          const value = fn!(batch.keys[pos], [...fnArgs, batch.args[pos]], controller.signal);
          report = isThenable(value)
            ? { i, s, e: 0, value: await settle(value) }
            : { i, s, e: 0, value };
        } catch (error) {
          report = { i, s, e: 0, error: shape(error) };
        }
        report.e = now();
      }
      Atomics.store(ctrl, Ctrl.Current, -1);
      out.push(report);
      if (command || report.e - lastFlush >= flushMs) flush(report.e);
    }
  } finally {
    draining = false;
    flush(now());
  }
}

async function init(message: InitMessage): Promise<void> {
  program = message.program;
  ctrl = new Int32Array(message.ctrl);
  base = message.base;
  flushMs = message.flushMs;
  if (program.kind === "function") {
    fnArgs = program.args;
    try {
      const module = await import(program.moduleUrl);
      const target = module[program.exportName];
      if (typeof target !== "function") {
        throw new TypeError(
          `${program.moduleUrl} has no exported function '${program.exportName}'`,
        );
      }
      fn = target as TaskFunction;
    } catch (error) {
      leave(shape(error), true);
      return;
    }
  }
  ready = true;
  post({ type: "ready" });
  if (queue.length > 0 && !draining) drain();
}

globalThis.addEventListener("message", (event) => {
  const message = (event as MessageEvent<ToWorker>).data;
  if (message.type === "run") {
    queue.push({ ...message, pos: 0 });
    if (ready && !draining) drain();
  } else if (message.type === "init") {
    init(message);
  } else if (message.type === "abort") {
    controller.abort(new DOMException(message.reason, "AbortError"));
  }
});
