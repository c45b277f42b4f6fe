import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { stripAnsiCode } from "@std/fmt/colors";
import { ProcResult } from "../src/result.ts";

Deno.test("ProcResult() starts as a task that has not run", () => {
  const result = new ProcResult("k", 7);
  assertEquals(result.key, "k");
  assertEquals(result.arg, 7);
  assertEquals(result.success, false);
  assertEquals(result.timeout, false);
  assertEquals(result.returncode, null);
  assertEquals(result.timeStart, null);
  assertEquals(result.stdout, "");
});

Deno.test("ProcResult.timeStart reads back as a new Date each time, null when unset", () => {
  const result = new ProcResult("k", 1);
  assertEquals(result.timeStart, null);
  const start = new Date(1_700_000_000_123);
  result.timeStart = start;
  assertEquals(result.timeStart, start);
  assert(result.timeStart !== start, "a new Date each read");
  result.timeStart = null;
  assertEquals(result.timeStart, null);
  assertEquals(result.toJSON().timeStart, null);
});

Deno.test("ProcResult.toJSON() gives plain data with ISO dates that survives JSON", () => {
  const result = new ProcResult(1, "a");
  result.timeStart = new Date(0);
  result.timeEnd = new Date(1500);
  result.timeRun = 1.5;
  result.success = true;
  result.returncode = 0;
  result.stdout = "out\n";
  result.answer = { n: 1 };
  const json = JSON.parse(JSON.stringify(result));
  assertEquals(json, { ...result.toJSON(), answer: { n: 1 } });
  assertEquals(json.timeStart, "1970-01-01T00:00:00.000Z");
  assertEquals(json.timeEnd, "1970-01-01T00:00:01.500Z");
  assertEquals(json.success, true);
});

Deno.test("ProcResult.format() shows status, error, output and answer", () => {
  const result = new ProcResult("job", 3);
  result.timeout = true;
  result.exception = "TimeoutError";
  result.error = "timed out after 0.5 s";
  result.signal = "SIGTERM";
  result.stdout = "line 1\nline 2\n";
  result.stderrTruncated = true;
  result.answer = [1, 2];
  const text = stripAnsiCode(result.format());
  assertStringIncludes(text, "key job  arg 3  timeout");
  assertStringIncludes(text, "signal SIGTERM");
  assertStringIncludes(text, "TimeoutError: timed out after 0.5 s");
  assertStringIncludes(text, "    line 1\n    line 2");
  assertStringIncludes(text, "stderr (truncated)");
  assertStringIncludes(text, "answer [ 1, 2 ]");
});

Deno.test("printResults() and print() write no colour codes into a pipe, unless asked", async () => {
  const code = `import { ProcRunAsync } from "${new URL("../mod.ts", import.meta.url)}";
    const run = new ProcRunAsync([(k) => [true, k]], [[1, 0]]);
    await run.runAll();
    run.printResults();
    run.results[0].print({ color: true });`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", new URL("../deno.json", import.meta.url).pathname, code],
    stdout: "piped",
  }).output();
  assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
  const [plain, colored] = new TextDecoder().decode(output.stdout).split("1 tasks, 1 succeeded");
  assertEquals(plain!.includes("\x1b["), false, plain);
  assertStringIncludes(colored!, "\x1b[");
});

Deno.test("ProcResult.format() has no colour when NO_COLOR is set", async () => {
  const code = `import { ProcResult } from "${new URL(
    "../src/result.ts",
    import.meta.url,
  )}"; const r = new ProcResult(1, 2); r.success = true; console.log(r.format());`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", new URL("../deno.json", import.meta.url).pathname, code],
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
  assertStringIncludes(text, "key 1  arg 2  success");
  assertEquals(text.includes("\x1b["), false);
});
