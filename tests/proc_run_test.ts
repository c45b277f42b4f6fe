import { assert, assertEquals } from "@std/assert";
import { delay } from "@std/async/delay";
import { ProcRunAsync } from "../src/proc_run_async.ts";

const ok = (_key: unknown, args: unknown[]): [boolean, unknown] => [true, args.at(-1)];

Deno.test("ProcRun.stream() holds back new tasks while the consumer is slow", async () => {
  let started = 0;
  let consumed = 0;
  let ahead = 0;
  const count = (_key: unknown, args: unknown[]): [boolean, unknown] => {
    started++;
    ahead = Math.max(ahead, started - consumed);
    return [true, args.at(-1)];
  };
  const tasks = (function* () {
    for (let i = 0; i < 3000; i++) yield [i, i] as const;
  })();
  const run = new ProcRunAsync([count], tasks, { numWorkers: 4, keepResults: false });
  for await (const _ of run.stream()) {
    consumed++;
    if (consumed % 100 === 0) await delay(1);
  }
  assertEquals(consumed, 3000);
  // 256 results may wait for the consumer, plus the tasks already running.
  assert(ahead <= 256 + 4 + 1, `${ahead} tasks ran ahead of the consumer`);
});

Deno.test("ProcRun.stream() lets the run finish when the consumer stops early", async () => {
  let delivered = 0;
  const tasks = (function* () {
    for (let i = 0; i < 2000; i++) yield [i, i] as const;
  })();
  const run = new ProcRunAsync([ok], tasks, {
    numWorkers: 2,
    onResult: () => delivered++,
  });
  for await (const _ of run.stream()) break;
  const results = await run.runAll(); // The same run, still going.
  assertEquals(results.length, 2000);
  assertEquals(delivered, 2000);
});
