#!/usr/bin/env -S deno run --allow-read
/**
 * pyconcurrent's function example on Web Workers: the same five tasks, four at a
 * time, each in a worker thread. A function cannot cross into a worker, so
 * it is named by module and export with `workerFunction`: here the workers
 * import this very file, which is why `main()` only runs when the file is
 * the program, not when a worker imports it.
 *
 * @module
 */
import { delay } from "@std/async/delay";
import { ProcRunWorkers, type TaskReturn, workerFunction } from "../mod.ts";

/** Returns `[success, answer]`; the task's argument is the last of `args`. */
export async function testFuncAsync(key: unknown, args: unknown[]): Promise<TaskReturn> {
  const success = true;
  const nap = args.at(-1) as number; // pull off the last argument
  await delay(nap * 1000);
  const answer = { key, args, success, result: "test_func done" };
  return [success, answer];
}

async function main(): Promise<void> {
  const testFunc = workerFunction(new URL(import.meta.url), "testFuncAsync");
  const pargs = [testFunc, "dummy-arg"] as const;
  const tasks = [[1, 1], [2, 7], [3, 2], [4, 2], [5, 1]] as const;

  const procRun = new ProcRunWorkers(pargs, tasks, { numWorkers: 4, timeout: 30 });
  await procRun.runAll();
  procRun.printResults();
}

if (import.meta.main) await main();
