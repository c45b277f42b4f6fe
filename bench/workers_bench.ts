/**
 * Hot path: ProcRunWorkers' message batching, against one message per task.
 * Each iteration starts its workers, so the figures include worker startup.
 *
 * @module
 */
import { ProcRunWorkers, workerFunction } from "../mod.ts";
import { runPool } from "./workloads/_pool.ts";

const TASKS = 20_000;
const trivial = workerFunction(new URL("./workloads/_cpu.ts", import.meta.url), "trivial");
const tasks = (): [number, number][] => Array.from({ length: TASKS }, (_, i) => [i, i]);

Deno.bench(
  `ProcRunWorkers: ${TASKS} trivial tasks on 2 workers (batched messages)`,
  { group: "messages", baseline: true, n: 10, warmup: 1 },
  async () => {
    await new ProcRunWorkers([trivial], tasks(), { numWorkers: 2 }).runAll();
  },
);

Deno.bench(
  `hand-written pool: ${TASKS} trivial tasks on 2 workers, one message per task`,
  { group: "messages", n: 10, warmup: 1 },
  async () => {
    await runPool(TASKS, 2, 1);
  },
);
