/**
 * GNU parallel's `--results DIR`: each task's `seq`, `stdout` and `stderr`
 * in `DIR/1/<value 1>/2/<value 2>/...`, each value quoted as GNU parallel
 * quotes it (`\` as `\\`, tab as `\t`, NUL as `\0`, `/` as `\_`).
 *
 * @module
 */
import { peekSpool } from "../_spool.ts";
import type { ProcResult } from "../result.ts";

const encoder = new TextEncoder();

/**
 * A value as one directory name. Beyond GNU parallel's quoting, `.` and `..`
 * become `\.` and `\.\.`, and the empty value `\e`, so that no value leaves
 * DIR or collapses a level.
 */
export function resultName(value: string): string {
  if (value === "") return "\\e";
  if (value === "." || value === "..") return value.replaceAll(".", "\\.");
  return value.replaceAll("\\", "\\\\").replaceAll("\t", "\\t").replaceAll("\0", "\\0")
    .replaceAll("/", "\\_");
}

/** The directory of a task's files under `dir`. */
export function resultDir(dir: string, values: readonly string[]): string {
  return [dir, ...values.flatMap((value, i) => [String(i + 1), resultName(value)])].join("/");
}

/** Writes `seq`, `stdout` and `stderr` of one task (its output as it came, spooled or not). */
export function writeResult(
  dir: string,
  values: readonly string[],
  seq: number,
  result: ProcResult,
): void {
  const where = resultDir(dir, values);
  Deno.mkdirSync(where, { recursive: true });
  Deno.writeTextFileSync(`${where}/seq`, String(seq));
  const spooled = peekSpool(result);
  const write = (name: "stdout" | "stderr", bytes: Uint8Array | null, text: string) => {
    const file = spooled?.[name];
    if (file) Deno.copyFileSync(file, `${where}/${name}`);
    else Deno.writeFileSync(`${where}/${name}`, bytes ?? encoder.encode(text));
  };
  write("stdout", result.stdoutBytes, result.stdout);
  write("stderr", result.stderrBytes, result.stderr);
}
