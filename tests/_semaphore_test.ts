import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { Semaphore } from "../src/_semaphore.ts";

Deno.test("Semaphore() refuses a max that is not a positive integer or Infinity", () => {
  for (const max of [0, -1, 1.5, NaN]) {
    const error = assertThrows(() => new Semaphore(max), RangeError);
    assertEquals(error.message.includes(`current value is ${max}`), true, error.message);
  }
});

Deno.test("Semaphore.acquire() resolves waiters in FIFO order", async () => {
  const sem = new Semaphore(1);
  const first = await sem.acquire();
  const order: number[] = [];
  const waiters = [1, 2, 3].map((n) =>
    sem.acquire().then((permit) => {
      order.push(n);
      permit.release();
    })
  );
  assertEquals(sem.pendingCount, 3);
  first.release();
  await Promise.all(waiters);
  assertEquals(order, [1, 2, 3]);
  assertEquals(sem.activeCount, 0);
});

Deno.test("Semaphore.tryAcquire() takes a free permit and refuses when none is free", () => {
  const sem = new Semaphore(2);
  const a = sem.tryAcquire();
  const b = sem.tryAcquire();
  assertEquals(sem.tryAcquire(), undefined);
  a!.release();
  a!.release(); // idempotent
  assertEquals(sem.activeCount, 1);
  b![Symbol.dispose]();
  assertEquals(sem.activeCount, 0);
});

Deno.test("Semaphore.acquire() rejects with the signal's reason and takes no permit when aborted", async () => {
  const sem = new Semaphore(1);
  const held = await sem.acquire();
  const controller = new AbortController();
  const waiting = sem.acquire(controller.signal);
  controller.abort(new Error("stop"));
  await assertRejects(() => waiting, Error, "stop");
  assertEquals(sem.pendingCount, 0);
  held.release();
  assertEquals(sem.activeCount, 0);
  // An aborted signal wins even when a permit is free.
  await assertRejects(() => sem.acquire(AbortSignal.abort(new Error("already"))), Error, "already");
  assertEquals(sem.activeCount, 0);
});

Deno.test("Semaphore(Infinity) never blocks", async () => {
  const sem = new Semaphore(Infinity);
  const permits = await Promise.all(Array.from({ length: 1000 }, () => sem.acquire()));
  assertEquals(sem.activeCount, 1000);
  for (const permit of permits) permit.release();
  assertEquals(sem.activeCount, 0);
});
