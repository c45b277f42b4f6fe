/**
 * The remote side of a task run over ssh: a POSIX sh wrapper that runs the
 * command in its own session and process group, stops the whole group (TERM,
 * then KILL after the grace) when told to or when the connection goes, and
 * ends its standard error with a frame that carries the command's exit
 * status, so that a command that exits 255 is never taken for ssh failing.
 * It needs only `sh` and `setsid` there.
 *
 * How it learns that it must stop depends on who has its standard input:
 *
 * - `"watch"` (the command reads nothing): the command's input is /dev/null
 *   and the wrapper watches its own, a pipe that procrun holds open. It ends
 *   when procrun closes it (a timeout, a cancellation: see `gentleStop` in
 *   run_command.ts), when the local ssh dies, when the channel or the
 *   connection closes, with or without ControlMaster. The command's dying
 *   output and status still come back.
 * - `"pass"` (the command reads the task's `stdin`): the wrapper watches its
 *   parent, the sshd of a connection of its own, which goes with the
 *   connection; and it starts its standard error with a frame naming its
 *   pid, so that over a shared (ControlMaster) connection procrun can tell it
 *   to stop with `kill -TERM pid` on another channel.
 *
 * @module
 */
import { shellQuote } from "../_quote.ts";

/** How the wrapper learns that it must stop (see the module doc). */
export type WatchMode = "watch" | "pass";

const WRAPPER = [
  'grace=$1; mode=$2; shift 2; exec 3<&0; stopped=""; child=""',
  // The trap is set before the command starts (a stop may come as soon as
  // the pid frame is out); one that comes before the command's pid is known
  // is carried out once it is. Until the command has made its session, its
  // group does not exist yet, and its process (a fork of this shell, with
  // this trap until it execs) is killed outright: it has run nothing yet.
  'stop() { [ -n "$stopped" ] && return; stopped=1; [ -n "$child" ] || return;',
  '  kill -TERM -"$child" 2>/dev/null || kill -KILL "$child" 2>/dev/null',
  '  (sleep "$grace"; kill -KILL -"$child" 2>/dev/null) >/dev/null 2>&1 & }',
  "trap stop TERM HUP INT",
  'if [ "$mode" = pass ]; then',
  `  printf '\\036procrun-pid %s\\036' "$$" >&2`,
  '  setsid "$@" <&3 3<&- &',
  'else setsid "$@" </dev/null 3<&- &',
  "fi",
  "child=$!",
  'if [ -n "$stopped" ]; then stopped=""; stop; fi',
  // The watcher tells this shell (its $$) to stop; its output goes nowhere,
  // so that it never holds the channel open.
  'if [ "$mode" = pass ]; then',
  "  exec 3<&-",
  '  (trap - TERM HUP INT; while kill -0 "$PPID" 2>/dev/null; do sleep 1; done; kill -TERM "$$") >/dev/null 2>&1 &',
  'else (trap - TERM HUP INT; while read -r _; do :; done <&3; kill -TERM "$$") >/dev/null 2>&1 &',
  "  exec 3<&-",
  "fi",
  "watcher=$!",
  // A trapped signal ends `wait` early: wait again until the command is gone.
  'wait "$child"; code=$?',
  'while kill -0 "$child" 2>/dev/null; do wait "$child"; code=$?; done',
  // If the trap ended the last wait and the command ended right after, the
  // shell holds its status still: one more wait gives it (bash says 127 when
  // it was already taken, dash gives it again).
  'if [ -n "$stopped" ] && [ "$code" -gt 128 ]; then wait "$child"; c=$?; [ "$c" -eq 127 ] || code=$c; fi',
  // KILL: a watcher just forked still has this shell's trap, which would take a TERM.
  'kill -KILL "$watcher" 2>/dev/null',
  `printf '\\036procrun-exit %s\\036' "$code" >&2`,
  // ssh's own status then is the command's too (when the frame is cut off by a cap).
  'exit "$code"',
].join("\n");

/** Where and with what environment a remote command runs. */
export interface RemotePlace {
  /** The working directory on the host (created if missing), or undefined for the login's. */
  workdir?: string;
  /** Variables set for the command there. */
  env?: Record<string, string>;
}

/**
 * The command line ssh gives the remote login shell: the wrapper around
 * `words`, which replaces the login shell (`exec`), so that the wrapper's
 * parent is sshd.
 */
export function remoteCommandLine(
  words: readonly string[],
  graceSeconds: number,
  mode: WatchMode,
  place: RemotePlace = {},
): string {
  const env = Object.entries(place.env ?? {}).map(([name, value]) => `${name}=${value}`);
  const wrapper = ["sh", "-c", WRAPPER, "procrun", String(graceSeconds), mode];
  const line = "exec " +
    [...(env.length ? ["env", ...env] : []), ...wrapper, ...words].map(shellQuote).join(" ");
  if (place.workdir === undefined) return line;
  return `${enterDir(place.workdir)} && ${line}`;
}

/** The shell text that makes `dir` (if missing) and goes there. */
export function enterDir(dir: string): string {
  const quoted = shellQuote(dir);
  return `mkdir -p -- ${quoted} && cd -- ${quoted}`;
}

/** Starts the frame at the very end of standard error: `\x1eprocrun-exit N\x1e`. */
const EXIT_FRAME = "\x1eprocrun-exit ";
/** Starts the frame at the very start of standard error in "pass" mode: `\x1eprocrun-pid N\x1e`. */
const PID_FRAME = "\x1eprocrun-pid ";
/** The longest a pid frame can be (a 64-bit pid). */
export const PID_FRAME_MAX = PID_FRAME.length + 21;

const decoder = new TextDecoder();

/**
 * The wrapper's frame at the end of `stderr`: the command's exit status and
 * the stderr without the frame, or null when there is no frame (ssh failed,
 * or the connection went before the command ended).
 */
export function takeFrame(stderr: Uint8Array): { status: number; stderr: Uint8Array } | null {
  if (stderr.length === 0 || stderr[stderr.length - 1] !== 0x1e) return null;
  const start = stderr.lastIndexOf(0x1e, stderr.length - 2);
  if (start === -1) return null;
  const text = decoder.decode(stderr.subarray(start, stderr.length - 1));
  if (!text.startsWith(EXIT_FRAME)) return null;
  const status = Number(text.slice(EXIT_FRAME.length));
  if (!Number.isInteger(status)) return null;
  return { status, stderr: stderr.subarray(0, start) };
}

/**
 * The pid frame at the start of `stderr` ("pass" mode): the wrapper's pid and
 * the rest; `pid` is undefined while the frame may still be incomplete, null
 * when `stderr` does not start with one.
 */
export function takePid(stderr: Uint8Array): { pid: number | null | undefined; rest: Uint8Array } {
  const head = decoder.decode(stderr.subarray(0, PID_FRAME_MAX));
  if (!PID_FRAME.startsWith(head.slice(0, PID_FRAME.length))) return { pid: null, rest: stderr };
  const end = stderr.indexOf(0x1e, 1);
  if (end === -1) {
    return { pid: stderr.length < PID_FRAME_MAX ? undefined : null, rest: stderr };
  }
  const pid = Number(head.slice(PID_FRAME.length, end));
  if (!Number.isSafeInteger(pid) || pid < 1) return { pid: null, rest: stderr };
  return { pid, rest: stderr.subarray(end + 1) };
}
