/**
 * The entry of a worker process (`ProcRunWorkers`' `isolation: "process"`),
 * started by process_transport.ts as `deno run ... process_host.ts`. It reads
 * the worker protocol's frames from standard input and runs the tasks on a
 * worker thread of its own (worker.ts, writing its reports and a frame before
 * each task straight to standard output), while this thread, which never runs
 * task code, holds the control block: it times out a function task that runs
 * too long (the main process then kills this process, stuck thread and all)
 * and takes back tasks not started. If standard input ends, the main process
 * is gone: the running commands are stopped and this process exits.
 *
 * Only relative imports here: the process may run without the import map of
 * procrun's deno.json.
 *
 * @module
 */
import { epochNow } from "../_util.ts";
import { FrameReader, messageFrame, writeLocked } from "./frames.ts";
import {
  errorShape,
  type FromProcess,
  type ProcessInit,
  type ToProcess,
  type WorkerProgram,
} from "./protocol.ts";
import { ThreadTransport } from "./thread_transport.ts";
import { Watchdog } from "./watchdog.ts";

/** How often (ms) to look again at a worker whose task was reported timed out. */
const RECHECK_MS = 20;
/** After its commands are told to stop, how long past their kill grace to wait before exiting. */
const EXIT_MARGIN_MS = 500;

let worker: ThreadTransport | undefined;
let program: WorkerProgram | undefined;
let killGraceMs = 0;
/** Tasks received: the index the next one gets. */
let sent = 0;
/** The task reported timed out, not to be reported again. */
let expired = -1;
let watchdog: Watchdog | undefined;
/** A lock word for writes before the worker (and its control block) exists. */
const early = new Int32Array(new SharedArrayBuffer(16));

/** The longest error message a worker process sends, so that its frames stay small. */
const MESSAGE_LIMIT = 2000;

function send(message: FromProcess): void {
  if (message.type === "crash") {
    message.error.message = message.error.message.slice(0, MESSAGE_LIMIT);
  }
  writeLocked(worker?.ctrl ?? early, messageFrame(message));
}

function start(init: ProcessInit): void {
  const { program: what, base, flushMs, timeoutMs } = init;
  program = what;
  killGraceMs = init.killGraceMs;
  const thread = new ThreadTransport(
    "procrun-worker",
    {
      program: what,
      base,
      flushMs,
      pipe: true,
    },
    undefined,
    {
      // The worker writes its messages to standard output itself.
      message: () => {},
      crash: (error) => send({ type: "crash", error: errorShape(error), ready: true }),
      failedToStart: (error) => send({ type: "crash", error: errorShape(error), ready: false }),
    },
  );
  worker = thread;
  if (what.kind !== "function" || timeoutMs <= 0) return;
  const clock = () => epochNow() - base;
  const dog = new Watchdog(timeoutMs, clock, {
    busy: () => thread.current() >= 0 || thread.next() < sent,
    running: () => {
      const index = thread.current();
      return index >= 0 && index !== expired ? { index, start: thread.startedAt() } : undefined;
    },
  }, (index, at) => {
    expired = index;
    send({ type: "timeout", i: index, start: at });
    // The main process kills this process now, unless the task had just ended.
    dog.arm(clock() + RECHECK_MS);
  });
  watchdog = dog;
}

/** Tasks `first` to `first + count - 1`, still serialised: for the worker thread. */
function onRun(first: number, count: number, bytes: Uint8Array): void {
  if (!worker) return;
  sent = first + count;
  worker.postFrame(bytes);
  watchdog?.arm();
}

function onMessage(message: ToProcess): void {
  if (message.type === "init") return start(message);
  if (!worker) return;
  if (message.type === "steal") {
    send({ type: "stolen", from: worker.takeBack(sent), to: sent });
  } else {
    worker.post(message);
  }
}

/** The main process is gone: stop the running commands (TERM, then KILL) and exit. */
async function orphaned(): Promise<never> {
  if (worker && program?.kind === "command") {
    worker.takeBack(sent);
    worker.post({
      type: "abort",
      reason: { name: "AbortError", message: "the procrun main process is gone" },
    });
    await new Promise((resolve) => setTimeout(resolve, killGraceMs + EXIT_MARGIN_MS));
  }
  Deno.exit(0);
}

if (import.meta.main) {
  const frames = new FrameReader({
    message: (message) => onMessage(message as ToProcess),
    start: () => {},
    raw: onRun,
  });
  try {
    for await (const chunk of Deno.stdin.readable) frames.push(chunk);
  } catch {
    // Standard input is gone with the main process.
  }
  await orphaned();
}
