/**
 * ProcRunWorkers on TASKS CPU-bound tasks of LOOPS rounds each (about 1.3 ms
 * with the default 1,000,000), on WORKERS workers. WORKERS 0 runs the same
 * work in one plain loop on the main thread instead, calling the same task
 * function the same way (`cpu(key, [loops])`): the single-thread time, whose
 * half is the 2-core limit.
 *
 * usage: deno run -A bench/workloads/workers_cpu.ts TASKS WORKERS [LOOPS]
 * prints one JSON line: {"name","tasks","seconds","failed"}
 *
 * @module
 */
import { ProcRunWorkers, workerFunction } from "../../mod.ts";
import { cpu as cpuTask } from "./_cpu.ts";
import { report } from "./_report.ts";

const USAGE = "workers_cpu.ts TASKS WORKERS [LOOPS]";
const [tasks, workers, loops] = [Deno.args[0], Deno.args[1], Deno.args[2] ?? "1000000"].map(
  Number,
);
if (![tasks, workers, loops].every((n) => Number.isInteger(n) && n! >= 0) || tasks! < 1) {
  console.error(`usage: ${USAGE}`);
  Deno.exit(2);
}

const t0 = performance.now();
let failed = 0;
if (workers === 0) {
  // The task function, as a worker calls it: with default V8 flags on Deno
  // 2.9.6, Maglev inlines mix() into cpu() after a few hundred calls and the
  // result runs several times slower, in this loop as in a worker.
  for (let i = 0; i < tasks!; i++) cpuTask(i, [loops!]);
  report("single_loop_cpu", tasks!, (performance.now() - t0) / 1000, { failed, loops });
} else {
  const cpu = workerFunction(new URL("./_cpu.ts", import.meta.url), "cpu");
  const list: [number, number][] = [];
  for (let i = 0; i < tasks!; i++) list.push([i, loops!]);
  const run = new ProcRunWorkers([cpu], list, { numWorkers: workers! });
  const results = await run.runAll();
  for (const result of results) if (!result.success) failed++;
  report(`procrun_workers_cpu_${workers}`, tasks!, (performance.now() - t0) / 1000, {
    failed,
    loops,
  });
}
