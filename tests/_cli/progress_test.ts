import { assertEquals, assertMatch } from "@std/assert";
import { type ProgressCounts, progressLine, shortDuration } from "../../src/_cli/progress.ts";

Deno.test("shortDuration() writes seconds, then minutes and seconds, then hours and minutes", () => {
  assertEquals(shortDuration(0), "0s");
  assertEquals(shortDuration(12.4), "12s");
  assertEquals(shortDuration(59.4), "59s");
  assertEquals(shortDuration(59.6), "1m00s", "rounded first");
  assertEquals(shortDuration(184), "3m04s");
  assertEquals(shortDuration(3599), "59m59s");
  assertEquals(shortDuration(3600), "1h00m");
  assertEquals(shortDuration(3725), "1h02m");
  assertEquals(shortDuration(100 * 3600 + 5 * 60), "100h05m");
});

Deno.test("progressLine() shows read+ and an unknown ETA while the input has not ended", () => {
  const counts: ProgressCounts = { done: 2, failed: 1, read: 5, total: undefined };
  assertEquals(
    progressLine(counts, 3, 4),
    "2/5+ done, 3 running, 1 failed, 3s elapsed, ETA ?",
  );
});

Deno.test("progressLine() draws a 20-wide bar and an ETA once the total is known", () => {
  const half: ProgressCounts = { done: 5, failed: 0, read: 10, total: 10 };
  assertEquals(
    progressLine(half, 10, 8),
    "[##########..........] 5/10 done, 5 running, 0 failed, 10s elapsed, ETA 10s",
  );
  const third: ProgressCounts = { done: 1, failed: 0, read: 3, total: 3 };
  assertMatch(progressLine(third, 2, 8), /^\[#{6}\.{14}\] 1\/3 done, .* ETA 4s$/);
  for (const done of [0, 1, 7, 13, 19, 20]) {
    const line = progressLine({ done, failed: 0, read: 20, total: 20 }, 1, 4);
    assertMatch(line, new RegExp(`^\\[#{${done}}\\.{${20 - done}}\\] `), line);
  }
});

Deno.test("progressLine() gives no ETA before the first task ends, a full bar for no tasks", () => {
  assertEquals(
    progressLine({ done: 0, failed: 0, read: 4, total: 4 }, 65, 4),
    "[....................] 0/4 done, 4 running, 0 failed, 1m05s elapsed, ETA ?",
  );
  assertEquals(
    progressLine({ done: 0, failed: 0, read: 0, total: 0 }, 0, 4),
    "[####################] 0/0 done, 0 running, 0 failed, 0s elapsed, ETA ?",
  );
});

Deno.test("progressLine() counts at most jobs tasks as running", () => {
  const counts: ProgressCounts = { done: 10, failed: 2, read: 110, total: undefined };
  assertEquals(progressLine(counts, 1, 4), "10/110+ done, 4 running, 2 failed, 1s elapsed, ETA ?");
  assertEquals(
    progressLine(counts, 1, Infinity),
    "10/110+ done, 100 running, 2 failed, 1s elapsed, ETA ?",
  );
});
