/**
 * The values of procrun's options, read in GNU parallel's forms where it has
 * them (`--jobs +2`, `--timeout 5m`, `--halt now,fail=1`, ...), each refused
 * with a UsageError that names the option, the value and what is accepted.
 *
 * @module
 */
import type { HaltPolicy } from "../types.ts";
import { UsageError } from "./usage.ts";

/** A number option's value, checked by `ok`; undefined when not given. */
export function number(
  flag: string,
  raw: string | undefined,
  what: string,
  ok: (n: number) => boolean,
): number | undefined {
  if (raw === undefined) return undefined;
  const value = raw.trim() === "" ? NaN : Number(raw);
  if (!ok(value)) throw new UsageError(`${flag} must be ${what}: got '${raw}'`);
  return value;
}

/**
 * Refuses a command given as one word that holds spaces or shell syntax
 * (`procrun 'echo hi | tr a b' ::: x`): GNU parallel runs it through a shell,
 * procrun would look for a program of that name. Unless it names a file.
 */
export function refuseShellText(words: readonly string[]): void {
  const word = words[0]!;
  if (words.length !== 1 || !/[\s|&;<>()$`\\"'*?]/.test(word)) return;
  try {
    if (Deno.statSync(word).isFile) return;
  } catch {
    // Not a file: shell text.
  }
  throw new UsageError(
    `the command ${
      JSON.stringify(word)
    } is one word with spaces or shell syntax: add --shell to run it with sh -c, or give the program and its arguments as separate words`,
  );
}

/**
 * `--timeout` in GNU parallel's forms: seconds, with an optional s, m, h or
 * d, or P% (of the median run time of the tasks that succeeded so far).
 */
export function timeouts(
  raw: string | undefined,
): { timeout: number; timeoutPercent: number | undefined } {
  if (raw === undefined) return { timeout: 0, timeoutPercent: undefined };
  const match = /^(\d+(?:\.\d*)?|\.\d+)(s|m|h|d|%)?$/.exec(raw.trim());
  if (!match) {
    throw new UsageError(
      `--timeout must be a number of seconds >= 0 (0 for none), with s, m, h or d, or P% of the median run time: got '${raw}'`,
    );
  }
  const n = Number(match[1]);
  if (match[2] === "%") {
    if (n <= 0) throw new UsageError(`--timeout must be a percentage over 0: got '${raw}'`);
    return { timeout: 0, timeoutPercent: n };
  }
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as "s" | "m" | "h" | "d"] ?? 1;
  return { timeout: n * unit, timeoutPercent: undefined };
}

/**
 * `--jobs` in GNU parallel's forms: N (0 for no limit), +N and -N (the
 * number of cores plus or minus N, at least 1), N% (of the cores, at least 1).
 */
export function jobs(raw: string | undefined, cores = navigator.hardwareConcurrency): number {
  if (raw === undefined) return 4;
  const match = /^([+-]?)(\d+)(%?)$/.exec(raw.trim());
  if (!match) {
    throw new UsageError(
      `--jobs must be a non-negative integer (0 for no limit), +N or -N (cores plus or minus N) or N% (of the cores): got '${raw}'`,
    );
  }
  const n = Number(match[2]);
  if (match[3] === "%") {
    if (match[1] !== "") throw new UsageError(`--jobs must not sign a percentage: got '${raw}'`);
    return Math.max(1, Math.floor(cores * n / 100));
  }
  if (match[1] === "+") return cores + n;
  if (match[1] === "-") return Math.max(1, cores - n);
  return n;
}

export function regex(flag: string, raw: string | undefined): RegExp | undefined {
  if (raw === undefined) return undefined;
  try {
    return new RegExp(raw);
  } catch (error) {
    throw new UsageError(
      `${flag} must be a regular expression: got '${raw}' (${(error as Error).message})`,
    );
  }
}

/** `-d`'s delimiter as a byte: one ASCII character, or the escapes \n, \t, \r, \0. */
export function delimiter(raw: string | undefined): number {
  if (raw === undefined) return 0x0a;
  const escapes: Record<string, number> = { "\\n": 0x0a, "\\t": 0x09, "\\r": 0x0d, "\\0": 0 };
  if (raw in escapes) return escapes[raw]!;
  if (raw.length === 1 && raw.charCodeAt(0) < 0x80) return raw.charCodeAt(0);
  throw new UsageError(
    `--delimiter must be one ASCII character or one of \\n, \\t, \\r, \\0: got '${raw}'`,
  );
}

export function oneOf<T extends string>(
  flag: string,
  raw: string | undefined,
  choices: T[],
): T | undefined {
  if (raw === undefined) return undefined;
  if (!choices.includes(raw as T)) {
    throw new UsageError(`${flag} must be one of ${choices.join(", ")}: got '${raw}'`);
  }
  return raw as T;
}

const HALT_FORMS =
  "never, soon or now with fail=N, success=N or done=N (N a count or P%), or 0, 1, 2, -1, -2 or P%";

/** GNU parallel's `--halt` value as a policy, or undefined for never. */
export function parseHalt(raw: string | undefined): HaltPolicy | undefined {
  if (raw === undefined || raw === "never" || raw === "0") return undefined;
  // The legacy numeric forms.
  const legacy: Record<string, HaltPolicy> = {
    "1": { when: "soon", fail: 1 },
    "2": { when: "now", fail: 1 },
    "-1": { when: "soon", success: 1 },
    "-2": { when: "now", success: 1 },
  };
  if (legacy[raw]) return legacy[raw];
  if (
    /^\d+(\.\d+)?%$/.test(raw) && Number(raw.slice(0, -1)) > 0 && Number(raw.slice(0, -1)) < 100
  ) {
    return { when: "soon", fail: raw as `${number}%` };
  }
  const match = /^(soon|now),(fail|success|done)=(\d+|\d+(?:\.\d+)?%)$/.exec(raw);
  const count = match && !match[3]!.endsWith("%") ? Number(match[3]) : undefined;
  const percent = match && match[3]!.endsWith("%") ? Number(match[3]!.slice(0, -1)) : undefined;
  if (
    !match || (count !== undefined && count < 1) ||
    (percent !== undefined && !(percent > 0 && percent <= 100))
  ) {
    throw new UsageError(`--halt must be ${HALT_FORMS}: got '${raw}'`);
  }
  const threshold = count ?? (match[3] as `${number}%`);
  return { when: match[1] as "soon" | "now", [match[2]!]: threshold } as HaltPolicy;
}
