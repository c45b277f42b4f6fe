/**
 * What the command line asks for, once parsed and checked (see args.ts).
 *
 * @module
 */
import type { HaltPolicy } from "../types.ts";
import type { IsolationConfig } from "./isolation.ts";

/** One input source: its values (`:::`), or a file whose lines are its values (`::::`, `-a`). */
export interface InputSource {
  values?: string[];
  file?: string;
  /** `:::+` or `::::+`: paired with the source before it, value by value, without wrapping. */
  linked: boolean;
}

/** How results are shown. */
export type OutputMode = "default" | "report" | "json" | "jsonl";

/** Everything the command line asks for, checked (`--isolation`, `--memory-limit`: isolation.ts). */
export interface CliConfig extends IsolationConfig {
  help: boolean;
  version: boolean;
  /** The command and its arguments (or extra function arguments with `--module`). */
  command: string[];
  /**
   * The input sources given after the command (`::: words`, `:::: files`,
   * `:::+` and `::::+` linked to the one before) and by repeated `-a FILE`,
   * or undefined: then the tasks are the lines of `argFile` or standard input.
   */
  sources: InputSource[] | undefined;
  /** The one `--arg-file` to read as a stream (`-` for standard input), or undefined. */
  argFile: string | undefined;
  /** `--link`: pair the sources' values (wrapping the shorter) instead of every combination. */
  link: boolean;
  /** `--colsep REGEX`: split each input line into the values {1}, {2}, ... */
  colsep: RegExp | undefined;
  /** What ends an input line: `\n`, or the byte of `-0` or `-d`. */
  delimiter: number;
  /** `-N n`: n input values per task, as {1} ... {n}; undefined for one. */
  maxArgs: number | undefined;
  /** `--delay SECONDS`: at least this long between the starts of two tasks. */
  delay: number;
  /** `-S`, `--sshlogin` (repeated, or comma lists): the hosts to run commands on, or undefined. */
  hosts: string[] | undefined;
  /** `--sshloginfile FILE`: more hosts, one per line, read again every second. */
  sshloginfile: string | undefined;
  /** `--workdir DIR` (`--wd`): the commands' working directory on the hosts. */
  workdir: string | undefined;
  /** `--env NAME` (repeated): variables copied from here to the commands on the hosts. */
  envNames: string[];
  /** `--ssh CMD`: the ssh command, split at spaces, or undefined for the default. */
  ssh: string[] | undefined;
  /** `-M`/`--controlmaster` (true), `--no-controlmaster` (false); undefined: on with the default ssh. */
  sshControl: boolean | undefined;
  /** `--transferfile FILE` (`--tf`; `{}` for `--transfer` and `--trc`): sent to the host before each task. */
  transferFiles: string[];
  /** `--return FILE` (and `--trc FILE`): brought back from the host after each task. */
  returnFiles: string[];
  /** `--cleanup` (and `--trc`): the files sent and brought back are removed from the host after. */
  cleanup: boolean;
  /** `-j N` given with hosts: the job slots of each host given without N/ (GNU parallel's -j). */
  hostSlots: number | undefined;
  /** `--line-buffer`: each task's output line by line as it comes. */
  lineBuffer: boolean;
  /** `--results DIR`: write each task's seq, stdout and stderr under DIR, as GNU parallel. */
  results: string | undefined;
  /** What each output line of a task starts with, then a tab: `--tagstring`, or its values for `--tag`. */
  tag: string | undefined;
  keySep: string | undefined;
  shell: boolean;
  module: string | undefined;
  exportName: string;
  jobs: number;
  timeout: number;
  /** `--timeout P%`: P percent of the median run time of the tasks that succeeded so far. */
  timeoutPercent: number | undefined;
  killGrace: number | undefined;
  /** A cap on each task's stdout and stderr, or undefined for none. */
  maxOutputBytes: number | undefined;
  engine: "async" | "workers";
  keepOrder: boolean;
  dryRun: boolean;
  color: "auto" | "always" | "never";
  quiet: boolean;
  /** `-t`, `--verbose`: print each task's command line on stderr as it starts. */
  verbose: boolean;
  /** `-q`, `--quote`: with --shell, quote each word of the command (a no-op without one). */
  quote: boolean;
  /** The joblog's path (without a leading `+`), `-` for standard output, or undefined. */
  joblog: string | undefined;
  /** `--joblog +FILE`: append to the joblog instead of replacing it. */
  joblogAppend: boolean;
  /** `--trace FILE`: the run's trace (Chrome Trace Event format), written as it goes. */
  trace: string | undefined;
  /** `--resume`: skip the tasks in the joblog; `--resume-failed`: only those that succeeded. */
  resume: "no" | "all" | "failed";
  /** Attempts per task in all (`--retries`, 0 for no limit), or undefined for one. */
  retries: number | undefined;
  /** Seconds before the first retry, doubling after each (`--retry-delay`). */
  retryDelay: number | undefined;
  /** When to stop early (`--halt`), or undefined for never. */
  halt: HaltPolicy | undefined;
  /** Forced on or off, or undefined for "when standard error is a terminal". */
  progress: boolean | undefined;
  output: OutputMode;
}
