// The piscina peer of bench/compare.ts.
// usage: node run.mjs trivial TASKS WORKERS | node run.mjs cpu TASKS WORKERS LOOPS
//        node run.mjs single TASKS 1 LOOPS (the same CPU work in one plain loop, no pool)
// prints one JSON line: {"name","tasks","seconds","peakRssMiB"}
import { readFileSync } from "node:fs";
import { Piscina } from "piscina";
import { cpu } from "./task.mjs";

const [mode, tasksArg, workersArg, loopsArg] = process.argv.slice(2);
const tasks = Number(tasksArg);
const workers = Number(workersArg);
const t0 = performance.now();
if (mode === "single") {
  const loops = Number(loopsArg);
  for (let i = 0; i < tasks; i++) cpu(loops);
  console.log(JSON.stringify({ name: "node_single_loop", tasks, seconds: (performance.now() - t0) / 1000 }));
  process.exit(0);
}
const pool = new Piscina({
  filename: new URL("./task.mjs", import.meta.url).href,
  name: mode,
  minThreads: workers,
  maxThreads: workers,
});
const loops = Number(loopsArg ?? 0);
const pending = new Array(tasks);
for (let i = 0; i < tasks; i++) pending[i] = pool.run(mode === "cpu" ? loops : i);
const results = await Promise.all(pending);
const seconds = (performance.now() - t0) / 1000;
await pool.destroy();
const hwm = readFileSync("/proc/self/status", "utf8").match(/^VmHWM:\s+(\d+) kB/m);
console.log(JSON.stringify({
  name: `piscina_${mode}`,
  tasks: results.length,
  seconds,
  peakRssMiB: hwm ? Number(hwm[1]) / 1024 : null,
}));
