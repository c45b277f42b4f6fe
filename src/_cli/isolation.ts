/**
 * The command line of worker processes: `--isolation thread|process` and
 * `--memory-limit MIB`, for `--engine workers` (ProcRunWorkers' `isolation`
 * and `memoryLimit`).
 *
 * @module
 */
import { UsageError } from "./usage.ts";
import { number, oneOf } from "./values.ts";

/** The option names this file reads (each takes a value). */
export const ISOLATION_OPTIONS = ["isolation", "memory-limit"];

/** Where `--engine workers` runs its tasks. */
export interface IsolationConfig {
  /** `--isolation`: worker threads (the default) or worker processes. */
  isolation: "thread" | "process";
  /** `--memory-limit MIB`: the V8 heap limit of each worker process, or undefined. */
  memoryLimit: number | undefined;
}

/**
 * Reads `--isolation` and `--memory-limit` (`str` gives an option's value).
 *
 * @throws {UsageError} For a bad value, or either without what it needs.
 */
export function parseIsolation(
  str: (name: string) => string | undefined,
  engine: string,
): IsolationConfig {
  const isolation = oneOf("--isolation", str("isolation"), ["thread", "process"]);
  const memoryLimit = number(
    "--memory-limit",
    str("memory-limit"),
    "a whole number of MiB >= 1",
    (n) => Number.isSafeInteger(n) && n >= 1,
  );
  if (isolation !== undefined && engine !== "workers") {
    throw new UsageError("--isolation needs --engine workers");
  }
  if (memoryLimit !== undefined && isolation !== "process") {
    throw new UsageError("--memory-limit needs --isolation process");
  }
  return { isolation: isolation ?? "thread", memoryLimit };
}

/** ProcRunWorkers' options for `config`. */
export function isolationOptions(
  config: IsolationConfig,
): { isolation: "thread" | "process"; memoryLimit?: number } {
  return config.memoryLimit === undefined
    ? { isolation: config.isolation }
    : { isolation: config.isolation, memoryLimit: config.memoryLimit };
}
