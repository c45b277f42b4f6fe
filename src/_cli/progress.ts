/**
 * The CLI's one-line progress bar on standard error: done/total, running,
 * failed, elapsed time and ETA, redrawn in place.
 *
 * @module
 */

const encoder = new TextEncoder();

/** What the bar shows. */
export interface ProgressCounts {
  /** Tasks ended. */
  done: number;
  /** Tasks ended without success. */
  failed: number;
  /** Tasks read from the input so far. */
  read: number;
  /** All tasks, once the input has ended. */
  total: number | undefined;
}

/** Seconds as `12s`, `3m04s` or `1h02m`. */
export function shortDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
}

/** The bar's text for `counts` after `elapsed` seconds with `jobs` slots. */
export function progressLine(counts: ProgressCounts, elapsed: number, jobs: number): string {
  const { done, failed, read, total } = counts;
  const running = Math.min(read - done, jobs);
  let bar = "";
  let eta = "?";
  if (total !== undefined) {
    const width = 20;
    const filled = total === 0 ? width : Math.floor((done / total) * width);
    bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}] `;
    if (done > 0) eta = shortDuration((elapsed / done) * (total - done));
  }
  return `${bar}${done}/${total ?? `${read}+`} done, ${running} running, ${failed} failed, ` +
    `${shortDuration(elapsed)} elapsed, ETA ${eta}`;
}

/** The bar itself. `terminal` decides whether it is erased at the end or left as a last line. */
export class ProgressBar {
  #counts: () => ProgressCounts;
  #jobs: number;
  #terminal: boolean;
  #t0 = performance.now();
  #last = 0;
  #shown = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #stopped = false;
  #paused = false;

  /**
   * @param counts Reads the current counts.
   * @param jobs Tasks at once (Infinity for no limit).
   * @param terminal Whether standard error is a terminal.
   */
  constructor(counts: () => ProgressCounts, jobs: number, terminal: boolean) {
    this.#counts = counts;
    this.#jobs = jobs;
    this.#terminal = terminal;
  }

  /** Draws now and every 200 ms. */
  start(): void {
    this.draw();
    this.#timer = setInterval(() => this.draw(), 200);
  }

  /** Redraws, at most every 50 ms unless `force`; not while paused. */
  draw(force = false): void {
    if (this.#stopped || this.#paused) return;
    const now = performance.now();
    if (!force && now - this.#last < 50) return;
    this.#last = now;
    let line = progressLine(this.#counts(), (now - this.#t0) / 1000, this.#jobs);
    // A line longer than the terminal wraps, and "\r" then goes back to its last row only.
    const columns = this.#columns();
    if (line.length >= columns) line = line.slice(0, Math.max(columns - 1, 0));
    this.#write(`\r${line}\x1b[K`);
    this.#shown = true;
  }

  /**
   * Erases the bar and draws nothing more until {@linkcode resume}: other
   * output is being written, and a write may take many turns of the event loop.
   */
  pause(): void {
    this.clear();
    this.#paused = true;
  }

  /** Draws the bar again, after other output (see {@linkcode pause}). */
  resume(): void {
    this.#paused = false;
    this.draw(true);
  }

  /** Erases the bar (before other output is written to the terminal). */
  clear(): void {
    if (this.#shown && this.#terminal && !this.#stopped) {
      this.#write("\r\x1b[K");
      this.#shown = false;
    }
  }

  #columns(): number {
    if (!this.#terminal) return Infinity;
    try {
      return Deno.consoleSize().columns || Infinity;
    } catch {
      return Infinity;
    }
  }

  /** Stops redrawing; erases the bar on a terminal, else leaves its final state on a line. */
  stop(): void {
    if (this.#stopped) return;
    clearInterval(this.#timer);
    this.#paused = false;
    this.draw(true);
    if (this.#terminal) this.clear();
    else this.#write("\n");
    this.#stopped = true;
  }

  #write(text: string): void {
    try {
      Deno.stderr.writeSync(encoder.encode(text));
    } catch {
      // Standard error is gone: nothing to show the bar on.
    }
  }
}
