/**
 * The hand-written peer: what a user would write without procrun. PARALLEL
 * loops pull from one shared counter; each runs
 * `new Deno.Command(command, { args }).output()` (stdout and stderr piped and
 * captured, no timeout, no process group: `output()` ignores `detached`).
 *
 * usage: deno run -A bench/peers/deno_command_pool.ts TASKS PARALLEL COMMAND [ARGS...]
 * prints one JSON line: {"name","tasks","seconds","failed"}
 *
 * @module
 */
import { intArg, report } from "../workloads/_report.ts";

const USAGE = "deno_command_pool.ts TASKS PARALLEL COMMAND [ARGS...]";
const [tasksArg, parallelArg, command, ...args] = Deno.args;
const tasks = intArg(tasksArg, USAGE);
const parallel = intArg(parallelArg, USAGE);
if (!command) intArg(undefined, USAGE);

const t0 = performance.now();
let next = 0;
let failed = 0;
async function loop(): Promise<void> {
  while (next < tasks) {
    next++;
    const { code } = await new Deno.Command(command!, { args }).output();
    if (code !== 0) failed++;
  }
}
await Promise.all(Array.from({ length: parallel }, loop));
report("deno_command_pool", tasks, (performance.now() - t0) / 1000, { failed });
