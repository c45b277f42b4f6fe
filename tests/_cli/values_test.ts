import { assertEquals, assertThrows } from "@std/assert";
import { UsageError } from "../../src/_cli/usage.ts";
import { jobs, parseHalt, timeouts } from "../../src/_cli/values.ts";

Deno.test("jobs() reads GNU parallel's -j forms against the number of cores", () => {
  assertEquals([jobs("3", 8), jobs("0", 8), jobs("+2", 8), jobs("-2", 8), jobs("-20", 8)], [
    3,
    0,
    10,
    6,
    1,
  ]);
  assertEquals([jobs("50%", 8), jobs("1%", 8), jobs("200%", 8)], [4, 1, 16]);
  assertThrows(() => jobs("+5%", 8), UsageError, "--jobs must not sign a percentage");
  assertThrows(() => jobs("many", 8), UsageError, "got 'many'");
});

Deno.test("timeouts() reads GNU parallel's --timeout forms: seconds, s m h d, and P%", () => {
  assertEquals(timeouts("1.5"), { timeout: 1.5, timeoutPercent: undefined });
  assertEquals([
    timeouts("30s").timeout,
    timeouts("2m").timeout,
    timeouts("1h").timeout,
    timeouts("1d").timeout,
  ], [30, 120, 3600, 86400]);
  assertEquals(timeouts("300%"), { timeout: 0, timeoutPercent: 300 });
  assertThrows(() => timeouts("-1"), UsageError, "--timeout must be a number of seconds >= 0");
  assertThrows(() => timeouts("0%"), UsageError, "--timeout must be a percentage over 0");
});

Deno.test("parseHalt() refuses what is not one of GNU parallel's forms, naming them", () => {
  assertEquals(parseHalt("now,done=1"), { when: "now", done: 1 });
  assertThrows(() => parseHalt("sometime"), UsageError, "--halt must be never, soon or now");
});
