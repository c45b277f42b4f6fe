/**
 * The workers engine: tasks queued here, sent to workers (threads or
 * processes, open_slot.ts) in batches (the decisions are in scheduler.ts),
 * reports decoded into results, and every way a worker can fail turned into
 * one result per task: a timeout (watchdog.ts), a crash, a module that cannot
 * load, a cancelled run.
 *
 * @module
 */
import type { AttemptDone, Engine } from "../_engine.ts";
import { Fifo } from "../_fifo.ts";
import {
  type CancelStage,
  recordCancel,
  recordError,
  recordOutcome,
  recordReturn,
  recordTimeout,
} from "../_record.ts";
import { clearArmed, type ClearTimer, epochNow, setLongTimeout } from "../_util.ts";
import type { ProcResult } from "../result.ts";
import {
  decodeOutcome,
  errorFrom,
  errorShape,
  type FromWorker,
  type PairColumns,
  type TaskReport,
} from "./protocol.ts";
import {
  FIRST_DEPTH,
  MAX_IN_FLIGHT,
  nextAverage,
  planSends,
  planSteal,
  starving,
} from "./scheduler.ts";
import { loadProcessTransport, openSlot, type WorkersConfig } from "./open_slot.ts";
import type { Job, SlotEvents, WorkerSlot } from "./slot.ts";
import { warnStuck } from "./watchdog.ts";

export type { WorkersConfig };

/** After an abort, how long past the kill grace a worker has to report its killed commands. */
const ABORT_REPORT_MS = 2000;

/** The lowest job slot number from 1 that no slot in `slots` has. */
function freeSlotId(slots: readonly WorkerSlot[]): number {
  const used = new Set(slots.map((slot) => slot.id));
  let id = 1;
  while (used.has(id)) id++;
  return id;
}

/** Runs attempts on a pool of workers. */
export class WorkersEngine implements Engine {
  readonly capacity: number;
  #config: WorkersConfig;
  #slots: WorkerSlot[] = [];
  /** Tasks not sent to any worker yet. */
  #pending = new Fifo<Job>();
  #avgMs: number | undefined;
  #base = epochNow();
  #scheduled = false;
  #aborted: { reason: unknown } | undefined;
  /** Set by a halt "soon": nothing more starts. */
  #stopped: { reason: unknown } | undefined;
  #broken: Error | undefined;
  #abortTimers = new Set<ClearTimer>();
  #abandoned = 0;
  #stealTimer: ReturnType<typeof setTimeout> | undefined;
  #stealing = false;
  #events: SlotEvents = {
    message: (slot, message) => this.#onMessage(slot, message),
    crash: (slot, error) => this.#onCrash(slot, error),
    failedToStart: (error) => this.#failAll(error),
    stolen: (_slot, jobs) => this.#onStolen(jobs),
    timeout: (slot, index, start) => this.#onTimeout(slot, index, start),
  };

  constructor(config: WorkersConfig) {
    this.#config = config;
    this.capacity = config.numWorkers * MAX_IN_FLIGHT * 2;
  }

  /** Workers terminated at a timeout while their task was still running. */
  get abandoned(): number {
    return this.#abandoned;
  }

  async prepare(): Promise<void> {
    if (this.#config.isolation === "process") await loadProcessTransport();
  }

  start(): void {
    this.#base = epochNow();
  }

  submit(result: ProcResult, done: AttemptDone): void {
    const job = { result, done };
    if (this.#aborted || this.#stopped) return this.#cancel(job, "before start");
    if (this.#broken) {
      recordError(result, this.#broken);
      return this.#neverRan(job);
    }
    this.#pending.push(job);
    // The first task starts a worker at once, and until the first reports
    // each batch's worth goes out as it arrives: workers boot and start while
    // the tasks after them are queued, which takes a while for a long list.
    if (
      this.#slots.length === 0 ||
      this.#avgMs === undefined && this.#pending.size % FIRST_DEPTH === 0
    ) {
      return this.#dispatch();
    }
    if (this.#scheduled) return;
    // Send what arrives in this turn of the event loop together: at the end
    // of this synchronous run of tasks when a worker is starving, else in the
    // next turn.
    this.#scheduled = true;
    const dispatch = () => {
      this.#scheduled = false;
      this.#dispatch();
    };
    if (starving(this.#loads(), this.#config.numWorkers)) queueMicrotask(dispatch);
    else setTimeout(dispatch, 0);
  }

  stopStarting(reason: unknown): void {
    if (this.#aborted) return;
    this.#stopped = { reason };
    this.#cancelUnstarted();
  }

  abort(reason: unknown): void {
    this.#aborted = { reason };
    this.#cancelUnstarted();
    for (const slot of [...this.#slots]) {
      if (this.#config.program.kind === "function") {
        this.#cancelHeld(slot);
        continue;
      }
      // The worker kills each command's group and reports what it printed.
      slot.post({ type: "abort", reason: errorShape(reason) });
      const clear = setLongTimeout(() => {
        this.#abortTimers.delete(clear);
        this.#cancelHeld(slot);
      }, this.#config.killGraceMs + ABORT_REPORT_MS);
      this.#abortTimers.add(clear);
    }
  }

  /** Cancels the tasks queued here or sent to a worker and not started there. */
  #cancelUnstarted(): void {
    for (const job of [...this.#pending.drain(), ...this.#slots.flatMap((s) => s.takeBack())]) {
      this.#cancel(job, "before start");
    }
  }

  /** Ends every worker, so that the process can exit. */
  close(): Promise<void> {
    clearArmed(this.#stealTimer);
    for (const clear of this.#abortTimers) clear();
    this.#abortTimers.clear();
    for (const slot of [...this.#slots]) this.#cancelHeld(slot);
    return Promise.resolve();
  }

  #loads() {
    const now = this.#now();
    return this.#slots.map((slot) => slot.load(now));
  }

  /** Milliseconds since the run's time base. */
  #now(): number {
    return epochNow() - this.#base;
  }

  #dispatch(): void {
    const sends = planSends(
      this.#loads(),
      this.#pending.size,
      this.#config.numWorkers,
      this.#avgMs,
    );
    for (const { slot: index, count } of sends) {
      const slot = this.#slots[index] ?? this.#spawn();
      for (const [job, error] of slot.send(this.#pending.take(count))) {
        recordError(job.result, error);
        this.#neverRan(job);
      }
    }
    if (this.#pending.size === 0 && !this.#stealing) this.#steal();
  }

  #spawn(): WorkerSlot {
    const id = freeSlotId(this.#slots);
    const slot = openSlot(id, this.#config, this.#base, this.#events, () => this.#now());
    this.#slots.push(slot);
    return slot;
  }

  #onMessage(slot: WorkerSlot, message: FromWorker): void {
    if (message.type === "results") {
      if (message.pairs) this.#reportPairs(slot, message.pairs);
      this.#report(slot, message.reports);
      slot.watchdog?.arm();
      this.#dispatch();
    } else if (message.type === "fatal") {
      this.#report(slot, message.reports);
      if (message.init) this.#failAll(errorFrom(message.error));
      else this.#onCrash(slot, errorFrom(message.error));
    }
  }

  #report(slot: WorkerSlot, reports: TaskReport[]): void {
    let total = 0;
    for (const report of reports) {
      const job = slot.take(report.i);
      if (!job) continue;
      total += report.e - report.s;
      const result = job.result;
      if (report.error !== undefined) recordError(result, errorFrom(report.error));
      else if (report.outcome !== undefined) {
        const outcome = decodeOutcome(report.outcome);
        recordOutcome(result, outcome, this.#config.timeoutMs, this.#aborted?.reason);
        slot.settleGroup(report.i, outcome.timedOut || outcome.cancelled, this.#config.killGraceMs);
      } else recordReturn(result, report.value);
      this.#end(job, report.s, report.e, slot);
    }
    if (reports.length > 0) this.#avgMs = nextAverage(this.#avgMs, total, reports.length);
  }

  #reportPairs(slot: WorkerSlot, pairs: PairColumns): void {
    slot.takePairs(pairs, (job, start, end) => this.#end(job, start, end, slot));
    const { times } = pairs;
    const n = pairs.index.length;
    if (n > 0) this.#avgMs = nextAverage(this.#avgMs, times[2 * n - 1]! - times[0]!, n);
  }

  #onTimeout(slot: WorkerSlot, index: number, start: number): void {
    const job = slot.take(index)!;
    recordTimeout(job.result, this.#config.timeoutMs);
    this.#end(job, this.#base + start, epochNow(), slot);
    if (slot.isolation === "thread") {
      // A thread cannot be stopped in a synchronous loop; a process is killed.
      this.#abandoned++;
      warnStuck();
    }
    this.#requeue(slot);
    this.#dispatch();
  }

  /** The worker of `slot` is gone: its running task fails with `error`. */
  #onCrash(slot: WorkerSlot, error: Error): void {
    if (slot.dead) return;
    const job = slot.take(slot.current);
    if (job) {
      recordError(job.result, error);
      this.#end(job, this.#base + slot.startedAt, epochNow(), slot);
    }
    this.#requeue(slot);
    this.#dispatch();
  }

  #retire(slot: WorkerSlot): Job[] {
    this.#slots = this.#slots.filter((s) => s !== slot);
    return slot.retire(this.#config.killGraceMs);
  }

  /**
   * Retires `slot`; the tasks it held go back to the front of the queue, to
   * run on another worker, or end as cancelled once the run is.
   */
  #requeue(slot: WorkerSlot): void {
    if (this.#aborted) this.#cancelHeld(slot);
    else this.#pending.unshift(this.#retire(slot));
  }

  /** Retires `slot`; the tasks it held end as cancelled. */
  #cancelHeld(slot: WorkerSlot): void {
    for (const job of slot.takeUnstarted()) this.#cancel(job, "before start");
    const running = slot.jobs.get(slot.current);
    const start = this.#base + slot.startedAt;
    for (const job of this.#retire(slot)) {
      this.#cancel(job, "running", slot, job === running ? start : undefined);
    }
  }

  /** Takes back the tasks a busy worker has not started, when another is idle. */
  #steal(): void {
    clearArmed(this.#stealTimer);
    this.#stealTimer = undefined;
    if (this.#aborted) return;
    const plan = planSteal(this.#loads(), this.#avgMs);
    if (plan === undefined) return;
    if ("recheckMs" in plan) {
      this.#stealTimer = setTimeout(() => {
        this.#stealTimer = undefined;
        if (this.#pending.size === 0) this.#steal();
      }, plan.recheckMs);
      return;
    }
    this.#onStolen(this.#slots[plan.victim]!.takeBack());
  }

  /** Tasks taken back unstarted (at once from a thread, later from a process) run elsewhere. */
  #onStolen(taken: Job[]): void {
    if (taken.length === 0) return;
    if (this.#aborted || this.#stopped) {
      for (const job of taken) this.#cancel(job, "before start");
      return;
    }
    this.#pending.unshift(taken);
    // One steal per call: the dispatch below must not steal again, or two
    // slots could pass the same tasks back and forth without end.
    this.#stealing = true;
    try {
      this.#dispatch();
    } finally {
      this.#stealing = false;
    }
  }

  /** Ends `job` as cancelled; a running one on `slot`, since `start` when known. */
  #cancel(job: Job, stage: CancelStage, slot?: WorkerSlot, start?: number): void {
    const cause = this.#aborted ?? this.#stopped;
    const reason = cause
      ? cause.reason
      : new DOMException("the run ended before the task", "AbortError");
    recordCancel(job.result, reason, stage);
    if (stage === "before start") return this.#neverRan(job);
    const end = epochNow();
    job.done(job.result, { start: start ?? end, end, slot: slot?.id ?? null, host: null });
  }

  /** The task module cannot be loaded: every task fails with `error`, none runs. */
  #failAll(error: Error): void {
    this.#broken = error;
    const jobs = this.#pending.drain();
    for (const slot of [...this.#slots]) jobs.push(...this.#retire(slot));
    for (const job of jobs) {
      recordError(job.result, error);
      this.#neverRan(job);
    }
  }

  #end(job: Job, start: number, end: number, slot: WorkerSlot): void {
    job.done(job.result, { start, end, slot: slot.id, host: null });
  }

  #neverRan(job: Job): void {
    job.done(job.result, { start: null, end: epochNow(), slot: null, host: null });
  }
}
