/**
 * The trace's counter of running and queued tasks, written as the run goes
 * and exact at every sample.
 *
 * An engine says when an attempt started only once it has ended, so the
 * count at a moment is final only when no attempt still open can have
 * started before it. Every open attempt began waiting at a known time, and
 * starts after it: the earliest such time is a watermark, and every change
 * before it is final. Changes wait in a heap until the watermark passes them,
 * so memory holds only what is open or recent, never the whole run.
 *
 * @module
 */

/** One attempt, from when it began waiting to when it ended. */
export interface OpenAttempt {
  /** When it began waiting (epoch ms). */
  readonly since: number;
  /** Whether it has ended. */
  closed: boolean;
}

/** A change of the counts at one moment. */
interface Change {
  at: number;
  running: number;
  queued: number;
}

/** Writes one sample: the counts from `at` (epoch ms) on. */
export type CounterSample = (at: number, running: number, queued: number) => void;

/** Running and queued tasks over time, sampled once each change is final. */
export class TaskCounters {
  #sample: CounterSample;
  /** Open attempts in the order they began waiting (so their times never decrease). */
  #open: OpenAttempt[] = [];
  #head = 0;
  /** Changes not yet final: a binary min-heap on `at`. */
  #heap: Change[] = [];
  #running = 0;
  #queued = 0;

  /** @param sample Takes each sample, in time order, only when a count changed. */
  constructor(sample: CounterSample) {
    this.#sample = sample;
  }

  /**
   * An attempt begins waiting to start at `at` (epoch ms), which is never
   * before the `at` of an earlier call.
   */
  open(at: number): OpenAttempt {
    const attempt: OpenAttempt = { since: at, closed: false };
    this.#open.push(attempt);
    this.#push({ at, running: 0, queued: 1 });
    return attempt;
  }

  /**
   * The attempt ended at `end`, having run from `start` (null: it never
   * started). Samples what is now final, up to `now`.
   */
  close(attempt: OpenAttempt, start: number | null, end: number, now: number): void {
    if (attempt.closed) return;
    attempt.closed = true;
    // An engine's clock (a worker's) may differ from this thread's by a
    // fraction of a millisecond: no change goes before the wait began.
    const ended = Math.max(end, attempt.since);
    if (start === null) this.#push({ at: ended, running: 0, queued: -1 });
    else {
      const started = Math.min(Math.max(start, attempt.since), ended);
      this.#push({ at: started, running: 1, queued: -1 });
      this.#push({ at: ended, running: -1, queued: 0 });
    }
    while (this.#head < this.#open.length && this.#open[this.#head]!.closed) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#open.length) {
      this.#open = this.#open.slice(this.#head);
      this.#head = 0;
    }
    this.#flush(this.#head < this.#open.length ? this.#open[this.#head]!.since : now);
  }

  /** Samples every change left: the run is over, or the trace ends now. */
  finish(): void {
    this.#flush(Infinity);
  }

  /** Samples the changes before `watermark`, grouped by moment. */
  #flush(watermark: number): void {
    const heap = this.#heap;
    while (heap.length > 0 && heap[0]!.at < watermark) {
      const at = heap[0]!.at;
      const before = [this.#running, this.#queued];
      while (heap.length > 0 && heap[0]!.at === at) {
        const change = this.#pop();
        this.#running += change.running;
        this.#queued += change.queued;
      }
      if (before[0] !== this.#running || before[1] !== this.#queued) {
        this.#sample(at, this.#running, this.#queued);
      }
    }
  }

  #push(change: Change): void {
    const heap = this.#heap;
    heap.push(change);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= change.at) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = change;
  }

  #pop(): Change {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      while (true) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && heap[right]!.at < heap[left]!.at ? right : left;
        if (heap[child]!.at >= last.at) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}
