/**
 * ProcRunWorkers on TASKS trivial function tasks on WORKERS workers, threads
 * (the default) or processes, results held. Reports the peak RSS too (of this
 * process: not the worker processes').
 *
 * usage: deno run -A bench/workloads/workers_functions.ts TASKS WORKERS [thread|process]
 * prints one JSON line: {"name","tasks","seconds","peakRssMiB","failed"}
 *
 * @module
 */
import { ProcRunWorkers, workerFunction } from "../../mod.ts";
import { intArg, peakRssMiB, report } from "./_report.ts";

const USAGE = "workers_functions.ts TASKS WORKERS [thread|process]";
const tasks = intArg(Deno.args[0], USAGE);
const workers = intArg(Deno.args[1], USAGE);
const isolation = (Deno.args[2] ?? "thread") as "thread" | "process";
if (isolation !== "thread" && isolation !== "process") intArg(undefined, USAGE);

function* taskList(): Generator<[number, number]> {
  for (let i = 0; i < tasks; i++) yield [i, i];
}

const t0 = performance.now();
const trivial = workerFunction(new URL("./_cpu.ts", import.meta.url), "trivial");
const run = new ProcRunWorkers([trivial], taskList(), { numWorkers: workers, isolation });
const results = await run.runAll();
let failed = 0;
for (const result of results) if (!result.success) failed++;
if (results.length !== tasks) failed = tasks;
report(
  `procrun_workers_functions${isolation === "process" ? "_process" : ""}`,
  tasks,
  (performance.now() - t0) / 1000,
  {
    peakRssMiB: peakRssMiB(),
    failed,
  },
);
