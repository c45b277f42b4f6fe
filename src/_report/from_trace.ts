/**
 * A trace (procrun's `--trace`, a `TraceRecorder`'s, or any Chrome Trace
 * Event file) as report data: each complete event is an attempt, on the row
 * of its process (host) and thread (slot).
 *
 * @module
 */
import { type Status, STATUSES } from "../_trace/status.ts";
import type { TraceEvent } from "../trace.ts";
import type { ReportBuilder } from "./model.ts";

/** The instants the report lists (the tasks that never started are counted, not listed). */
const MARKED = new Set(["halt", "signal", "cancel"]);

const num = (value: unknown): number | null =>
  typeof value === "number" && Number.isFinite(value) ? value : null;
const text = (value: unknown): string | null => typeof value === "string" ? value : null;

/**
 * The events of a trace file's text, and its `otherData`: the JSON object
 * form or the array form, or a procrun trace cut short (its process was
 * killed), read up to its last whole event. Undefined if `source` is none
 * of those.
 */
export function parseTrace(
  source: string,
): { events: TraceEvent[]; otherData: Record<string, unknown> } | undefined {
  let whole: unknown;
  try {
    whole = JSON.parse(source);
  } catch {
    return parseCutTrace(source);
  }
  if (Array.isArray(whole) && whole.every((event) => event && typeof event.ph === "string")) {
    return { events: whole, otherData: {} };
  }
  if (whole && typeof whole === "object" && Array.isArray((whole as TraceFileLike).traceEvents)) {
    const file = whole as TraceFileLike;
    const otherData = file.otherData && typeof file.otherData === "object" ? file.otherData : {};
    return { events: file.traceEvents, otherData };
  }
  return undefined;
}

interface TraceFileLike {
  traceEvents: TraceEvent[];
  otherData?: Record<string, unknown>;
}

/** A procrun trace without its end: one event per line after the head. */
function parseCutTrace(
  source: string,
): { events: TraceEvent[]; otherData: Record<string, unknown> } | undefined {
  const lines = source.split("\n");
  const head = lines[0] ?? "";
  if (!head.endsWith(`"traceEvents":[`)) return undefined;
  let otherData: Record<string, unknown>;
  try {
    otherData = JSON.parse(head + "]}").otherData ?? {};
  } catch {
    return undefined;
  }
  const events: TraceEvent[] = [];
  for (const line of lines.slice(1)) {
    const json = line.trim().replace(/,$/, "");
    if (json === "" || json === "]}") continue;
    try {
      events.push(JSON.parse(json));
    } catch {
      break; // The torn last line.
    }
  }
  return { events, otherData };
}

/** Adds a trace's tasks, attempts and marks to `builder`. */
export function fromTrace(
  events: readonly TraceEvent[],
  otherData: Record<string, unknown>,
  builder: ReportBuilder,
): void {
  const zero = num(otherData.startEpochMs) ?? 0;
  if (num(otherData.startEpochMs) !== null) builder.setZero(zero);
  const at = (event: TraceEvent) => zero + (num(event.ts) ?? 0) / 1000;
  const hosts = new Map<number, string | null>();
  for (const event of events) {
    if (event.ph === "M" && event.name === "process_name") {
      const name = text(event.args?.name) ?? `pid ${event.pid}`;
      hosts.set(event.pid, event.pid === 1 && name === "this machine" ? null : name);
    }
  }
  // procrun numbers its tasks (args.task); any other trace's slices are tasks each.
  const tasks = new Map<number, { index: number; attempts: number }>();
  const taskOf = (event: TraceEvent) => {
    const number = num(event.args?.task);
    let task = number === null ? undefined : tasks.get(number);
    if (!task) {
      const args = event.args ?? {};
      const index = builder.task(
        "key" in args ? args.key : event.name,
        args.arg ?? "",
        text(args.command) ?? "",
      );
      task = { index, attempts: 0 };
      if (number !== null) tasks.set(number, task);
    }
    return task;
  };
  for (const event of events) {
    const args = event.args ?? {};
    if (event.ph === "X") {
      const task = taskOf(event);
      const attempt = num(args.attempt) ?? task.attempts + 1;
      task.attempts = Math.max(task.attempts, attempt);
      const start = at(event);
      const cat = STATUSES.find((status) => status === event.cat || status === args.status);
      builder.bar({
        task: task.index,
        host: hosts.has(event.pid)
          ? hosts.get(event.pid)!
          : event.pid === 1
          ? null
          : `pid ${event.pid}`,
        slot: num(event.tid) ?? 0,
        start,
        end: start + (num(event.dur) ?? 0) / 1000,
        status: (cat ?? "success") as Status,
        attempt,
        wait: num(args.queue_wait_ms) ?? -1,
        returncode: num(args.returncode),
        signal: text(args.signal),
        exception: text(args.exception),
        error: text(args.error),
      });
    } else if (event.ph === "i" || String(event.ph) === "I") {
      if (event.name === "not started") {
        const task = taskOf(event);
        // A retry that never started ends the task as cancelled; so does a task never run.
        if ((num(args.attempt) ?? 1) > task.attempts) builder.taskStatus(task.index, "cancelled");
      } else if (event.cat === "run") builder.setEnd(at(event));
      else if (MARKED.has(event.cat ?? "")) {
        builder.mark(at(event), event.name, text(args.reason) ?? event.name);
      }
    }
  }
}
