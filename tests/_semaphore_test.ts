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
  await sem.acquire();
  const order: number[] = [];
  const waiters = [1, 2, 3].map((n) =>
    sem.acquire().then(() => {
      order.push(n);
      sem.release();
    })
  );
  assertEquals(sem.pendingCount, 3);
  sem.release();
  await Promise.all(waiters);
  assertEquals(order, [1, 2, 3]);
  assertEquals(sem.activeCount, 0);
});

Deno.test("Semaphore.tryAcquire() acquires when free and refuses when not", () => {
  const sem = new Semaphore(2);
  assertEquals(sem.tryAcquire(), true);
  assertEquals(sem.tryAcquire(), true);
  assertEquals(sem.tryAcquire(), false);
  sem.release();
  assertEquals(sem.activeCount, 1);
  sem.release();
  assertEquals(sem.activeCount, 0);
});

Deno.test("Semaphore.release() refuses a release without an acquire", () => {
  const sem = new Semaphore(2);
  sem.tryAcquire();
  sem.release();
  assertThrows(() => sem.release(), RangeError, "nothing is acquired");
  assertEquals(sem.activeCount, 0);
});

Deno.test("Semaphore.acquire() rejects with the signal's reason and takes nothing when aborted", async () => {
  const sem = new Semaphore(1);
  await sem.acquire();
  const controller = new AbortController();
  const waiting = sem.acquire(controller.signal);
  const after = sem.acquire();
  assertEquals(sem.pendingCount, 2);
  controller.abort(new Error("stop"));
  await assertRejects(() => waiting, Error, "stop");
  assertEquals(sem.pendingCount, 1);
  // The abandoned waiter is skipped: the next one gets the release.
  sem.release();
  await after;
  assertEquals(sem.activeCount, 1);
  assertEquals(sem.pendingCount, 0);
  sem.release();
  assertEquals(sem.activeCount, 0);
  // An aborted signal wins even when the semaphore is free.
  await assertRejects(() => sem.acquire(AbortSignal.abort(new Error("already"))), Error, "already");
  assertEquals(sem.activeCount, 0);
});

Deno.test("Semaphore(Infinity) never blocks", async () => {
  const sem = new Semaphore(Infinity);
  await Promise.all(Array.from({ length: 1000 }, () => sem.acquire()));
  assertEquals(sem.activeCount, 1000);
  for (let i = 0; i < 1000; i++) sem.release();
  assertEquals(sem.activeCount, 0);
});
