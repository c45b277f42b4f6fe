/**
 * The narrow adapter in front of `Deno.Command`: spawn one command in its own
 * process group, capture capped output, stop it on timeout or cancellation
 * (SIGTERM to the group, SIGKILL after a grace period) and report what
 * happened. Never throws for the command's own failures.
 *
 * @module
 */
import type { Program, ResolvedOptions } from "../_options.ts";
import type { OutputEncoding } from "../types.ts";
import { illFormed } from "../_text.ts";
import { type ClearTimer, setLongTimeout } from "../_util.ts";
import { commandArgs } from "./command_args.ts";
import { concatBytes, writeAll } from "../_bytes.ts";
import { stopGroup, trackGroup, untrackGroup } from "./groups.ts";
import { type SpawnedChild, spawnGrouped } from "./spawn.ts";

/** What every task of a run runs and how: a command spec without the task's argument. */
export interface CommandTemplate {
  command: string | URL;
  args: string[];
  /** Replaced by each task's argument in `command` and `args` (see commandArgs). */
  placeholder: string | undefined;
  cwd: string | URL | undefined;
  env: Record<string, string> | undefined;
  stdin: Uint8Array | undefined;
  maxOutputBytes: number;
  encoding: OutputEncoding;
  /** Bytes held in memory per stream before the rest goes to a temporary file; 0: never. */
  spoolBytes: number;
  /** 0 for no timeout. */
  timeoutMs: number;
  killGraceMs: number;
}

/** What to run for one task and how. */
export interface CommandSpec {
  command: string | URL;
  args: string[];
  cwd?: string | URL | undefined;
  env?: Record<string, string> | undefined;
  stdin?: Uint8Array | undefined;
  maxOutputBytes: number;
  /** `"buffer"`: the outcome keeps the bytes and its strings are empty. */
  encoding?: OutputEncoding;
  /**
   * Past this many bytes a stream goes to a temporary file, named in the
   * outcome (whose text or bytes then are empty); 0 or absent: never.
   */
  spoolBytes?: number;
  /** Called with each piece of output as it is read (the CLI's `--line-buffer`). */
  onChunk?: (stream: "stdout" | "stderr", chunk: Uint8Array) => void;
  /** 0 for no timeout. */
  timeoutMs: number;
  killGraceMs: number;
  /** Cancels the command: kills its group as a timeout does. */
  signal?: AbortSignal;
  /**
   * How a timeout or a cancellation asks the command to stop, in place of
   * the SIGTERM to its group: `"stdin"` closes its standard input (held open
   * until then, so `stdin` must be left out: ssh's remote wrapper stops its
   * command when its input ends), a function is called. The command then
   * ends by itself, its output read to the end; if it has not ended
   * {@linkcode GENTLE_MARGIN_MS} after the grace period, its group is stopped.
   */
  gentleStop?: "stdin" | (() => void);
  /** Told the process group id once the command has started. */
  onSpawn?: (pgid: number) => void;
}

/** The template of a run's commands, from its validated program and options. */
export function commandTemplate(
  program: Extract<Program, { kind: "command" }>,
  options: ResolvedOptions,
): CommandTemplate {
  return {
    command: program.command,
    args: program.args,
    placeholder: options.placeholder,
    cwd: options.cwd,
    env: options.env,
    stdin: options.stdin,
    maxOutputBytes: options.maxOutputBytes,
    encoding: options.encoding,
    spoolBytes: options.spoolBytes,
    timeoutMs: options.timeoutMs,
    killGraceMs: options.killGraceMs,
  };
}

/** The spec of one task's command: the template with the task's argument. */
export function commandSpec(
  template: CommandTemplate,
  arg: unknown,
  signal: AbortSignal,
  onSpawn?: (pgid: number) => void,
): CommandSpec {
  // The placeholder may be the command word itself (`{} ::: true`), unless it is a URL.
  const { command: word, args: rest, placeholder } = template;
  const [command, ...args] = typeof word === "string"
    ? commandArgs([word, ...rest], arg, placeholder) as [string, ...string[]]
    : [word, ...commandArgs(rest, arg, placeholder)];
  return {
    command,
    args,
    cwd: template.cwd,
    env: template.env,
    stdin: template.stdin,
    maxOutputBytes: template.maxOutputBytes,
    encoding: template.encoding,
    spoolBytes: template.spoolBytes,
    timeoutMs: template.timeoutMs,
    killGraceMs: template.killGraceMs,
    signal,
    onSpawn,
  };
}

/** What happened to one command. */
export interface CommandOutcome {
  /** Exit code when the command exited by itself, else null. */
  code: number | null;
  /** Signal name when the command was killed, else null. */
  signal: string | null;
  stdout: string;
  stderr: string;
  /** The bytes, when the spec's encoding is `"buffer"`; else null. */
  stdoutBytes: Uint8Array | null;
  stderrBytes: Uint8Array | null;
  /** The temporary file that holds the whole stream, when it was spooled; else null. */
  stdoutFile: string | null;
  stderrFile: string | null;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  timedOut: boolean;
  /** Whether it was stopped because `signal` aborted. */
  cancelled: boolean;
  /** The error that prevented the spawn, or null. */
  spawnError: Error | null;
}

interface Captured {
  bytes: Uint8Array;
  truncated: boolean;
  /** Where the stream went once past the spool threshold, or null. */
  file: string | null;
}

const decoder = new TextDecoder();
const NO_BYTES = new Uint8Array(0);

/**
 * Reads `stream` to its end, or until `readers` are released (cancelled),
 * keeping at most `max` bytes.
 */
async function capture(
  stream: ReadableStream<Uint8Array>,
  max: number,
  readers: Set<ReadableStreamDefaultReader<Uint8Array>>,
  spoolBytes = 0,
  onChunk?: (chunk: Uint8Array) => void,
): Promise<Captured> {
  const reader = stream.getReader();
  readers.add(reader);
  let chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  let file: Deno.FsFile | undefined;
  let path: string | null = null;
  try {
    while (true) {
      const { done, value: chunk } = await reader.read();
      if (done) break;
      onChunk?.(chunk);
      if (size >= max) {
        truncated = true;
        continue;
      }
      const take = size + chunk.length > max ? chunk.subarray(0, max - size) : chunk;
      if (take.length < chunk.length) truncated = true;
      size += take.length;
      if (!file && spoolBytes > 0 && size > spoolBytes) {
        // Past the threshold: what was held and all that follows go to disk.
        path = await Deno.makeTempFile({ prefix: "procrun_spool_" });
        file = await Deno.open(path, { write: true });
        for (const held of chunks) await writeAll(file, held);
        chunks = [];
      }
      if (file) await writeAll(file, take);
      else chunks.push(take);
    }
  } catch (error) {
    if (path !== null) await Deno.remove(path).catch(() => {}); // A full disk, say.
    throw error;
  } finally {
    readers.delete(reader);
    file?.close();
  }
  if (path !== null) return { bytes: NO_BYTES, truncated, file: path };
  return { bytes: chunks.length === 0 ? NO_BYTES : concatBytes(chunks), truncated, file: null };
}

/**
 * How long after the SIGKILL of a stopped command's group its pipes are still
 * read: time for the kernel to close them and for what is buffered to come.
 */
const RELEASE_MARGIN_MS = 200;

/**
 * How long after its grace period a command asked to stop gently (see
 * `gentleStop`) may take to end before its group is stopped: time for a
 * remote host to answer.
 */
export const GENTLE_MARGIN_MS = 3000;

async function feed(child: SpawnedChild, input: Uint8Array): Promise<void> {
  const writer = child.stdin.getWriter();
  try {
    await writer.write(input);
    await writer.close();
  } catch {
    // The command closed its input early (EPIPE): not an error of the task.
  }
}

function emptyOutcome(spawnError: Error): CommandOutcome {
  return {
    code: null,
    signal: null,
    stdout: "",
    stderr: "",
    stdoutBytes: null,
    stderrBytes: null,
    stdoutFile: null,
    stderrFile: null,
    stdoutTruncated: false,
    stderrTruncated: false,
    timedOut: false,
    cancelled: false,
    spawnError,
  };
}

/** The longest command name a spawn error quotes. */
const NAME_LIMIT = 200;

function shorten(text: string): string {
  return text.length > NAME_LIMIT ? `${text.slice(0, NAME_LIMIT)}...` : text;
}

/**
 * A spawn error that names the user's command (shortened), not the `setsid`
 * wrapper it may have been run through (spawn.ts).
 */
function spawnFailure(error: unknown, command: string | URL): Error {
  const failure = error instanceof Error ? error : new Error(String(error));
  const shown = shorten(String(command));
  failure.message = failure.message.replace(
    /^Failed to spawn '.*?': /s,
    () => `Failed to spawn '${shown}': `,
  );
  return failure;
}

/**
 * Why the command cannot be run as given, or null: an argument (the task's,
 * in practice: pargs are checked up front) holds a lone surrogate, which
 * `Deno.Command` would replace with U+FFFD, running it on a changed name.
 */
function unsendable(spec: CommandSpec): TypeError | null {
  if (typeof spec.command === "string" && illFormed(spec.command) !== null) {
    return new TypeError(
      `the command name ${
        shorten(JSON.stringify(spec.command))
      } is not well-formed text (it holds ${
        illFormed(spec.command)
      }): Deno cannot pass it unchanged, so the command was not run`,
    );
  }
  for (let i = 0; i < spec.args.length; i++) {
    const problem = illFormed(spec.args[i]!);
    if (problem === null) continue;
    return new TypeError(
      `argument ${i + 1} of the command, ${
        shorten(JSON.stringify(spec.args[i]))
      }, is not well-formed text (it holds ${problem}): Deno cannot pass it unchanged, so the command was not run`,
    );
  }
  return null;
}

/** Runs one command to its end and reports what happened. */
export async function runCommand(spec: CommandSpec): Promise<CommandOutcome> {
  const refused = unsendable(spec);
  if (refused) return emptyOutcome(refused);
  let child: SpawnedChild;
  try {
    child = await spawnGrouped(spec.command, {
      args: spec.args,
      cwd: spec.cwd,
      env: spec.env,
      stdin: spec.stdin || spec.gentleStop === "stdin" ? "piped" : "null",
    });
  } catch (error) {
    return emptyOutcome(spawnFailure(error, spec.command));
  }
  const pgid = child.pid;
  trackGroup(pgid);
  spec.onSpawn?.(pgid);

  let timedOut = false;
  let cancelled = false;
  let stopping = false;
  // A process outside the group (one that called setsid) may hold the pipes
  // open: once the group is killed, stop waiting for their end.
  const readers = new Set<ReadableStreamDefaultReader<Uint8Array>>();
  let release: ClearTimer | undefined;
  // Held open until the command ends or is asked to stop (gentleStop "stdin").
  const held = spec.gentleStop === "stdin" ? child.stdin.getWriter() : undefined;
  const letGo = () => held?.close().catch(() => {});
  const kill = () => {
    stopping = true;
    stopGroup(pgid, spec.killGraceMs, child);
    release = setLongTimeout(() => {
      for (const reader of readers) reader.cancel().catch(() => {});
    }, spec.killGraceMs + RELEASE_MARGIN_MS);
  };
  let asked = false;
  const stop = () => {
    if (stopping || asked) return;
    if (spec.gentleStop === undefined) return kill();
    asked = true;
    if (spec.gentleStop === "stdin") letGo();
    else spec.gentleStop();
    release = setLongTimeout(kill, spec.killGraceMs + GENTLE_MARGIN_MS);
  };
  const deadline = spec.timeoutMs > 0
    ? setLongTimeout(() => {
      timedOut = true;
      stop();
    }, spec.timeoutMs)
    : undefined;
  const onAbort = () => {
    cancelled = true;
    stop();
  };
  if (spec.signal?.aborted) onAbort();
  else spec.signal?.addEventListener("abort", onAbort, { once: true });

  try {
    const input = spec.stdin ? feed(child, spec.stdin) : undefined;
    const [status, out, err] = await Promise.all([
      child.status,
      capture(
        child.stdout,
        spec.maxOutputBytes,
        readers,
        spec.spoolBytes,
        spec.onChunk && ((chunk) => spec.onChunk!("stdout", chunk)),
      ),
      capture(
        child.stderr,
        spec.maxOutputBytes,
        readers,
        spec.spoolBytes,
        spec.onChunk && ((chunk) => spec.onChunk!("stderr", chunk)),
      ),
      input,
    ]);
    const raw = spec.encoding === "buffer";
    return {
      code: status.signal === null ? status.code : null,
      signal: status.signal,
      stdout: raw ? "" : decoder.decode(out.bytes),
      stderr: raw ? "" : decoder.decode(err.bytes),
      stdoutBytes: raw ? out.bytes : null,
      stderrBytes: raw ? err.bytes : null,
      stdoutFile: out.file,
      stderrFile: err.file,
      stdoutTruncated: out.truncated,
      stderrTruncated: err.truncated,
      timedOut,
      cancelled,
      spawnError: null,
    };
  } finally {
    letGo();
    deadline?.();
    release?.();
    spec.signal?.removeEventListener("abort", onAbort);
    // Once stopping, the grace timer still runs: it kills whatever in the group
    // ignored SIGTERM and let go of the pipes, then forgets the group.
    if (!stopping) untrackGroup(pgid);
  }
}
