/**
 * The hand-written peer: what a user would write without procrun. PARALLEL
 * loops pull from one shared counter; each runs
 * `new Deno.Command(command, { args }).output()` (stdout and stderr piped and
 * captured, no timeout, no process group: `output()` ignores `detached`).
 * With `--spawn` first, each is `spawn()`ed, then its `output()` awaited, as a
 * user who wants the child (its pid, to kill it) writes it. With `--groups`,
 * each command gets its own process group the way Deno offers it, `spawn()`
 * with `detached: true`, then `output()`: the same job as procrun's (without
 * its timeout).
 *
 * Each command gets its task's number as its last argument, as procrun gives it its arg.
 *
 * usage: deno run -A bench/peers/deno_command_pool.ts [--groups|--spawn] TASKS PARALLEL COMMAND [ARGS...]
 * prints one JSON line: {"name","tasks","seconds","failed"}
 *
 * @module
 */
import { intArg, report } from "../workloads/_report.ts";

const USAGE = "deno_command_pool.ts [--groups|--spawn] TASKS PARALLEL COMMAND [ARGS...]";
const mode = Deno.args[0] === "--groups" || Deno.args[0] === "--spawn" ? Deno.args[0] : undefined;
const groups = mode === "--groups";
const [tasksArg, parallelArg, command, ...args] = Deno.args.slice(mode ? 1 : 0);
const tasks = intArg(tasksArg, USAGE);
const parallel = intArg(parallelArg, USAGE);
if (!command) intArg(undefined, USAGE);

const t0 = performance.now();
let next = 0;
let failed = 0;
async function loop(): Promise<void> {
  while (next < tasks) {
    const words = [...args, String(next++)];
    const { code } = mode
      ? await new Deno.Command(command!, {
        args: words,
        detached: groups,
        stdout: "piped",
        stderr: "piped",
      })
        .spawn().output()
      : await new Deno.Command(command!, { args: words }).output();
    if (code !== 0) failed++;
  }
}
await Promise.all(Array.from({ length: parallel }, loop));
report(
  mode === "--groups"
    ? "deno_command_pool_groups"
    : mode === "--spawn"
    ? "deno_spawn_pool"
    : "deno_command_pool",
  tasks,
  (performance.now() - t0) / 1000,
  { failed },
);
