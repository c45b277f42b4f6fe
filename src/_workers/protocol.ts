/**
 * Both sides of the wire between the workers engine (engine.ts, slot.ts) and
 * its workers (worker.ts): the messages, the layout of the shared control
 * block each worker has, and the encoding of what crosses (errors, command
 * templates and outcomes).
 *
 * Every task sent to a worker gets an index, counted per worker from 0. The
 * worker runs its tasks one at a time, in index order, and claims each one
 * before starting it with a compare-and-swap on `Ctrl.Next`; the main thread
 * takes back tasks that have not started the same way (work stealing), so a
 * task never runs twice and never waits behind a long task while another
 * worker is idle.
 *
 * @module
 */

import type { CommandOutcome, CommandTemplate } from "../_process/run_command.ts";

/** Words of the control block, an `Int32Array` over a `SharedArrayBuffer`. */
export const Ctrl = {
  /** The index of the next task to start; the claim word. */
  Next: 0,
  /** The index of the running task, or -1 between tasks. */
  Current: 1,
  /** When the running task started, in ms after the run's time base. */
  Start: 2,
  /**
   * In a worker process, the lock on its standard output (0 free, 1 held),
   * which the worker thread and the process's main thread both write frames to.
   */
  Lock: 3,
  /** Size of the block, in words (16 bytes). */
  Size: 4,
} as const;

/**
 * Takes back the tasks of a worker that it has not claimed, up to index
 * `sent` (work stealing): moves the claim word past them with a
 * compare-and-swap, so the worker can never start them. Returns the first
 * index taken back (`sent` when none was left).
 */
export function reclaim(ctrl: Int32Array, sent: number): number {
  while (true) {
    const next = Atomics.load(ctrl, Ctrl.Next);
    if (next >= sent) return sent;
    if (Atomics.compareExchange(ctrl, Ctrl.Next, next, sent) === next) return next;
  }
}

/** A `URL` cannot be cloned to a worker: it crosses as its href. */
type Wired<T> = T extends URL ? { href: string } : T;

/** A {@linkcode CommandTemplate} in a form that crosses the thread boundary. */
export type WireTemplate = { [K in keyof CommandTemplate]: Wired<CommandTemplate[K]> };

/** What the workers run, in a form that crosses the thread boundary. */
export type WorkerProgram =
  | { kind: "function"; moduleUrl: string; exportName: string; args: unknown[] }
  | { kind: "command"; template: WireTemplate };

function wire<T>(value: T | URL): Wired<T> | { href: string } {
  return value instanceof URL ? { href: value.href } : value as Wired<T>;
}

function unwire<T>(value: T | { href: string }): T | URL {
  return value !== null && typeof value === "object" && "href" in value
    ? new URL(value.href)
    : value as T;
}

/** A command template as it crosses to a worker. */
export function toWireTemplate(template: CommandTemplate): WireTemplate {
  return { ...template, command: wire(template.command), cwd: wire(template.cwd) } as WireTemplate;
}

/** A command template as a worker receives it. */
export function fromWireTemplate(template: WireTemplate): CommandTemplate {
  return {
    ...template,
    command: unwire(template.command) as string | URL,
    cwd: unwire(template.cwd) as string | URL | undefined,
  };
}

/** Main to worker: what to run, sent once, first. */
export interface InitMessage {
  type: "init";
  program: WorkerProgram;
  /** The control block. */
  ctrl: SharedArrayBuffer;
  /** The run's time base, as epoch milliseconds. */
  base: number;
  /** Send results at least this often (ms) while tasks keep coming. */
  flushMs: number;
  /**
   * In a worker process: write reports as frames to the process's standard
   * output (frames.ts), with a frame before each task starts, instead of
   * posting them to the thread that started the worker.
   */
  pipe?: boolean;
}

/** Main to worker: tasks with indices `first`, `first + 1`, ... */
export interface RunMessage {
  type: "run";
  first: number;
  keys: unknown[];
  args: unknown[];
}

/** Main to worker: the run was cancelled; abort the running task's signal with `reason`. */
export interface AbortMessage {
  type: "abort";
  reason: ErrorShape;
}

/**
 * A worker process's main thread to its worker: a message still in V8's
 * serialisation (frames.ts), as it came (a run message, read only there).
 */
export interface FrameMessage {
  type: "frame";
  bytes: Uint8Array;
}

/** Any message to a worker. */
export type ToWorker = InitMessage | RunMessage | AbortMessage | FrameMessage;

/**
 * Main to a worker process (process_host.ts): what to run, sent once, first.
 * The process starts its worker thread with it (and a control block of its
 * own), and times out its function tasks itself.
 */
export interface ProcessInit extends Omit<InitMessage, "ctrl" | "pipe"> {
  /** The task timeout, 0 for none. */
  timeoutMs: number;
  killGraceMs: number;
}

/** Main to a worker process: take back the tasks not started and say which ({@linkcode StolenMessage}). */
export interface StealMessage {
  type: "steal";
}

/** Any message to a worker process. */
export type ToProcess = ProcessInit | RunMessage | AbortMessage | StealMessage;

/** A worker process to main: the tasks with indices `from` to `to - 1` were taken back, unstarted. */
export interface StolenMessage {
  type: "stolen";
  from: number;
  to: number;
}

/** A worker process to main: task `i` ran past the timeout (`start` in ms after the base). */
export interface TimeoutMessage {
  type: "timeout";
  i: number;
  start: number;
}

/**
 * A worker process to main: its worker thread failed, before it was ready
 * (it could not start: any other would fail the same way) or after.
 */
export interface CrashMessage {
  type: "crash";
  error: ErrorShape;
  ready: boolean;
}

/** An error in a form that crosses the thread boundary. */
export interface ErrorShape {
  name: string;
  message: string;
}

/** The command's outcome, as `runCommand` reported it, in a form that crosses threads. */
export interface OutcomeShape extends Omit<CommandOutcome, "spawnError"> {
  spawnError: ErrorShape | null;
}

/**
 * One finished task. Exactly one of `value` (what a function returned),
 * `error` (what it threw) and `outcome` (a command's) is set.
 */
export interface TaskReport {
  /** The task's index. */
  i: number;
  /** Start, epoch ms. */
  s: number;
  /** End, epoch ms. */
  e: number;
  value?: unknown;
  error?: ErrorShape;
  outcome?: OutcomeShape;
}

/** Worker to main: the module is loaded; tasks can start. */
export interface ReadyMessage {
  type: "ready";
}

/** Worker to main: finished tasks, in the order they ran. */
export interface ResultsMessage {
  type: "results";
  reports: TaskReport[];
  /** Functions that returned a `[success, answer]` pair, in columns (cheaper to copy). */
  pairs?: PairColumns;
}

/** Finished function tasks that returned `[success, answer]`: task `k` is column `k`. */
export interface PairColumns {
  /** Task indices. */
  index: Int32Array;
  /** Start and end of each task, epoch ms: `times[2k]`, `times[2k + 1]`. */
  times: Float64Array;
  /** 1 for success, 0 for failure. */
  success: Uint8Array;
  answers: unknown[];
}

/** Worker to main: a command was spawned in its own process group. */
export interface SpawnMessage {
  type: "spawn";
  i: number;
  pgid: number;
}

/**
 * Worker to main: the worker cannot go on (its module failed to load, or a
 * task called `self.close()` or `Deno.exit()`). Reports not yet sent come
 * with it; the running task, if any, fails with `error`.
 */
export interface FatalMessage {
  type: "fatal";
  reports: TaskReport[];
  error: ErrorShape;
  /** True when the module could not be loaded: every task would fail the same way. */
  init: boolean;
}

/** Any message from a worker. */
export type FromWorker = ReadyMessage | ResultsMessage | SpawnMessage | FatalMessage;

/** Any message from a worker process: its worker's, and its own. */
export type FromProcess = FromWorker | StolenMessage | TimeoutMessage | CrashMessage;

/** An error (or any thrown value) in a form that crosses the thread boundary. */
export function errorShape(error: unknown): ErrorShape {
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

/** An error rebuilt from its shape, with the same name and message. */
export function errorFrom(shape: ErrorShape): Error {
  const error = new Error(shape.message);
  error.name = shape.name;
  return error;
}

/** Reads Deno's own message of a worker's uncaught error: "Uncaught (in promise) RangeError: boom". */
export function parseUncaught(message: string): Error {
  const match = /^Uncaught (?:\(in promise\) )?(\w+): ([\s\S]*)$/.exec(message);
  return match ? errorFrom({ name: match[1]!, message: match[2]! }) : new Error(message);
}

/** A command's outcome as it crosses from a worker. */
export function encodeOutcome(outcome: CommandOutcome): OutcomeShape {
  return {
    ...outcome,
    spawnError: outcome.spawnError ? errorShape(outcome.spawnError) : null,
  };
}

/** A command's outcome as the engine receives it. */
export function decodeOutcome(shape: OutcomeShape): CommandOutcome {
  return { ...shape, spawnError: shape.spawnError ? errorFrom(shape.spawnError) : null };
}
