/**
 * GNU parallel's joblog: one tab-separated line per task that ran, written as
 * soon as it ends, under the header
 * `Seq Host Starttime JobRuntime Send Receive Exitval Signal Command`.
 *
 * @module
 */
import { writeAllSync } from "../_bytes.ts";
import { peekSpool } from "../_spool.ts";
import { signalNumber } from "../_process/signal_numbers.ts";
import type { ProcResult } from "../result.ts";

const encoder = new TextEncoder();

const HEADER = "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n";

/** What a joblog says of one task: the command it ran and whether it succeeded. */
export interface LoggedTask {
  command: string;
  succeeded: boolean;
  /** The Host column: the sshlogin that ran it, or null for this machine (`:`). */
  host: string | null;
}

/**
 * Reads the joblog at `path` for `--resume`: each Seq with its Command and
 * whether it succeeded (Exitval and Signal 0). A later line for the same Seq
 * wins (a resumed run appends). A missing file is an empty log.
 */
export function readJobLog(path: string): Map<number, LoggedTask> {
  const logged = new Map<number, LoggedTask>();
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return logged;
    throw error;
  }
  for (const line of text.split("\n")) {
    const fields = line.split("\t");
    if (fields.length < 9 || !/^\d+$/.test(fields[0]!)) continue; // The header, or a torn line.
    logged.set(Number(fields[0]), {
      command: fields.slice(8).join("\t"),
      succeeded: fields[6] === "0" && fields[7] === "0",
      host: fields[1] === ":" ? null : fields[1]!,
    });
  }
  return logged;
}

/**
 * The joblog's Exitval for a result, as GNU parallel writes it: the exit code;
 * -1 for a task procrun killed (its timeout; a cancelled one is not logged); 0 for one killed by
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
    // GNU parallel's Host: the sshlogin that ran it, ":" for this machine.
    result.host ?? ":",
    start.toFixed(3),
    result.timeRun.toFixed(3).padStart(10),
    0,
    received,
    exitValue(result, isCommand),
    result.signal === null ? 0 : signalNumber(result.signal),
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
    this.#write(HEADER);
  }

  /**
   * Creates (or truncates) the file at `path` and writes the header; with
   * `append`, adds to it instead (the header only if it is empty).
   */
  static open(path: string, append = false): JobLog {
    const file = Deno.openSync(path, { write: true, create: true, append, truncate: !append });
    const empty = !append || file.statSync().size === 0;
    const log = new JobLog((text) => {
      if (text === HEADER && !empty) return;
      writeAllSync(file, encoder.encode(text));
    }, () => file.close());
    return log;
  }

  /**
   * Logs one task. Not logged: a task that never started (as in GNU
   * parallel), and one that a cancellation (a signal to procrun, a halt
   * "now") killed before it ended, so that `--resume` runs both again.
   */
  add(seq: number, result: ProcResult, command: string, isCommand: boolean): void {
    if (result.timeStart === null || (result.cancelled && result.returncode === null)) return;
    this.#write(joblogLine(seq, result, command, isCommand) + "\n");
  }

  /** Closes the file. */
  close(): void {
    this.#close();
  }
}
