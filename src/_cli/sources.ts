/**
 * GNU parallel's input sources combined into tasks: every combination of
 * their values (the last source varies fastest), or values paired up where
 * sources are linked (`:::+`, `::::+` without wrapping, `--link` with it).
 *
 * @module
 */
import type { InputSource } from "./args.ts";
import { concatBytes } from "../_bytes.ts";
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
