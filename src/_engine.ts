/**
 * The one contract between a runner (src/proc_run.ts: the task loop) and an
 * engine (what runs a task: src/_async_engine.ts, src/_workers/engine.ts).
 *
 * The runner reads tasks, creates one `ProcResult` per task, holds at most
 * `capacity` tasks in the engine at once, and owns cancellation and timing.
 * An engine runs attempts: it fills in the outcome fields of the result it is
 * given (success, returncode, stdout, answer, exception, ...) and ends every
 * attempt by calling `done` once, with when it ran and where. It never writes
 * a result's times: the runner does, from what `done` reports.
 *
 * An attempt is one run of one task; a task may be submitted again after its
 * attempt ended (a retry), with the same result object.
 *
 * @module
 */
import type { ProcResult } from "./result.ts";

/** When and where one attempt ran, as its engine reports it. */
export interface AttemptEnd {
  /** When the attempt started running (epoch ms), or null if it never started. */
  start: number | null;
  /** When it ended (epoch ms). */
  end: number;
  /**
   * The job slot that ran it, from 1 (a slot runs one attempt at a time), or
   * null if it never started.
   */
  slot: number | null;
  /** The host that ran it, or null for this machine. */
  host: string | null;
}

/**
 * Ends one attempt: called exactly once per `submit` with the function given
 * to that `submit`, possibly before `submit` returns.
 */
export type AttemptDone = (result: ProcResult, end: AttemptEnd) => void;

/** What runs tasks for a runner. */
export interface Engine {
  /** How many attempts the runner may have submitted and not ended at once. */
  readonly capacity: number;
  /**
   * Called once and awaited before `start`, if the engine has it: loads what
   * this run of the engine needs and others do not (a worker process's
   * transport), so that a program that never uses it never loads it.
   */
  prepare?(): Promise<void>;
  /** Called once, before the first `submit`. */
  start(): void;
  /**
   * Runs one attempt of the task whose result is `result`, fills in its
   * outcome and calls `done`. Never throws for the task's own failures.
   */
  submit(result: ProcResult, done: AttemptDone): void;
  /**
   * The run is cancelled: attempts not started end as cancelled (start null),
   * running ones are stopped (commands killed, functions aborted) and end as
   * cancelled by `reason`. Called at most once.
   */
  abort(reason: unknown): void;
  /**
   * No attempt starts any more (a halt "soon"): those submitted and not
   * started end as cancelled by `reason` (start null); running ones go on.
   */
  stopStarting(reason: unknown): void;
  /** Called once after every attempt has ended, even on failure: release threads and timers. */
  close(): Promise<void>;
}
