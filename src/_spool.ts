/**
 * Output spooled to disk, for the CLI: past a threshold, a command's output
 * goes to a temporary file instead of memory (GNU parallel buffers every
 * job's output in temporary files), so that a task's output is never cut nor
 * held whole in memory. The library's results keep their strings or bytes;
 * only a runner given {@linkcode SPOOL_BYTES} spools, and whoever reads the
 * files removes them ({@linkcode takeSpool}). Files not taken are removed when
 * the process exits.
 *
 * @module
 */
import type { ProcResult } from "./result.ts";

/**
 * The internal option (a symbol, so not one of ProcRunOptions' names): bytes
 * of a stream kept in memory before the rest goes to a temporary file.
 */
export const SPOOL_BYTES: unique symbol = Symbol("procrun.spoolBytes");

/** The files that hold a result's whole output, when it was spooled. */
export interface Spooled {
  stdout: string | null;
  stderr: string | null;
}

const spools = new WeakMap<ProcResult, Spooled>();
const live = new Set<string>();
let hooked = false;

function removeAll(): void {
  for (const path of live) removeSpool(path);
}

/** Records the spool files of `result`'s output. */
export function recordSpool(result: ProcResult, files: Spooled): void {
  if (files.stdout === null && files.stderr === null) return;
  spools.set(result, files);
  for (const path of [files.stdout, files.stderr]) if (path !== null) live.add(path);
  if (!hooked) {
    hooked = true;
    globalThis.addEventListener("unload", removeAll);
  }
}

/** The spool files of `result`, once: the caller now owns them (see removeSpool). */
export function takeSpool(result: ProcResult): Spooled | undefined {
  const files = spools.get(result);
  spools.delete(result);
  return files;
}

/** The spool files of `result`, left in place. */
export function peekSpool(result: ProcResult): Spooled | undefined {
  return spools.get(result);
}

/** Removes a spool file. */
export function removeSpool(path: string): void {
  live.delete(path);
  try {
    Deno.removeSync(path);
  } catch {
    // Already gone.
  }
}
