/**
 * The CLI's `--trace FILE`: the run's trace written as it goes, and closed
 * whatever ends the run, so that the file is always a whole JSON document.
 *
 * The first SIGINT or SIGTERM stops the run, which then ends as any run does
 * (the trace is closed with the joblog, in the CLI's `finally`); a second one
 * exits at once through `Deno.exit()`, whose `unload` event closes it here.
 *
 * @module
 */
import { writeAllSync } from "../_bytes.ts";
import { TraceRecorder, traceRecorders } from "../trace.ts";
import type { TaskFeed } from "./input.ts";
import type { CliProgram } from "./program.ts";

const encoder = new TextEncoder();

/** An open `--trace` file. */
export interface TraceFileWriter {
  /** The runner's `trace` option. */
  recorder: TraceRecorder;
  /** Closes the trace (if the run has not) and the file. */
  close(): void;
}

/**
 * Creates (or truncates) the file at `path` and records the run into it,
 * each task shown with its input values and its command line as `-t` and
 * the joblog show them.
 *
 * @throws {Deno.errors.NotFound} And the other errors of opening the file.
 */
export function openTraceFile(path: string, feed: TaskFeed, program: CliProgram): TraceFileWriter {
  const file = Deno.openSync(path, { write: true, create: true, truncate: true });
  const recorder = new TraceRecorder({ write: (text) => writeAllSync(file, encoder.encode(text)) });
  traceRecorders.setTaskInfo(recorder, (result) => {
    const origin = feed.peek(result.key);
    if (!origin) return { arg: result.arg, command: "" };
    return { arg: origin.input, command: program.describe(origin.input, origin.seq, result.slot) };
  });
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    globalThis.removeEventListener("unload", close);
    recorder.close();
    file.close();
  };
  globalThis.addEventListener("unload", close);
  return { recorder, close };
}
