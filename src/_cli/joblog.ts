/**
 * GNU parallel's joblog: one tab-separated line per task that ran, written as
 * soon as it ends, under the header
 * `Seq Host Starttime JobRuntime Send Receive Exitval Signal Command`.
 *
 * @module
 */
import { peekSpool } from "../_spool.ts";
import type { ProcResult } from "../result.ts";

const encoder = new TextEncoder();

/** Linux signal numbers, for the joblog's Signal column. */
const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGXCPU: 24,
  SIGXFSZ: 25,
};

/**
 * The joblog's Exitval for a result, as GNU parallel writes it: the exit code;
 * -1 for a task procrun killed (timeout, cancellation); 0 for one killed by
 * another's signal (the Signal column says which); 127 if it could not start.
 */
export function exitValue(result: ProcResult, isCommand: boolean): number {
  if (!isCommand) return result.success ? 0 : 1;
  if (result.returncode !== null) return result.returncode;
  if (result.timeout || result.cancelled) return -1;
  if (result.signal !== null) return 0;
  return 127;
}

/** The joblog's line for one result (without the newline). */
export function joblogLine(
  seq: number,
  result: ProcResult,
  command: string,
  isCommand: boolean,
): string {
  const start = (result.timeStart?.getTime() ?? 0) / 1000;
  // GNU parallel's Receive counts standard output only.
  const spooled = peekSpool(result)?.stdout;
  const received = spooled
    ? Deno.statSync(spooled).size
    : result.stdoutBytes?.length ?? encoder.encode(result.stdout).length;
  return [
    seq,
    ":",
    start.toFixed(3),
    result.timeRun.toFixed(3).padStart(10),
    0,
    received,
    exitValue(result, isCommand),
    result.signal === null ? 0 : SIGNALS[result.signal] ?? 0,
    command.replaceAll("\n", " "),
  ].join("\t");
}

/** An open joblog; every line is written (and so flushed) at once. */
export class JobLog {
  #write: (text: string) => void;
  #close: () => void;

  /**
   * Writes the header through `write`.
   *
   * @param write Takes each piece of text (whole lines).
   * @param close Called by {@linkcode JobLog.close}.
   */
  constructor(write: (text: string) => void, close: () => void = () => {}) {
    this.#write = write;
    this.#close = close;
    this.#write("Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n");
  }

  /** Creates (or truncates) the file at `path` and writes the header. */
  static open(path: string): JobLog {
    const file = Deno.openSync(path, { write: true, create: true, truncate: true });
    return new JobLog((text) => {
      const bytes = encoder.encode(text);
      let offset = 0;
      while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
    }, () => file.close());
  }

  /** Logs one task; tasks that never started are not logged (as in GNU parallel). */
  add(seq: number, result: ProcResult, command: string, isCommand: boolean): void {
    if (result.timeStart === null) return;
    this.#write(joblogLine(seq, result, command, isCommand) + "\n");
  }

  /** Closes the file. */
  close(): void {
    this.#close();
  }
}
