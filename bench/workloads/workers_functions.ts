/**
 * ProcRunWorkers on TASKS trivial function tasks on WORKERS workers, results
 * held. Reports the peak RSS too.
 *
 * usage: deno run -A bench/workloads/workers_functions.ts TASKS WORKERS
 * prints one JSON line: {"name","tasks","seconds","peakRssMiB","failed"}
 *
 * @module
 */
import { ProcRunWorkers, workerFunction } from "../../mod.ts";
import { intArg, peakRssMiB, report } from "./_report.ts";

const USAGE = "workers_functions.ts TASKS WORKERS";
const tasks = intArg(Deno.args[0], USAGE);
const workers = intArg(Deno.args[1], USAGE);

function* taskList(): Generator<[number, number]> {
  for (let i = 0; i < tasks; i++) yield [i, i];
}

const t0 = performance.now();
const trivial = workerFunction(new URL("./_cpu.ts", import.meta.url), "trivial");
const run = new ProcRunWorkers([trivial], taskList(), { numWorkers: workers });
const results = await run.runAll();
let failed = 0;
for (const result of results) if (!result.success) failed++;
if (results.length !== tasks) failed = tasks;
report("procrun_workers_functions", tasks, (performance.now() - t0) / 1000, {
  peakRssMiB: peakRssMiB(),
  failed,
});
