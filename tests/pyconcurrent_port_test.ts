// The tests of pyconcurrent's tests/test_asyncio.py (ProcRunAsync) and
// tests/test_mp.py (ProcRunWorkers), ported. Each checks the number of
// successes and that the summed run time stays within timeout + the sum of
// the naps.
import { assert, assertEquals, assertLessOrEqual } from "@std/assert";
import { delay } from "@std/async/delay";
import { ProcRunAsync } from "../src/proc_run_async.ts";
import { ProcRunWorkers } from "../src/proc_run_workers.ts";
import type { Pargs, Task, TaskReturn } from "../src/types.ts";
import { workerFunction } from "../src/worker_function.ts";

const TASKS = new URL("./fixtures/worker_tasks.ts", import.meta.url);
const fn = (name: string) => workerFunction(TASKS, name);

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

// ------------------------------------------------ ProcRunAsync: tests/test_asyncio.py
// The same tasks, timeouts and worker counts.

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

// ------------------------------------------------ ProcRunWorkers: tests/test_mp.py
// The same tasks, numbers divided by 4 to keep the suite fast, and the same
// check: the number of successes, and the total run time within
// timeout + the sum of the tasks' arguments.

function portCheck(run: ProcRunWorkers, tasks: Task[], timeout: number, successes: number) {
  const timeMax = timeout + tasks.reduce((sum, [, arg]) => sum + (arg as number), 0);
  const timeTaken = run.results.reduce((sum, r) => sum + r.timeRun, 0);
  assertEquals(run.results.filter((r) => r.success).length, successes);
  assert(timeTaken <= timeMax, `${timeTaken} > ${timeMax}`);
}

Deno.test("ProcRunWorkers.runAll() passes test_mp_subprocess", async () => {
  const tasks: Task[] = [[1, 0.25], [2, 1], [3, 0.5]];
  const run = new ProcRunWorkers(["/usr/bin/sleep"], tasks, { numWorkers: 5, timeout: 2.5 });
  await run.runAll();
  portCheck(run, tasks, 2.5, 3);
});

Deno.test("ProcRunWorkers.runAll() passes test_mp_subprocess_timeout", async () => {
  const tasks: Task[] = [[1, 0.25], [2, 2.5], [3, 0.5]];
  const run = new ProcRunWorkers(["/usr/bin/sleep"], tasks, { numWorkers: 5, timeout: 1.25 });
  await run.runAll();
  portCheck(run, tasks, 1.25, 2);
  assertEquals(run.results[1]!.timeout, true);
  assertEquals(run.results[1]!.signal, "SIGTERM");
});

Deno.test("ProcRunWorkers.runAll() passes test_mp_func", async () => {
  const tasks: Task[] = [[1, 0.25], [2, 1], [3, 0.5]];
  const run = new ProcRunWorkers([fn("napSync"), "dummy1"], tasks, {
    numWorkers: 5,
    timeout: 2.5,
  });
  await run.runAll();
  portCheck(run, tasks, 2.5, 3);
  assertEquals(run.results[0]!.answer, {
    key: 1,
    args: ["dummy1", 0.25],
    success: true,
    result: "test_func done",
  });
});

Deno.test("ProcRunWorkers.runAll() passes test_mp_func_timeout, with a timeout that applies to functions", async () => {
  // pyconcurrent's multiprocessing engine lets a function run past its
  // timeout (3 successes); procrun stops it at the deadline: 2 successes.
  const tasks: Task[] = [[1, 0.25], [2, 2.5], [3, 0.5]];
  const run = new ProcRunWorkers([fn("napSync"), "dummy1"], tasks, {
    numWorkers: 5,
    timeout: 1.25,
  });
  await run.runAll();
  portCheck(run, tasks, 1.25, 2);
  assertEquals(run.results[1]!.timeout, true);
  assertEquals(run.results[1]!.exception, "TimeoutError");
});
