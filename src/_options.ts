/**
 * Validation of a runner's arguments, shared by every engine. Everything here
 * throws before any task runs.
 *
 * @module
 */
import { type ResolvedHalt, resolveHalt } from "./_halt.ts";
import { invalid, received } from "./_invalid.ts";
import { type ResolvedRetry, resolveRetry } from "./_retry.ts";
import { SPOOL_BYTES } from "./_spool.ts";
import { spawnPath } from "./_process/spawn.ts";
import { illFormed } from "./_text.ts";
import { traceSupport } from "./_trace/support.ts";
import type { TaskInfo } from "./_trace/tracer.ts";
import type { ProcResult } from "./result.ts";
import type { TraceRecorder } from "./trace.ts";
import type { OutputEncoding, Pargs, ProcRunOptions, Task, TaskFunction, Tasks } from "./types.ts";

/**
 * An internal option (a symbol, so not one of ProcRunOptions' names): a
 * text that the async engine replaces, in a command's words, by the job
 * slot that runs it (the CLI's `{%}`).
 */
export const SLOT_MARK: unique symbol = Symbol("procrun.slotMark");

/**
 * An internal option: a function giving the timeout (ms, 0 for none) of the
 * next command the async engine starts, in place of `timeout` (the CLI's
 * `--timeout P%`).
 */
export const TIMEOUT_FOR: unique symbol = Symbol("procrun.timeoutFor");

/**
 * An internal option: called with each piece of a command's output as the
 * async engine reads it (the CLI's `--line-buffer`).
 */
export const OUTPUT_HOOK: unique symbol = Symbol("procrun.outputHook");

/** What {@linkcode OUTPUT_HOOK} is given. */
export type OutputHook = (
  result: ProcResult,
  stream: "stdout" | "stderr",
  chunk: Uint8Array,
) => void;

/** Options after validation, in the units the engines use. */
export interface ResolvedOptions {
  /** Tasks at once; `Infinity` for no limit. */
  numWorkers: number;
  /** Milliseconds, 0 for none. */
  timeoutMs: number;
  signal: AbortSignal | undefined;
  cwd: string | URL | undefined;
  env: Record<string, string> | undefined;
  stdin: Uint8Array | undefined;
  maxOutputBytes: number;
  /** How command output is kept: decoded text, or the bytes as they came. */
  encoding: OutputEncoding;
  /** Bytes of a stream held in memory before the rest is spooled to a file; 0: never. */
  spoolBytes: number;
  /** Replaced by the job slot in a command's words (see SLOT_MARK), or undefined. */
  slotMark: string | undefined;
  /** Each command's timeout as it starts (see TIMEOUT_FOR), or undefined. */
  timeoutFor: (() => number) | undefined;
  /** Each piece of output as it is read (see OUTPUT_HOOK), or undefined. */
  outputHook: OutputHook | undefined;
  killGraceMs: number;
  verbose: boolean;
  onResult: ((result: ProcResult) => void) | undefined;
  handleSignals: boolean;
  placeholder: string | undefined;
  /** Undefined: the default of each way to run (runAll keeps, stream does not). */
  keepResults: boolean | undefined;
  /** Undefined: one attempt per task. */
  retry: ResolvedRetry | undefined;
  /** Undefined: never halt. */
  halt: ResolvedHalt | undefined;
  /** The run's trace, and each task's arg and command as it shows them; undefined: none. */
  trace: { recorder: TraceRecorder; taskInfo: TaskInfo } | undefined;
}

/** The validated `pargs`: a command with its arguments, or a function. */
export type Program =
  | { kind: "command"; command: string | URL; args: string[] }
  | { kind: "function"; fn: TaskFunction; args: unknown[] };

/** Default bytes kept per output stream. */
export const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
/** Default seconds between SIGTERM and SIGKILL. */
export const DEFAULT_KILL_GRACE = 2;

/**
 * Checks `pargs` and splits it into what to run.
 *
 * @throws {TypeError} If `pargs` is not a non-empty array starting with a command or a function.
 */
export function resolvePargs(owner: string, pargs: Pargs): Program {
  if (!Array.isArray(pargs) || pargs.length === 0) {
    throw new TypeError(
      invalid(owner, "pargs", "a non-empty array [command, ...args] or [fn, ...args]", pargs),
    );
  }
  const [head, ...rest] = pargs;
  if (typeof head === "function") {
    return { kind: "function", fn: head as TaskFunction, args: rest };
  }
  const isFileUrl = head instanceof URL && head.protocol === "file:";
  if (!(typeof head === "string" && head !== "") && !isFileUrl) {
    throw new TypeError(
      invalid(owner, "pargs[0]", "a command (non-empty string or file: URL) or a function", head),
    );
  }
  rest.forEach((value, index) => {
    if (typeof value !== "string" && typeof value !== "number") {
      throw new TypeError(
        invalid(owner, `pargs[${index + 1}]`, "a string or a number for a command", value),
      );
    }
  });
  // Deno.Command would send U+FFFD in place of a lone surrogate, without a word.
  [head, ...rest].forEach((value, index) => {
    const problem = typeof value === "string" ? illFormed(value) : null;
    if (problem !== null) {
      throw new TypeError(
        invalid(owner, `pargs[${index}]`, `well-formed text (it holds ${problem})`, value),
      );
    }
  });
  return { kind: "command", command: head as string | URL, args: rest.map(String) };
}

function isPair(task: unknown): task is Task {
  return Array.isArray(task) && task.length === 2;
}

/**
 * Checks one task and that its key was not seen before, then records the key.
 *
 * @throws {TypeError} If the task is not a `[key, arg]` pair or its key is a duplicate.
 */
export function checkTask(
  owner: string,
  task: unknown,
  index: number,
  seen: { has(key: unknown): boolean; add(key: unknown): unknown },
): Task {
  if (!isPair(task)) {
    throw new TypeError(invalid(owner, `tasks[${index}]`, "a [key, arg] pair", task));
  }
  if (seen.has(task[0])) {
    throw new TypeError(
      invalid(owner, `tasks[${index}]`, "a task with a unique key", task) +
        ` (key ${received(task[0])} is used by an earlier task)`,
    );
  }
  seen.add(task[0]);
  return task;
}

/**
 * Checks `tasks`: an iterable or async iterable; an array is checked whole,
 * now, so that bad pairs and duplicate keys are refused before anything runs.
 *
 * @throws {TypeError} If `tasks` is not iterable, or an array holds a bad pair or a duplicate key.
 */
export function checkTasks(owner: string, tasks: Tasks): void {
  const iterable = tasks !== null && typeof tasks === "object" &&
    (Symbol.iterator in tasks || Symbol.asyncIterator in tasks);
  if (!iterable) {
    throw new TypeError(
      invalid(owner, "tasks", "an iterable or async iterable of [key, arg] pairs", tasks),
    );
  }
  if (Array.isArray(tasks)) {
    const seen = new Set<unknown>();
    tasks.forEach((task, index) => checkTask(owner, task, index, seen));
  }
}

function seconds(
  owner: string,
  name: string,
  value: unknown,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new TypeError(invalid(owner, name, "a finite number of seconds >= 0", value));
  }
  if (!(value >= 0) || value === Infinity) {
    throw new RangeError(invalid(owner, name, "a finite number of seconds >= 0", value));
  }
  return value;
}

/** The options every engine takes: exactly ProcRunOptions' keys (checked below). */
const OPTION_NAMES = [
  "numWorkers",
  "timeout",
  "signal",
  "cwd",
  "env",
  "stdin",
  "maxOutputBytes",
  "encoding",
  "killGrace",
  "verbose",
  "onResult",
  "handleSignals",
  "placeholder",
  "keepResults",
  "retry",
  "halt",
  "trace",
] as const satisfies readonly (keyof ProcRunOptions)[];

// Fails to compile when ProcRunOptions gains a key that OPTION_NAMES lacks.
const _allOptionsListed: Exclude<keyof ProcRunOptions, typeof OPTION_NAMES[number]> extends never
  ? true
  : never = true;

/**
 * Refuses an option name no engine knows (a typo such as `numworkers` would
 * otherwise be ignored), naming the closest known one.
 */
function checkOptionNames(owner: string, options: object, extra: readonly string[]): void {
  const known: readonly string[] = [...OPTION_NAMES, ...extra];
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const near = known.find((k) => k.toLowerCase() === name.toLowerCase());
    throw new TypeError(
      `Cannot create ${owner} as '${name}' is not an option${
        near ? ` (did you mean '${near}'?)` : ""
      }: the options are ${known.join(", ")}`,
    );
  }
}

/**
 * Checks every option and converts it to the units the engines use. `extra`
 * names the options of this engine alone (checked by its own code).
 *
 * @throws {TypeError} If an option has the wrong type.
 * @throws {RangeError} If a number is out of range.
 */
export function resolveOptions(
  owner: string,
  options: ProcRunOptions,
  defaultWorkers: number,
  extra: readonly string[] = [],
): ResolvedOptions {
  if (options === null || typeof options !== "object") {
    throw new TypeError(invalid(owner, "options", "an object", options));
  }
  checkOptionNames(owner, options, extra);
  const {
    numWorkers = defaultWorkers,
    signal,
    cwd,
    env,
    stdin,
    maxOutputBytes = DEFAULT_MAX_OUTPUT_BYTES,
    encoding = "utf8",
    verbose = false,
    onResult,
    handleSignals = true,
    placeholder,
    keepResults,
    trace,
  } = options;
  if (!Number.isInteger(numWorkers) || numWorkers < 0) {
    throw new (typeof numWorkers === "number" ? RangeError : TypeError)(
      invalid(owner, "numWorkers", "a non-negative integer (0 for no limit)", numWorkers),
    );
  }
  const timeout = seconds(owner, "timeout", options.timeout, 0);
  const killGrace = seconds(owner, "killGrace", options.killGrace, DEFAULT_KILL_GRACE);
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(invalid(owner, "signal", "an AbortSignal", signal));
  }
  if (cwd !== undefined && typeof cwd !== "string" && !(cwd instanceof URL)) {
    throw new TypeError(invalid(owner, "cwd", "a string or URL", cwd));
  }
  if (
    env !== undefined &&
    (env === null || typeof env !== "object" ||
      Object.values(env).some((v) => typeof v !== "string"))
  ) {
    throw new TypeError(invalid(owner, "env", "an object of string values", env));
  }
  if (stdin !== undefined && typeof stdin !== "string" && !(stdin instanceof Uint8Array)) {
    throw new TypeError(invalid(owner, "stdin", "a string or a Uint8Array", stdin));
  }
  if (!Number.isSafeInteger(maxOutputBytes) || maxOutputBytes < 0) {
    throw new RangeError(
      invalid(owner, "maxOutputBytes", "a non-negative integer", maxOutputBytes),
    );
  }
  if (encoding !== "utf8" && encoding !== "buffer") {
    throw new TypeError(invalid(owner, "encoding", `"utf8" or "buffer"`, encoding));
  }
  if (typeof verbose !== "boolean") {
    throw new TypeError(invalid(owner, "verbose", "a boolean", verbose));
  }
  if (onResult !== undefined && typeof onResult !== "function") {
    throw new TypeError(invalid(owner, "onResult", "a function", onResult));
  }
  if (typeof handleSignals !== "boolean") {
    throw new TypeError(invalid(owner, "handleSignals", "a boolean", handleSignals));
  }
  if (placeholder !== undefined && (typeof placeholder !== "string" || placeholder === "")) {
    throw new TypeError(invalid(owner, "placeholder", "a non-empty string", placeholder));
  }
  if (keepResults !== undefined && typeof keepResults !== "boolean") {
    throw new TypeError(invalid(owner, "keepResults", "a boolean", keepResults));
  }
  if (trace !== undefined) {
    // A TraceRecorder comes from trace.ts, which provides the support once loaded.
    const unfit = traceSupport?.isRecorder(trace) ? traceSupport.check(trace) : "a TraceRecorder";
    if (unfit) throw new TypeError(invalid(owner, "trace", unfit, trace));
  }
  return {
    numWorkers: numWorkers === 0 ? Infinity : numWorkers,
    timeoutMs: timeout * 1000,
    signal,
    cwd,
    env,
    stdin: typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin,
    maxOutputBytes,
    encoding,
    spoolBytes: (options as { [SPOOL_BYTES]?: number })[SPOOL_BYTES] ?? 0,
    slotMark: (options as { [SLOT_MARK]?: string })[SLOT_MARK],
    timeoutFor: (options as { [TIMEOUT_FOR]?: () => number })[TIMEOUT_FOR],
    outputHook: (options as { [OUTPUT_HOOK]?: OutputHook })[OUTPUT_HOOK],
    killGraceMs: killGrace * 1000,
    verbose,
    onResult,
    handleSignals,
    placeholder,
    keepResults,
    retry: resolveRetry(owner, options.retry),
    halt: resolveHalt(owner, options.halt),
    trace: undefined,
  };
}

/**
 * Checks everything a runner is given: `pargs`, `tasks` (an array whole) and
 * the options.
 *
 * @throws {TypeError} For malformed `pargs`, `tasks` or options, unknown
 * option names and duplicate keys.
 * @throws {RangeError} For numbers out of range.
 */
export function resolveRun(
  owner: string,
  pargs: Pargs,
  tasks: Tasks,
  options: ProcRunOptions,
  defaultWorkers: number,
  extra: readonly string[] = [],
): { program: Program; options: ResolvedOptions } {
  const program = resolvePargs(owner, pargs);
  checkTasks(owner, tasks);
  const resolved = resolveOptions(owner, options, defaultWorkers, extra);
  // A bad PROCRUN_SPAWN is refused now, before anything runs.
  if (program.kind === "command") spawnPath();
  if (options.trace) {
    resolved.trace = {
      recorder: options.trace,
      taskInfo: traceSupport!.describe(program, resolved.placeholder),
    };
  }
  return { program, options: resolved };
}
