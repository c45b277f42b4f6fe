import { assertEquals } from "@std/assert";
import { HaltCounter } from "../src/_halt.ts";
import { ProcResult } from "../src/result.ts";

function ended(success: boolean, cancelled = false): ProcResult {
  const result = new ProcResult("k", 0);
  result.success = success;
  result.cancelled = cancelled;
  return result;
}

Deno.test("HaltCounter says why once a count is reached, and only once", () => {
  const counter = new HaltCounter({
    when: "soon",
    on: "fail",
    threshold: { count: 2 },
    text: "soon,fail=2",
  });
  counter.started = 5;
  assertEquals(counter.end(ended(false)), null);
  assertEquals(counter.end(ended(true)), null);
  assertEquals(counter.end(ended(false, true)), null, "a cancelled task is not counted");
  assertEquals(counter.end(ended(false)), "2 tasks failed (halt soon,fail=2)");
  assertEquals(counter.end(ended(false)), null);
});

Deno.test("HaltCounter counts a percentage of the tasks started so far", () => {
  const counter = new HaltCounter({
    when: "now",
    on: "success",
    threshold: { percent: 50 },
    text: "now,success=50%",
  });
  counter.started = 4;
  assertEquals(counter.end(ended(true)), null); // 1 of 4
  assertEquals(counter.end(ended(true)), "2 tasks succeeded (halt now,success=50%)");
});
