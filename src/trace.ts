/**
 * A run's trace in the Chrome Trace Event format, for ui.perfetto.dev and
 * chrome://tracing.
 *
 * @module
 */
import { type RunInfo, RunTracer, type TaskInfo } from "./_trace/tracer.ts";
import { describeTask } from "./_trace/describe.ts";
import { provideTraceSupport } from "./_trace/support.ts";

/**
 * One event of a trace, in the Chrome Trace Event format: `"X"` a task
 * attempt (`ts` and `dur` in microseconds from the run's start), `"i"` an
 * instant (a cancellation, a halt, a signal, a task that never started),
 * `"C"` the counter of running and queued tasks, `"M"` the names of
 * processes (hosts) and threads (job slots).
 */
export interface TraceEvent {
  /** The task's key, or what the event is. */
  name: string;
  /** The kind of event. */
  ph: "X" | "i" | "C" | "M";
  /** Microseconds from the run's start. */
  ts: number;
  /** Microseconds the attempt ran (`"X"` only). */
  dur?: number;
  /** The host: 1 for this machine, then one per remote host. */
  pid: number;
  /** The job slot (`"slot N"`), or 0 for the run itself. */
  tid: number;
  /** An attempt's outcome (`success`, `failure`, `timeout`, `cancelled`), or the kind of instant. */
  cat?: string;
  /** An instant's scope: `"g"` the whole trace, `"t"` its thread. */
  s?: "g" | "t";
  /** What the event carries: an attempt's key, arg, attempt, returncode, signal, ... */
  args?: Record<string, unknown>;
}

/** A whole trace: the JSON object form of the Chrome Trace Event format. */
export interface TraceFile {
  /** Every event, in the order they were recorded. */
  traceEvents: TraceEvent[];
  /** How trace viewers show times. */
  displayTimeUnit: "ms";
  /** About the run: `producer`, `runner`, `startTime` (ISO 8601), `startEpochMs`, `slots`. */
  otherData: Record<string, unknown>;
}

/** Options of {@linkcode TraceRecorder}. */
export interface TraceRecorderOptions {
  /**
   * Takes the trace's JSON text, piece by piece, as the run goes: the pieces
   * joined are the whole trace file once the run has ended (or
   * {@linkcode TraceRecorder.close} was called). The events are then not
   * kept in memory, so a trace of any length costs none. If it throws, the
   * trace stops there ({@linkcode TraceRecorder.error}) and the run goes on.
   *
   * @default {undefined}
   */
  write?: (text: string) => void;
}

/**
 * For the runners and the CLI, not public: a recorder's run, from its start
 * to its end.
 */
export let traceRecorders: {
  /** Why `recorder` cannot record a run (what it must be), or undefined if it can. */
  check(recorder: TraceRecorder): string | undefined;
  /**
   * Starts recording a run: writes the trace's head and returns what the
   * task loop tells of the run (its `end()` closes the trace).
   *
   * @throws {TypeError} If the recorder has already recorded a run.
   */
  begin(recorder: TraceRecorder, info: RunInfo, taskInfo: TaskInfo): RunTracer;
  /** The CLI's arg and command of each task, in place of the runner's. */
  setTaskInfo(recorder: TraceRecorder, taskInfo: TaskInfo): void;
};

type State = "new" | "recording" | "ended";

/**
 * Records one run as a trace in the Chrome Trace Event format: a process per
 * host, a thread per job slot (`"slot N"`, which runs one attempt at a time,
 * so its slices never overlap), one complete event per task attempt with its
 * key, arg, attempt, outcome and command, instant events for cancellations,
 * halts, signals and tasks that never started, and a counter of the tasks
 * running and queued (read from the task list, not started yet). Open it in
 * ui.perfetto.dev ("Open trace file") or chrome://tracing.
 *
 * Give it to a runner's `trace` option. Without `write`, the events are
 * kept, and {@linkcode TraceRecorder.toJSON} gives the trace, during the run
 * (what has been recorded so far) or after it. One recorder records one run.
 *
 * @example Record a run, then read its trace
 * ```ts
 * import { ProcRunAsync, TraceRecorder } from "@procrun/procrun";
 * import { assertEquals } from "@std/assert";
 *
 * const trace = new TraceRecorder();
 * const run = new ProcRunAsync(["sleep"], [["a", 0.1], ["b", 0]], { numWorkers: 2, trace });
 * await run.runAll();
 * const slices = trace.toJSON().traceEvents.filter((event) => event.ph === "X");
 * assertEquals(slices.map((event) => event.name).sort(), ["a", "b"]);
 * // Deno.writeTextFileSync("run.trace.json", JSON.stringify(trace)), then open it in Perfetto.
 * ```
 *
 * @example Write the trace to a file as the run goes
 * ```ts
 * import { ProcRunAsync, TraceRecorder } from "@procrun/procrun";
 * import { assertEquals } from "@std/assert";
 *
 * const path = Deno.makeTempFileSync({ suffix: ".json" });
 * const file = Deno.openSync(path, { write: true, truncate: true });
 * const encoder = new TextEncoder();
 * const trace = new TraceRecorder({ write: (text) => void file.writeSync(encoder.encode(text)) });
 * await new ProcRunAsync(["true"], [[1, ""], [2, ""]], { trace }).runAll();
 * file.close();
 * const events = JSON.parse(Deno.readTextFileSync(path)).traceEvents;
 * assertEquals(events.filter((event: { ph: string }) => event.ph === "X").length, 2);
 * Deno.removeSync(path);
 * ```
 */
export class TraceRecorder {
  #write: ((text: string) => void) | undefined;
  #events: TraceEvent[] = [];
  #otherData: Record<string, unknown> = {};
  #pending = "";
  #first = true;
  #state: State = "new";
  #tracer: RunTracer | undefined;
  #error: unknown = undefined;
  #taskInfo: TaskInfo | undefined;

  /**
   * Creates a recorder; nothing is recorded until a run that has it as its
   * `trace` option starts.
   *
   * @param options `write`: where the text goes as the run goes.
   * @throws {TypeError} If `write` is given and is not a function.
   */
  constructor(options: TraceRecorderOptions = {}) {
    const write = options?.write;
    if (write !== undefined && typeof write !== "function") {
      throw new TypeError(
        `Cannot create TraceRecorder as 'write' must be a function: current value is ${typeof write}`,
      );
    }
    this.#write = write;
  }

  /**
   * What `write` threw, which stopped the trace; undefined if it never threw.
   */
  get error(): unknown {
    return this.#error;
  }

  /**
   * Ends the trace now, as the end of the run would: the counter samples
   * still pending are recorded and, with `write`, the JSON text is closed.
   * Events of the run after this are dropped. For a program that must exit
   * in the middle of a run; called again, or after the run, it does nothing.
   *
   * @example Close before any run: an empty, valid trace
   * ```ts
   * import { TraceRecorder } from "@procrun/procrun";
   * import { assertEquals } from "@std/assert";
   *
   * let text = "";
   * const trace = new TraceRecorder({ write: (piece) => text += piece });
   * trace.close();
   * assertEquals(JSON.parse(text).traceEvents, []);
   * ```
   */
  close(): void {
    if (this.#state === "ended") return;
    if (this.#state === "new") this.#header({});
    if (this.#tracer) this.#tracer.end("trace closed");
    else this.#end();
  }

  /**
   * The trace as the JSON object form of the Chrome Trace Event format:
   * what has been recorded so far, so also during a run.
   * `JSON.stringify(recorder)` gives the trace file's text.
   *
   * @returns The trace.
   * @throws {Error} With `write`: the events went there and were not kept.
   *
   * @example Count the attempts
   * ```ts
   * import { ProcRunAsync, TraceRecorder } from "@procrun/procrun";
   * import { assertEquals } from "@std/assert";
   *
   * const trace = new TraceRecorder();
   * await new ProcRunAsync(["false"], [["a", ""]], { trace, retry: { maxAttempts: 2 } }).runAll();
   * const attempts = trace.toJSON().traceEvents.filter((event) => event.ph === "X");
   * assertEquals(attempts.map((event) => [event.args!.attempt, event.cat]), [[1, "failure"], [2, "failure"]]);
   * ```
   */
  toJSON(): TraceFile {
    if (this.#write) {
      throw new Error(
        "TraceRecorder.toJSON(): the events went to 'write' as they came and were not kept",
      );
    }
    return {
      traceEvents: [...this.#events],
      displayTimeUnit: "ms",
      otherData: { ...this.#otherData },
    };
  }

  static {
    traceRecorders = {
      check(recorder) {
        if (recorder.#state !== "new") return "a TraceRecorder that has not recorded a run";
        return undefined;
      },
      begin(recorder, info, taskInfo) {
        if (recorder.#state !== "new") {
          throw new TypeError(
            `Cannot run ${info.runner} as its 'trace' recorder has already recorded a run`,
          );
        }
        recorder.#header(RunTracer.otherData(info));
        recorder.#tracer = new RunTracer(
          {
            emit: (event) => recorder.#emit(event),
            flush: () => recorder.#flush(),
            end: () => recorder.#end(),
          },
          info,
          recorder.#taskInfo ?? taskInfo,
        );
        return recorder.#tracer;
      },
      setTaskInfo(recorder, taskInfo) {
        recorder.#taskInfo = taskInfo;
      },
    };
  }

  #header(otherData: Record<string, unknown>): void {
    this.#state = "recording";
    this.#otherData = otherData;
    this.#pending += `{"displayTimeUnit":"ms","otherData":${
      JSON.stringify(otherData)
    },"traceEvents":[\n`;
  }

  #emit(event: TraceEvent): void {
    if (this.#state !== "recording") return;
    if (!this.#write) {
      this.#events.push(event);
      return;
    }
    this.#pending += this.#first ? JSON.stringify(event) : ",\n" + JSON.stringify(event);
    this.#first = false;
  }

  #flush(): void {
    if (!this.#write || this.#pending === "" || this.#error !== undefined) return;
    const text = this.#pending;
    this.#pending = "";
    try {
      this.#write(text);
    } catch (error) {
      this.#error = error ?? new Error("write threw");
      this.#state = "ended";
    }
  }

  #end(): void {
    if (this.#state !== "recording") return;
    this.#pending += "\n]}\n";
    this.#flush();
    this.#state = "ended";
    this.#tracer = undefined;
  }
}

provideTraceSupport({
  isRecorder: (value): value is TraceRecorder => value instanceof TraceRecorder,
  check: (recorder) => traceRecorders.check(recorder),
  describe: describeTask,
  begin: (recorder, info, taskInfo) => traceRecorders.begin(recorder, info, taskInfo),
});
