// The tests of pyconcurrent's tests/test_asyncio.py, ported with the same
// tasks, timeouts and worker counts. Each checks the number of successes and
// that the summed run time stays within timeout + the sum of the naps.
import { assertEquals, assertLessOrEqual } from "@std/assert";
import { delay } from "@std/async/delay";
import { ProcRunAsync } from "../src/proc_run_async.ts";
import type { Pargs, Task, TaskReturn } from "../src/types.ts";

async function funcAsync(key: unknown, args: unknown[]): Promise<TaskReturn> {
  const nap = args.at(-1) as number;
  await delay(nap * 1000);
  return [true, { key, args, success: true, result: "test_func done" }];
}

async function check(
  pargs: Pargs,
  tasks: [number, number][],
  timeout: number,
  successes: number,
): Promise<ProcRunAsync> {
  const run = new ProcRunAsync(pargs, tasks as Task[], { numWorkers: 5, timeout });
  await run.runAll();
  const timeMax = timeout + tasks.reduce((sum, [, nap]) => sum + nap, 0);
  assertEquals(run.results.filter((r) => r.success).length, successes);
  assertLessOrEqual(run.results.reduce((sum, r) => sum + r.timeRun, 0), timeMax);
  return run;
}

Deno.test("ProcRunAsync (pyconcurrent test_asyncio_subprocess) runs every task", async () => {
  await check(["/usr/bin/sleep"], [[1, 1], [2, 4], [3, 2]], 10, 3);
});

Deno.test("ProcRunAsync (pyconcurrent test_asyncio_subprocess_timeout) times out one task", async () => {
  const run = await check(["/usr/bin/sleep"], [[1, 1], [2, 10], [3, 2]], 5, 2);
  assertEquals(run.results.map((r) => r.timeout), [false, true, false]);
});

Deno.test("ProcRunAsync (pyconcurrent test_asyncio_func) runs every function", async () => {
  const run = await check([funcAsync, "dummy1"], [[1, 1], [2, 4], [3, 2]], 10, 3);
  // pyconcurrent's async function path marked every success as a timeout.
  assertEquals(run.results.map((r) => r.timeout), [false, false, false]);
  assertEquals((run.results[1]!.answer as { args: unknown[] }).args, ["dummy1", 4]);
});

Deno.test("ProcRunAsync (pyconcurrent test_asyncio_func_timeout) times out one function", async () => {
  // pyconcurrent expected 3 successes here: its function path never enforced
  // the timeout. The 10 s nap against a 5 s timeout is a timeout.
  const run = await check([funcAsync, "dummy1"], [[1, 1], [2, 10], [3, 2]], 5, 2);
  assertEquals(run.results.map((r) => r.timeout), [false, true, false]);
});
