/**
 * GNU parallel's sshlogin syntax: `[N/][user@]host[:port]`, or `:` for this
 * machine, with N job slots (by default the host's core count); and the
 * internal options (symbols) that the CLI gives ProcRunAsync with `hosts`.
 * What runs a command on a host (engine.ts and its modules) is loaded only
 * when a run with hosts starts.
 *
 * @module
 */
import type { ProcResult } from "../result.ts";

/** One host to run commands on. */
export interface SshLogin {
  /** As given, for messages and the result's `host`. */
  text: string;
  /** Job slots, or undefined for the host's core count. */
  slots: number | undefined;
  /** `user@host`, or null for this machine (`:`). */
  destination: string | null;
  port: number | undefined;
}

/** Parses one sshlogin; `where` names it in the error (`hosts[1]`). */
export function parseSshLogin(text: unknown, where: string): SshLogin {
  const match = typeof text === "string"
    ? /^(?:(\d+)\/)?(?:(:)|((?:[^@\s:/]+@)?[^@\s:/]+)(?::(\d+))?)$/.exec(text)
    : null;
  const slots = match?.[1] === undefined ? undefined : Number(match[1]);
  const port = match?.[4] === undefined ? undefined : Number(match[4]);
  if (!match || slots === 0 || (port !== undefined && (port < 1 || port > 65535))) {
    throw new TypeError(
      `Cannot create ProcRunAsync as '${where}' must be an sshlogin, [N/][user@]host[:port] or ':' for this machine (N >= 1): current value is ${
        JSON.stringify(text)
      }`,
    );
  }
  return { text: text as string, slots, destination: match[2] ? null : match[3]!, port };
}

/**
 * An internal option of ProcRunAsync (a symbol): a function that gives the
 * list of hosts again; it is called every second while the run goes on, so
 * that hosts can be added or removed mid-run (the CLI's `--sshloginfile`).
 */
export const HOSTS_REFRESH: unique symbol = Symbol("procrun.hostsRefresh");

/** The sshlogins of a `--sshloginfile`: one or a comma list per line; `#` starts a comment. */
export function loginFileHosts(text: string): string[] {
  return text.split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .flatMap((line) => line.split(","))
    .map((host) => host.trim())
    .filter((host) => host !== "");
}

/** The marks the CLI puts in a command's words for GNU parallel's `{host}` and `{sshlogin}`. */
export interface HostMarks {
  /** Replaced by the host's name without user and port (`:` for this machine). */
  host: string;
  /** Replaced by the sshlogin without its job slots (`:` for this machine). */
  sshlogin: string;
}

/**
 * An internal option of ProcRunAsync with `hosts` (a symbol): the
 * {@linkcode HostMarks} the ssh engine fills in each command's words as it
 * starts it on a host.
 */
export const HOST_MARKS: unique symbol = Symbol("procrun.hostMarks");

/** The files of one task, as names with its replacement strings filled in. */
export interface TaskFiles {
  /** Sent to the host before the command runs (`--transferfile`). */
  send: string[];
  /** Brought back after it (`--return`). */
  receive: string[];
  /** Remove the files sent and brought back from the host after that (`--cleanup`). */
  cleanup: boolean;
}

/**
 * An internal option of ProcRunAsync with `hosts` (a symbol): the files of
 * each task, from its result (the CLI's `--transferfile`, `--return` and
 * `--cleanup`). Tasks run on this machine (`:`) move no file.
 */
export const TASK_FILES: unique symbol = Symbol("procrun.taskFiles");

/** What {@linkcode TASK_FILES} is given. */
export type FilesOf = (result: ProcResult) => TaskFiles | undefined;
