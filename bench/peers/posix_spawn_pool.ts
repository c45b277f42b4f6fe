/**
 * A hand-written pool on procrun's own fast spawn path (glibc posix_spawn
 * with POSIX_SPAWN_SETSID through FFI, src/_process/posix_spawn.ts), without
 * procrun's task loop: PARALLEL loops pull from one shared counter, each
 * spawns a command in its own session and group, reads its stdout and stderr
 * and awaits its status. procrun's rate over this one is its own per-task
 * cost. Each command gets its task's number as its last argument, as procrun
 * gives it its arg.
 *
 * usage: deno run -A bench/peers/posix_spawn_pool.ts TASKS PARALLEL COMMAND [ARGS...]
 * prints one JSON line: {"name","tasks","seconds","failed"}
 *
 * @module
 */
import { openLibc } from "../../src/_process/libc.ts";
import { PosixSpawner } from "../../src/_process/posix_spawn.ts";
import { intArg, report } from "../workloads/_report.ts";

const USAGE = "posix_spawn_pool.ts TASKS PARALLEL COMMAND [ARGS...]";
const [tasksArg, parallelArg, command, ...args] = Deno.args;
const tasks = intArg(tasksArg, USAGE);
const parallel = intArg(parallelArg, USAGE);
if (!command?.startsWith("/")) throw new TypeError(`${USAGE}: COMMAND must be an absolute path`);
const libc = openLibc();
if ("why" in libc) throw new Error(`posix_spawn cannot be used here: ${libc.why}`);
const spawner = new PosixSpawner(libc.libc);

const t0 = performance.now();
let next = 0;
let failed = 0;
async function loop(): Promise<void> {
  while (next < tasks) {
    const words = [...args, String(next++)];
    const child = await spawner.spawn({
      file: command!,
      args: words,
      env: undefined,
      stdin: "null",
    });
    if ("errno" in child) throw new Error(`posix_spawn failed: errno ${child.errno}`);
    const [status] = await Promise.all([
      child.status,
      new Response(child.stdout).bytes(),
      new Response(child.stderr).bytes(),
    ]);
    if (status.code !== 0) failed++;
  }
}
await Promise.all(Array.from({ length: parallel }, loop));
report("posix_spawn_pool", tasks, (performance.now() - t0) / 1000, { failed });
