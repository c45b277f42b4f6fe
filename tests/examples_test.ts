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

Deno.test("examples/example_4_trace.ts writes a trace file of its run, one slice per attempt", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = new URL("../examples/example_4_trace.ts", import.meta.url).pathname;
    const run = await deno(["run", "--allow-run", "--allow-write", path, `${dir}/run.trace.json`]);
    assertEquals(run.status.code, 0, run.err);
    const stdout = run.out;
    assertStringIncludes(stdout, "6 tasks, 4 succeeded, 2 failed");
    const trace = JSON.parse(await Deno.readTextFile(`${dir}/run.trace.json`));
    const slices = trace.traceEvents.filter((event: { ph: string }) => event.ph === "X");
    const seen = slices.map((s: { name: string; cat: string }) => `${s.name}:${s.cat}`).sort();
    assertEquals(seen, [
      "a:success",
      "b:failure",
      "c:success",
      "d:timeout",
      "e:success",
      "f:failure",
      "f:success",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("examples/*.ts are executable and run through their shebang", async () => {
  const dir = new URL("../examples/", import.meta.url).pathname;
  // The shebang calls `deno`: put this Deno first on PATH.
  const bin = Deno.execPath().replace(/\/[^/]+$/, "");
  const path = `${bin}:${Deno.env.get("PATH") ?? ""}`;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.endsWith(".ts")) continue;
    const mode = (await Deno.stat(dir + entry.name)).mode!;
    assertEquals(mode & 0o111, 0o111, `${entry.name} has no run bit`);
  }
  const output = await new Deno.Command(dir + "example_1_command.ts", {
    env: { NO_COLOR: "1", PATH: path },
  }).output();
  assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
  assertStringIncludes(new TextDecoder().decode(output.stdout), "5 tasks, 5 succeeded, 0 failed");
});

Deno.test("the docs name pyconcurrent, not 'the seed', and show no literal @default prose", async () => {
  const root = new URL("../", import.meta.url).pathname;
  const files = ["README.md", "mod.ts", "src/types.ts", "src/proc_run_async.ts"];
  for await (const entry of Deno.readDir(root + "examples")) files.push(`examples/${entry.name}`);
  for (const file of files) {
    const text = await Deno.readTextFile(root + file);
    assertEquals(/the seed/i.test(text), false, `${file} says "the seed"`);
    // deno doc shows @default {...} literally: only a value may go there.
    for (const [, value] of text.matchAll(/@default \{([^}]*)\}/g)) {
      assertEquals(
        /^(-?[\d.]+|true|false|undefined|null|"[^"]*")$/.test(value!),
        true,
        `${file}: @default {${value}}`,
      );
    }
  }
});

Deno.test("examples/example_2_function.ts passes the run's signal to its nap, as the README does", async () => {
  const text = await Deno.readTextFile(
    new URL("../examples/example_2_function.ts", import.meta.url),
  );
  assertStringIncludes(text, "signal: AbortSignal");
  assertStringIncludes(text, "delay(nap * 1000, { signal })");
});
