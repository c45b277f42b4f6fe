/**
 * Hot path: creating, filling and serialising results, and running many
 * trivial function tasks through ProcRunAsync (the whole per-task path).
 *
 * @module
 */
import { ProcResult, ProcRunAsync } from "../mod.ts";

Deno.bench("ProcResult: create 1000", { group: "result", baseline: true }, () => {
  const results = [];
  for (let i = 0; i < 1000; i++) results.push(new ProcResult(i, i));
});

Deno.bench("ProcResult: create and fill 1000 (dates, answer)", { group: "result" }, () => {
  for (let i = 0; i < 1000; i++) {
    const result = new ProcResult(i, i);
    result.timeStart = new Date();
    result.timeEnd = new Date();
    result.success = true;
    result.answer = i;
  }
});

Deno.bench("ProcResult: toJSON 1000", { group: "result" }, () => {
  const result = new ProcResult("key", 1);
  result.timeStart = new Date();
  result.timeEnd = new Date();
  for (let i = 0; i < 1000; i++) result.toJSON();
});

function identity(_key: unknown, args: unknown[]): [boolean, unknown] {
  return [true, args[0]];
}

Deno.bench("ProcRunAsync: 1000 trivial function tasks", { group: "run" }, async () => {
  const tasks: [number, number][] = Array.from({ length: 1000 }, (_, i) => [i, i]);
  await new ProcRunAsync([identity], tasks, { numWorkers: 2 }).runAll();
});

Deno.bench(
  "ProcRunAsync: 1000 trivial function tasks, timeout armed",
  { group: "run" },
  async () => {
    const tasks: [number, number][] = Array.from({ length: 1000 }, (_, i) => [i, i]);
    await new ProcRunAsync([identity], tasks, { numWorkers: 2, timeout: 30 }).runAll();
  },
);
