/**
 * Public types shared by every engine.
 *
 * @module
 */
import type { ProcResult } from "./result.ts";
import type { TraceRecorder } from "./trace.ts";

/**
 * What a task function returns: `[success, answer]`, or a promise of it.
 * `answer` is stored in {@linkcode ProcResult.answer}.
 */
export type TaskReturn = readonly [boolean, unknown];

/**
 * A task function, called as `fn(key, [...pargs.slice(1), arg], signal)`.
 *
 * `signal` is aborted when the task times out or the run is cancelled; a
 * function that does long work should pass it on or check it.
 */
export type TaskFunction = (
  key: unknown,
  args: unknown[],
  signal: AbortSignal,
) => TaskReturn | Promise<TaskReturn>;

/**
 * What to run for each task: `[command, ...args]`, where `command` is a path,
 * a name looked up in `PATH` or a `file:` URL, or `[fn, ...args]` for a
 * {@linkcode TaskFunction}.
 */
export type Pargs =
  | readonly [string | URL, ...(string | number)[]]
  | readonly [TaskFunction, ...unknown[]];

/**
 * One task: its unique key and its argument. For a command, an argument that
 * is an array is several words (appended in order, or in place of a word that
 * is the `placeholder` alone); anything else is one word, as a string.
 */
export type Task = readonly [key: unknown, arg: unknown];

/** The task list: any iterable or async iterable of `[key, arg]` pairs, read lazily. */
export type Tasks = Iterable<Task> | AsyncIterable<Task>;

/** How a command's output is kept in its result: see {@linkcode ProcRunOptions.encoding}. */
export type OutputEncoding = "utf8" | "buffer";

/**
 * When to try a failed task again: see {@linkcode ProcRunOptions.retry}. The
 * names and the delay are @std/async's `retry` (times in milliseconds); the
 * defaults are GNU parallel's: one attempt, and no delay between attempts.
 *
 * The delay before attempt n + 1 (n from 1) is
 * `min(maxTimeout, minTimeout * multiplier ** (n - 1))`, less a random share
 * of up to `jitter` of it.
 */
export interface RetryOptions {
  /**
   * Attempts in all, the first one included (GNU parallel's `--retries`).
   *
   * @default {1}
   */
  maxAttempts?: number;
  /**
   * Milliseconds before the first retry; 0 for none.
   *
   * @default {0}
   */
  minTimeout?: number;
  /**
   * How much longer each delay is than the one before.
   *
   * @default {2}
   */
  multiplier?: number;
  /**
   * The longest delay, in milliseconds.
   *
   * @default {60000}
   */
  maxTimeout?: number;
  /**
   * The share of each delay taken off at random, from 0 (none) to 1.
   *
   * @default {1}
   */
  jitter?: number;
  /**
   * Whether to try again after this failed attempt, given its result. By
   * default every failure is retried, timeouts included; a cancelled task
   * never is.
   */
  isRetriable?: (result: ProcResult) => boolean;
}

/**
 * A threshold of a {@linkcode HaltPolicy}: a number of tasks, or a
 * percentage (`"20%"`) of the tasks started so far.
 */
export type HaltThreshold = number | `${number}%`;

/**
 * When to stop a run early, as GNU parallel's `--halt when,why=threshold`:
 * give `when` and exactly one of `fail`, `success` and `done`.
 *
 * @example Stop everything at the first failure
 * ```ts
 * import { ProcRunAsync } from "@procrun/procrun";
 * import { assertEquals } from "@std/assert";
 *
 * const run = new ProcRunAsync(["sh", "-c", 'exit "$0"'], [["a", 3], ["b", 0]], {
 *   numWorkers: 1,
 *   halt: { when: "now", fail: 1 },
 * });
 * const [a, b] = await run.runAll();
 * assertEquals([a!.returncode, b!.cancelled], [3, true]);
 * assertEquals(run.haltedBy, a);
 * ```
 */
export interface HaltPolicy {
  /**
   * `"soon"`: start no more tasks and let the running ones end; `"now"`: also
   * stop the running ones, as a timeout would.
   */
  when: "soon" | "now";
  /** Halt once this many tasks have failed (after their last attempt). */
  fail?: HaltThreshold;
  /** Halt once this many tasks have succeeded. */
  success?: HaltThreshold;
  /** Halt once this many tasks have ended, whatever their outcome. */
  done?: HaltThreshold;
}

/** Options shared by every engine. */
export interface ProcRunOptions {
  /**
   * How many tasks run at once. 0 means no limit.
   *
   * @default {4}
   */
  numWorkers?: number;
  /**
   * Seconds each task may run, counted from its own start (fractions allowed).
   * 0 means no timeout. A command that runs out of time has its whole process
   * group sent SIGTERM, then SIGKILL after `killGrace` seconds.
   *
   * @default {0}
   */
  timeout?: number;
  /**
   * Cancels the whole run: tasks not started yet get a cancelled result and
   * never start; running tasks are killed (commands) or aborted (functions).
   */
  signal?: AbortSignal;
  /** Working directory for commands; the current directory when not given. */
  cwd?: string | URL;
  /** Extra environment variables for commands, added to the inherited environment. */
  env?: Record<string, string>;
  /** Text or bytes fed to every command's standard input; none when not given. */
  stdin?: string | Uint8Array;
  /**
   * Bytes kept of each command's standard output and of its standard error;
   * the rest is read and dropped, and the result's `stdoutTruncated` or
   * `stderrTruncated` is set.
   *
   * @default {16777216}
   */
  maxOutputBytes?: number;
  /**
   * How a command's output is kept: `"utf8"` decodes it into the result's
   * `stdout` and `stderr` strings (bytes that are not UTF-8 become U+FFFD);
   * `"buffer"` keeps the bytes as they came in `stdoutBytes` and
   * `stderrBytes` (`stdout` and `stderr` are then empty), for binary output
   * such as `gzip -c`'s. The names are execa's and Node's.
   *
   * @example Keep binary output whole
   * ```ts
   * import { ProcRunAsync } from "@procrun/procrun";
   * import { assertEquals } from "@std/assert";
   *
   * const run = new ProcRunAsync(["printf", "\\377\\000"], [["a", ""]], { encoding: "buffer" });
   * const [result] = await run.runAll();
   * assertEquals(result!.stdoutBytes, new Uint8Array([0xff, 0]));
   * ```
   *
   * @default {"utf8"}
   */
  encoding?: OutputEncoding;
  /**
   * Seconds between SIGTERM and SIGKILL when a command is stopped.
   *
   * @default {2}
   */
  killGrace?: number;
  /**
   * Logs each task's start and end to standard error.
   *
   * @default {false}
   */
  verbose?: boolean;
  /** Called with each result as soon as its task ends, in completion order. */
  onResult?: (result: ProcResult) => void;
  /**
   * While the run is active, SIGINT, SIGTERM and SIGHUP cancel it (killing every
   * command's process tree), then the signal is raised again so the process
   * ends as it would have. Set to false when you handle those signals
   * yourself, and abort `signal` from your handler.
   *
   * @default {true}
   */
  handleSignals?: boolean;
  /**
   * For commands: a marker replaced by the task's argument wherever it appears
   * in `pargs` (as `xargs -I {}` does, also inside a word); when no item of
   * `pargs` contains it, the argument is appended as usual. Unset, the
   * argument is always appended.
   *
   * @default {undefined}
   */
  placeholder?: string;
  /**
   * Whether {@linkcode ProcRun.results} keeps every result. By default it does
   * for `runAll()`, and does not for `stream()`, whose loop gets each result
   * and may run over an endless task list: memory stays flat. Set it to false
   * for huge task lists consumed through `onResult`, or to true to keep the
   * results of a `stream()` too.
   */
  keepResults?: boolean;
  /**
   * Tries a failed task again, up to `maxAttempts` attempts in all, each with
   * its own timeout and clock. The task keeps one result, the last
   * attempt's; its `attempts` and `earlierAttempts` tell what came before.
   * A retry waits in the task's slot: it does not let another task start.
   *
   * @example Up to three attempts
   * ```ts
   * import { ProcRunAsync } from "@procrun/procrun";
   * import { assertEquals } from "@std/assert";
   *
   * const run = new ProcRunAsync(["false"], [["a", ""]], { retry: { maxAttempts: 3 } });
   * const [result] = await run.runAll();
   * assertEquals([result!.success, result!.attempts, result!.earlierAttempts.length], [false, 3, 2]);
   * ```
   *
   * By default each task runs once.
   */
  retry?: RetryOptions;
  /**
   * Stops the run early once enough tasks have failed, succeeded or ended
   * (see {@linkcode HaltPolicy}). Tasks it keeps from running get a cancelled
   * result that says why; {@linkcode ProcRun.haltedBy} is the result that
   * set it off. By default the run never halts.
   */
  halt?: HaltPolicy;
  /**
   * Records the run as a trace in the Chrome Trace Event format, for
   * ui.perfetto.dev and chrome://tracing: see {@linkcode TraceRecorder}. A
   * recorder records one run.
   *
   * @example Trace a run
   * ```ts
   * import { ProcRunAsync, TraceRecorder } from "@procrun/procrun";
   * import { assertEquals } from "@std/assert";
   *
   * const trace = new TraceRecorder();
   * await new ProcRunAsync(["true"], [["a", ""]], { trace }).runAll();
   * assertEquals(trace.toJSON().traceEvents.some((event) => event.name === "a"), true);
   * ```
   *
   * By default nothing is recorded.
   */
  trace?: TraceRecorder;
}
