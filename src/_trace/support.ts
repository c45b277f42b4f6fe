/**
 * What the runners need of tracing, provided by trace.ts when it is loaded:
 * a run with a `trace` option has a TraceRecorder, so trace.ts is loaded, and
 * a run without one (the CLI without --trace) loads none of the tracing code.
 *
 * @module
 */
import type { Program } from "../_options.ts";
import type { TraceRecorder } from "../trace.ts";
import type { RunInfo, RunTracer, TaskInfo } from "./tracer.ts";

/** Tracing, as the runners use it. */
export interface TraceSupport {
  /** Whether `value` is a TraceRecorder. */
  isRecorder(value: unknown): value is TraceRecorder;
  /** Why `recorder` cannot record a run (what it must be), or undefined if it can. */
  check(recorder: TraceRecorder): string | undefined;
  /** What a trace tells of each task of `program`. */
  describe(program: Program, placeholder: string | undefined): TaskInfo;
  /** Starts recording a run (see trace.ts's `traceRecorders.begin`). */
  begin(recorder: TraceRecorder, info: RunInfo, taskInfo: TaskInfo): RunTracer;
}

/** Tracing, once trace.ts is loaded; undefined before. */
export let traceSupport: TraceSupport | undefined;

/** For trace.ts: makes tracing available to the runners. */
export function provideTraceSupport(support: TraceSupport): void {
  traceSupport = support;
}
