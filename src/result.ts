/**
 * The result of one task, shared by every engine.
 *
 * @module
 */
import { format as formatDuration } from "@std/fmt/duration";
import { colorByDefault, palette } from "./_colors.ts";
import { section, show } from "./_result_text.ts";

/** The plain-data form of a {@linkcode ProcResult}, as given by `toJSON()`. */
export interface ProcResultJSON {
  /** The task's key. */
  key: unknown;
  /** The task's argument. */
  arg: unknown;
  /** When the task started running, as an ISO 8601 string, or null if it never started. */
  timeStart: string | null;
  /** When the task ended, as an ISO 8601 string, or null if it never started. */
  timeEnd: string | null;
  /** Seconds the task ran, from its start (not from when it was queued). */
  timeRun: number;
  /** Whether the task succeeded. */
  success: boolean;
  /** Whether the task was stopped by its timeout. */
  timeout: boolean;
  /** Whether the task was cancelled through the run's signal. */
  cancelled: boolean;
  /** The name of the error that ended the task, or null. */
  exception: string | null;
  /** The message of the error that ended the task, or null. */
  error: string | null;
  /** The command's exit code, or null. */
  returncode: number | null;
  /** The name of the signal that ended the command, or null. */
  signal: string | null;
  /** The command's standard output. */
  stdout: string;
  /** The command's standard error. */
  stderr: string;
  /** Whether standard output went past `maxOutputBytes` and was cut. */
  stdoutTruncated: boolean;
  /** Whether standard error went past `maxOutputBytes` and was cut. */
  stderrTruncated: boolean;
  /** The function's answer, or null. */
  answer: unknown;
  /** How many times the task was run: 0 if never, more than 1 if it was retried. */
  attempts: number;
  /** The earlier attempts of a retried task, oldest first, with ISO 8601 times. */
  earlierAttempts: AttemptRecordJSON[];
  /** The job slot that ran the last attempt, or null. */
  slot: number | null;
  /** The host that ran the last attempt, or null for this machine. */
  host: string | null;
}

/**
 * What happened at one earlier attempt of a retried task (the result itself
 * holds the last attempt's outcome whole).
 */
export interface AttemptRecord {
  /** When the attempt started, or null if it never started. */
  timeStart: Date | null;
  /** When it ended, or null if it never started. */
  timeEnd: Date | null;
  /** The command's exit code, or null. */
  returncode: number | null;
  /** The name of the signal that ended the command, or null. */
  signal: string | null;
  /** Whether the attempt was stopped by its timeout. */
  timeout: boolean;
  /** The name of the error that ended it, or null. */
  exception: string | null;
  /** The message of that error, or null. */
  error: string | null;
  /** The job slot that ran it, or null if it never started. */
  slot: number | null;
  /** The host that ran it, or null for this machine. */
  host: string | null;
}

/** An {@linkcode AttemptRecord} as plain data, its times as ISO 8601 strings. */
export type AttemptRecordJSON = Omit<AttemptRecord, "timeStart" | "timeEnd"> & {
  timeStart: string | null;
  timeEnd: string | null;
};

/** Shared by every result that was not retried. */
const NO_ATTEMPTS: readonly AttemptRecord[] = Object.freeze([]);

/** Options of {@linkcode ProcResult.format}, `print()` and `printResults()`. */
export interface PrintOptions {
  /**
   * Whether to colour the text with ANSI codes. By default only when standard
   * output is a terminal and `NO_COLOR` is not set, so that files and pipes
   * get plain text.
   */
  color?: boolean;
}

/**
 * For engines: a result's times as milliseconds since the epoch (null when
 * unset), read and written without making `Date` objects.
 */
export let resultTimes: {
  start(result: ProcResult): number | null;
  end(result: ProcResult): number | null;
  set(result: ProcResult, start: number | null, end: number | null): void;
};

/**
 * For the task loop: whether a result's task is in an engine now. A flag on
 * the result, not a `Set` of running results: a set's churn (an add and a
 * delete per task) cost a sixth of a run of trivial functions and 60 MB of
 * peak memory per million tasks.
 */
export let resultInEngine: {
  /** Marks the task as handed to an engine. */
  enter(result: ProcResult): void;
  /** Marks it as out; returns whether it was in (false: it already ended). */
  leave(result: ProcResult): boolean;
  /** Whether it is in. */
  has(result: ProcResult): boolean;
};

/**
 * The outcome of one task: one per task, whatever happened to it.
 *
 * Engines create a `ProcResult` as soon as a task is read from the task list and
 * fill it in when the task ends. Times count from the moment the task started
 * running, never from when it was queued.
 *
 * A few fields that most results leave at their default (`stdoutBytes`,
 * `stderrBytes`, the truncation flags, `earlierAttempts`, `host`) are read
 * from the class until a task sets them, which keeps 100,000 held results
 * 5 MB smaller: `{ ...result }` copies only what is set, `toJSON()` gives
 * every field.
 *
 * @example Read a result
 * ```ts
 * import { ProcResult } from "@procrun/procrun";
 * import { assertEquals } from "@std/assert";
 *
 * const result = new ProcResult("a", 1);
 * assertEquals(result.success, false);
 * assertEquals(result.toJSON().key, "a");
 * ```
 */
export class ProcResult {
  /** The task's key, unique within a run. */
  key: unknown;
  /** The task's argument. */
  arg: unknown;
  // The times are kept as numbers (ms since the epoch, or null): a Date costs
  // about 100 bytes of heap, which adds up to 20 MB for 100,000 results.
  #timeStart: number | null = null;
  #timeEnd: number | null = null;
  #inEngine = false;

  /**
   * When the task started running, or null if it never started. Each read
   * returns a new `Date`; assign a `Date` (or null) to change it.
   */
  get timeStart(): Date | null {
    return this.#timeStart === null ? null : new Date(this.#timeStart);
  }
  set timeStart(value: Date | null) {
    this.#timeStart = value === null ? null : value.getTime();
  }

  /**
   * When the task ended, or null if it never started. Each read returns a new
   * `Date`; assign a `Date` (or null) to change it.
   */
  get timeEnd(): Date | null {
    return this.#timeEnd === null ? null : new Date(this.#timeEnd);
  }
  set timeEnd(value: Date | null) {
    this.#timeEnd = value === null ? null : value.getTime();
  }

  static {
    // Fields most results never set live on the prototype until they are set:
    // 48 bytes less for each of 100,000 results (see bench/README.md).
    Object.assign(ProcResult.prototype, {
      stdoutBytes: null,
      stderrBytes: null,
      stdoutTruncated: false,
      stderrTruncated: false,
      earlierAttempts: NO_ATTEMPTS,
      host: null,
    });
    resultTimes = {
      start: (result) => result.#timeStart,
      end: (result) => result.#timeEnd,
      set: (result, start, end) => {
        result.#timeStart = start;
        result.#timeEnd = end;
      },
    };
    resultInEngine = {
      enter: (result) => {
        result.#inEngine = true;
      },
      leave: (result) => {
        const was = result.#inEngine;
        result.#inEngine = false;
        return was;
      },
      has: (result) => result.#inEngine,
    };
  }
  /** Seconds the task ran, from its start (not from when it was queued). */
  timeRun = 0;
  /**
   * Whether the task succeeded: a command that exited 0, or a function that
   * returned `[true, answer]`.
   */
  success = false;
  /** Whether the task was stopped by its timeout. */
  timeout = false;
  /** Whether the task was cancelled through the run's `signal`. */
  cancelled = false;
  /**
   * The name of the error that ended the task (`"TimeoutError"`, `"AbortError"`,
   * `"NotFound"`, the name of what a function threw, ...), or null.
   */
  exception: string | null = null;
  /** The message of the error that ended the task, or null. */
  error: string | null = null;
  /** The command's exit code, or null when it did not exit by itself (spawn failure, signal, function task). */
  returncode: number | null = null;
  /** The name of the signal that ended the command (`"SIGTERM"`, ...), or null. */
  signal: string | null = null;
  /**
   * The command's standard output, decoded as UTF-8 (invalid bytes become
   * U+FFFD); empty with `encoding: "buffer"`, which keeps `stdoutBytes`.
   */
  stdout = "";
  /** The command's standard error, decoded as UTF-8 (invalid bytes become U+FFFD). */
  stderr = "";
  /**
   * The command's standard output as bytes, with the `encoding: "buffer"`
   * option (then `stdout` is empty); else null.
   */
  declare stdoutBytes: Uint8Array | null;
  /** The command's standard error as bytes, with `encoding: "buffer"`; else null. */
  declare stderrBytes: Uint8Array | null;
  /** Whether standard output went past `maxOutputBytes` and its tail was dropped. */
  declare stdoutTruncated: boolean;
  /** Whether standard error went past `maxOutputBytes` and its tail was dropped. */
  declare stderrTruncated: boolean;
  /** The function's answer (the second item of what it returned), or null. */
  answer: unknown = null;
  /**
   * How many times the task was run: 1, more when it was retried (see
   * {@linkcode ProcRunOptions.retry}), 0 if it never started.
   */
  attempts = 0;
  /**
   * What happened at each earlier attempt of a retried task, oldest first;
   * the other fields hold the last attempt's outcome. Empty unless retried.
   */
  declare earlierAttempts: readonly AttemptRecord[];
  /**
   * The job slot that ran the task's last attempt, from 1: no two tasks that
   * run at once share one (GNU parallel's `{%}`). Null if it never started.
   */
  slot: number | null = null;
  /**
   * The host that ran the task's last attempt (its sshlogin, see
   * `ProcRunAsync`'s `hosts`), or null for this machine.
   */
  declare host: string | null;

  /**
   * Creates an empty result for one task.
   *
   * @param key The task's key.
   * @param arg The task's argument.
   */
  constructor(key: unknown, arg: unknown) {
    this.key = key;
    this.arg = arg;
  }

  /**
   * Returns the result as plain data, with dates as ISO 8601 strings.
   *
   * @returns The result's fields.
   *
   * @example To JSON
   * ```ts
   * import { ProcResult } from "@procrun/procrun";
   * import { assertEquals } from "@std/assert";
   *
   * const json = JSON.parse(JSON.stringify(new ProcResult(1, "x")));
   * assertEquals(json.arg, "x");
   * assertEquals(json.timeStart, null);
   * ```
   */
  toJSON(): ProcResultJSON {
    return {
      key: this.key,
      arg: this.arg,
      timeStart: this.timeStart?.toISOString() ?? null,
      timeEnd: this.timeEnd?.toISOString() ?? null,
      timeRun: this.timeRun,
      success: this.success,
      timeout: this.timeout,
      cancelled: this.cancelled,
      exception: this.exception,
      error: this.error,
      returncode: this.returncode,
      signal: this.signal,
      stdout: this.stdout,
      stderr: this.stderr,
      stdoutTruncated: this.stdoutTruncated,
      stderrTruncated: this.stderrTruncated,
      answer: this.answer,
      attempts: this.attempts,
      earlierAttempts: this.earlierAttempts.map((attempt) => ({
        ...attempt,
        timeStart: attempt.timeStart?.toISOString() ?? null,
        timeEnd: attempt.timeEnd?.toISOString() ?? null,
      })),
      slot: this.slot,
      host: this.host,
    };
  }

  /**
   * Returns a readable, multi-line report of the result.
   *
   * @param options `color`: whether to colour it with ANSI codes; by default
   * only when standard output is a terminal and `NO_COLOR` is not set.
   * @returns The report.
   *
   * @example Format
   * ```ts
   * import { ProcResult } from "@procrun/procrun";
   * import { assertStringIncludes } from "@std/assert";
   *
   * const result = new ProcResult("job", 3);
   * assertStringIncludes(result.format(), "job");
   * ```
   */
  format(options: PrintOptions = {}): string {
    const { bold, cyan, dim, green, red, yellow } = palette(
      options.color ?? colorByDefault(Deno.stdout),
    );
    const status = this.success
      ? green("success")
      : this.timeout
      ? yellow("timeout")
      : this.cancelled
      ? yellow("cancelled")
      : red("failed");
    const lines = [
      `${bold("key")} ${show(this.key)}  ${bold("arg")} ${show(this.arg)}  ${bold(status)}`,
    ];
    const facts: string[] = [];
    if (this.returncode !== null) facts.push(`returncode ${this.returncode}`);
    if (this.signal !== null) facts.push(`signal ${this.signal}`);
    facts.push(
      `run ${
        formatDuration(Math.round(this.timeRun * 1000), { ignoreZero: true }) ||
        "0ms"
      }`,
    );
    if (this.timeStart) facts.push(`start ${this.timeStart.toISOString()}`);
    if (this.attempts > 1) facts.push(`attempts ${this.attempts}`);
    lines.push(`  ${dim(facts.join("  "))}`);
    if (this.exception !== null || this.error !== null) {
      lines.push(`  ${red(`${this.exception ?? "Error"}: ${this.error ?? ""}`)}`);
    }
    section(lines, "stdout", this.stdout, this.stdoutTruncated, cyan, dim);
    section(lines, "stderr", this.stderr, this.stderrTruncated, cyan, dim);
    if (this.answer !== null && this.answer !== undefined) {
      lines.push(`  ${cyan("answer")} ${show(this.answer)}`);
    }
    return lines.join("\n");
  }

  /**
   * Prints {@linkcode ProcResult.format} to standard output.
   *
   * @param options `color`: as for {@linkcode ProcResult.format}.
   *
   * @example Print
   * ```ts
   * import { ProcResult } from "@procrun/procrun";
   *
   * new ProcResult("job", 3).print();
   * ```
   */
  print(options: PrintOptions = {}): void {
    console.log(this.format(options));
  }
}
