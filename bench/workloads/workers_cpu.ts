/**
 * ProcRunWorkers on TASKS CPU-bound tasks of LOOPS rounds each (about 1.3 ms
 * with the default 1,000,000), on WORKERS workers. WORKERS 0 runs the same
 * work in one plain loop on the main thread instead, calling the same task
 * function the same way (`cpu(key, [loops])`): the single-thread time, whose
 * half is the 2-core limit. With `split`, a hand-written split does the work
 * instead of ProcRunWorkers: WORKERS plain workers, each sent its share of the
 * tasks in one message, loop over them and answer once. No timeouts, no
 * results per task, no balancing: what this machine allows, the floor for any
 * pool.
 *
 * usage: deno run -A bench/workloads/workers_cpu.ts TASKS WORKERS [LOOPS] [split]
 * prints one JSON line: {"name","tasks","seconds","failed"}
 *
 * @module
 */
import { ProcRunWorkers, workerFunction } from "../../mod.ts";
import { cpu as cpuTask } from "./_cpu.ts";
import { report } from "./_report.ts";

const USAGE = "workers_cpu.ts TASKS WORKERS [LOOPS] [split|split-process|process]";
const [tasks, workers, loops] = [Deno.args[0], Deno.args[1], Deno.args[2] ?? "1000000"].map(
  Number,
);
const mode = Deno.args[3] ?? "thread";
const split = mode === "split" || mode === "split-process";
if (
  ![tasks, workers, loops].every((n) => Number.isInteger(n) && n! >= 0) || tasks! < 1 ||
  !["thread", "process", "split", "split-process"].includes(mode) ||
  (mode !== "thread" && workers === 0)
) {
  console.error(`usage: ${USAGE}`);
  Deno.exit(2);
}

const SPLIT_WORKER = `
import { cpu } from ${JSON.stringify(new URL("./_cpu.ts", import.meta.url).href)};
self.onmessage = (e) => {
  const [from, to, loops] = e.data;
  let failed = 0;
  for (let i = from; i < to; i++) if (!cpu(i, [loops])[0]) failed++;
  self.postMessage(failed);
};`;

const t0 = performance.now();
let failed = 0;
if (workers === 0) {
  // The task function, as a worker calls it: with default V8 flags on Deno
  // 2.9.6, Maglev inlines mix() into cpu() after a few hundred calls and the
  // result runs several times slower, in this loop as in a worker.
  for (let i = 0; i < tasks!; i++) cpuTask(i, [loops!]);
  report("single_loop_cpu", tasks!, (performance.now() - t0) / 1000, { failed, loops });
} else if (mode === "split-process") {
  const range = new URL("./cpu_range.ts", import.meta.url).pathname;
  const counts = await Promise.all(Array.from({ length: workers! }, async (_, w) => {
    const from = Math.floor(tasks! * w / workers!);
    const to = Math.floor(tasks! * (w + 1) / workers!);
    const { stdout, success } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--allow-read", range, String(from), String(to), String(loops)],
      stderr: "inherit",
    }).output();
    return success ? Number(new TextDecoder().decode(stdout)) : to - from;
  }));
  failed = counts.reduce((a, b) => a + b, 0);
  report(`split_process_cpu_${workers}`, tasks!, (performance.now() - t0) / 1000, {
    failed,
    loops,
  });
} else if (split) {
  const url = URL.createObjectURL(new Blob([SPLIT_WORKER], { type: "text/javascript" }));
  const pool = Array.from({ length: workers! }, () => new Worker(url, { type: "module" }));
  const counts = await Promise.all(pool.map((worker, w) =>
    new Promise<number>((resolve) => {
      worker.onmessage = (e: MessageEvent<number>) => resolve(e.data);
      const from = Math.floor(tasks! * w / workers!);
      worker.postMessage([from, Math.floor(tasks! * (w + 1) / workers!), loops]);
    })
  ));
  failed = counts.reduce((a, b) => a + b, 0);
  report(`split_cpu_${workers}`, tasks!, (performance.now() - t0) / 1000, { failed, loops });
  for (const worker of pool) worker.terminate();
} else {
  const cpu = workerFunction(new URL("./_cpu.ts", import.meta.url), "cpu");
  const list: [number, number][] = [];
  for (let i = 0; i < tasks!; i++) list.push([i, loops!]);
  const isolation = mode === "process" ? "process" : "thread";
  const run = new ProcRunWorkers([cpu], list, { numWorkers: workers!, isolation });
  const results = await run.runAll();
  for (const result of results) if (!result.success) failed++;
  report(
    `procrun_workers${mode === "process" ? "_process" : ""}_cpu_${workers}`,
    tasks!,
    (performance.now() - t0) / 1000,
    {
      failed,
      loops,
    },
  );
}
