/**
 * How the CLI shows results: each task's output as it ends (or in input order),
 * JSON Lines, a JSON array or the report at the end, the joblog, the progress
 * bar and the summary line.
 *
 * @module
 */
import { palette } from "../_colors.ts";
import type { OutputMode } from "./args.ts";
import type { TaskFeed } from "./input.ts";
import type { JobLog } from "./joblog.ts";
import type { OutputQueue } from "./output.ts";
import type { ProgressBar } from "./progress.ts";
import type { ProcRun } from "../proc_run.ts";
import type { ProcResult } from "../result.ts";
import { inspectLine } from "../_util.ts";
import { removeSpool, takeSpool } from "../_spool.ts";
import { prefixLines } from "./output.ts";
import { writeResult } from "./results.ts";
import { valuesOf } from "./program.ts";

const encoder = new TextEncoder();

/** How to render. */
export interface RenderOptions {
  mode: OutputMode;
  keepOrder: boolean;
  quiet: boolean;
  /** Colour for what goes to standard output (the report). */
  colorOut: boolean;
  /** Colour for procrun's notes and summary on standard error. */
  colorErr: boolean;
  /** Whether tasks are commands (else functions). */
  isCommand: boolean;
  /** The command line of a task from its input and sequence number, for notes and the joblog. */
  describe: (input: unknown, seq: number, slot: number | null, host: string | null) => string;
  /** `--line-buffer`: the output went out as it came; none is written at the end. */
  streamed?: boolean;
  /** `--results DIR`: where each task's seq, stdout and stderr are written. */
  results?: string;
  /** The tag put before each line of a task's output (`--tag`, `--tagstring`), if any. */
  tag?: (input: unknown, seq: number, slot: number | null, host: string | null) => string;
  /** The cap the user set on each stream (--max-output-bytes), for the note on a cut. */
  maxOutputBytes?: number;
}

/** One result as a JSON text; an answer JSON cannot hold (a BigInt, a cycle) is inspected. */
export function resultJson(result: ProcResult, indent?: number): string {
  try {
    return JSON.stringify(result, null, indent);
  } catch {
    return JSON.stringify({ ...result.toJSON(), answer: inspectLine(result.answer) }, null, indent);
  }
}

/** Why a task failed, in a few words. */
export function failure(result: ProcResult): string {
  if (result.timeout) return result.error ?? "timed out";
  if (result.cancelled) return result.error ?? "cancelled";
  if (result.signal !== null) return `killed by ${result.signal}`;
  if (result.exception !== null) return `${result.exception}: ${result.error ?? ""}`;
  if (result.returncode !== null) return `exit ${result.returncode}`;
  return "failed";
}

/** Renders results as they arrive, then the end of the run. */
export class Renderer {
  /** Tasks ended. */
  done = 0;
  /** Tasks that did not succeed. */
  failed = 0;
  /** Tasks stopped by their timeout. */
  timedOut = 0;
  /** Tasks cancelled (by a signal). */
  cancelled = 0;
  #out: OutputQueue;
  #feed: TaskFeed;
  #options: RenderOptions;
  #joblog: JobLog | undefined;
  #progress: ProgressBar | undefined;
  #waiting = new Map<number, { result: ProcResult; command: string; tag?: Uint8Array }>();
  #next = 1;

  /**
   * @param out Where text goes.
   * @param feed The task list, for each result's input position.
   * @param options How to render.
   * @param joblog The joblog, if any.
   * @param progress The progress bar, if shown.
   */
  constructor(
    out: OutputQueue,
    feed: TaskFeed,
    options: RenderOptions,
    joblog?: JobLog,
    progress?: ProgressBar,
  ) {
    this.#out = out;
    this.#feed = feed;
    this.#options = options;
    this.#joblog = joblog;
    this.#progress = progress;
  }

  /** Takes one finished result (the runner's `onResult`). */
  add(result: ProcResult): void {
    const { seq, input } = this.#feed.take(result.key);
    // The runner got the command's words; the result shows the task's input.
    result.arg = input;
    const command = this.#options.describe(input, seq, result.slot, result.host);
    const tag = this.#options.tag
      ? encoder.encode(this.#options.tag(input, seq, result.slot, result.host) + "\t")
      : undefined;
    this.done++;
    if (!result.success) this.failed++;
    if (result.timeout) this.timedOut++;
    if (result.cancelled) this.cancelled++;
    this.#joblog?.add(seq, result, command, this.#options.isCommand);
    if (this.#options.results !== undefined && result.timeStart !== null) {
      try {
        writeResult(this.#options.results, valuesOf(input), seq, result);
      } catch (error) {
        this.#out.push("stderr", `procrun: cannot write --results: ${(error as Error).message}\n`);
      }
    }
    if (this.#options.keepOrder) {
      this.#waiting.set(seq, { result, command, tag });
      while (this.#waiting.has(this.#next)) {
        const next = this.#waiting.get(this.#next)!;
        this.#emit(next.result, next.command, next.tag);
        this.#waiting.delete(this.#next++);
      }
    } else {
      this.#emit(result, command, tag);
    }
    this.#progress?.draw();
  }

  /**
   * Shows what comes at the end: results still waiting for an earlier one,
   * the JSON array or report, and the summary line.
   *
   * @param run The finished run.
   * @param stoppedBy The signal that stopped the run, if any.
   */
  async finish(run: ProcRun, stoppedBy: string | undefined): Promise<void> {
    for (const seq of [...this.#waiting.keys()].sort((a, b) => a - b)) {
      const { result, command, tag } = this.#waiting.get(seq)!;
      this.#emit(result, command, tag);
    }
    this.#waiting.clear();
    const { mode, quiet, colorOut, colorErr } = this.#options;
    if (mode === "json") {
      const items = run.results.map((result) => resultJson(result, 2).replaceAll("\n", "\n  "));
      this.#out.push("stdout", items.length ? `[\n  ${items.join(",\n  ")}\n]\n` : "[]\n");
    } else if (mode === "report") {
      await this.#out.drain();
      try {
        run.printResults({ color: colorOut });
      } catch {
        // Standard output is closed: nothing more to show.
      }
    }
    // The bar's last state is drawn once the output before it is out.
    await this.#out.drain();
    this.#progress?.stop();
    if (!quiet) {
      const { yellow } = palette(colorErr);
      // A cancelled task neither ended by itself nor failed: it is counted apart.
      const parts = [
        `${this.done - this.cancelled} done`,
        `${this.failed - this.cancelled} failed`,
        `${this.timedOut} timed out`,
      ];
      if (this.cancelled > 0) parts.push(`${this.cancelled} cancelled`);
      let line = `procrun: ${parts.join(", ")}, ${run.timeRun.toFixed(3)} s`;
      if (stoppedBy) line += ` (stopped by ${stoppedBy})`;
      this.#out.push("stderr", (this.failed > 0 ? yellow(line) : line) + "\n");
    }
    await this.#out.drain();
  }

  #emit(result: ProcResult, command: string, tag?: Uint8Array): void {
    const { mode, isCommand, quiet, colorErr } = this.#options;
    if (mode === "jsonl") {
      this.#out.push("stdout", resultJson(result) + "\n");
      return;
    }
    if (mode !== "default") return;
    if (isCommand && this.#options.streamed) {
      // Sent line by line as it came (--line-buffer): only its spool files are left.
      const spooled = takeSpool(result);
      for (const file of [spooled?.stdout, spooled?.stderr]) if (file) removeSpool(file);
    } else if (isCommand) {
      // Bytes as they came (encoding "buffer"), from a spool file past 1 MiB:
      // binary and big output pass through unchanged and uncut.
      const spooled = takeSpool(result);
      const piece = (file: string | null | undefined, bytes: Uint8Array | null, text: string) => {
        if (file) return { file, prefix: tag };
        const data = bytes ?? encoder.encode(text);
        return tag ? prefixLines(data, tag).bytes : data;
      };
      this.#out.push("stdout", piece(spooled?.stdout, result.stdoutBytes, result.stdout));
      this.#out.push("stderr", piece(spooled?.stderr, result.stderrBytes, result.stderr));
    } else if (result.answer !== null && result.answer !== undefined) {
      const answer = result.answer;
      this.#out.push("stdout", (typeof answer === "string" ? answer : safeJson(answer)) + "\n");
    }
    // A cut is never silent: the user's cap is said (no cap is set by default).
    const cut = [
      result.stdoutTruncated ? "standard output" : "",
      result.stderrTruncated ? "standard error" : "",
    ].filter(Boolean);
    if (cut.length > 0 && !quiet) {
      const { yellow } = palette(colorErr);
      this.#out.push(
        "stderr",
        yellow(
          `procrun: task ${String(result.key)} (${shorten(command)}): ${
            cut.join(" and ")
          } cut at ${this.#options.maxOutputBytes} bytes (--max-output-bytes)`,
        ) + "\n",
      );
    }
    // A task cancelled before it started has nothing to say: the summary counts it.
    if (!result.success && !quiet && result.timeStart !== null) {
      const { red, yellow } = palette(colorErr);
      const note = `procrun: task ${String(result.key)} (${shorten(command)}): ${failure(result)}`;
      this.#out.push(
        "stderr",
        (result.timeout || result.cancelled ? yellow(note) : red(note)) + "\n",
      );
    }
  }
}

/** The longest command line a note on standard error shows whole. */
const NOTE_LIMIT = 200;

/** `text`, cut to {@linkcode NOTE_LIMIT} characters with its length said. */
export function shorten(text: string): string {
  if (text.length <= NOTE_LIMIT) return text;
  return `${text.slice(0, NOTE_LIMIT)}... (${text.length} characters)`;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? inspectLine(value);
  } catch {
    return inspectLine(value);
  }
}
