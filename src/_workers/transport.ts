/**
 * What a worker slot (slot.ts) runs its tasks on: a worker thread
 * (thread_transport.ts) or a worker process (process_transport.ts). Both
 * carry the same messages (protocol.ts); they differ in how the main side
 * learns which task runs (a shared control block, or the frames a process
 * writes before each task) and in how tasks are taken back (at once, or by
 * asking the process).
 *
 * @module
 */
import type { AbortMessage, FromWorker, RunMessage } from "./protocol.ts";

/** Where a worker's kind of isolation is named: `ProcRunWorkers`' `isolation`. */
export type Isolation = "thread" | "process";

/** What a transport tells its slot. Nothing comes once it is terminated. */
export interface TransportEvents {
  /** A message from the worker (`ready` is handled by the transport). */
  message(message: FromWorker): void;
  /** The worker is gone after it was ready: its running task fails with `error`. */
  crash(error: Error): void;
  /** The worker could not even start: any other would fail the same way. */
  failedToStart(error: Error): void;
  /** Tasks `from` to `to - 1` were taken back unstarted (a process's answer to takeBack). */
  stolen(from: number, to: number): void;
  /** Task `index` ran past its timeout, started `start` ms after the base (a process's own watchdog). */
  timeout(index: number, start: number): void;
}

/** One worker, thread or process, as its slot drives it. */
export interface Transport {
  readonly isolation: Isolation;
  /**
   * Sends `message` to the worker.
   *
   * @throws {DOMException} A `DataCloneError` when it holds what cannot be copied.
   */
  post(message: RunMessage | AbortMessage): void;
  /** The index of the task the worker runs or last started, or -1 before any. */
  current(): number;
  /** When that task started, in ms after the run's base. */
  startedAt(): number;
  /** The index of the first task the worker has not started, as far as known. */
  next(): number;
  /**
   * Takes back the tasks below `sent` the worker has not started: returns the
   * first index taken back, or undefined when the worker answers later
   * (through `stolen`).
   */
  takeBack(sent: number): number | undefined;
  /** Ends the worker at once; no event comes after. */
  terminate(): void;
}
