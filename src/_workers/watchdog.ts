/**
 * The timeout watchdog of one worker: a timer armed while the worker has
 * function tasks, which reads the running task and its start from the
 * worker's control block and reports the task once it has run past its
 * deadline. A worker cannot time out its own synchronous loop.
 *
 * @module
 */
import { clearArmed, MAX_TIMER_MS } from "../_util.ts";

/** How often (ms) to look again when the worker is between two tasks. */
const BETWEEN_TASKS_MS = 20;

/** What the watchdog reads of its worker. */
export interface Watched {
  /** Whether the worker holds tasks not reported yet. */
  busy(): boolean;
  /** The running task's index and start (ms after the run's base), if that task is held. */
  running(): { index: number; start: number } | undefined;
}

/** Arms, re-arms and fires the timeout of one worker's running task. */
export class Watchdog {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timeoutMs: number;
  #clock: () => number;
  #watched: Watched;
  #expired: (index: number, start: number) => void;

  /**
   * @param timeoutMs The task timeout.
   * @param clock Milliseconds after the run's base, now.
   * @param watched The worker.
   * @param expired Called with the task that ran out of time.
   */
  constructor(
    timeoutMs: number,
    clock: () => number,
    watched: Watched,
    expired: (index: number, start: number) => void,
  ) {
    this.#timeoutMs = timeoutMs;
    this.#clock = clock;
    this.#watched = watched;
    this.#expired = expired;
  }

  /** Arms the timer while the worker is busy (at `at`, ms after the base, or a timeout from now). */
  arm(at?: number): void {
    if (!this.#watched.busy()) {
      this.stop();
      return;
    }
    if (this.#timer !== undefined && at === undefined) return;
    // A longer wait would fire at once; #check() re-arms for the rest.
    const wait = Math.min(
      MAX_TIMER_MS,
      Math.max(0, (at ?? this.#clock() + this.#timeoutMs) - this.#clock()),
    );
    clearArmed(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#check();
    }, wait);
  }

  /** Disarms the timer. */
  stop(): void {
    clearArmed(this.#timer);
    this.#timer = undefined;
  }

  #check(): void {
    if (!this.#watched.busy()) return;
    const running = this.#watched.running();
    if (!running) {
      this.arm(this.#clock() + Math.min(this.#timeoutMs, BETWEEN_TASKS_MS));
      return;
    }
    const deadline = running.start + this.#timeoutMs;
    if (this.#clock() < deadline) this.arm(deadline);
    else this.#expired(running.index, running.start);
  }
}

let warnedStuck = false;

/**
 * Turns off {@linkcode warnStuck}'s warning: the CLI ends its process with
 * `Deno.exit()` itself, so the advice is for scripts only.
 */
export function silenceStuckWarning(): void {
  warnedStuck = true;
}

/**
 * Warns once per process, on the Deno versions whose `terminate()` cannot
 * stop a thread stuck in a synchronous loop (2.8.3 to 2.9.6, see
 * bench/README.md's design notes), that the process may not exit by itself.
 */
export function warnStuck(): void {
  if (warnedStuck) return;
  const [major, minor, patch] = Deno.version.deno.split(".").map(Number) as number[];
  const version = major! * 10000 + minor! * 100 + patch!;
  if (version < 20803 || version > 20906) return;
  warnedStuck = true;
  console.error(
    `procrun: a task timed out in a worker and its worker was terminated; if that task was ` +
      `stuck in a synchronous loop, Deno ${Deno.version.deno} cannot stop its thread and the ` +
      `process will not exit by itself: end the script with Deno.exit()`,
  );
}
