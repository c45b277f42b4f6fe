/**
 * One worker of the workers engine, thread or process (its transport), and
 * the tasks it holds: the tasks sent and not reported (by index), the
 * process groups of its running commands, and its watchdog (threads; a
 * worker process times its tasks out itself).
 *
 * @module
 */
import { stopGroup, trackGroup, untrackGroup } from "../_process/groups.ts";
import type { AttemptDone } from "../_engine.ts";
import type { ProcResult } from "../result.ts";
import type { AbortMessage, FromWorker, PairColumns, RunMessage } from "./protocol.ts";
import type { SlotLoad } from "./scheduler.ts";
import type { Isolation, Transport, TransportEvents } from "./transport.ts";
import type { Watchdog } from "./watchdog.ts";

/** What a worker slot tells its engine. */
export interface SlotEvents {
  /** A message from the worker (the slot handles `spawn` itself). */
  message(slot: WorkerSlot, message: FromWorker): void;
  /** The worker crashed or sent what cannot be read. */
  crash(slot: WorkerSlot, error: Error): void;
  /** The worker could not even load: any other would fail the same way. */
  failedToStart(error: Error): void;
  /** Tasks the worker had not started were taken back (a worker process's late answer). */
  stolen(slot: WorkerSlot, jobs: Job[]): void;
  /** Task `index` ran past its timeout; it started `start` ms after the run's base. */
  timeout(slot: WorkerSlot, index: number, start: number): void;
}

/** A task handed to the engine, with the callback that ends its attempt. */
export interface Job {
  result: ProcResult;
  done: AttemptDone;
}

/** One worker, the job slot `id`. */
export class WorkerSlot {
  /** The job slot number, from 1. */
  readonly id: number;
  /** Tasks sent and not yet reported, by index. */
  readonly jobs = new Map<number, Job>();
  /** Process groups of running commands, by task index. */
  readonly groups = new Map<number, number>();
  /** The timeout watchdog of a worker thread with function tasks and a timeout. */
  watchdog: Watchdog | undefined;
  /** Whether the worker was terminated. */
  dead = false;
  #transport: Transport;
  /** The index the next task sent gets. */
  #sent = 0;

  /**
   * Starts the worker.
   *
   * @param id The job slot number.
   * @param open Starts the worker's transport, which reports to the events given.
   * @param events Where the worker's messages and failures go.
   */
  constructor(id: number, open: (events: TransportEvents) => Transport, events: SlotEvents) {
    this.id = id;
    this.#transport = open({
      message: (message) => {
        if (this.dead) return;
        if (message.type === "spawn") {
          trackGroup(message.pgid);
          this.groups.set(message.i, message.pgid);
        } else events.message(this, message);
      },
      crash: (error) => this.dead || events.crash(this, error),
      failedToStart: (error) => this.dead || events.failedToStart(error),
      stolen: (from, to) => this.dead || events.stolen(this, this.#takeRange(from, to)),
      timeout: (index, start) => {
        if (!this.dead && this.jobs.has(index)) events.timeout(this, index, start);
      },
    });
  }

  /** Whether the worker is a thread or a process. */
  get isolation(): Isolation {
    return this.#transport.isolation;
  }

  /** Sends `message` to the worker; throws what cannot be copied (DataCloneError). */
  post(message: RunMessage | AbortMessage): void {
    this.#transport.post(message);
  }

  /**
   * Sends `jobs`' tasks in one message, or one at a time when some key or
   * argument cannot be cloned. Returns the tasks that could not be sent, each
   * with the error that stopped it.
   */
  send(jobs: Job[]): [Job, unknown][] {
    const message = (batch: Job[]): RunMessage => ({
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

  /** The running task's index, or -1 between tasks (or once its report came). */
  get current(): number {
    const current = this.#transport.current();
    return current >= 0 && this.jobs.has(current) ? current : -1;
  }

  /** When the running task started, in ms after the run's base. */
  get startedAt(): number {
    return this.#transport.startedAt();
  }

  /** What the scheduler needs to know, `now` being ms after the run's base. */
  load(now: number): SlotLoad {
    const current = this.current;
    return {
      inFlight: this.jobs.size,
      unstarted: Math.max(0, this.#sent - this.#transport.next()),
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

  /**
   * Takes back the tasks the worker has not started (work stealing): at once
   * from a thread; a process answers later, through the `stolen` event, and
   * this returns none.
   */
  takeBack(): Job[] {
    const from = this.#transport.takeBack(this.#sent);
    return from === undefined ? [] : this.#takeRange(from, this.#sent);
  }

  /**
   * Takes the tasks not started as far as known now, at once, for a worker
   * about to be retired (a process may have started one in the last instant:
   * it dies with the process).
   */
  takeUnstarted(): Job[] {
    if (this.#transport.isolation === "thread") return this.takeBack();
    return this.#takeRange(this.#transport.next(), this.#sent);
  }

  #takeRange(from: number, to: number): Job[] {
    const taken: Job[] = [];
    for (let i = from; i < to; i++) {
      const job = this.take(i);
      if (job) taken.push(job);
    }
    return taken;
  }

  /**
   * Ends the worker, stops its commands' process groups (SIGTERM, then
   * SIGKILL after `killGraceMs`) and returns the tasks it had not reported:
   * those it had not started, and those whose reports it had not sent yet.
   */
  retire(killGraceMs: number): Job[] {
    if (this.dead) return [];
    this.dead = true;
    this.watchdog?.stop();
    this.#transport.terminate();
    for (const pgid of this.groups.values()) stopGroup(pgid, killGraceMs);
    this.groups.clear();
    const held = [...this.jobs.values()];
    this.jobs.clear();
    return held;
  }
}
