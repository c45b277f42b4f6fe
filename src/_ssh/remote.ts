/**
 * One command run on a remote host: ssh runs it under the wrapper
 * (wrapper.ts), a timeout or a cancellation asks the wrapper to stop it
 * (closing its input, or `kill` on another channel of a shared connection),
 * its output streams through the frame filter to the output hook, and its
 * outcome comes from the wrapper's frame (outcome.ts).
 *
 * @module
 */
import { type CommandOutcome, type CommandSpec, runCommand } from "../_process/run_command.ts";
import { FRAME_BYTES, FrameFilter, remoteOutcome } from "./outcome.ts";
import { remoteCommandLine, type RemotePlace, type WatchMode } from "./wrapper.ts";

/** What a remote command is run with. */
export interface RemoteRun {
  /** The spec of ssh running a remote shell line on the host, with `rest`. */
  ssh: (line: string, rest: Partial<CommandSpec>) => CommandSpec;
  /** Whether the connection is shared (ControlMaster): closing ssh does not end the channel's session there. */
  shared: boolean;
  place: RemotePlace;
  /** Asks the wrapper with this pid, on the host, to stop its command (a shared connection). */
  tellStop: (pid: number) => void;
}

/**
 * Runs the command of `spec` on a remote host under the wrapper; null when
 * ssh failed or the connection went (not the task's failure).
 */
export async function runRemote(spec: CommandSpec, run: RemoteRun): Promise<CommandOutcome | null> {
  // The wrapper watches its input, unless the command reads it.
  const mode: WatchMode = spec.stdin ? "pass" : "watch";
  const words = [String(spec.command), ...spec.args];
  const line = remoteCommandLine(words, spec.killGraceMs / 1000, mode, run.place);
  // "pass" over a shared connection: stopped by `kill` on another channel,
  // once its pid is known.
  let pid: number | undefined;
  let stopWanted = false;
  const stopRemote = () => {
    stopWanted = true;
    if (pid !== undefined) run.tellStop(pid);
  };
  const filter = new FrameFilter(mode, (found) => {
    pid = found;
    if (stopWanted) run.tellStop(found);
  });
  const hook = spec.onChunk;
  const max = spec.maxOutputBytes;
  const outcome = await runCommand(run.ssh(line, {
    maxOutputBytes: Math.min(max + FRAME_BYTES, Number.MAX_SAFE_INTEGER),
    timeoutMs: spec.timeoutMs,
    stdin: spec.stdin,
    signal: spec.signal,
    // The wrapper's frame must reach the end of stderr.
    encoding: "buffer",
    onChunk: hook !== undefined || mode === "pass"
      ? (stream, chunk) => {
        const bytes = stream === "stderr" ? filter.push(chunk) : chunk;
        if (hook && bytes.length > 0) hook(stream, bytes);
      }
      : undefined,
    gentleStop: mode === "watch" ? "stdin" : run.shared ? stopRemote : undefined,
  }));
  const tail = filter.end();
  if (hook && tail.length > 0) hook("stderr", tail);
  return remoteOutcome(outcome, mode, max, spec.encoding === "buffer");
}
