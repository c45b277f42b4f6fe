/**
 * ProcRunAsync on TASKS trivial function tasks (on the main thread),
 * PARALLEL at a time. With MODE "held" every result is kept in `results`;
 * with MODE "stream" results are consumed with `stream()` and not kept
 * (`keepResults: false`). Reports the peak RSS.
 *
 * usage: deno run -A bench/workloads/async_functions.ts TASKS PARALLEL [held|stream]
 * prints one JSON line: {"name","tasks","seconds","peakRssMiB","failed"}
 *
 * @module
 */
import { ProcRunAsync } from "../../mod.ts";
import { intArg, peakRssMiB, report } from "./_report.ts";

const USAGE = "async_functions.ts TASKS PARALLEL [held|stream]";
const tasks = intArg(Deno.args[0], USAGE);
const parallel = intArg(Deno.args[1], USAGE);
const mode = Deno.args[2] ?? "held";
if (mode !== "held" && mode !== "stream") intArg(undefined, USAGE);

function* taskList(): Generator<[number, number]> {
  for (let i = 0; i < tasks; i++) yield [i, i];
}

function identity(_key: unknown, args: unknown[]): [boolean, unknown] {
  return [true, args[0]];
}

const t0 = performance.now();
let failed = 0;
if (mode === "held") {
  const run = new ProcRunAsync([identity], taskList(), { numWorkers: parallel });
  const results = await run.runAll();
  for (const result of results) if (!result.success) failed++;
  if (results.length !== tasks) failed = tasks;
} else {
  const run = new ProcRunAsync([identity], taskList(), {
    numWorkers: parallel,
    keepResults: false,
  });
  let seen = 0;
  for await (const result of run.stream()) {
    seen++;
    if (!result.success) failed++;
  }
  if (seen !== tasks) failed = tasks;
}
report(`procrun_async_functions_${mode}`, tasks, (performance.now() - t0) / 1000, {
  peakRssMiB: peakRssMiB(),
  failed,
});
