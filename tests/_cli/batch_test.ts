import { assertEquals } from "@std/assert";
import { parseCli } from "../../src/_cli/args.ts";
import { exitCodeFor, haltExitCode, haltText, retryOption } from "../../src/_cli/batch.ts";
import { ProcResult } from "../../src/result.ts";

function ended(returncode: number | null, signal: string | null = null): ProcResult {
  const result = new ProcResult(1, "x");
  result.returncode = returncode;
  result.signal = signal;
  return result;
}

Deno.test("haltExitCode() gives GNU parallel's statuses", () => {
  assertEquals(haltExitCode({ when: "now", fail: 1 }, ended(7), 1, 5), 7);
  assertEquals(haltExitCode({ when: "now", fail: 1 }, ended(null, "SIGKILL"), 1, 5), 137);
  assertEquals(haltExitCode({ when: "soon", fail: 3 }, ended(1), 3, 9), 3);
  assertEquals(haltExitCode({ when: "soon", fail: 200 }, ended(1), 200, 300), 101);
  assertEquals(haltExitCode({ when: "soon", fail: "20%" }, ended(1), 1, 3), 34);
  assertEquals(haltExitCode({ when: "now", success: 1 }, ended(0), 4, 5), 0);
  assertEquals(exitCodeFor(150), 101);
});

Deno.test("haltText() and retryOption() put the command line in the library's terms", () => {
  assertEquals(haltText({ when: "soon", done: "50%" }), "soon,done=50%");
  assertEquals(retryOption(parseCli(["true"])), undefined);
  assertEquals(
    retryOption(parseCli(["--retries", "0", "true"]))!.maxAttempts,
    Number.MAX_SAFE_INTEGER,
  );
  assertEquals(retryOption(parseCli(["--retries", "3", "--retry-delay", "90", "true"])), {
    maxAttempts: 3,
    minTimeout: 90_000,
    multiplier: 2,
    maxTimeout: 90_000,
    jitter: 0,
  });
});
