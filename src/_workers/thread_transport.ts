/**
 * A worker thread (worker.ts) and its control block, shared with it: the
 * main side reads which task runs from it, and takes tasks back through it
 * at once. The workers engine runs tasks on these; a worker process
 * (process_host.ts) runs its tasks on one too.
 *
 * @module
 */
import {
  Ctrl,
  type FromWorker,
  type InitMessage,
  parseUncaught,
  reclaim,
  type ToWorker,
} from "./protocol.ts";
import type { Transport, TransportEvents } from "./transport.ts";

/** The worker's options: a module worker, with its own permissions if asked. */
type Options = WorkerOptions & { deno?: { permissions: Deno.PermissionOptions } };

/** One worker thread. */
export class ThreadTransport implements Transport {
  readonly isolation = "thread";
  /** The control block (protocol.ts, `Ctrl`). */
  readonly ctrl: Int32Array;
  #worker: Worker;
  #ready = false;
  #dead = false;

  /**
   * Starts the worker and sends it `init`.
   *
   * @param name The worker's name.
   * @param init What to run (the control block is added here).
   * @param permissions The worker's permissions, if set.
   * @param events Where the worker's messages and failures go.
   */
  constructor(
    name: string,
    init: Omit<InitMessage, "type" | "ctrl">,
    permissions: Deno.PermissionOptions | undefined,
    events: Pick<TransportEvents, "message" | "crash" | "failedToStart">,
  ) {
    const options: Options = { type: "module", name };
    if (permissions !== undefined) options.deno = { permissions };
    this.#worker = new Worker(new URL("./worker.ts", import.meta.url), options);
    const sab = new SharedArrayBuffer(Ctrl.Size * Int32Array.BYTES_PER_ELEMENT);
    this.ctrl = new Int32Array(sab);
    this.ctrl[Ctrl.Current] = -1;
    this.#worker.onmessage = (event: MessageEvent<FromWorker>) => {
      if (this.#dead) return;
      const message = event.data;
      if (message.type === "ready") this.#ready = true;
      else events.message(message);
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      if (this.#dead) return;
      const error = parseUncaught(event.message ?? "the worker crashed");
      if (this.#ready) {
        events.crash(error);
      } else {
        error.message = `a procrun worker could not start: ${error.message}`;
        events.failedToStart(error);
      }
    };
    this.#worker.onmessageerror = () => {
      if (!this.#dead) events.crash(new Error("A message from the worker could not be read"));
    };
    this.post({ type: "init", ctrl: sab, ...init });
  }

  post(message: ToWorker): void {
    this.#worker.postMessage(message);
  }

  /** Hands the worker a message in V8's serialisation, giving it the bytes' buffer. */
  postFrame(bytes: Uint8Array): void {
    this.#worker.postMessage({ type: "frame", bytes }, [bytes.buffer as ArrayBuffer]);
  }

  current(): number {
    return Atomics.load(this.ctrl, Ctrl.Current);
  }

  startedAt(): number {
    return Atomics.load(this.ctrl, Ctrl.Start);
  }

  next(): number {
    return Atomics.load(this.ctrl, Ctrl.Next);
  }

  takeBack(sent: number): number {
    return reclaim(this.ctrl, sent);
  }

  terminate(): void {
    this.#dead = true;
    this.#worker.terminate();
    // Stop it from starting anything else, in case its thread still runs.
    Atomics.store(this.ctrl, Ctrl.Next, 0x7fffffff);
  }
}
