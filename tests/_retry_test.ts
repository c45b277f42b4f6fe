import { assert, assertEquals } from "@std/assert";
import { recordAttempt, type ResolvedRetry, retryDelay, wantsRetry } from "../src/_retry.ts";
import { ProcResult, resultTimes } from "../src/result.ts";

const RETRY: ResolvedRetry = {
  maxAttempts: 3,
  minTimeout: 100,
  multiplier: 2,
  maxTimeout: 300,
  jitter: 0,
  isRetriable: undefined,
};

Deno.test("retryDelay() grows by the multiplier up to maxTimeout, and jitter takes up to its share off", () => {
  assertEquals([1, 2, 3, 4].map((n) => retryDelay(RETRY, n)), [100, 200, 300, 300]);
  assertEquals(retryDelay({ ...RETRY, minTimeout: 0 }, 3), 0);
  for (let i = 0; i < 100; i++) {
    const delay = retryDelay({ ...RETRY, jitter: 0.5 }, 2);
    assert(delay > 100 && delay <= 200, `${delay}`);
  }
});

Deno.test("wantsRetry() retries failures with attempts left, never a success or a cancellation", () => {
  const result = new ProcResult("k", 1);
  result.attempts = 1;
  assertEquals(wantsRetry(RETRY, result), true);
  result.attempts = 3;
  assertEquals(wantsRetry(RETRY, result), false);
  result.attempts = 1;
  result.cancelled = true;
  assertEquals(wantsRetry(RETRY, result), false);
  result.cancelled = false;
  result.success = true;
  assertEquals(wantsRetry(RETRY, result), false);
  result.success = false;
  result.returncode = 2;
  assertEquals(wantsRetry({ ...RETRY, isRetriable: (r) => r.returncode === 75 }, result), false);
});

Deno.test("recordAttempt() keeps the times and the outcome of the attempt that ended", () => {
  const result = new ProcResult("k", 1);
  resultTimes.set(result, 1000, 3000);
  result.returncode = 4;
  result.exception = null;
  result.slot = 2;
  result.host = "build1";
  recordAttempt(result);
  assertEquals(result.earlierAttempts, [{
    timeStart: new Date(1000),
    timeEnd: new Date(3000),
    returncode: 4,
    signal: null,
    timeout: false,
    exception: null,
    error: null,
    slot: 2,
    host: "build1",
  }]);
});
