/**
 * Hot path: the semaphore every task goes through.
 *
 * @module
 */
import { Semaphore } from "../src/_semaphore.ts";

Deno.bench(
  "Semaphore: tryAcquire + release, uncontended",
  { group: "semaphore", baseline: true },
  () => {
    const sem = new Semaphore(4);
    for (let i = 0; i < 1000; i++) {
      sem.tryAcquire();
      sem.release();
    }
  },
);

Deno.bench(
  "Semaphore: acquire + release, uncontended (await)",
  { group: "semaphore" },
  async () => {
    const sem = new Semaphore(4);
    for (let i = 0; i < 1000; i++) {
      await sem.acquire();
      sem.release();
    }
  },
);

Deno.bench(
  "Semaphore: 1000 waiters on 4 permits, FIFO hand-over",
  { group: "semaphore" },
  async () => {
    const sem = new Semaphore(4);
    const jobs = [];
    for (let i = 0; i < 1000; i++) {
      jobs.push(sem.acquire().then(() => sem.release()));
    }
    await Promise.all(jobs);
  },
);

Deno.bench(
  "Semaphore: acquire with an AbortSignal, contended",
  { group: "semaphore" },
  async () => {
    const sem = new Semaphore(4);
    const signal = new AbortController().signal;
    const jobs = [];
    for (let i = 0; i < 1000; i++) {
      jobs.push(sem.acquire(signal).then(() => sem.release()));
    }
    await Promise.all(jobs);
  },
);
