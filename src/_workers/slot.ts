/**
 * One worker thread of the workers engine and the tasks it holds: its
 * control block, the tasks sent and not reported (by index), the process
 * groups of its running commands, and its watchdog.
 *
 * @module
 */
import { stopGroup, trackGroup, untrackGroup } from "../_process/groups.ts";
import type { AttemptDone } from "../_engine.ts";
import type { ProcResult } from "../result.ts";
import {
  Ctrl,
  type FromWorker,
  type InitMessage,
  type PairColumns,
  parseUncaught,
  type ToWorker,
} from "./protocol.ts";
import type { SlotLoad } from "./scheduler.ts";
import type { Watchdog } from "./watchdog.ts";

/** What a worker slot tells its engine. */
export interface SlotEvents {
  /** A message from the worker (the slot handles `spawn` and `ready` itself). */
  message(slot: WorkerSlot, message: FromWorker): void;
  /** The worker crashed or sent what cannot be read. */
  crash(slot: WorkerSlot, error: Error): void;
  /** The worker could not even load: any other would fail the same way. */
  failedToStart(error: Error): void;
}

/** A task handed to the engine, with the callback that ends its attempt. */
export interface Job {
  result: ProcResult;
  done: AttemptDone;
}

/** The worker's options: a module worker, with its own permissions if asked. */
type Options = WorkerOptions & { deno?: { permissions: Deno.PermissionOptions } };

/** One worker thread, the job slot `id`. */
export class WorkerSlot {
  /** The job slot number, from 1. */
  readonly id: number;
  /** Tasks sent and not yet reported, by index. */
  readonly jobs = new Map<number, Job>();
  /** Process groups of running commands, by task index. */
  readonly groups = new Map<number, number>();
  /** The timeout watchdog, for function tasks with a timeout. */
  watchdog: Watchdog | undefined;
  /** Whether the worker was terminated. */
  dead = false;
  #worker: Worker;
  #ctrl: Int32Array;
  /** The index the next task sent gets. */
  #sent = 0;
  #ready = false;

  /**
   * Starts the worker and sends it `init`.
   *
   * @param id The job slot number.
   * @param init What to run (the control block is added here).
   * @param permissions The worker's permissions, if set.
   * @param events Where the worker's messages and failures go.
   */
  constructor(
    id: number,
    init: Omit<InitMessage, "type" | "ctrl">,
    permissions: Deno.PermissionOptions | undefined,
    events: SlotEvents,
  ) {
    this.id = id;
    const options: Options = { type: "module", name: `procrun-worker-${id}` };
    if (permissions !== undefined) options.deno = { permissions };
    this.#worker = new Worker(new URL("./worker.ts", import.meta.url), options);
    const sab = new SharedArrayBuffer(Ctrl.Size * Int32Array.BYTES_PER_ELEMENT);
    this.#ctrl = new Int32Array(sab);
    this.#ctrl[Ctrl.Current] = -1;
    this.#worker.onmessage = (event: MessageEvent<FromWorker>) => {
      if (this.dead) return;
      const message = event.data;
      if (message.type === "ready") this.#ready = true;
      else if (message.type === "spawn") {
        trackGroup(message.pgid);
        this.groups.set(message.i, message.pgid);
      } else events.message(this, message);
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      const error = parseUncaught(event.message ?? "the worker crashed");
      if (this.#ready) {
        events.crash(this, error);
      } else {
        error.message = `a procrun worker could not start: ${error.message}`;
        events.failedToStart(error);
      }
    };
    this.#worker.onmessageerror = () => {
      events.crash(this, new Error("A message from the worker could not be read"));
    };
    this.post({ type: "init", ctrl: sab, ...init });
  }

  /** Posts `message` to the worker; throws what `postMessage` throws (DataCloneError). */
  post(message: ToWorker): void {
    this.#worker.postMessage(message);
  }

  /**
   * Sends `jobs`' tasks in one message, or one at a time when some key or
   * argument cannot be cloned. Returns the tasks that could not be sent, each
   * with the error that stopped it.
   */
  send(jobs: Job[]): [Job, unknown][] {
    const message = (batch: Job[]): ToWorker => ({
      type: "run",
      first: this.#sent,
      keys: batch.map((job) => job.result.key),
      args: batch.map((job) => job.result.arg),
    });
    const failed: [Job, unknown][] = [];
    try {
      this.post(message(jobs));
      for (const job of jobs) this.jobs.set(this.#sent++, job);
    } catch {
      for (const job of jobs) {
        try {
          this.post(message([job]));
          this.jobs.set(this.#sent++, job);
        } catch (error) {
          failed.push([job, error]);
        }
      }
    }
    this.watchdog?.arm();
    return failed;
  }

  /** The running task's index, or -1 between tasks. */
  get current(): number {
    return Atomics.load(this.#ctrl, Ctrl.Current);
  }

  /** When the running task started, in ms after the run's base. */
  get startedAt(): number {
    return Atomics.load(this.#ctrl, Ctrl.Start);
  }

  /** What the scheduler needs to know, `now` being ms after the run's base. */
  load(now: number): SlotLoad {
    const current = this.current;
    return {
      inFlight: this.jobs.size,
      unstarted: this.#sent - Atomics.load(this.#ctrl, Ctrl.Next),
      ranMs: current >= 0 ? now - this.startedAt : 0,
    };
  }

  /** Removes and returns the task with `index`, if held. */
  take(index: number): Job | undefined {
    const job = this.jobs.get(index);
    if (job !== undefined) this.jobs.delete(index);
    return job;
  }

  /**
   * A command of this worker has ended: forget its process group, or, if it
   * was stopped, stop what is left of the group (the worker kills what ignored
   * SIGTERM after the grace period; this thread does it too, in case the
   * worker is gone by then).
   */
  settleGroup(index: number, stopped: boolean, killGraceMs: number): void {
    const pgid = this.groups.get(index);
    if (pgid === undefined) return;
    this.groups.delete(index);
    if (stopped) stopGroup(pgid, killGraceMs);
    else untrackGroup(pgid);
  }

  /**
   * Takes the jobs of a report of function tasks in columns, fills in their
   * results and ends each through `end` with its times (no object per task:
   * this is the hot path of trivial functions).
   */
  takePairs(
    { index, times, success, answers }: PairColumns,
    end: (job: Job, start: number, end: number) => void,
  ): void {
    for (let k = 0; k < index.length; k++) {
      const job = this.take(index[k]!);
      if (!job) continue;
      job.result.success = success[k] === 1;
      job.result.answer = answers[k];
      end(job, times[2 * k]!, times[2 * k + 1]!);
    }
  }

  /** Atomically takes back the tasks the worker has not started (work stealing). */
  takeBack(): Job[] {
    while (true) {
      const next = Atomics.load(this.#ctrl, Ctrl.Next);
      if (next >= this.#sent) return [];
      if (Atomics.compareExchange(this.#ctrl, Ctrl.Next, next, this.#sent) !== next) continue;
      const taken: Job[] = [];
      for (let i = next; i < this.#sent; i++) {
        const job = this.take(i);
        if (job) taken.push(job);
      }
      return taken;
    }
  }

  /**
   * Terminates the worker, stops its commands' process groups (SIGTERM, then
   * SIGKILL after `killGraceMs`) and returns the tasks it had not reported:
   * those it had not started, and those whose reports it had not sent yet.
   */
  retire(killGraceMs: number): Job[] {
    if (this.dead) return [];
    this.dead = true;
    this.watchdog?.stop();
    this.#worker.terminate();
    // Stop it from starting anything else, in case its thread still runs.
    Atomics.store(this.#ctrl, Ctrl.Next, 0x7fffffff);
    for (const pgid of this.groups.values()) stopGroup(pgid, killGraceMs);
    this.groups.clear();
    const held = [...this.jobs.values()];
    this.jobs.clear();
    return held;
  }
}
