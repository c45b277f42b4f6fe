/**
 * A hand-written Web Worker pool, the peer of ProcRunWorkers: TASKS trivial
 * function calls on WORKERS workers, at most IN_FLIGHT messages outstanding
 * per worker, one task per message (IN_FLIGHT 1 is the plain
 * one-message-per-task pool). The pool itself is in _pool.ts, which
 * bench/workers_bench.ts runs too.
 *
 * usage: deno run -A bench/workloads/pool_functions.ts TASKS WORKERS IN_FLIGHT
 * prints one JSON line: {"name","tasks","seconds","peakRssMiB","failed"}
 *
 * @module
 */
import { runPool } from "./_pool.ts";
import { intArg, peakRssMiB, report } from "./_report.ts";

const USAGE = "pool_functions.ts TASKS WORKERS IN_FLIGHT";
const tasks = intArg(Deno.args[0], USAGE);
const workers = intArg(Deno.args[1], USAGE);
const inFlight = intArg(Deno.args[2], USAGE);

const t0 = performance.now();
const { failed } = await runPool(tasks, workers, inFlight);
const seconds = (performance.now() - t0) / 1000;
report(`pool_functions_${inFlight}`, tasks, seconds, { peakRssMiB: peakRssMiB(), failed });
Deno.exit(0);
