import { assertEquals, assertThrows } from "@std/assert";
import { isolationOptions, parseIsolation } from "../../src/_cli/isolation.ts";
import { UsageError } from "../../src/_cli/usage.ts";

const values = (given: Record<string, string>) => (name: string) => given[name];

Deno.test("parseIsolation() reads --isolation and --memory-limit into ProcRunWorkers' options", () => {
  assertEquals(parseIsolation(values({}), "async"), {
    isolation: "thread",
    memoryLimit: undefined,
  });
  const config = parseIsolation(
    values({ isolation: "process", "memory-limit": "512" }),
    "workers",
  );
  assertEquals(config, { isolation: "process", memoryLimit: 512 });
  assertEquals(isolationOptions(config), { isolation: "process", memoryLimit: 512 });
  assertEquals(isolationOptions(parseIsolation(values({}), "workers")), { isolation: "thread" });
});

Deno.test("parseIsolation() refuses a bad value or an option without what it needs", () => {
  const cases: [Record<string, string>, string, string][] = [
    [{ isolation: "process" }, "async", "--isolation needs --engine workers"],
    [{ isolation: "fibre" }, "workers", "--isolation must be one of thread, process: got 'fibre'"],
    [{ "memory-limit": "64" }, "workers", "--memory-limit needs --isolation process"],
    [{ isolation: "process", "memory-limit": "0" }, "workers", "a whole number of MiB >= 1"],
    [{ isolation: "process", "memory-limit": "1G" }, "workers", "got '1G'"],
  ];
  for (const [given, engine, message] of cases) {
    assertThrows(() => parseIsolation(values(given), engine), UsageError, message);
  }
});
