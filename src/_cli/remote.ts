/**
 * The CLI's options for other hosts, as GNU parallel names them: `-S`,
 * `--sshlogin`, `--sshloginfile`, `--ssh`, `-M`/`--controlmaster`,
 * `--workdir`, `--env`, `--transferfile`/`--tf`, `--transfer`, `--return`,
 * `--cleanup`, `--trc`; read from the command line, checked, and turned into
 * ProcRunAsync's `hosts` options.
 *
 * @module
 */
import type { CliConfig } from "./config.ts";
import type { TaskFeed } from "./input.ts";
import { valuesOf } from "./program.ts";
import { expandWord, HOST, SSHLOGIN } from "./replace.ts";
import { UsageError } from "./usage.ts";
import {
  type FilesOf,
  HOST_MARKS,
  HOSTS_REFRESH,
  loginFileHosts,
  TASK_FILES,
} from "../_ssh/sshlogin.ts";
import type { ProcResult } from "../result.ts";

/** The options that take a value. */
export const REMOTE_STRINGS = [
  "sshlogin",
  "sshloginfile",
  "ssh",
  "workdir",
  "wd",
  "env",
  "transferfile",
  "tf",
  "return",
  "trc",
];
/** The options that take none. */
export const REMOTE_BOOLEANS = ["controlmaster", "transfer", "cleanup"];
/** The options that may be given more than once, each value kept. */
export const REMOTE_COLLECT = ["sshlogin", "env", "transferfile", "tf", "return", "trc"];

/** What the CLI reads its options with (see args.ts). */
export interface Flags {
  /** The last value of an option, or undefined. */
  str(name: string): string | undefined;
  /** Every value of a repeatable option. */
  strings(name: string): string[];
  bool(name: string): boolean;
  /** Whether `--no-NAME` was given. */
  negated(name: string): boolean;
}

/** The part of the command line's config that is about other hosts. */
export type RemoteConfig = Pick<
  CliConfig,
  | "hosts"
  | "ssh"
  | "sshControl"
  | "sshloginfile"
  | "workdir"
  | "envNames"
  | "transferFiles"
  | "returnFiles"
  | "cleanup"
  | "hostSlots"
>;

/** Reads the options about other hosts; `jobs` is `-j`'s value when it was given. */
export function parseRemote(flags: Flags, jobs: number | undefined): RemoteConfig {
  const { str, strings, bool } = flags;
  const logins = strings("sshlogin");
  const trc = strings("trc");
  return {
    hosts: logins.length > 0
      ? logins.flatMap((list) => list.split(",")).filter((host) => host !== "")
      : undefined,
    ssh: str("ssh")?.trim().split(/\s+/),
    sshControl: flags.negated("controlmaster") ? false : bool("controlmaster") || undefined,
    sshloginfile: str("sshloginfile"),
    workdir: str("workdir") ?? str("wd"),
    envNames: strings("env"),
    // --transfer and --trc: the input itself, as --transferfile {}.
    transferFiles: [
      ...strings("transferfile"),
      ...strings("tf"),
      ...(bool("transfer") || trc.length > 0 ? ["{}"] : []),
    ],
    returnFiles: [...strings("return"), ...trc],
    cleanup: bool("cleanup") || trc.length > 0,
    // GNU parallel's -j with -S: the job slots of each host given without N/.
    hostSlots: jobs !== undefined && jobs > 0 ? jobs : undefined,
  };
}

/**
 * Refuses options about other hosts that cannot go together.
 *
 * @throws {UsageError} For an option that needs another, or a contradiction.
 */
export function checkRemote(config: CliConfig): void {
  const remote = config.ssh !== undefined || config.workdir !== undefined ||
    config.envNames.length > 0 || config.transferFiles.length > 0 ||
    config.returnFiles.length > 0 || config.sshControl !== undefined;
  const hosts = config.hosts !== undefined || config.sshloginfile !== undefined;
  if (!hosts && remote) {
    throw new UsageError(
      "--ssh, --controlmaster, --workdir, --env, --transferfile and --return need --sshlogin or --sshloginfile",
    );
  }
  if (!hosts) return;
  if (config.module !== undefined) {
    throw new UsageError("--sshlogin runs commands: not with --module");
  }
  if (config.engine !== "async") {
    throw new UsageError("--sshlogin needs --engine async, the default");
  }
}

/** A sshlogin with -j's slots, unless it names its own. */
function withSlots(login: string, slots: number | undefined): string {
  return slots === undefined || /^\d+\//.test(login) ? login : `${slots}/${login}`;
}

/** The files of each task: the names with its replacement strings filled in. */
function taskFiles(config: CliConfig, feed: TaskFeed): FilesOf | undefined {
  const { transferFiles, returnFiles, cleanup } = config;
  if (transferFiles.length === 0 && returnFiles.length === 0) return undefined;
  return (result: ProcResult) => {
    const origin = feed.peek(result.key);
    if (origin === undefined) return undefined;
    const values = valuesOf(origin.input);
    const names = (templates: string[]) =>
      templates.flatMap((template) => expandWord(template, values, origin.seq));
    return { send: names(transferFiles), receive: names(returnFiles), cleanup };
  };
}

/**
 * ProcRunAsync's options for the hosts of the command line (none without
 * `-S` or `--sshloginfile`): the file of hosts is read again every second.
 *
 * @throws {Error} If the `--sshloginfile` cannot be read now.
 */
export function remoteOptions(config: CliConfig, feed: TaskFeed): Record<string | symbol, unknown> {
  if (config.hosts === undefined && config.sshloginfile === undefined) return {};
  const file = config.sshloginfile;
  const hosts = () =>
    [
      ...(config.hosts ?? []),
      ...(file === undefined ? [] : loginFileHosts(Deno.readTextFileSync(file))),
    ]
      .map((login) => withSlots(login, config.hostSlots));
  return {
    hosts: hosts(),
    ssh: config.ssh,
    sshControl: config.sshControl,
    remoteCwd: config.workdir,
    // --env NAME: this machine's value, as GNU parallel copies it.
    remoteEnv: Object.fromEntries(config.envNames.map((name) => [name, Deno.env.get(name) ?? ""])),
    [HOSTS_REFRESH]: hosts,
    [HOST_MARKS]: { host: HOST, sshlogin: SSHLOGIN },
    [TASK_FILES]: taskFiles(config, feed),
  };
}
