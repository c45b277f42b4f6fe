/**
 * The pieces of {@linkcode ProcResult.format}'s readable report.
 *
 * @module
 */
import type { Palette } from "./_colors.ts";
import { inspectLine } from "./_util.ts";

/** Adds a titled block of output (stdout, stderr) to a report's lines, indented; nothing if empty. */
export function section(
  lines: string[],
  name: string,
  text: string,
  truncated: boolean,
  cyan: Palette["cyan"],
  dim: Palette["dim"],
): void {
  if (text === "" && !truncated) return;
  lines.push(`  ${cyan(name)}${truncated ? dim(" (truncated)") : ""}`);
  for (const line of text.replace(/\n$/, "").split("\n")) {
    lines.push(`    ${line}`);
  }
}

/** A key, an argument or an answer as a report shows it: text as it is, else inspected. */
export function show(value: unknown): string {
  return typeof value === "string" ? value : inspectLine(value);
}
