/**
 * What the report shows of a run, whatever it was read from (a trace, JSON
 * Lines, a joblog): its tasks, one bar per attempt on its slot's row, and
 * its marks. Column-wise arrays, so that 100,000 tasks stay a few megabytes
 * of JSON in the page.
 *
 * @module
 */
import { type Status, STATUSES } from "../_trace/status.ts";

/** The attempts that ran, one entry per attempt in each array. */
export interface Bars {
  /** The task's index in {@linkcode Tasks}. */
  task: number[];
  /** The row's index in {@linkcode ReportData.rows}. */
  row: number[];
  /** Milliseconds from the report's zero. */
  start: number[];
  end: number[];
  /** The index of the outcome in `STATUSES`. */
  status: number[];
  /** Which attempt of its task, from 1. */
  attempt: number[];
  /** Milliseconds it waited to start (read from the task list, not started), or -1 if unknown. */
  wait: number[];
  returncode: (number | null)[];
  signal: (string | null)[];
  exception: (string | null)[];
  error: (string | null)[];
}

/** Every task, one entry per task in each array. */
export interface Tasks {
  key: string[];
  arg: string[];
  /** The command line, or "" if the source does not say. */
  command: string[];
  /** The index of the task's outcome (its last attempt's) in `STATUSES`. */
  status: number[];
  /** How many attempts ran (0: it never started). */
  attempts: number[];
}

/** Instants: halts, signals, cancellations, in time order. */
export interface Marks {
  at: number[];
  name: string[];
  text: string[];
}

/** The report's data, as its page reads it. */
export interface ReportData {
  title: string;
  /** What it was read from. */
  source: "trace" | "jsonl" | "json" | "joblog";
  /** The name of the file it was read from. */
  file: string;
  /** The time axis's zero (epoch ms): the run's start, or its first task's. */
  zeroEpochMs: number;
  /** The run's length in milliseconds, from the zero. */
  wallMs: number;
  /** The outcomes, by index: `STATUSES`. */
  statuses: readonly Status[];
  /** Each row's label: `slot N`, after its host's name for a remote host. */
  rows: string[];
  bars: Bars;
  tasks: Tasks;
  marks: Marks;
}

/** One attempt as a source gives it. */
export interface BarInput {
  task: number;
  host: string | null;
  slot: number;
  /** Epoch ms. */
  start: number;
  end: number;
  status: Status;
  attempt: number;
  /** Ms waited before the start, or -1. */
  wait: number;
  returncode: number | null;
  signal: string | null;
  exception: string | null;
  error: string | null;
}

/** A value as the report shows it: text as it is, anything else as JSON. */
export function shown(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Builds a {@linkcode ReportData} from the attempts and tasks of a source. */
export class ReportBuilder {
  #tasks: Tasks = { key: [], arg: [], command: [], status: [], attempts: [] };
  #bars: BarInput[] = [];
  #marks: { at: number; name: string; text: string }[] = [];
  #zero: number | undefined;
  #wallEnd: number | undefined;

  /**
   * The axis's zero (epoch ms), when the source knows the run's start;
   * else the first attempt's start.
   */
  setZero(epochMs: number): void {
    this.#zero = epochMs;
  }

  /** The run's end (epoch ms), when the source knows it; else the last attempt's end. */
  setEnd(epochMs: number): void {
    this.#wallEnd = epochMs;
  }

  /** Adds a task; returns its index. */
  task(key: unknown, arg: unknown, command: string): number {
    const tasks = this.#tasks;
    tasks.key.push(shown(key));
    tasks.arg.push(shown(arg));
    tasks.command.push(command);
    tasks.status.push(STATUSES.indexOf("cancelled"));
    tasks.attempts.push(0);
    return tasks.key.length - 1;
  }

  /** Sets what a task ended with, when it is not its last attempt's bar (a task that never started). */
  taskStatus(task: number, status: Status): void {
    this.#tasks.status[task] = STATUSES.indexOf(status);
  }

  /** Adds an attempt that ran; the task's outcome becomes that of its latest attempt. */
  bar(bar: BarInput): void {
    this.#bars.push(bar);
    const tasks = this.#tasks;
    if (bar.attempt >= tasks.attempts[bar.task]!) {
      tasks.attempts[bar.task] = bar.attempt;
      tasks.status[bar.task] = STATUSES.indexOf(bar.status);
    }
  }

  /** Adds an instant (epoch ms). */
  mark(at: number, name: string, text: string): void {
    this.#marks.push({ at, name, text });
  }

  /** The report's data. */
  build(title: string, source: ReportData["source"], file: string): ReportData {
    const input = this.#bars;
    let first = Infinity;
    let last = -Infinity;
    for (const bar of input) {
      if (bar.start < first) first = bar.start;
      if (bar.end > last) last = bar.end;
    }
    const zero = this.#zero ?? (Number.isFinite(first) ? first : 0);
    const end = this.#wallEnd ?? (Number.isFinite(last) ? last : zero);
    // Rows: this machine first, then the hosts as they appear, each by slot.
    const hosts = [...new Set(input.map((bar) => bar.host))].sort((a, b) =>
      a === null ? -1 : b === null ? 1 : 0
    );
    const keys = [...new Set(input.map((bar) => `${hosts.indexOf(bar.host)}:${bar.slot}`))]
      .map((key) => key.split(":").map(Number) as [number, number])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const rowOf = new Map(keys.map(([host, slot], i) => [`${host}:${slot}`, i]));
    const rows = keys.map(([host, slot]) =>
      hosts[host] === null ? `slot ${slot}` : `${hosts[host]} slot ${slot}`
    );
    const ms = (epoch: number) => Math.round((epoch - zero) * 1000) / 1000;
    const bars: Bars = {
      task: [],
      row: [],
      start: [],
      end: [],
      status: [],
      attempt: [],
      wait: [],
      returncode: [],
      signal: [],
      exception: [],
      error: [],
    };
    for (const bar of input) {
      bars.task.push(bar.task);
      bars.row.push(rowOf.get(`${hosts.indexOf(bar.host)}:${bar.slot}`)!);
      bars.start.push(ms(bar.start));
      bars.end.push(ms(Math.max(bar.start, bar.end)));
      bars.status.push(STATUSES.indexOf(bar.status));
      bars.attempt.push(bar.attempt);
      bars.wait.push(bar.wait < 0 ? -1 : Math.round(bar.wait * 1000) / 1000);
      bars.returncode.push(bar.returncode);
      bars.signal.push(bar.signal);
      bars.exception.push(bar.exception);
      bars.error.push(bar.error);
    }
    const marks = [...this.#marks].sort((a, b) => a.at - b.at);
    return {
      title,
      source,
      file,
      zeroEpochMs: zero,
      wallMs: Math.max(0, ms(end)),
      statuses: STATUSES,
      rows,
      bars,
      tasks: this.#tasks,
      marks: {
        at: marks.map((mark) => ms(mark.at)),
        name: marks.map((mark) => mark.name),
        text: marks.map((mark) => mark.text),
      },
    };
  }
}
