/**
 * The task functions of the ProcRunWorkers workloads, named with
 * workerFunction() by workers_cpu.ts and workers_functions.ts (which also
 * serves the memory workload), and used as they are by the hand-written pool.
 *
 * @module
 */

/** A pure integer mix of `n` rounds: the CPU work (the same loop as piscina's task.mjs). */
export function mix(n: number): number {
  let h = 2166136261 >>> 0;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ i, 16777619) >>> 0;
  return h;
}

/** A CPU-bound task: `mix(args.at(-1))`. */
export function cpu(_key: unknown, args: unknown[]): [boolean, number] {
  return [true, mix(args.at(-1) as number)];
}

/** A trivial task: answers with its argument. */
export function trivial(_key: unknown, args: unknown[]): [boolean, unknown] {
  return [true, args.at(-1)];
}
