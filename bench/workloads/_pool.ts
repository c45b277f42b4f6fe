/**
 * The hand-written Worker pool: `tasks` calls of the trivial task function
 * (`_cpu.ts`) on `workers` plain workers, one task per message, at most
 * `inFlight` messages outstanding per worker (1 is the plain
 * one-message-per-task pool). What a user would write by hand, with no
 * batching, timeouts or crash handling. Run by pool_functions.ts (the
 * comparison's functions workload) and by bench/workers_bench.ts.
 *
 * @module
 */

const WORKER_SOURCE = `
import { trivial } from ${JSON.stringify(new URL("./_cpu.ts", import.meta.url).href)};
self.onmessage = (e) => {
  const [id, key, arg] = e.data;
  try {
    self.postMessage([id, trivial(key, [arg])]);
  } catch (error) {
    self.postMessage([id, [false, String(error)]]);
  }
};`;

/** What a pool run gives back: each task's answer, by task number, and how many failed. */
export interface PoolRun {
  results: unknown[];
  failed: number;
}

/** Runs task `i` (argument `i`) for every `i` below `tasks`; the workers are terminated at the end. */
export async function runPool(tasks: number, workers: number, inFlight: number): Promise<PoolRun> {
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
  const results = new Array<unknown>(tasks);
  const pool: Worker[] = [];
  let next = 0;
  let finished = 0;
  let failed = 0;
  await new Promise<void>((resolve) => {
    for (let w = 0; w < Math.min(workers, tasks); w++) {
      const worker = new Worker(url, { type: "module" });
      pool.push(worker);
      const send = () => {
        if (next < tasks) {
          const id = next++;
          worker.postMessage([id, id, id]);
        }
      };
      worker.onmessage = (e: MessageEvent<[number, [boolean, unknown]]>) => {
        const [id, [ok, answer]] = e.data;
        results[id] = answer;
        if (!ok) failed++;
        if (++finished === tasks) {
          resolve();
          return;
        }
        send();
      };
      for (let i = 0; i < inFlight; i++) send();
    }
  });
  for (const worker of pool) worker.terminate();
  URL.revokeObjectURL(url);
  return { results, failed };
}
