/**
 * The remote side of a task run over ssh: a POSIX sh wrapper that runs the
 * command in its own session and process group, stops the whole group (TERM,
 * then KILL after the grace) when the connection goes (its sshd parent is
 * gone) or it is signalled, and ends its standard error with a frame that
 * carries the command's exit status, so that a command that exits 255 is
 * never taken for ssh failing. It needs only `sh` and `setsid` there.
 *
 * @module
 */
import { shellQuote } from "../_quote.ts";

/** Starts the frame at the very end of standard error: `\x1eprocrun-exit N\x1e`. */
const FRAME_START = "\x1eprocrun-exit ";

const WRAPPER = [
  "grace=$1; shift",
  // An asynchronous command's stdin would be /dev/null: give it ours.
  "exec 3<&0",
  'setsid "$@" <&3 3<&- &',
  "child=$!",
  "exec 3<&-",
  'stop() { kill -TERM -"$child" 2>/dev/null; (sleep "$grace"; kill -KILL -"$child" 2>/dev/null) & }',
  "trap stop TERM HUP INT",
  "parent=$PPID",
  'while kill -0 "$child" 2>/dev/null; do',
  '  if ! kill -0 "$parent" 2>/dev/null; then stop; break; fi',
  "  sleep 0.2 2>/dev/null || sleep 1",
  "done",
  'wait "$child"; code=$?',
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

/** The command line ssh gives the remote shell: the wrapper around `words`. */
export function remoteCommandLine(
  words: readonly string[],
  graceSeconds: number,
  place: RemotePlace = {},
): string {
  const env = Object.entries(place.env ?? {}).map(([name, value]) => `${name}=${value}`);
  const wrapper = ["sh", "-c", WRAPPER, "procrun", String(graceSeconds)];
  const line = [...(env.length ? ["env", ...env] : []), ...wrapper, ...words].map(shellQuote)
    .join(" ");
  if (place.workdir === undefined) return line;
  const dir = shellQuote(place.workdir);
  return `mkdir -p -- ${dir} && cd -- ${dir} && ${line}`;
}

/**
 * The wrapper's frame at the end of `stderr`: the command's exit status and
 * the stderr without the frame, or null when there is no frame (ssh failed,
 * or the connection went before the command ended).
 */
export function takeFrame(stderr: Uint8Array): { status: number; stderr: Uint8Array } | null {
  if (stderr.length === 0 || stderr[stderr.length - 1] !== 0x1e) return null;
  const start = stderr.lastIndexOf(0x1e, stderr.length - 2);
  if (start === -1) return null;
  const text = new TextDecoder().decode(stderr.subarray(start, stderr.length - 1));
  if (!text.startsWith(FRAME_START)) return null;
  const status = Number(text.slice(FRAME_START.length));
  if (!Number.isInteger(status)) return null;
  return { status, stderr: stderr.subarray(0, start) };
}
