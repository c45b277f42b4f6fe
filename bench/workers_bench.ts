/**
 * Hot path: ProcRunWorkers' message batching, against one message per task.
 * Each iteration starts its workers, so the figures include worker startup.
 *
 * @module
 */
import { ProcRunWorkers, workerFunction } from "../mod.ts";

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

const WORKER_SOURCE = `
self.onmessage = (e) => {
  const [id, arg] = e.data;
  self.postMessage([id, [true, arg]]);
};`;
const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));

Deno.bench(
  `hand-written pool: ${TASKS} trivial tasks on 2 workers, one message per task`,
  { group: "messages", n: 10, warmup: 1 },
  async () => {
    let next = 0;
    let finished = 0;
    const workers: Worker[] = [];
    await new Promise<void>((resolve) => {
      for (let w = 0; w < 2; w++) {
        const worker = new Worker(url, { type: "module" });
        workers.push(worker);
        worker.onmessage = () => {
          if (++finished === TASKS) resolve();
          else if (next < TASKS) worker.postMessage([next, next++]);
        };
        worker.postMessage([next, next++]);
      }
    });
    for (const worker of workers) worker.terminate();
  },
);
