/**
 * ProcRunAsync (or with --workers, ProcRunWorkers) on TASKS commands,
 * PARALLEL at a time, with its defaults kept: each command in its own process
 * group, a timeout armed (60 s), stdout and stderr captured.
 *
 * usage: deno run -A bench/workloads/async_commands.ts [--workers] TASKS PARALLEL COMMAND [ARGS...]
 * prints one JSON line: {"name","tasks","seconds","failed"}
 *
 * @module
 */
import { ProcRunAsync, ProcRunWorkers } from "../../mod.ts";
import { intArg, report } from "./_report.ts";

const USAGE = "async_commands.ts [--workers] TASKS PARALLEL COMMAND [ARGS...]";
const workers = Deno.args[0] === "--workers";
const [tasksArg, parallelArg, command, ...args] = Deno.args.slice(workers ? 1 : 0);
const tasks = intArg(tasksArg, USAGE);
const parallel = intArg(parallelArg, USAGE);
if (!command) intArg(undefined, USAGE);

function* taskList(): Generator<[number, number]> {
  for (let i = 0; i < tasks; i++) yield [i, i];
}

const t0 = performance.now();
// Each task's arg is appended to the command line, as in pyconcurrent; the
// benchmark's commands (true) ignore it.
const Runner = workers ? ProcRunWorkers : ProcRunAsync;
const run = new Runner([command!, ...args], taskList(), { numWorkers: parallel, timeout: 60 });
const results = await run.runAll();
const failed = results.filter((r) => !r.success).length;
report(workers ? "procrun_workers" : "procrun_async", tasks, (performance.now() - t0) / 1000, {
  failed,
});
