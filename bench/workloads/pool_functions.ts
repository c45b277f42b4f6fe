/**
 * A hand-written Web Worker pool, the peer of ProcRunWorkers: TASKS trivial
 * function calls on WORKERS workers, at most IN_FLIGHT messages outstanding
 * per worker, one task per message (IN_FLIGHT 1 is the plain
 * one-message-per-task pool). What a user would write by hand, with no
 * batching, timeouts or crash handling.
 *
 * usage: deno run -A bench/workloads/pool_functions.ts TASKS WORKERS IN_FLIGHT
 * prints one JSON line: {"name","tasks","seconds","peakRssMiB","failed"}
 *
 * @module
 */
import { intArg, peakRssMiB, report } from "./_report.ts";

const USAGE = "pool_functions.ts TASKS WORKERS IN_FLIGHT";
const tasks = intArg(Deno.args[0], USAGE);
const workers = intArg(Deno.args[1], USAGE);
const inFlight = intArg(Deno.args[2], USAGE);

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
const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));

const t0 = performance.now();
const results = new Array<unknown>(tasks);
let next = 0;
let finished = 0;
let failed = 0;
await new Promise<void>((resolve) => {
  for (let w = 0; w < Math.min(workers, tasks); w++) {
    const worker = new Worker(url, { type: "module" });
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
const seconds = (performance.now() - t0) / 1000;
report(`pool_functions_${inFlight}`, tasks, seconds, { peakRssMiB: peakRssMiB(), failed });
Deno.exit(0);
