/**
 * How a task's outcome is written into its result, the same for every engine.
 *
 * @module
 */
import type { CommandOutcome } from "./_process/run_command.ts";
import { recordSpool, removeSpool, takeSpool } from "./_spool.ts";
import { inspectLine, isTaskReturn } from "./_util.ts";
import type { ProcResult } from "./result.ts";

/** Fills `result` with the error's name and message. */
export function recordError(result: ProcResult, error: unknown): void {
  result.success = false;
  if (error instanceof Error || error instanceof DOMException) {
    result.exception = error.name;
    result.error = error.message;
  } else {
    result.exception = "Error";
    result.error = String(error);
  }
}

/** Clears the outcome of an attempt from `result`, before the next attempt. */
export function resetOutcome(result: ProcResult): void {
  result.success = false;
  result.timeout = false;
  result.cancelled = false;
  result.exception = null;
  result.error = null;
  result.returncode = null;
  result.signal = null;
  result.stdout = "";
  result.stderr = "";
  result.stdoutBytes = null;
  result.stderrBytes = null;
  result.stdoutTruncated = false;
  result.stderrTruncated = false;
  result.answer = null;
  const spooled = takeSpool(result);
  for (const path of [spooled?.stdout, spooled?.stderr]) if (path) removeSpool(path);
}

/** Whether a cancelled task had started, for the message of its result. */
export type CancelStage = "before start" | "running";

/** Marks `result` as cancelled by `reason`. */
export function recordCancel(result: ProcResult, reason: unknown, stage: CancelStage): void {
  recordError(result, reason);
  result.exception = "AbortError";
  result.cancelled = true;
  if (stage === "before start") result.error = `cancelled before it started (${result.error})`;
}

/** Marks `result` as stopped by its timeout. */
export function recordTimeout(result: ProcResult, timeoutMs: number): void {
  result.success = false;
  result.timeout = true;
  result.exception = "TimeoutError";
  result.error = `timed out after ${Number((timeoutMs / 1000).toFixed(3))} s`;
}

/** Checks what a task function returned and stores it. */
export function recordReturn(result: ProcResult, value: unknown): void {
  if (isTaskReturn(value)) {
    result.success = value[0];
    result.answer = value[1];
    return;
  }
  result.success = false;
  result.exception = "TypeError";
  result.error = `task function must return [success: boolean, answer]: got ${
    inspectLine(value, 1)
  }`;
}

/**
 * Fills `result` from what happened to its command; `reason` is the run's
 * abort reason when the command was cancelled.
 */
export function recordOutcome(
  result: ProcResult,
  outcome: CommandOutcome,
  timeoutMs: number,
  reason?: unknown,
): void {
  result.returncode = outcome.code;
  result.signal = outcome.signal;
  result.stdout = outcome.stdout;
  result.stderr = outcome.stderr;
  if (outcome.stdoutFile !== null || outcome.stderrFile !== null) {
    recordSpool(result, { stdout: outcome.stdoutFile, stderr: outcome.stderrFile });
  }
  result.stdoutBytes = outcome.stdoutBytes;
  result.stderrBytes = outcome.stderrBytes;
  result.stdoutTruncated = outcome.stdoutTruncated;
  result.stderrTruncated = outcome.stderrTruncated;
  result.success = outcome.code === 0 && !outcome.timedOut && !outcome.cancelled;
  if (outcome.spawnError) {
    recordError(result, outcome.spawnError);
  } else if (outcome.timedOut) {
    recordTimeout(result, timeoutMs);
  } else if (outcome.cancelled) {
    recordCancel(result, reason, "running");
  }
}
