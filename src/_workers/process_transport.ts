/**
 * A worker process: `Deno.execPath()` running process_host.ts in a process
 * group of its own, which runs the tasks on a worker thread of its own and
 * speaks the worker protocol over its standard input and output (frames.ts).
 * From the frame a worker writes before each task, this side knows which
 * task runs; when the process dies (out of memory, a signal, an abort), that
 * task fails with what killed it, and the others run elsewhere. Its standard
 * error is passed on to this process's, and its end kept to tell an out of
 * memory death from others.
 *
 * @module
 */
import { writeAll } from "../_bytes.ts";
import { killGroup, trackGroup, untrackGroup } from "../_process/groups.ts";
import { setLongTimeout } from "../_util.ts";
import { Frame, FrameReader, messageFrame } from "./frames.ts";
import {
  type AbortMessage,
  errorFrom,
  type FromProcess,
  type ProcessInit,
  type RunMessage,
  type ToProcess,
} from "./protocol.ts";
import type { Transport, TransportEvents } from "./transport.ts";

/** The entry of a worker process. */
const HOST = new URL("./process_host.ts", import.meta.url);
/** Bytes of the end of a worker process's standard error kept, to see why it died. */
const TAIL_BYTES = 8192;
/** How long past a worker process's exit to wait for the end of its standard error. */
const STDERR_WAIT_MS = 500;

/** How a worker process is started. */
export interface ProcessSpec {
  /** Deno's flags for it (permissions, config, V8), before the entry. */
  flags: string[];
  /** Its V8 heap limit (MiB), for the message of a task that reaches it; undefined if none. */
  memoryLimit: number | undefined;
}

/** Waits for `promise`, or `ms` at most (a wait that does not keep the process alive). */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let clear = () => {};
  const late = new Promise<void>((resolve) => clear = setLongTimeout(resolve, ms, true));
  try {
    await Promise.race([promise, late]);
  } finally {
    clear();
  }
}

/** Names an error as a result shows it (`exception`). */
function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** What a worker process's death says, from its status and the end of its standard error. */
export function deathError(
  status: Deno.CommandStatus,
  stderrTail: string,
  memoryLimit: number | undefined,
): Error {
  if (/Fatal (JavaScript|process) out of memory|JavaScript heap out of memory/.test(stderrTail)) {
    const limit = memoryLimit === undefined
      ? "V8's default heap limit; set memoryLimit"
      : `memoryLimit ${memoryLimit} MiB`;
    return named("OutOfMemoryError", `the worker process ran out of memory (${limit})`);
  }
  if (status.signal !== null) {
    const how = ["SIGKILL", "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"].includes(status.signal)
      ? `was killed by ${status.signal}`
      : `crashed (${status.signal})`;
    return named("WorkerCrash", `the worker process ${how}`);
  }
  return named("WorkerCrash", `the worker process exited with code ${status.code}`);
}

/** One worker process. */
export class ProcessTransport implements Transport {
  readonly isolation = "process";
  #events: TransportEvents;
  #spec: ProcessSpec;
  #child: Deno.ChildProcess | undefined;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #ready = false;
  #dead = false;
  #current = -1;
  #start = 0;
  #next = 0;
  /** A steal asked for and not answered yet. */
  #stealing = false;
  #tail = "";

  /**
   * Starts the worker process and sends it `init`.
   *
   * @param init What to run.
   * @param spec How to start it.
   * @param events Where its messages and failures go.
   */
  constructor(init: ProcessInit, spec: ProcessSpec, events: TransportEvents) {
    this.#events = events;
    this.#spec = spec;
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          ...spec.flags,
          HOST.protocol === "file:" ? decodeURIComponent(HOST.pathname) : HOST.href,
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        // Its own process group: a timeout or a signal kills it and every
        // process it started that stayed in the group, at once.
        detached: true,
      }).spawn();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      queueMicrotask(() =>
        events.failedToStart(new Error(`a procrun worker process could not start: ${reason}`))
      );
      return;
    }
    this.#child = child;
    trackGroup(child.pid);
    this.#writer = child.stdin.getWriter();
    this.#send(init);
    const stderr = this.#readStderr(child.stderr);
    this.#readFrames(child, stderr);
  }

  post(message: RunMessage | AbortMessage): void {
    // Tasks go on to the process's thread unread: only it reads them.
    if (message.type === "run") {
      this.#write(messageFrame(message, Frame.Raw, message.first, message.keys.length));
    } else this.#send(message);
  }

  #send(message: ToProcess): void {
    this.#write(messageFrame(message));
  }

  #write(frame: Uint8Array): void {
    this.#writer?.write(frame).catch(() => {
      // The process is gone: its exit says why.
    });
  }

  current(): number {
    return this.#current;
  }

  startedAt(): number {
    return this.#start;
  }

  next(): number {
    return this.#next;
  }

  takeBack(): undefined {
    if (!this.#stealing && !this.#dead) {
      this.#stealing = true;
      this.#send({ type: "steal" });
    }
    return undefined;
  }

  terminate(): void {
    if (this.#dead) return;
    this.#dead = true;
    if (this.#child === undefined) return;
    killGroup(this.#child.pid, "SIGKILL");
    untrackGroup(this.#child.pid);
    this.#writer?.close().catch(() => {});
  }

  #onMessage(message: FromProcess): void {
    if (this.#dead) return;
    switch (message.type) {
      case "ready":
        this.#ready = true;
        return;
      case "stolen":
        this.#stealing = false;
        if (message.to > this.#next) this.#next = message.to;
        return this.#events.stolen(message.from, message.to);
      case "timeout":
        return this.#events.timeout(message.i, message.start);
      case "crash":
        return this.#failed(errorFrom(message.error), message.ready);
      default:
        return this.#events.message(message);
    }
  }

  #failed(error: Error, ready: boolean): void {
    if (this.#dead) return;
    if (ready) return this.#events.crash(error);
    error.message = `a procrun worker could not start: ${error.message}`;
    this.#events.failedToStart(error);
  }

  async #readFrames(child: Deno.ChildProcess, stderr: Promise<void>): Promise<void> {
    const frames = new FrameReader({
      message: (message) => this.#onMessage(message as FromProcess),
      start: (index, start) => {
        this.#current = index;
        this.#start = start;
        if (index >= this.#next) this.#next = index + 1;
      },
    });
    const reader = child.stdout.getReader();
    const read = (async () => {
      while (true) {
        const { done, value } = await reader.read();
        // What its tasks printed goes on to this process's standard output,
        // before what they reported after it is read.
        let output = done ? frames.end() : this.#dead ? undefined : frames.push(value);
        while (output !== undefined) {
          await writeAll(Deno.stdout, output).catch(() => {});
          output = done || this.#dead ? undefined : frames.push();
        }
        if (done) return;
      }
    })();
    try {
      // A process a task left running may hold the pipe open after the worker
      // process exits: once it has, what it wrote comes within a moment.
      await Promise.race([read, child.status.then(() => within(read, STDERR_WAIT_MS))]);
    } catch (error) {
      this.#failed(new Error(`a procrun worker process sent what cannot be read: ${error}`), true);
    } finally {
      reader.cancel().catch(() => {});
    }
    const status = await child.status;
    untrackGroup(child.pid);
    if (this.#dead) return;
    // Its last words on standard error say whether it ran out of memory.
    await within(stderr, STDERR_WAIT_MS);
    this.#failed(deathError(status, this.#tail, this.#spec.memoryLimit), this.#ready);
  }

  /** Passes the process's standard error on, keeping its end. */
  async #readStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream) {
        this.#tail = (this.#tail + decoder.decode(chunk, { stream: true })).slice(-TAIL_BYTES);
        await writeAll(Deno.stderr, chunk).catch(() => {});
      }
    } catch {
      // Nothing more to read.
    }
  }
}
