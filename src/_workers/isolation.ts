/**
 * The checks of `ProcRunWorkers`' `isolation` and `memoryLimit` options, and
 * the start of a worker process as they ask: what it is allowed (the
 * `permissions` option, never more than this process has), its config and
 * its heap limit. Everything here throws before anything runs.
 *
 * @module
 */
import { invalid } from "../_invalid.ts";
import { childFlags } from "./child_flags.ts";
import type { ProcessSpec } from "./process_transport.ts";
import type { WorkerProgram } from "./protocol.ts";
import type { Isolation } from "./transport.ts";

/** The isolation options, checked. */
export interface ResolvedIsolation {
  isolation: Isolation;
  /** For isolation "process": how its workers start. */
  process: ProcessSpec | undefined;
}

/**
 * Checks `isolation` and `memoryLimit` and, for processes, works out their
 * Deno flags from `permissions`.
 *
 * @throws {TypeError} For an isolation other than "thread" or "process", a
 * `memoryLimit` that is not a number or is given for threads, permissions
 * that ask for more than this process has, and a process that may not run
 * Deno (`--allow-run`) or runs as a compiled binary.
 * @throws {RangeError} For a `memoryLimit` that is not a whole number of MiB >= 1.
 */
export function resolveIsolation(
  owner: string,
  options: { isolation?: unknown; memoryLimit?: unknown; permissions?: unknown },
  program: WorkerProgram,
): ResolvedIsolation {
  const { isolation = "thread", memoryLimit } = options;
  if (isolation !== "thread" && isolation !== "process") {
    throw new TypeError(invalid(owner, "isolation", '"thread" or "process"', isolation));
  }
  if (memoryLimit !== undefined) {
    if (typeof memoryLimit !== "number") {
      throw new TypeError(invalid(owner, "memoryLimit", "a whole number of MiB >= 1", memoryLimit));
    }
    if (!Number.isSafeInteger(memoryLimit) || memoryLimit < 1) {
      throw new RangeError(
        invalid(owner, "memoryLimit", "a whole number of MiB >= 1", memoryLimit),
      );
    }
    if (isolation !== "process") {
      throw new TypeError(
        invalid(owner, "memoryLimit", 'given with isolation "process"', memoryLimit) +
          ' (worker threads share this process\'s heap: set isolation: "process")',
      );
    }
  }
  if (isolation === "thread") return { isolation, process: undefined };
  if ((Deno.build as { standalone?: boolean }).standalone === true) {
    throw new TypeError(
      invalid(owner, "isolation", '"thread" in a compiled program', isolation) +
        " (a worker process runs the deno binary, which a compiled program does not have)",
    );
  }
  const deno = Deno.execPath();
  if (Deno.permissions.querySync({ name: "run", command: deno }).state !== "granted") {
    throw new TypeError(
      invalid(owner, "isolation", '"thread" without permission to run Deno', isolation) +
        ` (a worker process is ${deno}: run with --allow-run, or --allow-run=${deno})`,
    );
  }
  const flags = childFlags(owner, options.permissions, {
    own: new URL("../", import.meta.url),
    module: program.kind === "function" ? new URL(program.moduleUrl) : undefined,
    command: program.kind === "command" && typeof program.template.command === "string"
      ? program.template.command
      : undefined,
  }, memoryLimit);
  return { isolation, process: { flags, memoryLimit } };
}
