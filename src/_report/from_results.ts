/**
 * procrun's results as report data: the JSON Lines of `--jsonl` (or any
 * `JSON.stringify(result)` per line), or the array of `--json`. Each result
 * gives its earlier attempts and its last one; a result that never started
 * is a task without a bar.
 *
 * @module
 */
import { statusOf } from "../_trace/status.ts";
import type { AttemptRecordJSON, ProcResultJSON } from "../result.ts";
import type { ReportBuilder } from "./model.ts";

/** Whether `value` looks like `ProcResult.toJSON()`. */
export function isResult(value: unknown): value is ProcResultJSON {
  return value !== null && typeof value === "object" && !Array.isArray(value) &&
    "key" in value && "timeStart" in value && "success" in value;
}

/** Epoch ms of an ISO 8601 time, or null. */
function epoch(time: unknown): number | null {
  if (typeof time !== "string") return null;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? null : ms;
}

/** Adds one result (its task and each attempt that ran) to `builder`. */
export function addResult(result: ProcResultJSON, builder: ReportBuilder): void {
  const task = builder.task(result.key, result.arg, "");
  const earlier: Partial<AttemptRecordJSON>[] = Array.isArray(result.earlierAttempts)
    ? result.earlierAttempts
    : [];
  // Older results have no slot per earlier attempt: they go on the task's.
  const slot = typeof result.slot === "number" ? result.slot : 0;
  const host = typeof result.host === "string" ? result.host : null;
  earlier.forEach((attempt, i) => {
    const start = epoch(attempt.timeStart);
    if (start === null) return;
    builder.bar({
      task,
      host: attempt.host === undefined ? host : attempt.host,
      slot: typeof attempt.slot === "number" ? attempt.slot : slot,
      start,
      end: epoch(attempt.timeEnd) ?? start,
      status: statusOf({ success: false, timeout: attempt.timeout === true, cancelled: false }),
      attempt: i + 1,
      wait: -1,
      returncode: attempt.returncode ?? null,
      signal: attempt.signal ?? null,
      exception: attempt.exception ?? null,
      error: attempt.error ?? null,
    });
  });
  const start = epoch(result.timeStart);
  const status = statusOf({
    success: result.success === true,
    timeout: result.timeout === true,
    cancelled: result.cancelled === true,
  });
  if (start === null) {
    builder.taskStatus(task, status);
    return;
  }
  builder.bar({
    task,
    host,
    slot,
    start,
    end: epoch(result.timeEnd) ?? start,
    status,
    attempt: Math.max(
      1,
      typeof result.attempts === "number" ? result.attempts : 1,
      earlier.length + 1,
    ),
    wait: -1,
    returncode: result.returncode ?? null,
    signal: result.signal ?? null,
    exception: result.exception ?? null,
    error: result.error ?? null,
  });
}
