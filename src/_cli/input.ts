/**
 * The CLI's task list: `[key, arg]` pairs made lazily from `:::` arguments or
 * from the lines of a file or of standard input, read as a stream.
 *
 * @module
 */
import { decodeEscaped } from "../_text.ts";
import { concatBytes } from "../_bytes.ts";

/** Waits `ms`, or less if `signal` aborts. */
function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Yields the lines of `stream` (without their `\n`) as they arrive. Bytes that
 * are not UTF-8 are kept as lone surrogates (see src/_text.ts), so that a task
 * on such a line fails with a clear error instead of running on a changed
 * name. Once `signal` aborts it returns at once, without waiting for more
 * input (a terminal may never send any).
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  signal: AbortSignal,
  delimiter = NEWLINE,
): AsyncGenerator<string> {
  const reader = stream.getReader();
  // Each read races the abort through its own promise: racing every read
  // against one long-lived promise would keep every chunk alive.
  let wake: ((value: null) => void) | undefined;
  const onAbort = () => wake?.(null);
  signal.addEventListener("abort", onAbort, { once: true });
  // Lines are cut at the byte 0x0A, never inside a UTF-8 sequence, and then
  // decoded: a whole chunk of lines at once in the common case.
  let rest: Uint8Array = new Uint8Array(0);
  let finished = false;
  try {
    while (true) {
      if (signal.aborted) return;
      const chunk = await new Promise<ReadableStreamReadResult<Uint8Array> | null>(
        (resolve, reject) => {
          wake = resolve;
          reader.read().then(resolve, reject);
        },
      );
      wake = undefined;
      if (chunk === null) return;
      if (chunk.done) break;
      const bytes = rest.length === 0 ? chunk.value : concatBytes([rest, chunk.value]);
      const end = bytes.lastIndexOf(delimiter);
      if (end === -1) {
        rest = bytes;
        continue;
      }
      rest = bytes.slice(end + 1);
      for (
        const line of decodeEscaped(bytes.subarray(0, end)).split(String.fromCharCode(delimiter))
      ) {
        yield line;
      }
    }
    finished = true;
    if (rest.length > 0) yield decodeEscaped(rest);
  } finally {
    signal.removeEventListener("abort", onAbort);
    if (!finished) reader.cancel().catch(() => {});
    else reader.releaseLock();
  }
}

const NEWLINE = 0x0a;

/** Where a task came from: its 1-based sequence number in the input. */
export interface TaskOrigin {
  seq: number;
}

/** How a {@linkcode TaskFeed} turns each task's input into what the runner gets. */
export interface FeedOptions {
  /** Whether to pass over the task numbered `seq` (`--resume`). */
  skip?: (seq: number, values: string[]) => boolean;
  /** What the runner gets for the task (by default its input). */
  toArg?: (values: string[], seq: number) => unknown;
  /** Splits each text into columns (`--colsep`). */
  colsep?: RegExp;
  /** Milliseconds between two tasks handed out (`--delay`). */
  delayMs?: number;
}

/** Groups the items of `source` by `n` (`-N`): the last group may be shorter. */
export async function* groups(
  source: Iterable<string | string[]> | AsyncIterable<string | string[]>,
  n: number,
): AsyncGenerator<string[]> {
  let group: string[] = [];
  for await (const item of source) {
    if (item === "") continue;
    group.push(...(Array.isArray(item) ? item : [item]));
    if (group.length >= n) {
      yield group;
      group = [];
    }
  }
  if (group.length > 0) yield group;
}

/**
 * The tasks of a CLI run, read lazily. Keys are 1-based input positions (line
 * numbers for lines), or the text before `keySep` on each line. Empty lines
 * are skipped (their numbers are not reused).
 */
export class TaskFeed implements AsyncIterable<readonly [unknown, unknown]> {
  /** Tasks handed to the runner so far. */
  read = 0;
  /** Tasks passed over (`--resume`): numbered, not run. */
  skipped = 0;
  /**
   * How many tasks there are: known from the start for `:::` arguments, for
   * lines once the input has ended.
   */
  total: number | undefined;
  /**
   * Why reading stopped early: a line without the key separator, or a key
   * seen before. The tasks read before it still run to their end; the CLI
   * reports this after them (a bad line is the input's fault, not theirs).
   */
  error: string | undefined;
  #source: Iterable<string | string[]> | AsyncIterable<string | string[]>;
  #lines: boolean;
  #keySep: string | undefined;
  #signal: AbortSignal;
  #options: FeedOptions;
  #origin = new Map<unknown, { seq: number; input: string | string[] }>();
  /** With `keySep`: every key read and its line, to name both lines of a duplicate. */
  #keyLines = new Map<string, number>();

  /**
   * @param source The arguments (`:::`) or the input lines.
   * @param lines Whether `source` holds lines (empty ones are skipped).
   * @param keySep With lines, the separator between key and argument.
   * @param signal Stops reading when aborted.
   * @param options How each task's input becomes what the runner gets.
   */
  constructor(
    source: Iterable<string | string[]> | AsyncIterable<string | string[]>,
    lines: boolean,
    keySep: string | undefined,
    signal: AbortSignal,
    options: FeedOptions = {},
  ) {
    this.#source = source;
    this.#lines = lines;
    this.#keySep = keySep;
    this.#signal = signal;
    this.#options = options;
    // `:::` arguments are all known: the progress bar has its total and ETA at once.
    if (Array.isArray(source) && !lines) this.total = source.length;
  }

  /**
   * The sequence number and the input (one value, or the values of several
   * sources or columns) of the task with `key`, while it is in flight.
   */
  peek(key: unknown): { seq: number; input: string | string[] } | undefined {
    return this.#origin.get(key);
  }

  /** As {@linkcode TaskFeed.peek}, and forgets it: only tasks in flight are remembered. */
  take(key: unknown): { seq: number; input: string | string[] } {
    const origin = this.#origin.get(key) ?? { seq: 0, input: "" };
    this.#origin.delete(key);
    return origin;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<readonly [unknown, unknown]> {
    let position = 0;
    const { skip, toArg, colsep, delayMs = 0 } = this.#options;
    let lastOut = -Infinity;
    for await (const item of this.#source) {
      if (this.#signal.aborted) break;
      position++;
      if (this.#lines && item === "") continue;
      let key: unknown = position;
      let values: string[];
      if (Array.isArray(item)) {
        values = item;
      } else {
        let text = item;
        if (this.#keySep !== undefined) {
          const at = text.indexOf(this.#keySep);
          if (at === -1) {
            this.error = `input line ${position} has no key separator ${
              JSON.stringify(this.#keySep)
            } (--key-sep): no task was read from it or after it`;
            if (this.total !== undefined) this.total = this.read;
            return;
          }
          const name = text.slice(0, at);
          const first = this.#keyLines.get(name);
          if (first !== undefined) {
            this.error = `input line ${position} repeats the key ${
              JSON.stringify(name)
            } of line ${first} (--key-sep keys must be unique): no task was read from it or after it`;
            if (this.total !== undefined) this.total = this.read;
            return;
          }
          this.#keyLines.set(name, position);
          key = name;
          text = text.slice(at + this.#keySep.length);
        }
        values = colsep ? text.split(colsep) : [text];
      }
      // The sequence number counts every task, run or passed over.
      const seq = this.read + this.skipped + 1;
      if (skip?.(seq, values)) {
        this.skipped++;
        if (this.total !== undefined) this.total--;
        continue;
      }
      if (delayMs > 0) {
        const wait = lastOut + delayMs - performance.now();
        if (wait > 0) await abortableDelay(wait, this.#signal);
        if (this.#signal.aborted) break;
        lastOut = performance.now();
      }
      this.read++;
      const input = values.length === 1 ? values[0]! : values;
      if (!this.#origin.has(key)) this.#origin.set(key, { seq, input });
      yield [key, toArg ? toArg(values, seq) : input];
    }
    if (!this.#signal.aborted) this.total = this.read;
  }
}
