import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { resolveIsolation } from "../../src/_workers/isolation.ts";
import type { WorkerProgram } from "../../src/_workers/protocol.ts";
import { deno } from "../_helpers.ts";

const program: WorkerProgram = {
  kind: "function",
  moduleUrl: new URL("../fixtures/worker_tasks.ts", import.meta.url).href,
  exportName: "square",
  args: [],
};

Deno.test("resolveIsolation() keeps threads by default, and gives processes their flags and heap limit", () => {
  assertEquals(resolveIsolation("R", {}, program), { isolation: "thread", process: undefined });
  const { isolation, process } = resolveIsolation("R", {
    isolation: "process",
    memoryLimit: 100,
  }, program);
  assertEquals([isolation, process!.memoryLimit], ["process", 100]);
  assertEquals(process!.flags.at(-1), "--v8-flags=--max-old-space-size=100");
  assertEquals(process!.flags.includes("--allow-read"), true);
});

Deno.test("resolveIsolation() refuses a bad isolation or memoryLimit, naming the option, the value and what is accepted", () => {
  const bad: [object, ErrorConstructor, string][] = [
    [
      { isolation: "worker" },
      TypeError,
      `'isolation' must be "thread" or "process": current value is "worker"`,
    ],
    [
      { isolation: "process", memoryLimit: 0 },
      RangeError,
      "'memoryLimit' must be a whole number of MiB >= 1: current value is 0",
    ],
    [{ isolation: "process", memoryLimit: 2.5 }, RangeError, "current value is 2.5"],
    [{ isolation: "process", memoryLimit: "1G" }, TypeError, `current value is "1G"`],
    [
      { memoryLimit: 64 },
      TypeError,
      `'memoryLimit' must be given with isolation "process": current value is 64`,
    ],
  ];
  for (const [options, type, message] of bad) {
    assertThrows(() => resolveIsolation("R", options, program), type, message);
  }
});

Deno.test('resolveIsolation() refuses isolation "process" to a program that may not run Deno', async () => {
  const dir = await Deno.makeTempDir();
  const isolationUrl = new URL("../../src/_workers/isolation.ts", import.meta.url).href;
  await Deno.writeTextFile(
    `${dir}/script.ts`,
    `import { resolveIsolation } from ${JSON.stringify(isolationUrl)};
try {
  resolveIsolation("R", { isolation: "process" }, ${JSON.stringify(program)});
  console.log("accepted");
} catch (error) {
  console.log(error.name + ": " + error.message);
}`,
  );
  const { status, out, err } = await deno(["run", "--allow-read", `${dir}/script.ts`]);
  await Deno.remove(dir, { recursive: true });
  assertEquals(status.code, 0, err);
  assertStringIncludes(out, "TypeError: Cannot create R as 'isolation'");
  assertStringIncludes(out, "run with --allow-run");
});
