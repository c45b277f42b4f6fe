/**
 * The report's figures, computed from its data: in the page (this function
 * is part of its script, see html.ts) and in the tests, which compare them
 * with the run's own results.
 *
 * Like every function of the page, it uses nothing from outside itself but
 * the other page functions, which the page declares by the same names.
 *
 * @module
 */
import type { ReportData } from "./model.ts";

/** The report's summary of a run. */
export interface Summary {
  tasks: number;
  succeeded: number;
  /** Ended by an exit code, a signal or an error (not a timeout, not a cancellation). */
  failed: number;
  timedOut: number;
  /** Cancelled, the tasks that never started included. */
  cancelled: number;
  notStarted: number;
  /** Tasks run more than once. */
  retried: number;
  /** Attempts that ran: the bars. */
  attempts: number;
  wallMs: number;
  /** Rows: the job slots that ran something. */
  slots: number;
  /** Milliseconds of attempts, all slots together. */
  busyMs: number;
  /** `busyMs` / (`slots` x `wallMs`): how busy the slots were, from 0 to 1. */
  busy: number;
  /** The longest attempts' bar indices, longest first (at most 10). */
  slowest: number[];
}

/** The summary of `data`. */
export function reportSummary(data: ReportData): Summary {
  const at = (name: string) => data.statuses.indexOf(name as never);
  const counts = data.statuses.map(() => 0);
  const tasks = data.tasks;
  let notStarted = 0;
  let retried = 0;
  for (let i = 0; i < tasks.key.length; i++) {
    counts[tasks.status[i]!]!++;
    if (tasks.attempts[i] === 0) notStarted++;
    if (tasks.attempts[i]! > 1) retried++;
  }
  const { start, end } = data.bars;
  let busyMs = 0;
  const slowest: number[] = [];
  const length = (i: number) => end[i]! - start[i]!;
  for (let i = 0; i < start.length; i++) {
    busyMs += length(i);
    if (slowest.length === 10 && length(i) <= length(slowest[9]!)) continue;
    let j = Math.min(slowest.length, 9);
    while (j > 0 && length(slowest[j - 1]!) < length(i)) j--;
    slowest.splice(j, 0, i);
    if (slowest.length > 10) slowest.pop();
  }
  const slots = data.rows.length;
  return {
    tasks: tasks.key.length,
    succeeded: counts[at("success")]!,
    failed: counts[at("failure")]!,
    timedOut: counts[at("timeout")]!,
    cancelled: counts[at("cancelled")]!,
    notStarted,
    retried,
    attempts: start.length,
    wallMs: data.wallMs,
    slots,
    busyMs,
    busy: slots > 0 && data.wallMs > 0 ? busyMs / (slots * data.wallMs) : 0,
    slowest,
  };
}

/** A duration as the report writes it: `12.3 ms`, `4.567 s`, `3 min 12.3 s`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  if (ms < 600_000) return `${(ms / 1000).toFixed(3)} s`;
  return `${Math.floor(ms / 60_000)} min ${((ms % 60_000) / 1000).toFixed(1)} s`;
}
