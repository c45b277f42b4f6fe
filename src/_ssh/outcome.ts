/**
 * A remote command's outcome from its ssh's: the exit status from the
 * wrapper's frame (wrapper.ts), the frames taken out of its standard error,
 * its output cut to the user's cap; and the same frames taken out of
 * standard error as it streams (the CLI's `--line-buffer`).
 *
 * @module
 */
import { concatBytes } from "../_bytes.ts";
import type { CommandOutcome } from "../_process/run_command.ts";
import { signalName } from "../_process/signal_numbers.ts";
import { PID_FRAME_MAX, takeFrame, takePid, type WatchMode } from "./wrapper.ts";

/** The exit frame's text before its status. */
const EXIT_FRAME = "\x1eprocrun-exit ";
/** The longest an exit frame can be. */
const EXIT_FRAME_MAX = EXIT_FRAME.length + 12;

/** Bytes the frames may add to a stream, over the user's cap (see `remoteOutcome`). */
export const FRAME_BYTES = PID_FRAME_MAX + EXIT_FRAME_MAX;

const decoder = new TextDecoder();

function cut(bytes: Uint8Array, max: number): { bytes: Uint8Array; cut: boolean } {
  return bytes.length > max ? { bytes: bytes.subarray(0, max), cut: true } : { bytes, cut: false };
}

/**
 * The outcome of the remote command from its ssh's (read with a cap of
 * `max` + {@linkcode FRAME_BYTES} per stream): its exit status or signal
 * from the wrapper's frame, its streams without the frames and cut at `max`;
 * null when there is no frame and procrun did not stop it (ssh failed, or
 * the connection went): a transport failure, not the task's.
 */
export function remoteOutcome(
  outcome: CommandOutcome,
  mode: WatchMode,
  max: number,
  keepBytes: boolean,
): CommandOutcome | null {
  let stderr = outcome.stderrBytes ?? new Uint8Array();
  if (mode === "pass") stderr = takePid(stderr).rest;
  const frame = takeFrame(stderr);
  // Cut off with the rest of a stream past the cap: ssh's status is the command's.
  const capped = outcome.stderrTruncated && outcome.code !== null && outcome.code !== 255;
  if (frame === null && !outcome.timedOut && !outcome.cancelled && !capped) return null;
  const out = cut(outcome.stdoutBytes ?? new Uint8Array(), max);
  const err = cut(frame?.stderr ?? stderr, max);
  const streams = {
    stdout: keepBytes ? "" : decoder.decode(out.bytes),
    stderr: keepBytes ? "" : decoder.decode(err.bytes),
    stdoutBytes: keepBytes ? out.bytes : null,
    stderrBytes: keepBytes ? err.bytes : null,
    stdoutTruncated: outcome.stdoutTruncated || out.cut,
    stderrTruncated: outcome.stderrTruncated || err.cut,
  };
  if (frame === null) return { ...outcome, ...streams };
  // A status of 128 + n from the wrapper: the command was killed by signal n.
  const killed = frame.status > 128 && signalName(frame.status - 128);
  return { ...outcome, ...streams, code: killed ? null : frame.status, signal: killed || null };
}

/** Whether `tail` (starting with 0x1e) may be the start of an exit frame, or all of one. */
function mayBeFrame(tail: Uint8Array): boolean {
  const text = decoder.decode(tail);
  if (text.length <= EXIT_FRAME.length) return EXIT_FRAME.startsWith(text);
  // deno-lint-ignore no-control-regex -- the frame's end is the record separator.
  return text.startsWith(EXIT_FRAME) && /^\d*\x1e?$/.test(text.slice(EXIT_FRAME.length));
}

/**
 * Takes the frames out of a remote command's standard error as it streams:
 * `push` gives the bytes that may go on now, `end` what was held back and
 * was not a frame. In "pass" mode `onPid` is told the wrapper's pid.
 */
export class FrameFilter {
  #head: Uint8Array | null;
  #held = new Uint8Array();
  #onPid: ((pid: number) => void) | undefined;

  constructor(mode: WatchMode, onPid?: (pid: number) => void) {
    this.#head = mode === "pass" ? new Uint8Array() : null;
    this.#onPid = onPid;
  }

  push(chunk: Uint8Array): Uint8Array {
    let data = chunk;
    if (this.#head !== null) {
      const { pid, rest } = takePid(concatBytes([this.#head, chunk]));
      if (pid === undefined) {
        this.#head = rest;
        return new Uint8Array();
      }
      this.#head = null;
      if (pid !== null) this.#onPid?.(pid);
      data = rest;
    }
    data = this.#held.length ? concatBytes([this.#held, data]) : data;
    for (
      let at = data.indexOf(0x1e, Math.max(0, data.length - EXIT_FRAME_MAX));
      at !== -1;
      at = data.indexOf(0x1e, at + 1)
    ) {
      if (!mayBeFrame(data.subarray(at))) continue;
      this.#held = data.slice(at);
      return data.subarray(0, at);
    }
    this.#held = new Uint8Array();
    return data;
  }

  end(): Uint8Array {
    const held = concatBytes([this.#head ?? new Uint8Array(), this.#held]);
    this.#head = null;
    this.#held = new Uint8Array();
    const frame = takeFrame(held);
    return frame === null ? held : frame.stderr;
  }
}
