#!/usr/bin/env -S deno run --allow-run
/**
 * pyconcurrent's first example: run `/usr/bin/sleep` for five tasks, four at a
 * time, with a 30 s timeout, then print the results.
 *
 * Run it with `deno task demo`.
 *
 * @module
 */
import { ProcRunAsync } from "../mod.ts";

async function main(): Promise<void> {
  // pargs can have additional arguments.
  const pargs = ["/usr/bin/sleep"] as const;
  const tasks = [[1, 1], [2, 7], [3, 2], [4, 2], [5, 1]] as const;

  const procRun = new ProcRunAsync(pargs, tasks, { numWorkers: 4, timeout: 30 });
  await procRun.runAll();
  procRun.printResults();
}

if (import.meta.main) await main();
