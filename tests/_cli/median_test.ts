import { assertEquals } from "@std/assert";
import { MedianRun } from "../../src/_cli/median.ts";
import { ProcResult } from "../../src/result.ts";

function ran(seconds: number, success = true): ProcResult {
  const result = new ProcResult(seconds, seconds);
  result.timeRun = seconds;
  result.success = success;
  return result;
}

Deno.test("MedianRun gives P% of the median run time of the successful tasks, none before one", () => {
  const median = new MedianRun();
  const timeout = median.timeoutFor(200);
  assertEquals(timeout(), 0);
  median.add(ran(1));
  assertEquals(timeout(), 2000);
  median.add(ran(9, false)); // a failure does not count
  median.add(ran(3));
  assertEquals(timeout(), 4000); // median of 1 and 3
  for (const seconds of [5, 0.5, 7, 2]) median.add(ran(seconds));
  assertEquals(timeout(), 5000); // 0.5 1 2 3 5 7: (2 + 3) / 2
});
