/**
 * The messages between `ProcRunWorkers` and its workers (src/_worker.ts), and
 * the layout of the shared control block each worker has.
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

import type { CommandOutcome } from "./_process.ts";

/** Slots of the control block, an `Int32Array` over a `SharedArrayBuffer`. */
export const Ctrl = {
  /** The index of the next task to start; the claim word. */
  Next: 0,
  /** The index of the running task, or -1 between tasks. */
  Current: 1,
  /** When the running task started, in ms after the run's time base. */
  Start: 2,
  /** Size of the block, in slots. */
  Size: 4,
} as const;

/** What the workers run, in a form that crosses the thread boundary. */
export type WorkerProgram =
  | {
    kind: "function";
    moduleUrl: string;
    exportName: string;
    args: unknown[];
  }
  | {
    kind: "command";
    /** A path or name, or a `file:` URL's href when `commandIsUrl`. */
    command: string;
    commandIsUrl: boolean;
    args: string[];
    /** The `placeholder` option: replaced by each task's argument in `args`. */
    placeholder: string | undefined;
    cwd: string | undefined;
    cwdIsUrl: boolean;
    env: Record<string, string> | undefined;
    stdin: Uint8Array | undefined;
    maxOutputBytes: number;
    timeoutMs: number;
    killGraceMs: number;
  };

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
}

/** Main to worker: tasks with indices `first`, `first + 1`, ... */
export interface RunMessage {
  type: "run";
  first: number;
  keys: unknown[];
  args: unknown[];
}

/** Main to worker: the run was cancelled; abort the running task's signal. */
export interface AbortMessage {
  type: "abort";
  reason: string;
}

/** Any message to a worker. */
export type ToWorker = InitMessage | RunMessage | AbortMessage;

/** An error in a form that crosses the thread boundary. */
export interface ErrorShape {
  name: string;
  message: string;
}

/** The command's outcome, as `runCommand` reported it, in a form that crosses threads. */
export interface OutcomeShape extends Omit<CommandOutcome, "cancelled" | "spawnError"> {
  /** The abort reason's message when cancelled, else null. */
  cancelled: string | null;
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
