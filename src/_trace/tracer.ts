/**
 * What the task loop tells of a run, turned into trace events: a complete
 * event per attempt on its host (process) and job slot (thread), instants
 * for the run's cancellation, halts, signals and the tasks that never
 * started, and the counter of running and queued tasks.
 *
 * @module
 */
import type { AttemptEnd } from "../_engine.ts";
import { epochNow, errorText, inspectLine } from "../_util.ts";
import type { ProcResult } from "../result.ts";
import type { TraceEvent } from "../trace.ts";
import { type OpenAttempt, TaskCounters } from "./counters.ts";
import { statusOf } from "./status.ts";

/** What a trace says of its run in its `otherData`. */
export interface RunInfo {
  /** The runner's class: `ProcRunAsync`, `ProcRunWorkers`. */
  runner: string;
  /** When the run started (epoch ms): the trace's zero. */
  startEpochMs: number;
  /** How many tasks may run at once, or null for no limit. */
  slots: number | null;
}

/** A task's argument and command line as the trace shows them. */
export type TaskInfo = (result: ProcResult) => { arg: unknown; command: string };

/** Where the events go. */
export interface TraceSink {
  emit(event: TraceEvent): void;
  /** The events of one moment have been emitted: write them. */
  flush(): void;
  /** The trace is over: close it. */
  end(): void;
}

/** The longest text a trace keeps of a key, an argument or a command. */
const TEXT_LIMIT = 1000;
/** The longest slice name (the task's key). */
const NAME_LIMIT = 80;
/** pid of this machine; remote hosts get 2, 3, ... as they first appear. */
const LOCAL_PID = 1;
/** tid of the run's own track: its instants. */
const RUN_TID = 0;

/** A task in flight: its number in the run and its attempt waiting or running. */
interface Tracked {
  task: number;
  wait: OpenAttempt;
}

/** `text`, cut to `limit` characters with its length said. */
function cut(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}... (${text.length} characters)`;
}

/** A value as a trace can hold it: JSON, or its inspection; long text cut. */
function plain(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return cut(value, TEXT_LIMIT);
  if (typeof value === "boolean") return value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "object") {
    try {
      const text = JSON.stringify(value);
      if (text !== undefined && text.length <= TEXT_LIMIT) return JSON.parse(text);
    } catch {
      // Not JSON (a cycle, a BigInt): inspected below.
    }
  }
  return cut(inspectLine(value), TEXT_LIMIT);
}

/** A task's key as a slice name. */
function label(key: unknown): string {
  return cut(typeof key === "string" ? key : inspectLine(key), NAME_LIMIT);
}

/** The signal a cancellation reason says was received (`cancelled: received SIGINT`), if any. */
function signalOf(reason: unknown): string | undefined {
  return /\breceived (SIG[A-Z0-9]+)\b/.exec(errorText(reason))?.[1];
}

/** The events of one run. */
export class RunTracer {
  #sink: TraceSink;
  #t0: number;
  #taskInfo: TaskInfo;
  #pids = new Map<string, number>();
  #threads = new Set<string>();
  #tasks = new Map<ProcResult, Tracked>();
  #nextTask = 1;
  /** The last task delivered, whose end may set off a halt. */
  #last: { result: ProcResult; task: number } | undefined;
  #counters: TaskCounters;
  #ended = false;

  /** The trace's `otherData` for a run. */
  static otherData(info: RunInfo): Record<string, unknown> {
    return {
      producer: "procrun",
      runner: info.runner,
      startTime: new Date(info.startEpochMs).toISOString(),
      startEpochMs: info.startEpochMs,
      slots: info.slots,
    };
  }

  constructor(sink: TraceSink, info: RunInfo, taskInfo: TaskInfo) {
    this.#sink = sink;
    this.#t0 = info.startEpochMs;
    this.#taskInfo = taskInfo;
    this.#counters = new TaskCounters((at, running, queued) =>
      sink.emit({
        name: "tasks",
        ph: "C",
        ts: this.#us(at),
        pid: LOCAL_PID,
        tid: RUN_TID,
        args: { running, queued },
      })
    );
    this.#process(LOCAL_PID, "this machine");
    this.#thread(LOCAL_PID, RUN_TID, "run");
    sink.flush();
  }

  /** A task was read from the task list at `at`: it waits for a slot. */
  read(result: ProcResult, at = epochNow()): void {
    if (this.#ended) return;
    this.#tasks.set(result, { task: this.#nextTask++, wait: this.#counters.open(at) });
  }

  /** An attempt of the task goes to the engine; a retry waits again from now. */
  submit(result: ProcResult): void {
    const tracked = this.#tasks.get(result);
    if (!tracked || result.attempts <= 1) return;
    tracked.wait = this.#counters.open(epochNow());
  }

  /** An attempt ended as its engine reports it; `result` holds its outcome. */
  attempt(result: ProcResult, end: AttemptEnd): void {
    const tracked = this.#tasks.get(result);
    if (!tracked || this.#ended) return;
    const since = tracked.wait.since;
    this.#counters.close(tracked.wait, end.start, end.end, epochNow());
    const args = this.#args(result, tracked.task);
    if (end.start === null) {
      this.#instant("not started", "cancelled", end.end, args, "t");
    } else {
      const pid = this.#pidOf(end.host);
      const tid = end.slot ?? RUN_TID;
      if (!this.#threads.has(`${pid}:${tid}`)) this.#thread(pid, tid, `slot ${tid}`);
      args.queue_wait_ms = Math.max(0, Math.round((end.start - since) * 1000) / 1000);
      const ts = this.#us(end.start);
      this.#sink.emit({
        name: label(result.key),
        cat: args.status as string,
        ph: "X",
        ts,
        dur: Math.max(0, this.#us(end.end) - ts),
        pid,
        tid,
        args,
      });
    }
    this.#sink.flush();
  }

  /** A task's result goes out: one that never went to the engine gets its instant. */
  delivered(result: ProcResult): void {
    const tracked = this.#tasks.get(result);
    if (!tracked) return;
    this.#tasks.delete(result);
    this.#last = { result, task: tracked.task };
    if (result.attempts > 0 || this.#ended) return;
    const now = epochNow();
    this.#counters.close(tracked.wait, null, now, now);
    this.#instant("not started", "cancelled", now, this.#args(result, tracked.task), "t");
    this.#sink.flush();
  }

  /** The run halts, set off by `by`'s end. */
  halt(why: string, when: string, by: ProcResult): void {
    if (this.#ended) return;
    this.#instant("halt", "halt", epochNow(), {
      reason: `halted: ${why}`,
      when,
      task: this.#last?.result === by ? this.#last.task : null,
      key: plain(by.key),
    });
    this.#sink.flush();
  }

  /** The run is cancelled (a signal, its `signal`, a halt "now"). */
  cancel(reason: unknown): void {
    if (this.#ended) return;
    const now = epochNow();
    const signal = signalOf(reason);
    if (signal) this.#instant(signal, "signal", now, { signal });
    this.#instant("cancelled", "cancel", now, { reason: errorText(reason) });
    this.#sink.flush();
  }

  /** The run is over (or the trace is closed in its middle): every pending sample, then the end. */
  end(what: "run end" | "trace closed"): void {
    if (this.#ended) return;
    this.#counters.finish();
    const now = epochNow();
    this.#instant(what, "run", now, { wall_ms: Math.round(now - this.#t0) });
    this.#ended = true;
    this.#sink.end();
  }

  #args(result: ProcResult, task: number): Record<string, unknown> {
    let info: { arg: unknown; command: string };
    try {
      info = this.#taskInfo(result);
    } catch (error) {
      info = { arg: result.arg, command: `(unknown: ${errorText(error)})` };
    }
    return {
      task,
      key: plain(result.key),
      arg: plain(info.arg),
      attempt: Math.max(1, result.attempts),
      status: statusOf(result),
      returncode: result.returncode,
      signal: result.signal,
      timeout: result.timeout,
      exception: result.exception,
      error: result.error === null ? null : cut(result.error, TEXT_LIMIT),
      command: cut(info.command, TEXT_LIMIT),
    };
  }

  #us(epochMs: number): number {
    return Math.round((epochMs - this.#t0) * 1000);
  }

  #instant(
    name: string,
    cat: string,
    at: number,
    args: Record<string, unknown>,
    scope: "g" | "t" = "g",
  ): void {
    this.#sink.emit({
      name,
      cat,
      ph: "i",
      s: scope,
      ts: this.#us(at),
      pid: LOCAL_PID,
      tid: RUN_TID,
      args,
    });
  }

  #pidOf(host: string | null): number {
    if (host === null) return LOCAL_PID;
    let pid = this.#pids.get(host);
    if (pid === undefined) {
      pid = LOCAL_PID + 1 + this.#pids.size;
      this.#pids.set(host, pid);
      this.#process(pid, host);
    }
    return pid;
  }

  #process(pid: number, name: string): void {
    const meta = { ph: "M" as const, ts: 0, pid, tid: RUN_TID };
    this.#sink.emit({ ...meta, name: "process_name", args: { name } });
    this.#sink.emit({ ...meta, name: "process_sort_index", args: { sort_index: pid } });
  }

  #thread(pid: number, tid: number, name: string): void {
    this.#threads.add(`${pid}:${tid}`);
    const meta = { ph: "M" as const, ts: 0, pid, tid };
    this.#sink.emit({ ...meta, name: "thread_name", args: { name } });
    this.#sink.emit({ ...meta, name: "thread_sort_index", args: { sort_index: tid } });
  }
}
