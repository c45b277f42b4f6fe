/**
 * The asynchronous runner: commands through `Deno.Command`, functions on the
 * main thread.
 *
 * @module
 */
import { AsyncEngine } from "./_async_engine.ts";
import type { Engine } from "./_engine.ts";
import { invalid } from "./_invalid.ts";
import { type Program, type ResolvedOptions, resolveRun } from "./_options.ts";
import { DeferredEngine } from "./_deferred_engine.ts";
import {
  type FilesOf,
  HOST_MARKS,
  type HostMarks,
  HOSTS_REFRESH,
  parseSshLogin,
  TASK_FILES,
} from "./_ssh/sshlogin.ts";
import { importOwn } from "./_util.ts";
import { ProcRun } from "./proc_run.ts";
import type { Pargs, ProcRunOptions, Tasks } from "./types.ts";

/** {@linkcode ProcRunAsync}'s options: those of every engine, and hosts to run commands on. */
export interface ProcRunAsyncOptions extends ProcRunOptions {
  /**
   * Runs each command on one of these hosts, in GNU parallel's sshlogin
   * syntax `[N/][user@]host[:port]` (`:` for this machine), with at most N
   * commands at once on each (by default its core count, asked once); then
   * `numWorkers` is not used. Commands go through OpenSSH (`ssh`, with your
   * keys and `~/.ssh/config`); on the host each runs in its own session, and
   * a timeout, a cancellation or a dropped connection stops its whole tree
   * there. The result's `host` says where each task ran. A host where ssh
   * itself fails is marked down and its task goes to another host. Only for
   * commands.
   *
   * @example Two local slots and four on a host named build1
   * ```ts ignore
   * import { ProcRunAsync } from "@procrun/procrun";
   *
   * const run = new ProcRunAsync(["make", "-C"], [["a", "a/"], ["b", "b/"]], {
   *   hosts: ["2/:", "4/build1"],
   * });
   * for (const result of await run.runAll()) console.log(result.key, result.host);
   * ```
   */
  hosts?: string[];
  /**
   * The ssh command and its options, for `hosts`; by default
   * `["ssh", "-o", "BatchMode=yes", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=3"]`
   * (no password prompts; a host that stops answering is found within a minute).
   */
  ssh?: string[];
  /**
   * For `hosts`: share one OpenSSH ControlMaster connection per host (one
   * per 8 job slots) between all the commands of the run, so that a short
   * command costs one channel, not a TCP connection and a key exchange. The
   * control sockets live in a private temporary folder, closed (`ssh -O
   * exit`) and removed at the end of the run. Needs the host's sshd to allow
   * 10 sessions per connection (`MaxSessions`, OpenSSH's default). By
   * default on when `ssh` is left out, else off.
   */
  sshControl?: boolean;
  /**
   * For `hosts`: the working directory of the commands on each host (made if
   * missing); by default the login's home. `cwd` is this machine's.
   */
  remoteCwd?: string;
  /** For `hosts`: variables set for the commands on each host (`env` is this machine's). */
  remoteEnv?: Record<string, string>;
}

const DEFAULT_SSH = [
  "ssh",
  "-o",
  "BatchMode=yes",
  "-o",
  "ServerAliveInterval=15",
  "-o",
  "ServerAliveCountMax=3",
];

/** The engine for `options`: ssh when there are hosts, else this thread. */
function engineFor(
  program: Program,
  resolved: ResolvedOptions,
  options: ProcRunAsyncOptions,
): Engine {
  const { hosts, ssh = DEFAULT_SSH, remoteCwd, remoteEnv } = options;
  const { sshControl = options.ssh === undefined } = options;
  if (hosts === undefined) return new AsyncEngine(program, resolved);
  if (!Array.isArray(hosts) || hosts.length === 0) {
    throw new TypeError(invalid("ProcRunAsync", "hosts", "a non-empty array of sshlogins", hosts));
  }
  if (!Array.isArray(ssh) || ssh.length === 0 || ssh.some((word) => typeof word !== "string")) {
    throw new TypeError(invalid("ProcRunAsync", "ssh", "a non-empty array of strings", ssh));
  }
  if (typeof sshControl !== "boolean") {
    throw new TypeError(invalid("ProcRunAsync", "sshControl", "a boolean", sshControl));
  }
  if (program.kind !== "command") {
    throw new TypeError(
      invalid("ProcRunAsync", "hosts", "left out for function tasks (they run here)", hosts),
    );
  }
  if (remoteCwd !== undefined && (typeof remoteCwd !== "string" || remoteCwd === "")) {
    throw new TypeError(invalid("ProcRunAsync", "remoteCwd", "a non-empty string", remoteCwd));
  }
  if (
    remoteEnv !== undefined &&
    (remoteEnv === null || typeof remoteEnv !== "object" ||
      Object.entries(remoteEnv).some(([name, value]) =>
        !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || typeof value !== "string"
      ))
  ) {
    throw new TypeError(
      invalid("ProcRunAsync", "remoteEnv", "an object of variable names to strings", remoteEnv),
    );
  }
  const logins = hosts.map((host, i) => parseSshLogin(host, `hosts[${i}]`));
  const again = (options as { [HOSTS_REFRESH]?: () => string[] })[HOSTS_REFRESH];
  const refresh = again &&
    (() => again().map((host, i) => parseSshLogin(host, `hosts[${i}]`)));
  const internal = options as { [HOST_MARKS]?: HostMarks; [TASK_FILES]?: FilesOf };
  const setup = {
    logins,
    ssh,
    shared: sshControl,
    refresh,
    place: { workdir: remoteCwd, env: remoteEnv },
    marks: internal[HOST_MARKS],
    files: internal[TASK_FILES],
  };
  // The ssh engine's modules are read only by a run with hosts.
  return new DeferredEngine(async () => {
    const { SshEngine } = await importOwn<typeof import("./_ssh/engine.ts")>(
      new URL("./_ssh/engine.ts", import.meta.url),
    );
    return new SshEngine(program, resolved, setup);
  });
}

/**
 * Runs each task as a subprocess through `Deno.Command`, or as an async
 * function on the main thread, at most `numWorkers` at once. The port of
 * pyconcurrent's `ProcRunAsyncio`.
 *
 * - `[command, ...args]` runs `command ...args arg` for each task, in its own
 *   process group: a timeout or cancellation sends SIGTERM to the whole tree,
 *   then SIGKILL after `killGrace` seconds, and the output produced so far is
 *   kept.
 * - `[fn, ...args]` calls `fn(key, [...args, arg], signal)`, which returns
 *   `[success, answer]` or a promise of it. At the timeout the result is
 *   completed with `timeout: true` and `signal` is aborted; the function itself
 *   cannot be stopped, so it should watch `signal`.
 *
 * @example Commands (pyconcurrent's first example)
 * ```ts
 * import { ProcRunAsync } from "@procrun/procrun";
 * import { assertEquals } from "@std/assert";
 *
 * const run = new ProcRunAsync(["sleep"], [[1, 0.1], [2, 0.2], [3, 0]], {
 *   numWorkers: 2,
 *   timeout: 30,
 * });
 * await run.runAll();
 * assertEquals(run.results.map((r) => r.success), [true, true, true]);
 * ```
 *
 * @example Functions
 * ```ts
 * import { ProcRunAsync } from "@procrun/procrun";
 * import { assertEquals } from "@std/assert";
 *
 * async function double(key: unknown, args: unknown[]): Promise<[boolean, number]> {
 *   await Promise.resolve();
 *   return [true, (args.at(-1) as number) * 2];
 * }
 * const run = new ProcRunAsync([double], [["a", 1], ["b", 2]]);
 * await run.runAll();
 * assertEquals(run.results.map((r) => r.answer), [2, 4]);
 * ```
 */
export class ProcRunAsync extends ProcRun {
  /**
   * Validates the arguments; nothing runs until {@linkcode ProcRun.runAll}.
   *
   * @param pargs `[command, ...args]` or `[fn, ...args]`.
   * @param tasks `[key, arg]` pairs: an array (checked now) or any iterable
   * or async iterable (read lazily).
   * @param options Run options; `numWorkers` defaults to 4.
   * @throws {TypeError} For malformed `pargs`, `tasks` or options, and duplicate keys.
   * @throws {RangeError} For numbers out of range, such as a negative `timeout`.
   */
  constructor(pargs: Pargs, tasks: Tasks, options: ProcRunAsyncOptions = {}) {
    const { program, options: resolved } = resolveRun("ProcRunAsync", pargs, tasks, options, 4, [
      "hosts",
      "ssh",
      "sshControl",
      "remoteCwd",
      "remoteEnv",
    ]);
    super("ProcRunAsync", tasks, resolved, engineFor(program, resolved, options));
  }
}
