import { assertEquals, assertStringIncludes } from "@std/assert";
import { failure, resultJson } from "../../src/_cli/render.ts";
import { ProcResult } from "../../src/result.ts";

/** A result with `fields` set, as an engine would leave it. */
function result(fields: Partial<ProcResult> = {}): ProcResult {
  return Object.assign(new ProcResult("k", "a"), fields);
}

Deno.test("failure() gives a timeout's or cancellation's message, or a default", () => {
  const timedOut = { timeout: true, signal: "SIGTERM", exception: "TimeoutError" };
  assertEquals(
    failure(result({ ...timedOut, error: "timed out after 0.5 s" })),
    "timed out after 0.5 s",
  );
  assertEquals(failure(result(timedOut)), "timed out");
  const cancelled = { cancelled: true, signal: "SIGTERM", exception: "AbortError" };
  assertEquals(
    failure(result({ ...cancelled, error: "cancelled: received SIGINT" })),
    "cancelled: received SIGINT",
  );
  assertEquals(failure(result(cancelled)), "cancelled");
});

Deno.test("failure() names the signal, the exception or the exit code, in that order", () => {
  assertEquals(failure(result({ signal: "SIGKILL", returncode: null })), "killed by SIGKILL");
  assertEquals(failure(result({ signal: "SIGSEGV", exception: "X" })), "killed by SIGSEGV");
  assertEquals(
    failure(result({ exception: "NotFound", error: "Failed to spawn 'nope'" })),
    "NotFound: Failed to spawn 'nope'",
  );
  assertEquals(failure(result({ exception: "RangeError", error: null })), "RangeError: ");
  assertEquals(failure(result({ exception: "Error", returncode: 1 })), "Error: ");
  assertEquals(failure(result({ returncode: 3 })), "exit 3");
  assertEquals(failure(result()), "failed", "a function that returned [false, answer]");
});

Deno.test("resultJson() gives the result's JSON, indented when asked", () => {
  const r = result({ success: true, returncode: 0, stdout: "out\n", answer: { n: [1, 2] } });
  assertEquals(resultJson(r), JSON.stringify(r));
  assertEquals(JSON.parse(resultJson(r)), JSON.parse(JSON.stringify(r.toJSON())));
  assertEquals(resultJson(r, 2), JSON.stringify(r, null, 2));
  assertStringIncludes(resultJson(r, 2), '\n  "key": "k",\n');
});

Deno.test("resultJson() inspects an answer JSON cannot hold instead of throwing", () => {
  const big = JSON.parse(resultJson(result({ success: true, answer: 12n })));
  assertEquals(big.answer, "12n");
  assertEquals(big.key, "k");
  assertEquals(big.success, true);
  const cycle: Record<string, unknown> = { name: "loop" };
  cycle.self = cycle;
  const looped = JSON.parse(resultJson(result({ answer: cycle }), 2));
  assertEquals(typeof looped.answer, "string");
  assertStringIncludes(looped.answer, "[Circular *1]");
  assertStringIncludes(looped.answer, 'name: "loop"');
});
