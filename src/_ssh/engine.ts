/**
 * The ssh engine: each command runs on one of the run's hosts through
 * OpenSSH (or here, for the host `:`), at most the host's job slots at once.
 * The remote side is the wrapper of wrapper.ts: the command in its own
 * session there, its whole tree stopped when the connection goes, its exit
 * status framed on stderr. A host where ssh itself fails is marked down and
 * its task goes to another host; with no host left it fails as a HostError.
 *
 * @module
 */
import { SlotNumbers } from "../_async_engine.ts";
import type { AttemptDone, Engine } from "../_engine.ts";
import { Fifo } from "../_fifo.ts";
import type { Program, ResolvedOptions } from "../_options.ts";
import {
  type CommandOutcome,
  commandSpec,
  type CommandTemplate,
  commandTemplate,
  runCommand,
} from "../_process/run_command.ts";
import { recordCancel, recordError, recordOutcome } from "../_record.ts";
import { epochNow } from "../_util.ts";
import type { ProcResult } from "../result.ts";
import type { SshLogin } from "./sshlogin.ts";
import { remoteCommandLine, type RemotePlace, takeFrame } from "./wrapper.ts";

/** How long a host that is down waits before it is asked again. */
const RETRY_DOWN_MS = 2000;

/** How often a re-readable list of hosts is read again. */
const REREAD_MS = 1000;

/** A host as the engine keeps it. */
function newHost(login: SshLogin): Host {
  return {
    login,
    name: login.destination === null
      ? null
      : `${login.destination}${login.port === undefined ? "" : `:${login.port}`}`,
    slots: login.slots ?? (login.destination === null ? navigator.hardwareConcurrency : undefined),
    running: 0,
    down: false,
  };
}

/** Slots assumed for a host whose core count is not known yet (see capacity). */
const PROVISIONAL_SLOTS = 64;

/** Linux signal names by number, for a status of 128 + n from the wrapper. */
const SIGNAL_NAMES: Record<number, Deno.Signal> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  6: "SIGABRT",
  9: "SIGKILL",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
};

interface Host {
  login: SshLogin;
  /** No longer in the list of hosts (see `refresh`): it starts no more tasks. */
  retired?: boolean;
  /** Its name in results: the sshlogin without its slots, or null for this machine. */
  name: string | null;
  /** Job slots, once known. */
  slots: number | undefined;
  running: number;
  down: boolean;
  /** Its core count has been asked for. */
  probed?: boolean;
}

interface Job {
  result: ProcResult;
  done: AttemptDone;
  /** Hosts where ssh failed for this attempt. */
  failedOn: Set<Host>;
}

/** A host gone: ssh failed, or the connection went before the command ended. */
function hostError(message: string): Error {
  const error = new Error(message);
  error.name = "HostError";
  return error;
}

/** Runs each command on a host of the run, over ssh. */
export class SshEngine implements Engine {
  readonly capacity: number;
  #hosts: Host[];
  #template: CommandTemplate;
  #options: ResolvedOptions;
  #ssh: readonly string[];
  #queue = new Fifo<Job>();
  #controller = new AbortController();
  #slots = new SlotNumbers();
  #stopped: { reason: unknown } | undefined;
  #probing: Promise<void> | undefined;
  #refresh: (() => SshLogin[]) | undefined;
  #refreshTimer: ReturnType<typeof setInterval> | undefined;
  #downTimers = new Set<ReturnType<typeof setTimeout>>();
  #closed = false;
  #place: RemotePlace;

  constructor(
    program: Extract<Program, { kind: "command" }>,
    options: ResolvedOptions,
    logins: SshLogin[],
    ssh: readonly string[],
    refresh?: () => SshLogin[],
    place: RemotePlace = {},
  ) {
    this.#place = place;
    this.#template = commandTemplate(program, options);
    this.#options = options;
    this.#ssh = ssh;
    this.#refresh = refresh;
    this.#hosts = logins.map(newHost);
    // A host's core count is found once the run starts; until then the
    // runner may hand over this many tasks, which wait here for a slot. Hosts
    // may come later when the list is re-read: then room for more.
    const slots = this.#hosts.reduce((sum, host) => sum + (host.slots ?? PROVISIONAL_SLOTS), 0);
    this.capacity = refresh ? Math.max(slots, 1024) : slots;
  }

  start(): void {
    this.#probeUnknown();
    if (this.#refresh) {
      const timer = setInterval(() => this.#reread(), REREAD_MS);
      Deno.unrefTimer(timer);
      this.#refreshTimer = timer;
    }
  }

  #probeUnknown(): void {
    const unknown = this.#hosts.filter((host) => host.slots === undefined && !host.probed);
    if (unknown.length === 0) return;
    for (const host of unknown) host.probed = true;
    const probes = Promise.all(unknown.map((host) => this.#probe(host)));
    const all = Promise.all([this.#probing, probes]).then(() => {
      if (this.#probing === all) this.#probing = undefined;
      this.#pump();
    });
    this.#probing = all;
  }

  /** Re-reads the list of hosts: new ones join, those gone from it start nothing more. */
  #reread(): void {
    let logins: SshLogin[];
    try {
      logins = this.#refresh!();
    } catch {
      return; // Unreadable now: keep the hosts as they are.
    }
    const texts = new Set(logins.map((login) => login.text));
    for (const host of this.#hosts) host.retired = !texts.has(host.login.text);
    const known = new Set(this.#hosts.map((host) => host.login.text));
    for (const login of logins) if (!known.has(login.text)) this.#hosts.push(newHost(login));
    this.#probeUnknown();
    this.#pump();
  }

  submit(result: ProcResult, done: AttemptDone): void {
    const job = { result, done, failedOn: new Set<Host>() };
    if (this.#controller.signal.aborted || this.#stopped) {
      return this.#cancel(job, this.#stopped?.reason ?? this.#controller.signal.reason);
    }
    this.#queue.push(job);
    this.#pump();
  }

  abort(reason: unknown): void {
    this.#controller.abort(reason);
    for (const job of this.#queue.drain()) this.#cancel(job, reason);
  }

  stopStarting(reason: unknown): void {
    this.#stopped = { reason };
    for (const job of this.#queue.drain()) this.#cancel(job, reason);
  }

  close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#refreshTimer);
    for (const timer of this.#downTimers) clearTimeout(timer);
    return this.#probing ?? Promise.resolve();
  }

  /** Asks a host for its core count; a host that does not answer is down. */
  async #probe(host: Host): Promise<void> {
    const cores = await this.#cores(host);
    if (cores === null) return this.#markDown(host);
    host.slots ??= cores;
  }

  /** The host's core count, or null when it does not answer. */
  async #cores(host: Host): Promise<number | null> {
    const words = ["getconf", "_NPROCESSORS_ONLN"];
    const outcome = await runCommand(
      this.#sshSpec(host, words, { timeoutMs: 30_000, stdin: undefined }),
    );
    const frame = takeFrame(outcome.stderrBytes ?? new Uint8Array());
    const cores = Number(new TextDecoder().decode(outcome.stdoutBytes ?? new Uint8Array()).trim());
    return frame?.status === 0 && Number.isInteger(cores) && cores > 0 ? cores : null;
  }

  /** Marks a host down and asks it again later: once it answers, it takes tasks again. */
  #markDown(host: Host): void {
    if (host.down) return;
    host.down = true;
    const timer = setTimeout(async () => {
      this.#downTimers.delete(timer);
      if (this.#closed || this.#controller.signal.aborted) return;
      const cores = await this.#cores(host);
      host.down = false;
      if (cores === null) return this.#markDown(host);
      host.slots ??= cores;
      this.#pump();
    }, RETRY_DOWN_MS);
    Deno.unrefTimer(timer);
    this.#downTimers.add(timer);
  }

  /** Starts queued tasks on hosts with a free slot. */
  #pump(): void {
    while (this.#queue.size > 0) {
      const job = this.#queue.shift()!;
      const host = this.#pick(job);
      if (host === undefined) {
        const waiting = this.#probing !== undefined ||
          this.#hosts.some((h) => !h.down && !h.retired && !job.failedOn.has(h));
        if (waiting) {
          this.#queue.unshift([job]);
          return;
        }
        recordError(job.result, hostError("no host is left to run it: every host is down"));
        const now = epochNow();
        job.done(job.result, { start: null, end: now, slot: null, host: null });
        continue;
      }
      this.#run(job, host);
    }
  }

  /** The up host with a free slot and the most room, preferring one where the task has not failed. */
  #pick(job: Job): Host | undefined {
    let best: Host | undefined;
    for (const host of this.#hosts) {
      if (host.down || host.retired || host.slots === undefined || host.running >= host.slots) {
        continue;
      }
      if (job.failedOn.has(host)) continue;
      if (!best || host.running / host.slots < best.running / best.slots!) best = host;
    }
    return best;
  }

  /** The spec that runs `words` on `host` through ssh, under the wrapper. */
  #sshSpec(
    host: Host,
    words: string[],
    overrides: Partial<ReturnType<typeof commandSpec>> = {},
  ): ReturnType<typeof commandSpec> {
    const base = commandSpec(this.#template, "", this.#controller.signal);
    const { destination, port } = host.login;
    const grace = this.#options.killGraceMs / 1000;
    return {
      ...base,
      ...overrides,
      command: this.#ssh[0]!,
      args: [
        ...this.#ssh.slice(1),
        ...(port === undefined ? [] : ["-p", String(port)]),
        "--",
        destination!,
        remoteCommandLine(words, grace, this.#place),
      ],
      // The wrapper's frame must reach the end of stderr.
      spoolBytes: 0,
      encoding: "buffer",
    };
  }

  #run(job: Job, host: Host): void {
    host.running++;
    const slot = this.#slots.take();
    const start = epochNow();
    const signal = this.#controller.signal;
    const spec = commandSpec(this.#template, job.result.arg, signal);
    const local = host.login.destination === null;
    const words = [String(spec.command), ...spec.args];
    const run = local ? runCommand(spec) : runCommand(this.#sshSpec(host, words, {
      timeoutMs: spec.timeoutMs,
      stdin: spec.stdin,
      signal,
    }));
    run.then((outcome) => {
      host.running--;
      this.#slots.give(slot);
      if (!local) {
        const settled = this.#remoteOutcome(outcome, spec.encoding === "buffer");
        if (settled === null) {
          // ssh failed or the connection went: not the task's failure.
          this.#markDown(host);
          job.failedOn.add(host);
          this.#queue.unshift([job]);
          this.#pump();
          return;
        }
        outcome = settled;
      }
      recordOutcome(job.result, outcome, spec.timeoutMs, signal.reason);
      job.done(job.result, { start, end: epochNow(), slot, host: host.name });
      this.#pump();
    });
  }

  /**
   * The outcome of a remote command from ssh's: its exit status from the
   * wrapper's frame; null when there is none and procrun did not stop it.
   */
  #remoteOutcome(outcome: CommandOutcome, keepBytes: boolean): CommandOutcome | null {
    const stderr = outcome.stderrBytes ?? new Uint8Array();
    const frame = takeFrame(stderr);
    const decode = (bytes: Uint8Array | null) =>
      new TextDecoder().decode(bytes ?? new Uint8Array());
    const stdoutBytes = outcome.stdoutBytes;
    const text = {
      stdout: keepBytes ? "" : decode(stdoutBytes),
      stdoutBytes: keepBytes ? stdoutBytes : null,
    };
    if (frame === null) {
      // Cut off with the rest of a stream past maxOutputBytes: ssh's status is the command's.
      const cut = outcome.stderrTruncated && outcome.code !== null && outcome.code !== 255;
      if (!outcome.timedOut && !outcome.cancelled && !cut) return null;
      return {
        ...outcome,
        ...text,
        stderr: keepBytes ? "" : decode(stderr),
        stderrBytes: keepBytes ? stderr : null,
      };
    }
    const killed = frame.status > 128 && SIGNAL_NAMES[frame.status - 128];
    return {
      ...outcome,
      ...text,
      stderr: keepBytes ? "" : decode(frame.stderr),
      stderrBytes: keepBytes ? frame.stderr : null,
      code: killed ? null : frame.status,
      signal: killed || null,
    };
  }

  #cancel(job: Job, reason: unknown): void {
    recordCancel(job.result, reason, "before start");
    job.done(job.result, { start: null, end: epochNow(), slot: null, host: null });
  }
}
