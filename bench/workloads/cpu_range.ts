/**
 * One process of the hand-written process split (workers_cpu.ts
 * `split-process`): runs the CPU task for keys FROM to TO - 1, in one plain
 * loop, and prints how many failed.
 *
 * usage: deno run --allow-read bench/workloads/cpu_range.ts FROM TO LOOPS
 *
 * @module
 */
import { cpu } from "./_cpu.ts";

const [from, to, loops] = Deno.args.map(Number);
if (![from, to, loops].every((n) => Number.isInteger(n) && n! >= 0)) {
  console.error("usage: cpu_range.ts FROM TO LOOPS");
  Deno.exit(2);
}
let failed = 0;
for (let i = from!; i < to!; i++) if (!cpu(i, [loops!])[0]) failed++;
console.log(failed);
