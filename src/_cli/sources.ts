/**
 * The CLI's task input: GNU parallel's input sources combined into tasks
 * (every combination of their values, the last source varying fastest, or
 * values paired up where sources are linked: `:::+`, `::::+` without
 * wrapping, `--link` with it), or the lines of `--arg-file` or standard input.
 *
 * @module
 */
import type { InputSource } from "./args.ts";
import { concatBytes } from "../_bytes.ts";
import { errorText } from "../_util.ts";
import type { CliConfig } from "./args.ts";
import { type FeedOptions, groups, readLines, TaskFeed } from "./input.ts";
import { decodeEscaped } from "../_text.ts";

/** The values of a `::::` or `-a` file: its non-empty lines (or `delimiter`-ended items). */
export function fileValues(path: string, delimiter: number): string[] {
  let bytes: Uint8Array;
  try {
    bytes = path === "-" ? readAllStdin() : Deno.readFileSync(path);
  } catch (error) {
    throw new Error(
      `cannot read input source ${JSON.stringify(path)}: ${(error as Error).message}`,
    );
  }
  const values: string[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== delimiter) continue;
    if (i > start) values.push(decodeEscaped(bytes.subarray(start, i)));
    start = i + 1;
  }
  return values;
}

function readAllStdin(): Uint8Array {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(64 * 1024);
  while (true) {
    const n = Deno.stdin.readSync(buffer);
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
  }
  return concatBytes(chunks);
}

/**
 * Every task's values, from the sources' values: sources linked to the one
 * before are paired with it up to the shorter one; then the groups are
 * paired with wrapping (`link`) or combined in every way, the last fastest.
 */
export function combine(
  sources: readonly { values: string[]; linked: boolean }[],
  link: boolean,
): string[][] {
  const groups: string[][][] = [];
  for (const { values, linked } of sources) {
    const last = groups.at(-1);
    if (linked && last) {
      const length = Math.min(last.length, values.length);
      groups[groups.length - 1] = last.slice(0, length).map((tuple, i) => [...tuple, values[i]!]);
    } else groups.push(values.map((value) => [value]));
  }
  if (groups.some((group) => group.length === 0)) return [];
  if (link) {
    const length = Math.max(...groups.map((group) => group.length));
    return Array.from(
      { length },
      (_, i) => groups.flatMap((group) => group[i % group.length]!),
    );
  }
  let tasks: string[][] = [[]];
  for (const group of groups) {
    tasks = tasks.flatMap((prefix) => group.map((tuple) => [...prefix, ...tuple]));
  }
  return tasks;
}

/** The sources of the command line with their values read. */
export function sourceValues(
  sources: readonly InputSource[],
  delimiter: number,
): { values: string[]; linked: boolean }[] {
  return sources.map((source) => ({
    values: source.values ?? fileValues(source.file!, delimiter),
    linked: source.linked,
  }));
}

/** Said when the tasks are to be typed at a terminal. */
const TERMINAL_INPUT_WARNING =
  "procrun: reading tasks from the terminal, one per line (did you forget ::: or --arg-file?); end the input with Ctrl-D";

/**
 * Opens the task input: the sources after the command (`:::`, `::::`) or
 * several `-a` files, combined; else the lines of `--arg-file` or standard
 * input, read as a stream.
 */
export function openInput(config: CliConfig, signal: AbortSignal, options: FeedOptions): TaskFeed {
  const feedOptions = { ...options, colsep: config.colsep, delayMs: config.delay * 1000 };
  // -N n: n values per task, from whichever input.
  const grouped = (source: Iterable<string | string[]> | AsyncIterable<string | string[]>) =>
    config.maxArgs === undefined ? source : groups(source, config.maxArgs);
  if (config.sources !== undefined) {
    const sources = sourceValues(config.sources, config.delimiter);
    if (config.maxArgs !== undefined) {
      const all = sources.length === 1 ? sources[0]!.values : combine(sources, config.link);
      return new TaskFeed(grouped(all), false, undefined, signal, feedOptions);
    }
    // One source of words: each is a task as it stands (--key-sep and --colsep apply).
    if (sources.length === 1 && config.sources[0]!.values !== undefined) {
      return new TaskFeed(sources[0]!.values, false, config.keySep, signal, feedOptions);
    }
    if (sources.length === 1) {
      return new TaskFeed(sources[0]!.values, true, config.keySep, signal, feedOptions);
    }
    return new TaskFeed(combine(sources, config.link), false, config.keySep, signal, feedOptions);
  }
  let stream: ReadableStream<Uint8Array>;
  if (config.argFile !== undefined && config.argFile !== "-") {
    try {
      stream = Deno.openSync(config.argFile).readable;
    } catch (error) {
      throw new Error(
        `cannot read --arg-file ${JSON.stringify(config.argFile)}: ${errorText(error)}`,
      );
    }
  } else {
    // As GNU parallel does: a user at a terminal may have forgotten `:::`.
    if (Deno.stdin.isTerminal()) console.error(TERMINAL_INPUT_WARNING);
    stream = Deno.stdin.readable;
  }
  const lines = readLines(stream, signal, config.delimiter);
  return new TaskFeed(grouped(lines), true, config.keySep, signal, feedOptions);
}
