import { assertEquals } from "@std/assert";
import {
  depth,
  FIRST_DEPTH,
  MAX_IN_FLIGHT,
  nextAverage,
  planSends,
  planSteal,
  starving,
  STEAL_MS,
} from "../../src/_workers/scheduler.ts";

const idle = { inFlight: 0, unstarted: 0, ranMs: 0 };

Deno.test("depth() keeps FIRST_DEPTH before any report, then ~10 s of work, within bounds", () => {
  assertEquals(depth(undefined), FIRST_DEPTH);
  assertEquals(depth(100), 100);
  assertEquals(depth(0.0001), MAX_IN_FLIGHT);
  assertEquals(depth(60_000), 2);
});

Deno.test("nextAverage() starts at the first sample, then moves 30% towards each new one", () => {
  assertEquals(nextAverage(undefined, 10, 5), 2);
  assertEquals(nextAverage(2, 40, 4), 0.7 * 2 + 0.3 * 10);
  assertEquals(nextAverage(undefined, 0, 3), 0.0001, "never 0: depth() divides by it");
});

Deno.test("starving() while a worker can still start or one is idle", () => {
  assertEquals(starving([], 2), true);
  assertEquals(starving([{ ...idle, inFlight: 3 }], 2), true);
  assertEquals(starving([{ ...idle, inFlight: 3 }, { ...idle, inFlight: 1 }], 2), false);
  assertEquals(starving([{ ...idle, inFlight: 3 }, idle], 2), true);
});

Deno.test("planSends() starts a worker for the first task and shares a few tasks between workers", () => {
  assertEquals(planSends([], 1, 2, undefined), [{ slot: 0, count: 1 }]);
  // 10 tasks, 2 workers to start: one batch each, half of what still waits
  // each time; the rest waits for the next call.
  assertEquals(planSends([], 10, 2, undefined), [{ slot: 0, count: 5 }, { slot: 1, count: 3 }]);
});

Deno.test("planSends() gives each worker at most one batch per call, the least loaded first", () => {
  const loads = [{ ...idle, inFlight: 40 }, { ...idle, inFlight: 10 }];
  const sends = planSends(loads, 1000, 2, 100); // depth 100: each is filled up to it
  assertEquals(sends, [{ slot: 1, count: 90 }, { slot: 0, count: 60 }]);
  // A worker more than half full gets nothing.
  assertEquals(planSends([{ ...idle, inFlight: 51 }], 1000, 1, 100), []);
});

Deno.test("planSends() waits for a fuller batch while a worker has work for a while", () => {
  // 50 queued tasks of 10 ms = 500 ms of work, more than LOW_QUEUE_MS: 3 tasks are not sent.
  assertEquals(planSends([{ ...idle, inFlight: 50 }, { ...idle, inFlight: 900 }], 3, 2, 10), []);
  // With little work queued the same 3 go out.
  assertEquals(planSends([{ ...idle, inFlight: 2 }], 3, 1, 10), [{ slot: 0, count: 3 }]);
});

Deno.test("planSends() starts no worker past maxWorkers and sends nothing to full workers", () => {
  const full = { ...idle, inFlight: 64 };
  assertEquals(planSends([full, full], 500, 2, undefined), []);
  assertEquals(planSends([full], 500, 2, undefined), [{ slot: 1, count: 64 }]);
});

Deno.test("planSteal() does nothing while no worker is idle", () => {
  assertEquals(planSteal([{ inFlight: 5, unstarted: 4, ranMs: 100 }], 10), undefined);
});

Deno.test("planSteal() takes from the worker with the most unstarted work behind a running task", () => {
  const loads = [
    idle,
    { inFlight: 5, unstarted: 2, ranMs: 1 },
    { inFlight: 9, unstarted: 8, ranMs: 1 },
  ];
  assertEquals(planSteal(loads, 1), { victim: 2 });
});

Deno.test("planSteal() never takes from a worker that holds only unstarted tasks: it looks again", () => {
  // Two quick tasks sent to a fresh worker that has not started them yet:
  // taking them back could hand them to this idle worker and back, without end.
  assertEquals(planSteal([{ inFlight: 2, unstarted: 2, ranMs: 0 }, idle], 0), {
    recheckMs: STEAL_MS,
  });
});

Deno.test("planSteal() waits until cheap unstarted work has waited STEAL_MS behind its task", () => {
  const loads = [{ inFlight: 3, unstarted: 2, ranMs: 2 }, idle];
  assertEquals(planSteal(loads, 0.1), { recheckMs: STEAL_MS - 2 });
  assertEquals(planSteal([{ inFlight: 3, unstarted: 2, ranMs: STEAL_MS }, idle], 0.1), {
    victim: 0,
  });
});
