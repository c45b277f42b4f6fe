import { assertEquals } from "@std/assert";
import { TaskCounters } from "../../src/_trace/counters.ts";

function recorder() {
  const samples: [number, number, number][] = [];
  const counters = new TaskCounters((at, running, queued) => samples.push([at, running, queued]));
  return { samples, counters };
}

Deno.test("TaskCounters samples a change only once no open attempt can come before it", () => {
  const { samples, counters } = recorder();
  const a = counters.open(0);
  const b = counters.open(1);
  // b ends first, having run 5 to 8; a (open since 0) may still have started before 5.
  counters.close(b, 5, 8, 9);
  assertEquals(samples, []);
  // a ran 2 to 10: now everything before the watermark (nothing open: now, 11) is final.
  counters.close(a, 2, 10, 11);
  assertEquals(samples, [
    [0, 0, 1],
    [1, 0, 2],
    [2, 1, 1],
    [5, 2, 0],
    [8, 1, 0],
    [10, 0, 0],
  ]);
});

Deno.test("TaskCounters samples nothing for a moment whose changes cancel out, and finish() flushes all", () => {
  const { samples, counters } = recorder();
  const a = counters.open(0);
  counters.close(a, 0, 4, 4);
  const b = counters.open(4);
  // b starts as a ends: running stays 1 at 4, so no sample there.
  counters.close(b, 4, 6, 6);
  counters.finish();
  assertEquals(samples, [[0, 1, 0], [6, 0, 0]]);
});

Deno.test("TaskCounters counts a task that never started out of the queue, and keeps other clocks in order", () => {
  const { samples, counters } = recorder();
  const a = counters.open(10);
  const b = counters.open(11);
  counters.close(a, null, 12, 12);
  // A worker's clock put b's start a hair before it began waiting: it counts from 11.
  counters.close(b, 10.9, 15, 15);
  counters.finish();
  assertEquals(samples, [[10, 0, 1], [11, 1, 1], [12, 1, 0], [15, 0, 0]]);
});

Deno.test("TaskCounters keeps memory to what is open: 100,000 attempts past one long one", () => {
  const { samples, counters } = recorder();
  const long = counters.open(0);
  for (let i = 1; i <= 100_000; i++) counters.close(counters.open(i), i, i + 0.5, i + 0.5);
  // Nothing is final while the long attempt, open since 0, may have started at any time.
  assertEquals(samples.length, 0);
  counters.close(long, 0, 200_000, 200_000);
  counters.finish();
  assertEquals(samples.length, 2 + 2 * 100_000);
  assertEquals(samples.at(-1), [200_000, 0, 0]);
});
