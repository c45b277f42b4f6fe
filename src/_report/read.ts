/**
 * Reads what `procrun report` is given, whichever it is: a trace, procrun's
 * JSON Lines (`--jsonl`) or JSON array (`--json`), or a GNU parallel joblog.
 *
 * @module
 */
import { fromJoblog, JOBLOG_HEADER } from "./from_joblog.ts";
import { addResult, isResult } from "./from_results.ts";
import { fromTrace, parseTrace } from "./from_trace.ts";
import { ReportBuilder, type ReportData } from "./model.ts";

/** A log that is none of the kinds the report reads, or is malformed. */
export class LogError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "LogError";
  }
}

/**
 * The report data of a log's text. `file` names it in the report and in
 * errors; `title` is the report's title.
 *
 * @throws {LogError} If the text is not a log the report reads.
 */
export function readLog(source: string, file: string, title: string): ReportData {
  const builder = new ReportBuilder();
  const text = source.replace(/^\uFEFF/, "");
  if (text.startsWith(JOBLOG_HEADER)) {
    fromJoblog(text, builder);
    return builder.build(title, "joblog", file);
  }
  const trimmed = text.trimStart();
  if (trimmed === "") throw new LogError("it is empty");
  if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
    const trace = parseTrace(text);
    if (trace) {
      fromTrace(trace.events, trace.otherData, builder);
      return builder.build(title, "trace", file);
    }
    if (trimmed.startsWith("[")) return fromArray(text, builder, file, title);
    return fromLines(text, builder, file, title);
  }
  throw new LogError(
    "it is not a trace, procrun's --jsonl or --json output, or a joblog (whose first line is " +
      `${JSON.stringify(JOBLOG_HEADER)})`,
  );
}

/** `--json`'s array of results. */
function fromArray(text: string, builder: ReportBuilder, file: string, title: string): ReportData {
  let items: unknown;
  try {
    items = JSON.parse(text);
  } catch (error) {
    throw new LogError(`it is not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(items)) throw new LogError("it is not a JSON array of results");
  items.forEach((item, i) => {
    if (!isResult(item)) throw new LogError(`item ${i} is not a procrun result`);
    addResult(item, builder);
  });
  return builder.build(title, "json", file);
}

/** JSON Lines of results; a torn last line (the run was killed while writing) is left out. */
function fromLines(text: string, builder: ReportBuilder, file: string, title: string): ReportData {
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let item: unknown;
    try {
      item = JSON.parse(line);
    } catch {
      if (i === lines.length - 1) return;
      throw new LogError(`line ${i + 1} is not JSON`);
    }
    if (!isResult(item)) {
      throw new LogError(`line ${i + 1} is not a procrun result (ProcResult.toJSON())`);
    }
    addResult(item, builder);
  });
  return builder.build(title, "jsonl", file);
}
