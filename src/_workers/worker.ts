/**
 * The worker side of `ProcRunWorkers`: loads the task function's module (or
 * runs commands), runs its tasks one at a time in index order, and posts
 * their reports in batches. Everything a task does wrong becomes a report:
 * a throw or rejection, an error thrown from a timer while the task runs, an
 * answer that cannot be cloned, and a call to `self.close()` or `Deno.exit()`.
 *
 * The message shapes are in protocol.ts.
 *
 * @module
 */
import type { CommandTemplate } from "../_process/run_command.ts";
import type { TaskFunction } from "../types.ts";
import { epochNow, isTaskReturn, isThenable } from "../_util.ts";
import {
  Ctrl,
  encodeOutcome,
  errorFrom,
  type ErrorShape,
  errorShape,
  fromWireTemplate,
  type FromWorker,
  type InitMessage,
  type RunMessage,
  type TaskReport,
  type ToWorker,
} from "./protocol.ts";

interface Scope {
  postMessage(message: unknown): void;
  close(): void;
}

const scope = globalThis as unknown as Scope;
// Taken before any task code runs, so that tasks cannot replace them.
const postToParent = scope.postMessage.bind(scope) as (message: FromWorker) => void;
/** Where messages go: the thread that started this worker, or (pipe) the process's stdout. */
let post = postToParent;
/** In a worker process, writes the frame that says task `i` starts (before it runs). */
let announce: ((i: number, start: number) => void) | undefined;
const realClose = scope.close.bind(scope);
const realExit = Deno.exit;

let command: CommandTemplate | undefined;
/**
 * The command path, loaded by init() for a program of commands only: a worker
 * of functions starts without its modules.
 */
let commands: typeof import("../_process/run_command.ts") | undefined;
let fn: TaskFunction | undefined;
let fnArgs: unknown[] = [];
let ctrl: Int32Array;
let base = 0;
let flushMs = 1;
let ready = false;
let draining = false;
let lastFlush = 0;
let out: TaskReport[] = [];
// Tasks that returned a [success, answer] pair, in columns until sent.
let pairIndex: number[] = [];
let pairTimes: number[] = [];
let pairSuccess: number[] = [];
let pairAnswers: unknown[] = [];
const queue: (RunMessage & { pos: number })[] = [];
const controller = new AbortController();
/** Rejects the running asynchronous task, when something crashes under it. */
let crash: ((error: unknown) => void) | undefined;

const now = epochNow;
const shape = errorShape;

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

/** The pairs not sent yet, as reports. */
function pairReports(): TaskReport[] {
  return pairIndex.map((i, k) => ({
    i,
    s: pairTimes[2 * k]!,
    e: pairTimes[2 * k + 1]!,
    value: [pairSuccess[k] === 1, pairAnswers[k]],
  }));
}

function takePairs(): void {
  pairIndex = [];
  pairTimes = [];
  pairSuccess = [];
  pairAnswers = [];
}

function flush(at: number): void {
  lastFlush = at;
  if (out.length === 0 && pairIndex.length === 0) return;
  const reports = out;
  out = [];
  if (pairIndex.length === 0) {
    send(reports);
    return;
  }
  try {
    post({
      type: "results",
      reports,
      pairs: {
        index: Int32Array.from(pairIndex),
        times: Float64Array.from(pairTimes),
        success: Uint8Array.from(pairSuccess),
        answers: pairAnswers,
      },
    });
  } catch {
    // Some answer cannot be cloned: send them one by one to find it.
    send([...reports, ...pairReports()]);
  }
  takePairs();
}

/** Tells the main thread that this worker is gone, with what it had not sent yet. */
function leave(error: ErrorShape, init: boolean): void {
  const reports = [...out, ...pairReports()];
  out = [];
  takePairs();
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

function settle(value: PromiseLike<unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    crash = reject;
    value.then(resolve, reject);
  }).finally(() => crash = undefined);
}

async function runOne(i: number, arg: unknown, s: number): Promise<TaskReport> {
  const spec = commands!.commandSpec(
    command!,
    arg,
    controller.signal,
    (pgid) => post({ type: "spawn", i, pgid }),
  );
  // Awaited first: in the literal, `e: now()` would be read before the await.
  const outcome = encodeOutcome(await commands!.runCommand(spec));
  return { i, s, e: now(), outcome };
}

/** Takes the next task off the queue and claims it, or returns -1 when none is left. */
function claim(): number {
  while (queue.length > 0) {
    const batch = queue[0]!;
    if (batch.pos >= batch.keys.length) {
      queue.shift();
      continue;
    }
    const i = batch.first + batch.pos++;
    // The main thread may have taken the task back (work stealing).
    if (Atomics.compareExchange(ctrl, Ctrl.Next, i, i + 1) === i) return i;
  }
  return -1;
}

function started(i: number): number {
  const s = now();
  const start = Math.floor(s - base);
  announce?.(i, start);
  Atomics.store(ctrl, Ctrl.Start, start);
  Atomics.store(ctrl, Ctrl.Current, i);
  return s;
}

/**
 * In a worker process, messages go to standard output as frames, and a frame
 * goes out before each task starts: whatever kills the process, its main
 * process knows which task was running.
 */
async function usePipe(): Promise<void> {
  const frames = await import("./frames.ts");
  post = (message) => frames.writeLocked(ctrl, frames.messageFrame(message));
  const frame = frames.startFrame();
  const view = new DataView(frame.buffer);
  announce = (i, start) => {
    frames.fillStartFrame(view, i, start);
    frames.writeSmall(frame);
  };
  decode = frames.decode;
  for (const bytes of undecoded.splice(0)) handle(decode(bytes) as ToWorker);
}

/** Reads a frame's message, in a worker process (frames.ts, loaded then). */
let decode: ((bytes: Uint8Array) => unknown) | undefined;
/** Frames that came before `decode` was loaded. */
const undecoded: Uint8Array[] = [];

function finished(report: TaskReport, always: boolean): void {
  Atomics.store(ctrl, Ctrl.Current, -1);
  out.push(report);
  if (always || report.e - lastFlush >= flushMs) flush(report.e);
}

interface Waiting {
  i: number;
  s: number;
  value: PromiseLike<unknown>;
}

/**
 * Runs the queued function tasks back to back in one synchronous loop, until
 * the queue is empty or a task returns a promise. Calling a function in a
 * tight loop, rather than once per turn of the event loop, keeps V8 from
 * settling on slower code for it.
 */
function runSync(): Waiting | undefined {
  const call = fn!;
  for (let i = claim(); i >= 0; i = claim()) {
    const batch = queue[0]!;
    const pos = i - batch.first;
    const s = started(i);
    let report: TaskReport;
    try {
      const value = call(batch.keys[pos], [...fnArgs, batch.args[pos]], controller.signal);
      if (isTaskReturn(value)) {
        const e = now();
        Atomics.store(ctrl, Ctrl.Current, -1);
        pairIndex.push(i);
        pairTimes.push(s, e);
        pairSuccess.push(value[0] ? 1 : 0);
        pairAnswers.push(value[1]);
        if (e - lastFlush >= flushMs) flush(e);
        continue;
      }
      if (isThenable(value)) return { i, s, value };
      report = { i, s, e: now(), value };
    } catch (error) {
      report = { i, s, e: now(), error: shape(error) };
    }
    finished(report, false);
  }
  return undefined;
}

/** Runs the queued tasks one at a time, in order. */
async function drain(): Promise<void> {
  draining = true;
  try {
    if (command) {
      for (let i = claim(); i >= 0; i = claim()) {
        const batch = queue[0]!;
        finished(await runOne(i, batch.args[i - batch.first], started(i)), true);
      }
      return;
    }
    for (let waiting = runSync(); waiting; waiting = runSync()) {
      const { i, s } = waiting;
      let report: TaskReport;
      try {
        report = { i, s, e: 0, value: await settle(waiting.value) };
      } catch (error) {
        report = { i, s, e: 0, error: shape(error) };
      }
      report.e = now();
      finished(report, false);
    }
  } finally {
    draining = false;
    flush(now());
  }
}

async function init(message: InitMessage): Promise<void> {
  const program = message.program;
  ctrl = new Int32Array(message.ctrl);
  base = message.base;
  flushMs = message.flushMs;
  if (message.pipe) await usePipe();
  if (program.kind === "command") {
    commands = await import("../_process/run_command.ts");
    command = fromWireTemplate(program.template);
  } else {
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
  // The process's main thread tells a crash from a failure to start by it.
  if (message.pipe) postToParent({ type: "ready" });
  if (queue.length > 0 && !draining) drain();
}

function handle(message: ToWorker): void {
  if (message.type === "run") {
    queue.push({ ...message, pos: 0 });
    if (ready && !draining) drain();
  } else if (message.type === "init") {
    init(message);
  } else if (message.type === "abort") {
    controller.abort(errorFrom(message.reason));
  } else if (decode) {
    handle(decode(message.bytes) as ToWorker);
  } else {
    undecoded.push(message.bytes);
  }
}

globalThis.addEventListener("message", (event) => handle((event as MessageEvent<ToWorker>).data));
