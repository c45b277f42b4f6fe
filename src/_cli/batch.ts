/**
 * The CLI's batch options as GNU parallel has them: `--retries` as the
 * library's retry option, `--halt`'s exit statuses, and `--resume`'s
 * matching of tasks against the joblog.
 *
 * @module
 */
import type { CliConfig } from "./args.ts";
import type { LoggedTask } from "./joblog.ts";
import { signalNumber } from "../_process/signal_numbers.ts";
import type { CliProgram } from "./program.ts";
import type { ProcResult } from "../result.ts";
import type { HaltPolicy, RetryOptions } from "../types.ts";

/** GNU parallel's exit status for `failed` failed tasks: the count, at most 101. */
export function exitCodeFor(failed: number): number {
  return Math.min(failed, 101);
}

/**
 * GNU parallel's exit status after a halt: 0 for `success=`; for `fail=1` and
 * `done=1` the status of the task that set it off (128 + its signal if one
 * killed it); else the failures, at most 101, or for a percentage their share
 * of the tasks started, in percent.
 */
export function haltExitCode(
  halt: HaltPolicy,
  by: ProcResult,
  failed: number,
  started: number,
): number {
  if (halt.success !== undefined) return 0;
  const threshold = halt.fail ?? halt.done;
  if (threshold === 1) {
    if (by.returncode !== null) return by.returncode;
    if (by.signal !== null) return 128 + signalNumber(by.signal);
    return by.success ? 0 : 1;
  }
  if (typeof threshold === "string") return Math.ceil(failed / Math.max(started, 1) * 100);
  return exitCodeFor(failed);
}

/** A halt policy as GNU parallel writes it: `now,fail=1`. */
export function haltText(halt: HaltPolicy): string {
  const on = halt.fail !== undefined ? "fail" : halt.success !== undefined ? "success" : "done";
  return `${halt.when},${on}=${halt[on]}`;
}

/** The `--retries` and `--retry-delay` of the command line as the library's option. */
export function retryOption(config: CliConfig): RetryOptions | undefined {
  if (config.retries === undefined) return undefined;
  const delayMs = (config.retryDelay ?? 0) * 1000;
  return {
    // 0 is GNU parallel's "no limit".
    maxAttempts: config.retries === 0 ? Number.MAX_SAFE_INTEGER : config.retries,
    minTimeout: delayMs,
    multiplier: 2,
    maxTimeout: Math.max(60_000, delayMs),
    jitter: 0,
  };
}

/**
 * For `--resume` and `--resume-failed`: whether the task numbered `seq` is in
 * the joblog (and, for the latter, succeeded) with the same command. GNU
 * parallel matches the Seq only, and "may run wrong commands" when the input
 * or the command changed: a changed command runs again, and `note` says so.
 */
export function resumeSkip(
  config: CliConfig,
  program: CliProgram,
  logged: Map<number, LoggedTask>,
  note: (text: string) => void,
): (seq: number, values: string[]) => boolean {
  return (seq, values) => {
    const entry = logged.get(seq);
    if (!entry) return false;
    // {host} and {sshlogin} as they were where it ran.
    const command = program.describe(values, seq, undefined, entry.host).replaceAll("\n", " ");
    if (entry.command !== command) {
      note(
        `procrun: task ${seq} ran ${JSON.stringify(entry.command)} in the joblog, but is now ${
          JSON.stringify(command)
        }: running it again`,
      );
      return false;
    }
    return config.resume === "all" || entry.succeeded;
  };
}
