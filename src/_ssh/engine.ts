/**
 * The ssh engine: each command runs on one of the run's hosts through
 * OpenSSH (or here, for the host `:`), at most the host's job slots at once,
 * over ControlMaster connections when they are shared (control.ts).
 * The remote side is the wrapper of wrapper.ts: the command in its own
 * session there, its whole tree stopped when procrun asks or the connection
 * goes, its exit status framed on stderr. A host where ssh itself fails is
 * marked down, asked again later, and its task goes to another host; with
 * no host left it fails as a HostError (hosts.ts). A task's files go to the
 * host before its command and come back after it (transfer.ts).
 *
 * @module
 */
import { SlotNumbers } from "../_async_engine.ts";
import type { AttemptDone, Engine } from "../_engine.ts";
import { Fifo } from "../_fifo.ts";
import type { Program, ResolvedOptions } from "../_options.ts";
import {
  type CommandOutcome,
  type CommandSpec,
  commandSpec,
  type CommandTemplate,
  commandTemplate,
  runCommand,
} from "../_process/run_command.ts";
import { recordCancel, recordError, recordOutcome } from "../_record.ts";
import { epochNow } from "../_util.ts";
import type { ProcResult } from "../result.ts";
import { Connections, SLOTS_PER_MASTER, sshMessage } from "./control.ts";
import {
  type Failures,
  type Host,
  hostPart,
  mayGetHost,
  newHost,
  noHostMessage,
  pickHost,
} from "./hosts.ts";
import { runRemote } from "./remote.ts";
import type { FilesOf, HostMarks, SshLogin } from "./sshlogin.ts";
import { receiveFile, removeFiles, sendFile, type StepResult } from "./transfer.ts";
import type { RemotePlace } from "./wrapper.ts";

/** How long a host that is down waits before it is asked again. */
const RETRY_DOWN_MS = 2000;
/** How often a re-readable list of hosts is read again. */
const REREAD_MS = 1000;
/** Slots assumed for a host whose core count is not known yet (see capacity). */
const PROVISIONAL_SLOTS = 64;
/** How long the core count, a stop request or a cleanup may take. */
const ASK_TIMEOUT_MS = 30_000;
/** Bytes of ssh's own messages kept. */
const MESSAGE_BYTES = 64 * 1024;
/** The core count, with fallbacks where getconf does not know it. */
const CORES_LINE = "getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || echo 1";

/** What the ssh engine runs on, besides the program and the options. */
export interface SshSetup {
  logins: SshLogin[];
  /** The ssh command and its options. */
  ssh: readonly string[];
  /** Whether commands share ControlMaster connections. */
  shared: boolean;
  /** Gives the list of hosts again (read every second), if it may change. */
  refresh?: () => SshLogin[];
  place: RemotePlace;
  /** Filled in each command's words with where it runs. */
  marks?: HostMarks;
  /** The files each task sends and brings back. */
  files?: FilesOf;
}

interface Job {
  result: ProcResult;
  done: AttemptDone;
  failures: Failures;
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
  #setup: SshSetup;
  #conns: Connections;
  #queue = new Fifo<Job>();
  #controller = new AbortController();
  #slots = new SlotNumbers();
  #stopped: { reason: unknown } | undefined;
  /** Connections being made, stop requests and cleanups under way: awaited by close(). */
  #pending = new Set<Promise<unknown>>();
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #closed = false;

  constructor(
    program: Extract<Program, { kind: "command" }>,
    options: ResolvedOptions,
    setup: SshSetup,
  ) {
    this.#template = commandTemplate(program, options);
    this.#options = options;
    this.#setup = setup;
    this.#conns = new Connections(
      setup.ssh,
      setup.shared,
      options.killGraceMs,
      this.#controller.signal,
    );
    this.#hosts = setup.logins.map(newHost);
    // A host's core count is found once the run starts; until then the
    // runner may hand over this many tasks, which wait here for a slot. Hosts
    // may come later when the list is re-read: then room for more.
    const slots = this.#hosts.reduce((sum, host) => sum + (host.slots ?? PROVISIONAL_SLOTS), 0);
    this.capacity = setup.refresh ? Math.max(slots, 1024) : slots;
  }

  start(): void {
    for (const host of this.#hosts) if (host.state === "connecting") this.#connect(host);
    if (this.#setup.refresh) this.#every(REREAD_MS, () => this.#reread());
  }

  submit(result: ProcResult, done: AttemptDone): void {
    const job = { result, done, failures: { on: new Set<Host>(), count: 0 } };
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

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    while (this.#pending.size > 0) await Promise.all(this.#pending);
    await this.#conns.closeAll();
  }

  /** Keeps `work` in #pending until it settles. */
  #track(work: Promise<unknown>): void {
    this.#pending.add(work);
    work.finally(() => this.#pending.delete(work));
  }

  #after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closed) fn();
    }, ms);
    Deno.unrefTimer(timer);
    this.#timers.add(timer);
  }

  #every(ms: number, fn: () => void): void {
    this.#after(ms, () => {
      fn();
      this.#every(ms, fn);
    });
  }

  /** Connects to a host (its masters, its core count): up once it answers, else down. */
  #connect(host: Host): void {
    host.state = "connecting";
    const { login } = host;
    const work = (async () => {
      let failure = await this.#conns.open(login, Math.min(host.slots ?? 1, SLOTS_PER_MASTER));
      if (failure === null && host.slots === undefined) {
        const cores = await this.#cores(host);
        if (typeof cores === "number") host.slots = cores;
        else failure = cores;
      }
      failure ??= await this.#conns.open(login, host.slots!);
      if (failure !== null) return this.#markDown(host, failure, true);
      host.state = "up";
      host.downs = 0;
    })();
    this.#track(work.finally(() => this.#pump()));
  }

  /** The host's core count, or why it cannot be had. */
  async #cores(host: Host): Promise<number | string> {
    const outcome = await runCommand(this.#conns.spec(host.login, 1, CORES_LINE, {
      maxOutputBytes: MESSAGE_BYTES,
      timeoutMs: ASK_TIMEOUT_MS,
      signal: this.#controller.signal,
    }));
    const cores = Number(outcome.stdout.trim());
    if (outcome.code === 0 && Number.isInteger(cores) && cores > 0) return cores;
    return sshMessage(outcome);
  }

  /** Marks a host down and asks it again later: once it answers, it takes tasks again. */
  #markDown(host: Host, failure: string, connecting = false): void {
    if (host.state === "down" || (host.state === "connecting" && !connecting)) return;
    host.state = "down";
    host.downs++;
    host.failure = failure;
    this.#after(RETRY_DOWN_MS, () => {
      if (!this.#controller.signal.aborted && !host.retired) this.#connect(host);
    });
  }

  /** Re-reads the list of hosts: new ones join, those gone from it start nothing more. */
  #reread(): void {
    let logins: SshLogin[];
    try {
      logins = this.#setup.refresh!();
    } catch {
      return; // Unreadable now: keep the hosts as they are.
    }
    const texts = new Set(logins.map((login) => login.text));
    for (const host of this.#hosts) {
      host.retired = !texts.has(host.login.text);
      if (host.retired && host.running === 0) this.#track(this.#conns.close(host.login));
    }
    const known = new Set(this.#hosts.map((host) => host.login.text));
    for (const login of logins) {
      if (known.has(login.text)) continue;
      const host = newHost(login);
      this.#hosts.push(host);
      if (host.state === "connecting") this.#connect(host);
    }
    this.#pump();
  }

  /** Starts queued tasks on hosts with a free slot. */
  #pump(): void {
    while (this.#queue.size > 0) {
      const job = this.#queue.shift()!;
      const host = pickHost(this.#hosts, job.failures);
      if (host !== undefined) {
        this.#attempt(job, host);
        continue;
      }
      if (!this.#closed && mayGetHost(this.#hosts, job.failures)) {
        this.#queue.unshift([job]);
        return;
      }
      recordError(job.result, hostError(noHostMessage(this.#hosts, job.failures)));
      job.done(job.result, { start: null, end: epochNow(), slot: null, host: null });
    }
  }

  /** The spec of `host`'s ssh running a remote shell line, through the master of `slot`. */
  #ssh(host: Host, slot: number, line: string, rest: Partial<CommandSpec> = {}): CommandSpec {
    return this.#conns.spec(host.login, slot, line, {
      maxOutputBytes: MESSAGE_BYTES,
      timeoutMs: 0,
      ...rest,
    });
  }

  /** Runs one attempt of `job` on `host`: its files, its command, its files back. */
  async #attempt(job: Job, host: Host): Promise<void> {
    host.running++;
    const hostSlot = host.numbers.take();
    const slot = this.#slots.take();
    const start = epochNow();
    const signal = this.#controller.signal;
    // Said while it runs too (the CLI's --line-buffer tags); the runner sets them again at its end.
    job.result.host = host.name;
    job.result.slot = slot;
    const spec = this.#commandFor(job.result, host, slot, signal);
    const local = host.login.destination === null;
    const files = local ? undefined : this.#setup.files?.(job.result);
    const runner = (line: string) => this.#ssh(host, hostSlot, line, { signal });
    const { workdir } = this.#setup.place;
    const cwd = this.#options.cwd === undefined ? undefined : String(this.#options.cwd);
    let failed: StepResult | undefined;
    let outcome: CommandOutcome | null = null;
    try {
      for (const name of files?.send ?? []) {
        failed = await sendFile(runner, name, workdir, cwd, signal);
        if (!failed.ok) break;
      }
      if (failed === undefined || failed.ok) {
        outcome = local ? await runCommand(spec) : await runRemote(spec, {
          ssh: (line, rest) => this.#ssh(host, hostSlot, line, rest),
          shared: this.#conns.shared,
          place: this.#setup.place,
          tellStop: (pid) => this.#tellStop(host, hostSlot, pid),
        });
        if (outcome === null) {
          failed = { ok: false, transport: true, message: "the connection went" };
        }
      }
      if (outcome !== null && !outcome.spawnError) {
        for (const name of files?.receive ?? []) {
          const step = await receiveFile(runner, name, workdir, cwd, signal);
          if (!step.ok) failed ??= step;
          if (step.ok === false && step.transport) break;
        }
      }
      if (files?.cleanup) {
        // Even after a cancellation: with a signal of its own.
        const names = [...files.send, ...files.receive];
        const timeout = AbortSignal.timeout(ASK_TIMEOUT_MS);
        await removeFiles(
          (line) => this.#ssh(host, hostSlot, line, { signal: timeout }),
          names,
          workdir,
        );
      }
    } finally {
      host.running--;
      host.numbers.give(hostSlot);
      this.#slots.give(slot);
      if (host.retired && host.running === 0) this.#track(this.#conns.close(host.login));
    }
    if (failed?.ok === false && failed.transport && !signal.aborted && outcome === null) {
      // ssh failed or the connection went: not the task's failure.
      this.#markDown(host, failed.message);
      job.failures.on.add(host);
      job.failures.count++;
      this.#queue.unshift([job]);
      return this.#pump();
    }
    const { result } = job;
    if (outcome !== null) recordOutcome(result, outcome, spec.timeoutMs, signal.reason);
    if (failed?.ok === false && (outcome === null || result.success)) {
      if (signal.aborted) recordCancel(result, signal.reason, "running");
      else recordError(result, Object.assign(new Error(failed.message), { name: "TransferError" }));
    }
    job.done(result, { start, end: epochNow(), slot, host: host.name });
    this.#pump();
  }

  /** The spec of a task's command: its slot and host filled in, its timeout and output hook. */
  #commandFor(result: ProcResult, host: Host, slot: number, signal: AbortSignal): CommandSpec {
    const spec = commandSpec(this.#template, result.arg, signal);
    const { timeoutFor, outputHook, slotMark } = this.#options;
    if (timeoutFor) spec.timeoutMs = timeoutFor();
    if (outputHook) spec.onChunk = (stream, chunk) => outputHook(result, stream, chunk);
    const { marks } = this.#setup;
    if (slotMark !== undefined || marks !== undefined) {
      const fill = (word: string) => {
        if (slotMark !== undefined) word = word.replaceAll(slotMark, String(slot));
        if (marks === undefined) return word;
        return word.replaceAll(marks.host, hostPart(host))
          .replaceAll(marks.sshlogin, host.name ?? ":");
      };
      if (typeof spec.command === "string") spec.command = fill(spec.command);
      spec.args = spec.args.map(fill);
    }
    return spec;
  }

  /** Tells a remote wrapper to stop its command (TERM, then KILL after its grace). */
  #tellStop(host: Host, hostSlot: number, pid: number): void {
    const line = `kill -TERM ${pid} 2>/dev/null; exit 0`;
    this.#track(runCommand(this.#ssh(host, hostSlot, line, { timeoutMs: ASK_TIMEOUT_MS })));
  }

  #cancel(job: Job, reason: unknown): void {
    recordCancel(job.result, reason, "before start");
    job.done(job.result, { start: null, end: epochNow(), slot: null, host: null });
  }
}
