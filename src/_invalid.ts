/**
 * Error messages for refused arguments, in std's shape: what was wrong, what
 * is accepted, and the value received.
 *
 * @module
 */
import { inspectLine } from "./_util.ts";

/** A value as an error message shows it: strings quoted, functions by name. */
export function received(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (typeof value === "bigint") return `${value}n`;
  try {
    return inspectLine(value, 2);
  } catch {
    return String(value);
  }
}

/** Builds an error message in std's shape, naming what was wrong and what was received. */
export function invalid(
  owner: string,
  what: string,
  expected: string,
  value: unknown,
): string {
  return `Cannot create ${owner} as '${what}' must be ${expected}: current value is ${
    received(value)
  }`;
}
