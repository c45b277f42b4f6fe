#!/usr/bin/env -S deno run
/**
 * pyconcurrent's function example: an async function called for five tasks,
 * four at a time, on the main thread. It stops its nap when the run is
 * cancelled (Ctrl-C) or times out, through the `signal` every task gets.
 *
 * @module
 */
import { delay } from "@std/async/delay";
import { ProcRunAsync, type TaskReturn } from "../mod.ts";

/** Returns `[success, answer]`; the task's argument is the last of `args`. */
async function testFuncAsync(
  key: unknown,
  args: unknown[],
  signal: AbortSignal,
): Promise<TaskReturn> {
  const success = true;
  const nap = args.at(-1) as number; // pull off the last argument
  await delay(nap * 1000, { signal });
  const answer = { key, args, success, result: "test_func done" };
  return [success, answer];
}

async function main(): Promise<void> {
  const pargs = [testFuncAsync, "dummy-arg"] as const;
  const tasks = [[1, 1], [2, 7], [3, 2], [4, 2], [5, 1]] as const;

  const procRun = new ProcRunAsync(pargs, tasks, { numWorkers: 4, timeout: 30 });
  await procRun.runAll();
  procRun.printResults();
}

if (import.meta.main) await main();
