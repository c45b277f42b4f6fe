/**
 * How a run reaches its hosts: the ssh command line for each, and, with
 * connection reuse on, OpenSSH ControlMaster connections that every command,
 * probe and file transfer of the run shares (one channel each, no new TCP
 * connection or key exchange).
 *
 * The masters' sockets live in a directory of the run's own (mode 0700, made
 * when the first master opens), removed with them at the end of the run. A
 * master is an `ssh -M -N` child of procrun in its own process group (so that
 * the exit hooks of src/_process/groups.ts kill it with the commands); it is
 * closed with `ssh -O exit`. A host gets one master for every
 * {@linkcode SLOTS_PER_MASTER} job slots: sshd's MaxSessions (10 by
 * default) bounds the channels of one connection, and a slot may hold a
 * second channel for a moment (a stop request, see engine.ts).
 *
 * @module
 */
import { type CommandOutcome, type CommandSpec, runCommand } from "../_process/run_command.ts";
import type { SshLogin } from "./sshlogin.ts";

/** Job slots of a host that share one master connection. */
export const SLOTS_PER_MASTER = 8;

/** How long a master may take to connect and log in. */
const OPEN_TIMEOUT_MS = 30_000;
/** How long a master may take to go after `ssh -O exit`, before SIGTERM. */
const EXIT_WAIT_MS = 2000;
/** How often the socket of a master that is logging in is looked for. */
const POLL_MS = 10;

/** Bytes of ssh's own messages kept. */
const MESSAGE_BYTES = 64 * 1024;

/** One master connection to a host. */
interface Master {
  path: string;
  controller: AbortController;
  exited: Promise<CommandOutcome>;
  /** Set once it has exited. */
  outcome?: CommandOutcome;
}

/** Control directories of live runs, removed if the process exits first. */
const liveDirs = new Set<string>();
let exitHooked = false;

function removeLiveDirs(): void {
  for (const dir of liveDirs) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // Already gone.
    }
  }
}

/** ssh's last message, on one line, or how it ended. */
export function sshMessage(outcome: CommandOutcome): string {
  if (outcome.spawnError) return outcome.spawnError.message;
  const lines = (outcome.stderr || new TextDecoder().decode(outcome.stderrBytes ?? undefined))
    .split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "");
  if (lines.length > 0) return lines.at(-1)!;
  return outcome.signal ? `ssh killed by ${outcome.signal}` : `ssh exited with ${outcome.code}`;
}

/** The ssh command and its connections for one run. */
export class Connections {
  /** Whether commands share ControlMaster connections. */
  readonly shared: boolean;
  #ssh: readonly string[];
  #dir: string | undefined;
  #count = 0;
  #masters = new Map<SshLogin, (Master | undefined)[]>();
  #killGraceMs: number;
  #signal: AbortSignal;

  /**
   * @param ssh The ssh command and its options.
   * @param shared Whether to open ControlMaster connections.
   * @param killGraceMs The grace between SIGTERM and SIGKILL for ssh itself.
   * @param signal The run's cancellation: masters still logging in give up.
   */
  constructor(ssh: readonly string[], shared: boolean, killGraceMs: number, signal: AbortSignal) {
    this.#ssh = ssh;
    this.shared = shared;
    this.#killGraceMs = killGraceMs;
    this.#signal = signal;
  }

  /**
   * The spec that runs `line` (a remote shell command line) on `login`,
   * through the master of job slot `slot` (from 1) when connections are shared.
   */
  spec(
    login: SshLogin,
    slot: number,
    line: string,
    rest: Omit<CommandSpec, "command" | "args" | "killGraceMs">,
  ): CommandSpec {
    const master = this.#masters.get(login)?.[Math.floor((slot - 1) / SLOTS_PER_MASTER)];
    const control = master ? ["-o", "ControlMaster=no", "-o", `ControlPath=${master.path}`] : [];
    return {
      ...rest,
      command: this.#ssh[0]!,
      args: [...this.#args(login, control), line],
      killGraceMs: this.#killGraceMs,
    };
  }

  /** ssh's words up to the destination, with `extra` options. */
  #args(login: SshLogin, extra: string[]): string[] {
    const port = login.port === undefined ? [] : ["-p", String(login.port)];
    return [...this.#ssh.slice(1), ...extra, ...port, "--", login.destination!];
  }

  /**
   * Opens the masters that `slots` job slots of `login` need, and keeps
   * those open already; resolves to null once they are logged in, or to
   * ssh's message when one cannot connect. Does nothing when connections
   * are not shared.
   */
  async open(login: SshLogin, slots: number): Promise<string | null> {
    if (!this.shared) return null;
    const masters = this.#masters.get(login) ?? [];
    this.#masters.set(login, masters);
    const wanted = Math.ceil(slots / SLOTS_PER_MASTER);
    const failures = await Promise.all(
      Array.from({ length: wanted }, async (_, i) => {
        if (masters[i] && !masters[i]!.outcome) return null;
        const master = this.#start(login);
        const failure = await this.#ready(master);
        if (failure === null) masters[i] = master;
        return failure;
      }),
    );
    return failures.find((failure) => failure !== null) ?? null;
  }

  /** Closes the masters of `login` (a host that is down or gone). */
  async close(login: SshLogin): Promise<void> {
    const masters = this.#masters.get(login) ?? [];
    this.#masters.delete(login);
    await Promise.all(masters.map((master) => master && this.#exit(login, master)));
  }

  /** Closes every master and removes the control directory. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#masters.keys()].map((login) => this.close(login)));
    if (this.#dir === undefined) return;
    liveDirs.delete(this.#dir);
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
    this.#dir = undefined;
  }

  /** The run's control directory, made on first use. */
  #controlDir(): string {
    if (this.#dir !== undefined) return this.#dir;
    // A socket path is limited to about 100 bytes: a long TMPDIR gives way to /tmp.
    const tmp = Deno.env.get("TMPDIR");
    const base = tmp && tmp.length <= 60 ? tmp : "/tmp";
    this.#dir = Deno.makeTempDirSync({ dir: base, prefix: "procrun_ssh_" });
    Deno.chmodSync(this.#dir, 0o700);
    liveDirs.add(this.#dir);
    if (!exitHooked) {
      exitHooked = true;
      globalThis.addEventListener("unload", removeLiveDirs);
    }
    return this.#dir;
  }

  #start(login: SshLogin): Master {
    const path = `${this.#controlDir()}/${this.#count++}`;
    const controller = new AbortController();
    const options = ["ControlMaster=yes", "ControlPersist=no", `ControlPath=${path}`]
      .flatMap((option) => ["-o", option]);
    const exited = runCommand({
      command: this.#ssh[0]!,
      args: this.#args(login, [...options, "-N"]),
      maxOutputBytes: MESSAGE_BYTES,
      timeoutMs: 0,
      killGraceMs: this.#killGraceMs,
      signal: controller.signal,
    });
    const master: Master = { path, controller, exited };
    exited.then((outcome) => master.outcome = outcome);
    return master;
  }

  /** Waits until `master` listens on its socket (null), or for why it cannot. */
  async #ready(master: Master): Promise<string | null> {
    const end = performance.now() + OPEN_TIMEOUT_MS;
    while (!master.outcome) {
      try {
        await Deno.lstat(master.path);
        return null;
      } catch {
        // Not logged in yet.
      }
      if (performance.now() > end || this.#signal.aborted) {
        master.controller.abort();
        await master.exited;
        return this.#signal.aborted ? "cancelled" : `no answer within ${OPEN_TIMEOUT_MS / 1000} s`;
      }
      await Promise.race([master.exited, new Promise((resolve) => setTimeout(resolve, POLL_MS))]);
    }
    return sshMessage(master.outcome);
  }

  /** Asks `master` to exit (`ssh -O exit`), then stops it if it has not. */
  async #exit(login: SshLogin, master: Master): Promise<void> {
    if (!master.outcome) {
      await runCommand({
        command: this.#ssh[0]!,
        args: this.#args(login, ["-o", `ControlPath=${master.path}`, "-O", "exit"]),
        maxOutputBytes: MESSAGE_BYTES,
        timeoutMs: EXIT_WAIT_MS,
        killGraceMs: this.#killGraceMs,
      });
    }
    const timer = setTimeout(() => master.controller.abort(), EXIT_WAIT_MS);
    await master.exited;
    clearTimeout(timer);
  }
}
