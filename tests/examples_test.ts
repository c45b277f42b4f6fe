import { assertEquals, assertLess, assertStringIncludes } from "@std/assert";
import { deno } from "./_helpers.ts";

async function runExample(name: string, ...permissions: string[]): Promise<string> {
  const path = new URL(`../examples/${name}`, import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, path],
    env: { NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
  return stdout;
}

Deno.test("examples/example_1_command.ts runs the seed's command example", async () => {
  const stdout = await runExample("example_1_command.ts", "--allow-run");
  assertStringIncludes(stdout, "5 tasks, 5 succeeded, 0 failed");
  for (const key of [1, 2, 3, 4, 5]) assertStringIncludes(stdout, `key ${key}  arg`);
});

Deno.test("examples/example_2_function.ts runs the seed's function example", async () => {
  const stdout = await runExample("example_2_function.ts");
  assertStringIncludes(stdout, "5 tasks, 5 succeeded, 0 failed");
  assertStringIncludes(stdout, "test_func done");
});

Deno.test("examples/example_3_workers.ts runs the seed's function example on workers and exits by itself", async () => {
  const path = new URL("../examples/example_3_workers.ts", import.meta.url).pathname;
  const t0 = performance.now();
  const { status, out, err } = await deno(["run", "--allow-read", path], 30_000);
  const seconds = (performance.now() - t0) / 1000;
  assertEquals(status.code, 0, err);
  assertStringIncludes(out, "5 tasks, 5 succeeded, 0 failed");
  assertStringIncludes(out, "test_func done");
  assertLess(seconds, 15, "the process ends when the run does");
});
