import {
  assert,
  assertEquals,
  assertGreater,
  assertGreaterOrEqual,
  assertLess,
  assertMatch,
  assertNotMatch,
  assertStringIncludes,
} from "@std/assert";
import denoJson from "../deno.json" with { type: "json" };
import { exists, groupMembers, installed, isAlive, readUntil, waitFor } from "./_helpers.ts";
import { startSshd } from "./_ssh/sshd.ts";

const CLI = new URL("../src/cli.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;
const TASKS = new URL("./fixtures/cli_tasks.ts", import.meta.url).pathname;
const ESC = "\x1b[";

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

interface CliOptions {
  stdin?: string;
  cwd?: string;
  env?: Record<string, string>;
  denoFlags?: string[];
}

function command(args: string[], options: CliOptions = {}): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, ...(options.denoFlags ?? []), CLI, ...args],
    cwd: options.cwd,
    env: options.env,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs the real CLI to its end. */
async function cli(args: string[], options: CliOptions = {}): Promise<Ran> {
  const t0 = performance.now();
  const child = command(args, options).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
    seconds: (performance.now() - t0) / 1000,
  };
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text.trim().split("\n").map((line) => JSON.parse(line));
}

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "procrun_cli_" });
}

// ---- Inputs ----------------------------------------------------------------

Deno.test("cli passes binary output through byte for byte (gzip -c), as GNU parallel does", async () => {
  const dir = await tempDir();
  try {
    const text = "procrun\n".repeat(5000);
    await Deno.writeTextFile(`${dir}/f.txt`, text);
    const { code, stdout } = await command(["--quiet", "--", "gzip", "-c", ":::", `${dir}/f.txt`])
      .output();
    assertEquals(code, 0);
    const expected = await new Deno.Command("gzip", { args: ["-c", `${dir}/f.txt`] }).output();
    assertEquals(stdout, expected.stdout);
    const unzipped = await new Response(
      new Blob([stdout]).stream().pipeThrough(new DecompressionStream("gzip")),
    ).text();
    assertEquals(unzipped, text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli passes a task's output through whole past 16 MiB, by way of a temporary file it removes after", async () => {
  const dir = await tempDir();
  try {
    const { code, stdout } = await command(["--quiet", "--", "seq", ":::", "5000000"], {
      env: { TMPDIR: dir },
    }).output();
    assertEquals(code, 0);
    const expected = await new Deno.Command("seq", { args: ["5000000"] }).output();
    assertGreater(expected.stdout.length, 16 * 1024 * 1024);
    assertEquals(stdout.length, expected.stdout.length);
    assertEquals(stdout, expected.stdout);
    assertEquals([...Deno.readDirSync(dir)].map((entry) => entry.name), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli removes its temporary files when the reader of its output goes away (| head -1)", async () => {
  const dir = await tempDir();
  try {
    const script = `"$0" run -A --config "$1" "$2" --quiet -- seq ::: 5000000 6000000 | head -1`;
    const { stdout } = await new Deno.Command("/bin/sh", {
      args: ["-c", script, Deno.execPath(), CONFIG, CLI],
      env: { TMPDIR: dir },
      stdout: "piped",
      stderr: "null",
    }).output();
    assertEquals(new TextDecoder().decode(stdout), "1\n");
    assertEquals([...Deno.readDirSync(dir)].map((entry) => entry.name), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli --max-output-bytes cuts each stream at N bytes and says so, on stderr and in the results", async () => {
  const { code, stdout, stderr } = await command([
    "--max-output-bytes",
    "1000",
    "--",
    "seq",
    ":::",
    "100000",
  ]).output();
  assertEquals(code, 0);
  const expected = await new Deno.Command("seq", { args: ["100000"] }).output();
  assertEquals(stdout, expected.stdout.subarray(0, 1000));
  assertStringIncludes(
    new TextDecoder().decode(stderr),
    "procrun: task 1 (seq 100000): standard output cut at 1000 bytes (--max-output-bytes)",
  );
  const ran = await cli(["--jsonl", "--max-output-bytes", "10", "--", "seq", ":::", "100"]);
  const [result] = jsonLines(ran.stdout);
  assertEquals([result!.stdout, result!.stdoutTruncated], ["1\n2\n3\n4\n5\n", true]);
});

Deno.test("cli fails a task whose input is not UTF-8 (lines and ::: words) instead of running it on a changed name", async () => {
  const dir = await tempDir();
  try {
    // Raw bytes cannot go through Deno.Command's string arguments: a shell makes them.
    // (Not through `npx deno`: its Node launcher has already replaced them with U+FFFD.)
    const script = `
      cd "$1"
      printf 'f\\377o\\ngood1\\n' | "$0" run -A --config "$2" "$3" -- touch
      echo "lines $?"
      "$0" run -A --config "$2" "$3" -- touch ::: "$(printf 'b\\351d')" good2
      echo "words $?"`;
    const { stdout, stderr } = await new Deno.Command("/bin/sh", {
      args: ["-c", script, Deno.execPath(), dir, CONFIG, CLI],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(stderr);
    assertEquals(new TextDecoder().decode(stdout), "lines 1\nwords 1\n", text);
    assertStringIncludes(text, "an input byte 0xFF that is not UTF-8");
    assertStringIncludes(text, "an input byte 0xE9 that is not UTF-8");
    assertStringIncludes(text, "the command was not run");
    const names = [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
    assertEquals(names, ["good1", "good2"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli ::: arguments run the command once each, output grouped per task", async () => {
  const ran = await cli(["-j", "2", "--", "echo", "hi", ":::", "a", "b", "c"]);
  assertEquals(ran.code, 0);
  assertEquals(ran.stdout.split("\n").filter(Boolean).sort(), ["hi a", "hi b", "hi c"]);
  assertMatch(ran.stderr, /^procrun: 3 done, 0 failed, 0 timed out, [\d.]+ s\n$/);
});

Deno.test("cli runs the command without '--' and leaves its own flags alone", async () => {
  const ran = await cli(["--quiet", "echo", "-n", "x", ":::", "1"]);
  assertEquals([ran.code, ran.stdout, ran.stderr], [0, "x 1", ""]);
  // A command named like a boolean value is not swallowed by a flag.
  const t = await cli(["--quiet", "true", ":::", "1"]);
  assertEquals([t.code, t.stderr], [0, ""]);
});

Deno.test("cli reads tasks from --arg-file, keys are line numbers, empty lines skipped", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/args.txt`, "one\n\nthree\n");
  const ran = await cli(["--jsonl", "--arg-file", `${dir}/args.txt`, "--", "echo"]);
  assertEquals(ran.code, 0);
  const results = jsonLines(ran.stdout).sort((a, b) => Number(a.key) - Number(b.key));
  assertEquals(results.map((r) => [r.key, r.arg, r.stdout]), [[1, "one", "one\n"], [
    3,
    "three",
    "three\n",
  ]]);
  const missing = await cli(["--arg-file", `${dir}/nope.txt`, "--", "echo"]);
  assertEquals(missing.code, 255);
  assertStringIncludes(missing.stderr, "cannot read --arg-file");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli reads standard input as a stream: the first task ends before input ends", async () => {
  const child = command(["--jsonl", "--", "echo"], { stdin: "" }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.getReader();
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  await writer.write(encoder.encode("first\n"));
  // Handshake: the first result is printed while standard input is still open.
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    assert(!done, "output ended early");
    text += decoder.decode(value, { stream: true });
  }
  assertEquals(JSON.parse(text.split("\n")[0]!).arg, "first");
  await writer.write(encoder.encode("second\nthird"));
  await writer.close();
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  const status = await child.status;
  assertEquals(status.code, 0);
  // Results come in completion order: the second and third tasks run at once.
  const results = jsonLines(text).sort((a, b) => Number(a.key) - Number(b.key))
    .map((r) => [r.key, r.arg]);
  assertEquals(results, [[1, "first"], [2, "second"], [3, "third"]]);
  await child.stderr.cancel();
});

Deno.test("cli does not keep input lines: heap stays flat over 200k lines of 200 bytes", async () => {
  const dir = await tempDir();
  const line = "x".repeat(200) + "\n";
  await Deno.writeTextFile(`${dir}/big.txt`, line.repeat(200_000));
  const ran = await cli(
    [
      "--quiet",
      "-j",
      "8",
      "--arg-file",
      `${dir}/big.txt`,
      "--module",
      TASKS,
      "--export",
      "heap",
      "--",
      "200000",
    ],
    { denoFlags: ["--v8-flags=--expose-gc"] },
  );
  await Deno.remove(dir, { recursive: true });
  assertEquals(ran.code, 0, ran.stderr);
  const heap = Object.fromEntries(
    ran.stdout.trim().split("\n").map((l) => l.split(" ").map(Number)),
  );
  const growth = heap[200000]! - heap[1000]!;
  // 40 MB of input went through; holding it would grow the heap by more than that.
  // What remains is the runner's set of seen keys (a few MB).
  assertLess(growth, 15e6, `heap grew by ${growth} bytes`);
});

// ---- Placeholder, keys, shell ---------------------------------------------

Deno.test("cli replaces {} with the argument, also inside a word, else appends it", async () => {
  const replaced = await cli(["--quiet", "--", "echo", "<{}>", "file-{}.txt", "end", ":::", "a"]);
  assertEquals(replaced.stdout, "<a> file-a.txt end\n");
  const appended = await cli(["--quiet", "--", "echo", "x", ":::", "a"]);
  assertEquals(appended.stdout, "x a\n");
  // Replacement text is taken literally (no `$&` patterns).
  const literal = await cli(["--quiet", "--", "echo", "[{}]", ":::", "$&"]);
  assertEquals(literal.stdout, "[$&]\n");
});

Deno.test("cli --key-sep takes each task's key from its line", async () => {
  const ran = await cli(["--jsonl", "--key-sep", ":", "--", "echo"], {
    stdin: "alpha:1\nbeta:two:2\n",
  });
  assertEquals(ran.code, 0);
  const results = jsonLines(ran.stdout).sort((a, b) => String(a.key).localeCompare(String(b.key)));
  assertEquals(results.map((r) => [r.key, r.arg, r.stdout]), [["alpha", "1", "1\n"], [
    "beta",
    "two:2",
    "two:2\n",
  ]]);
});

Deno.test("cli --key-sep stops at a duplicate key or a line without the separator, and blames the line, not the tasks", async () => {
  // The first task is still running when the bad line is read: it must end by itself.
  const args = ["--jsonl", "--key-sep", "=", "--", "sleep"];
  const dup = await cli(args, { stdin: "a=0.5\na=2\n" });
  assertEquals(dup.code, 255);
  assertStringIncludes(dup.stderr, 'procrun: input line 2 repeats the key "a" of line 1');
  assertEquals(dup.stderr.includes("Cannot create"), false, dup.stderr);
  const noSep = await cli(args, { stdin: "a=0.5\nplain\n" });
  assertEquals(noSep.code, 255);
  assertStringIncludes(noSep.stderr, 'procrun: input line 2 has no key separator "="');
  const dry = await cli(["--dry-run", "--key-sep", "=", "--", "echo"], { stdin: "a=1\nplain\n" });
  assertEquals(dry.code, 255);
  assertEquals(dry.stdout, "echo 1\n");
  assertStringIncludes(dry.stderr, "input line 2 has no key separator");
  for (const ran of [dup, noSep]) {
    const [result] = jsonLines(ran.stdout);
    assertEquals([result!.key, result!.success, result!.cancelled], ["a", true, false]);
    assertEquals(ran.stderr.includes("cancelled"), false, ran.stderr);
  }
});

Deno.test("cli --shell passes a hostile argument as $1, never as script text", async () => {
  const dir = await tempDir();
  const hostile = [`; touch ${dir}/pwned`, `$(touch ${dir}/pwned2)`, `' && touch ${dir}/pwned3 '`];
  const ran = await cli([
    "--quiet",
    "--keep-order",
    "--shell",
    "--",
    'printf "%s\\n" {}',
    ":::",
    ...hostile,
  ]);
  assertEquals(ran.code, 0, ran.stderr);
  assertEquals(ran.stdout, hostile.map((h) => h + "\n").join(""));
  for (const name of ["pwned", "pwned2", "pwned3"]) {
    assertEquals(await exists(`${dir}/${name}`), false, name);
  }
  // Without {} the argument is still "$1", and the script sees it only there.
  const dollar = await cli(["--quiet", "--shell", "--", 'echo "[$1]" | tr a-z A-Z', ":::", "x; y"]);
  assertEquals(dollar.stdout, "[X; Y]\n");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli --shell keeps a quoted {} one word: \"{}\" and '{}' never glob or split", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/keep.txt`, "x");
  for (const script of ['echo "{}"', "echo '{}'", "echo {}"]) {
    const ran = await cli(["--quiet", "--shell", "--", script, ":::", "*"], { cwd: dir });
    assertEquals(ran.stdout, "*\n", script);
  }
  assertEquals(await exists(`${dir}/keep.txt`), true);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli shortens a huge command line in its failure note and names the command, not setsid", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/args`, "x".repeat(300_000) + "\n");
  const ran = await cli(["-a", `${dir}/args`, "--", "echo"]);
  assertEquals(ran.code, 1);
  assertStringIncludes(ran.stderr, "(300005 characters)");
  assertStringIncludes(ran.stderr, "Failed to spawn 'echo'");
  assertEquals(ran.stderr.includes("setsid"), false);
  assertLess(ran.stderr.length, 2000);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli runs {} as the command word, as GNU parallel does", async () => {
  const ran = await cli(["--quiet", "--keep-order", "--", "{}", "x", ":::", "echo", "printf"]);
  assertEquals(ran.code, 0, ran.stderr);
  assertEquals(ran.stdout, "x\nx");
});

Deno.test("cli without --shell runs no shell: metacharacters stay literal", async () => {
  const ran = await cli(["--quiet", "--", "echo", "$HOME", "*", ":::", "`id`"]);
  assertEquals(ran.stdout, "$HOME * `id`\n");
});

// ---- Function tasks --------------------------------------------------------

Deno.test("cli --module --export calls the function; default output prints answers", async () => {
  const ran = await cli(["--keep-order", "--module", TASKS, "--export", "double", ":::", "1", "2"]);
  assertEquals(ran.code, 0, ran.stderr);
  assertEquals(ran.stdout.trim().split("\n").map((l) => JSON.parse(l)), [
    { key: 1, double: 2, args: ["1"] },
    { key: 2, double: 4, args: ["2"] },
  ]);
});

Deno.test("cli --module survives a function that throws from a timer or leaves a rejection unhandled", async () => {
  const ran = await cli([
    "--jsonl",
    "--module",
    TASKS,
    "--export",
    "throwsFromTimer",
    ":::",
    "timer",
    "reject",
    "a",
    "b",
  ]);
  assertEquals(ran.code, 1, ran.stderr);
  const results = jsonLines(ran.stdout);
  assertEquals(results.length, 4);
  assertEquals(results.every((r) => r.success === true), true);
  assertStringIncludes(ran.stderr, "raised an error outside its tasks: thrown from a timer");
  assertStringIncludes(ran.stderr, "rejected, never awaited");
});

Deno.test("cli --module uses the default export, extra words become arguments, failures count", async () => {
  const ran = await cli(["--json", "--module", TASKS, "--", "pre", ":::", "ok", "bad", "throw"]);
  assertEquals(ran.code, 2);
  const results = JSON.parse(ran.stdout) as Record<string, unknown>[];
  assertEquals(results.map((r) => [r.key, r.success, r.answer, r.exception]), [
    [1, true, "pre ok", null],
    [2, false, "pre bad", null],
    [3, false, null, "RangeError"],
  ]);
});

Deno.test("cli --module refuses a missing module or a non-function export before running", async () => {
  const notFn = await cli(["--module", TASKS, "--export", "notAFunction", ":::", "1"]);
  assertEquals(notFn.code, 255);
  assertMatch(notFn.stderr, /^procrun: --module .* has no function export "notAFunction"/);
  const missing = await cli(["--module", "./no_such_module.ts", ":::", "1"]);
  assertEquals(missing.code, 255);
  assertStringIncludes(missing.stderr, "cannot load --module");
  assertNotMatch(missing.stderr, /\n\s+at /);
});

Deno.test("cli --engine workers runs --module functions in worker threads", async () => {
  const ran = await cli([
    "--engine",
    "workers",
    "-j",
    "2",
    "--json",
    "--module",
    TASKS,
    "--export",
    "double",
    ":::",
    "1",
    "2",
    "3",
  ]);
  assertEquals(ran.code, 0, ran.stderr);
  const results = JSON.parse(ran.stdout) as Record<string, unknown>[];
  assertEquals(results.map((r) => (r.answer as { double: number }).double), [2, 4, 6]);
});

for (const isolation of ["thread", "process"]) {
  Deno.test(`cli --engine workers --isolation ${isolation} stops a stuck function at its timeout and the CLI exits`, async () => {
    const ran = await cli([
      "--engine",
      "workers",
      "--isolation",
      isolation,
      "--timeout",
      "0.5",
      "--module",
      TASKS,
      "--export",
      "spin",
      ":::",
      "1",
    ]);
    assertEquals(ran.code, 1);
    assertLess(ran.seconds, 10);
    assertMatch(ran.stderr, /1 done, 1 failed, 1 timed out/);
    // The scripts' advice to call Deno.exit() is not for CLI users.
    assertEquals(ran.stderr.includes("Deno.exit()"), false, ran.stderr);
  });
}

Deno.test("cli --engine workers --isolation process --memory-limit MIB fails only the task that runs out of memory", async () => {
  const hog = new URL("./fixtures/memory_hog.ts", import.meta.url).pathname;
  const ran = await cli([
    "--engine",
    "workers",
    "--isolation",
    "process",
    "--memory-limit",
    "64",
    "-j",
    "1",
    "--json",
    "--module",
    hog,
    "--export",
    "task",
    ":::",
    "a",
    "hog",
    "b",
  ]);
  assertEquals(ran.code, 1, ran.stderr);
  const results = JSON.parse(ran.stdout) as Record<string, unknown>[];
  assertEquals(results.map((r) => [r.arg, r.success, r.exception]), [
    ["a", true, null],
    ["hog", false, "OutOfMemoryError"],
    ["b", true, null],
  ]);
  assertEquals(results[1]!.error, "the worker process ran out of memory (memoryLimit 64 MiB)");
  // The worker process's own words go on to standard error.
  assertStringIncludes(ran.stderr, "out of memory");
});

Deno.test("cli --timeout marks a synchronous --module function that ran past it as timed out", async () => {
  const ran = await cli([
    "--jsonl",
    "--timeout",
    "0.2",
    "--module",
    TASKS,
    "--export",
    "busyFor",
    ":::",
    "0.6",
    "0",
  ]);
  assertEquals(ran.code, 1, ran.stderr);
  const byArg = Object.fromEntries(jsonLines(ran.stdout).map((r) => [r.arg, r]));
  assertEquals([byArg["0.6"]!.timeout, byArg["0.6"]!.success, byArg["0.6"]!.answer], [
    true,
    false,
    null,
  ]);
  assertEquals([byArg["0"]!.timeout, byArg["0"]!.success], [false, true]);
});

Deno.test("cli --engine workers runs commands with {} replaced", async () => {
  const ran = await cli([
    "--quiet",
    "--engine",
    "workers",
    "--keep-order",
    "--",
    "echo",
    "<{}>",
    ":::",
    "a",
    "b",
  ]);
  assertEquals([ran.code, ran.stdout], [0, "<a>\n<b>\n"]);
});

// ---- Output modes ----------------------------------------------------------

Deno.test("cli default output keeps each task's output whole, never interleaved", async () => {
  const script = 'for i in $(seq 2000); do echo "$1$1$1$1$1$1$1$1"; done';
  const ran = await cli(["--quiet", "-j", "4", "--shell", "--", script, ":::", "a", "b", "c", "d"]);
  assertEquals(ran.code, 0);
  const lines = ran.stdout.trim().split("\n");
  assertEquals(lines.length, 8000);
  // Each task's 2000 lines form one block.
  const blocks = lines.filter((line, i) => i === 0 || line !== lines[i - 1]);
  assertEquals(blocks.sort(), ["aaaaaaaa", "bbbbbbbb", "cccccccc", "dddddddd"]);
});

Deno.test("cli default output sends a task's stderr to stderr and notes failures", async () => {
  const ran = await cli([
    "--shell",
    "--",
    'echo "out $1"; echo "err $1" >&2; exit $1',
    ":::",
    "0",
    "3",
  ]);
  assertEquals(ran.code, 1);
  assertEquals(ran.stdout.split("\n").filter(Boolean).sort(), ["out 0", "out 3"]);
  assertStringIncludes(ran.stderr, "err 0\n");
  assertStringIncludes(ran.stderr, "err 3\n");
  assertMatch(ran.stderr, /procrun: task 2 \(sh -c .* procrun 3\): exit 3\n/);
  assertMatch(ran.stderr, /procrun: 2 done, 1 failed, 0 timed out, [\d.]+ s\n$/);
});

Deno.test("cli prints in completion order, or input order with --keep-order", async () => {
  const args = [
    "--quiet",
    "-j",
    "2",
    "--",
    "sh",
    "-c",
    'sleep "$0"; echo "$0"',
    "{}",
    ":::",
    "0.6",
    "0",
  ];
  const free = await cli(args);
  assertEquals(free.stdout, "0\n0.6\n");
  const ordered = await cli(["--keep-order", ...args]);
  assertEquals(ordered.stdout, "0.6\n0\n");
});

Deno.test("cli --json prints one array of results in task order", async () => {
  const ran = await cli([
    "--json",
    "--",
    "sh",
    "-c",
    'echo "$0"; exit "$0"',
    "{}",
    ":::",
    "0",
    "2",
  ]);
  assertEquals(ran.code, 1);
  const results = JSON.parse(ran.stdout) as Record<string, unknown>[];
  assertEquals(results.length, 2);
  assertEquals(results.map((r) => [r.key, r.arg, r.success, r.returncode, r.stdout]), [
    [1, "0", true, 0, "0\n"],
    [2, "2", false, 2, "2\n"],
  ]);
  for (const field of ["timeStart", "timeEnd", "timeRun", "timeout", "exception", "signal"]) {
    assert(field in results[0]!, field);
  }
});

Deno.test("cli --jsonl prints each result as it ends, flushed at once", async () => {
  // The slow task takes 30 s: its line must not be needed to see the fast one.
  const child = command(["--jsonl", "--timeout", "60", "--", "sleep", ":::", "30", "0"]).spawn();
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    assert(!done);
    text += decoder.decode(value, { stream: true });
  }
  const first = JSON.parse(text.split("\n")[0]!);
  assertEquals([first.key, first.arg, first.success], [2, "0", true]);
  Deno.kill(child.pid, "SIGTERM");
  assertEquals((await child.status).code, 143);
  await reader.cancel();
  await child.stderr.cancel();
});

Deno.test("cli --report prints the readable report, coloured with --color always", async () => {
  const plain = await cli(["--report", "--", "echo", ":::", "hello"]);
  assertEquals(plain.code, 0);
  assertStringIncludes(plain.stdout, "hello");
  assertStringIncludes(plain.stdout, "success");
  assertMatch(plain.stdout, /1 tasks, 1 succeeded, 0 failed/);
  assertEquals(plain.stdout.includes(ESC), false);
  const coloured = await cli(["--report", "--color", "always", "--", "echo", ":::", "hello"]);
  assertStringIncludes(coloured.stdout, ESC);
});

Deno.test("cli --color never/always and NO_COLOR decide colour of notes", async () => {
  const args = ["--", "false", ":::", "x"];
  assertStringIncludes((await cli(["--color", "always", ...args])).stderr, ESC);
  assertEquals((await cli(["--color", "never", ...args])).stderr.includes(ESC), false);
  const auto = await cli(["--color", "auto", ...args], { env: { NO_COLOR: "1" } });
  assertEquals(auto.stderr.includes(ESC), false);
});

Deno.test("cli --color always wins over NO_COLOR, for notes and for --report", async () => {
  const env = { NO_COLOR: "1" };
  const notes = await cli(["--color", "always", "--", "false", ":::", "x"], { env });
  assertStringIncludes(notes.stderr, ESC);
  const report = await cli(["--report", "--color", "always", "--", "echo", ":::", "hi"], { env });
  assertStringIncludes(report.stdout, ESC);
});

Deno.test("cli --quiet prints only the tasks' output", async () => {
  const ran = await cli(["--quiet", "--", "sh", "-c", "echo out; exit 1", ":::", "x"]);
  assertEquals([ran.code, ran.stdout, ran.stderr], [1, "out\n", ""]);
});

Deno.test("cli --progress draws done/total, running, failed, elapsed and ETA on stderr", async () => {
  const ran = await cli(["--progress", "--", "sh", "-c", 'exit "$0"', "{}", ":::", "0", "1", "0"]);
  assertEquals(ran.code, 1);
  assertMatch(ran.stderr, /\[#{20}\] 3\/3 done, 0 running, 1 failed, \d+s elapsed, ETA \d+s/);
  // Not a terminal and not asked: no bar.
  const none = await cli(["--", "true", ":::", "1"]);
  assertNotMatch(none.stderr, /running/);
});

// util-linux `script` (Debian's bsdutils, an essential package) gives the CLI a pseudo-terminal.

Deno.test({
  name: "cli draws the progress bar by itself when stderr is a terminal, and erases it",
  fn: async () => {
    const line = [
      Deno.execPath(),
      "run",
      "-A",
      "--config",
      CONFIG,
      CLI,
      "--",
      "true",
      ":::",
      "1",
      "2",
    ]
      .map((w) => `'${w}'`).join(" ");
    const run = async (extra: string) => {
      const out = await new Deno.Command("/usr/bin/script", {
        args: ["-qec", line.replace(`'${CLI}'`, `'${CLI}' ${extra}`), "/dev/null"],
        stdin: "null",
      }).output();
      return { code: out.code, text: new TextDecoder().decode(out.stdout) };
    };
    const shown = await run("");
    assertEquals(shown.code, 0);
    assertStringIncludes(shown.text, "2/2 done, 0 running, 0 failed");
    // The bar is erased before the summary, which starts a clean line.
    assertStringIncludes(shown.text, "\r\x1b[Kprocrun: 2 done, 0 failed");
    const quiet = await run("--quiet");
    assertEquals(quiet.text.includes("done"), false);
  },
});

/** Runs the CLI with `args` under `script`, which gives it a pseudo-terminal; `input` is typed at it. */
async function onTerminal(args: string[], input = ""): Promise<{ code: number; text: string }> {
  const line = [Deno.execPath(), "run", "-A", "--config", CONFIG, CLI, ...args]
    .map((w) => `'${w}'`).join(" ");
  const child = new Deno.Command("/usr/bin/script", {
    args: ["-qec", line, "/dev/null"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const out = await child.output();
  return { code: out.code, text: new TextDecoder().decode(out.stdout) };
}

Deno.test({
  name: "cli's progress bar knows the total of ::: arguments from its first line",
  fn: async () => {
    const { code, text } = await onTerminal(["-j", "1", "--", "sleep", ":::", "0.5", "0.5"]);
    assertEquals(code, 0);
    // Drawn while the first task runs: with its total, not "0/2+".
    assertStringIncludes(text, "0/2 done, 1 running");
    assertNotMatch(text, /\d\+ done/);
  },
});

Deno.test({
  name: "cli's progress bar never lands inside a task's output, and fits a narrow terminal",
  fn: async () => {
    // Outputs past 1 MiB are copied from their spool files in many writes: the bar's
    // 200 ms redraw used to fire between them, in the middle of a line.
    const line = [Deno.execPath(), "run", "-A", "--config", CONFIG, CLI, "-j", "3", "--"]
      .concat(["sh", "-c", "seq 200000; sleep 0.2", ":::", "1", "2", "3", "4", "5", "6"])
      .map((w) => `'${w}'`).join(" ");
    const out = await new Deno.Command("/usr/bin/script", {
      args: ["-qec", `stty cols 40; ${line}`, "/dev/null"],
      stdin: "null",
      stdout: "piped",
    }).output();
    assertEquals(out.code, 0);
    const text = new TextDecoder().decode(out.stdout);
    // A bar: a carriage return, its text, and "erase to the end of the line".
    const barPattern = new RegExp(String.raw`\r([^\r\n]*)\x1b\[K`, "g");
    const bars = [...text.matchAll(barPattern)];
    assertGreater(bars.filter((bar) => bar[1]!.includes(" done")).length, 2);
    for (const bar of bars) {
      const before = text.slice(0, bar.index);
      assert(
        before === "" || before.endsWith("\n") || before.endsWith("\x1b[K"),
        `a bar drawn inside a line: ${JSON.stringify(before.slice(-20) + bar[0])}`,
      );
      assertLess(bar[1]!.length, 40, `a bar wider than the terminal: ${bar[1]}`);
    }
    const seq = new TextDecoder().decode(
      (await new Deno.Command("seq", { args: ["200000"] }).output()).stdout,
    );
    const written = text.replace(barPattern, "").replaceAll("\r\n", "\n");
    assertEquals(written.slice(0, seq.length * 6) === seq.repeat(6), true);
  },
});

Deno.test({
  name: "cli warns when it reads its tasks from a terminal, as GNU parallel does",
  fn: async () => {
    const typed = await onTerminal(["--quiet", "--", "echo", "got"], "x\n\x04");
    assertEquals(typed.code, 0);
    assertStringIncludes(typed.text, "procrun: reading tasks from the terminal");
    assertStringIncludes(typed.text, "got x");
    // Not when the tasks are given.
    const given = await onTerminal(["--quiet", "--", "echo", "got", ":::", "y"]);
    assertStringIncludes(given.text, "got y");
    assertNotMatch(given.text, /reading tasks from the terminal/);
  },
});

// ---- Timeouts, dry run, joblog ---------------------------------------------

Deno.test("cli --timeout kills a command at its timeout and counts it", async () => {
  const ran = await cli([
    "--jsonl",
    "--timeout",
    "0.5",
    "--",
    "sh",
    "-c",
    "sleep 10 & sleep 10",
    ":::",
    "x",
  ]);
  assertLess(ran.seconds, 5);
  assertEquals(ran.code, 1);
  const [result] = jsonLines(ran.stdout);
  assertEquals([result!.timeout, result!.exception], [true, "TimeoutError"]);
  assertMatch(ran.stderr, /1 done, 1 failed, 1 timed out/);
});

Deno.test("cli --dry-run prints the quoted command lines and runs nothing", async () => {
  const dir = await tempDir();
  const ran = await cli(["--dry-run", "--", "touch", `${dir}/{}`, ":::", "a", "b c", "it's"]);
  assertEquals(ran.code, 0);
  assertEquals(
    ran.stdout,
    [
      `touch ${dir}/a`,
      `touch '${dir}/b c'`,
      `touch '${dir}/it'\\''s'`,
      "",
    ].join("\n"),
  );
  assertEquals([...Deno.readDirSync(dir)], []);
  const shell = await cli(["--dry-run", "--shell", "--", "echo {}", ":::", "; rm -rf ~"]);
  assertEquals(shell.stdout, `sh -c 'echo "$1"' procrun '; rm -rf ~'\n`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli --joblog - writes the joblog to standard output and creates no file named '-'", async () => {
  const dir = await tempDir();
  const ran = await cli(["--joblog", "-", "--", "echo"], { cwd: dir, stdin: "a\n" });
  assertEquals(ran.code, 0, ran.stderr);
  const lines = ran.stdout.trimEnd().split("\n");
  assertEquals(
    lines[0],
    "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand",
  );
  assertEquals(lines.includes("a"), true, ran.stdout);
  const row = lines.find((line) => line.startsWith("1\t"))!.split("\t");
  assertEquals([row[5], row[6], row[7], row[8]], ["2", "0", "0", "echo a"]);
  assertEquals(await exists(`${dir}/-`), false);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli --joblog gives a task killed by another's signal its signal and Exitval 0, as GNU parallel does", async () => {
  const ran = await cli([
    "--joblog",
    "-",
    "--quiet",
    "--",
    "sh",
    "-c",
    "echo x >&2; kill -9 $$",
    "{}",
    ":::",
    "1",
  ]);
  const row = ran.stdout.trimEnd().split("\n")[1]!.split("\t");
  // Receive counts stdout only (the x went to stderr).
  assertEquals([row[5], row[6], row[7]], ["0", "0", "9"]);
});

Deno.test("cli --joblog writes GNU parallel's columns, one line per task", async () => {
  const dir = await tempDir();
  const log = `${dir}/jobs.tsv`;
  const ran = await cli([
    "--joblog",
    log,
    "--timeout",
    "0.5",
    "--keep-order",
    "--",
    "sh",
    "-c",
    'echo "$0"; [ "$0" = slow ] && sleep 10; exit 3',
    "{}",
    ":::",
    "fail",
    "slow",
  ]);
  assertEquals(ran.code, 2);
  const [header, ...rows] = (await Deno.readTextFile(log)).trimEnd().split("\n");
  assertEquals(
    header,
    "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand",
  );
  const cells = rows.map((row) => row.split("\t")).sort((a, b) => Number(a[0]) - Number(b[0]));
  assertEquals(cells.length, 2);
  for (const row of cells) {
    assertEquals(row.length, 9);
    assertEquals(row[1], ":");
    assertMatch(row[2]!, /^\d{10}\.\d{3}$/);
    assertLess(Math.abs(Number(row[2]) - Date.now() / 1000), 60);
    assertMatch(row[3]!, /^ *\d+\.\d{3}$/);
    assertEquals(row[4], "0");
  }
  const [fail, slow] = cells;
  assertEquals([fail![0], fail![5], fail![6], fail![7]], ["1", "5", "3", "0"]);
  assertEquals(fail![8], `sh -c 'echo "$0"; [ "$0" = slow ] && sleep 10; exit 3' fail`);
  assertEquals([slow![0], slow![5], slow![6], slow![7]], ["2", "5", "-1", "15"]);
  assertGreater(Number(slow![3]), 0.4);
  await Deno.remove(dir, { recursive: true });
});

// ---- Exit status -------------------------------------------------------------

Deno.test("cli exits with the number of failed tasks, 101 above 100", async () => {
  assertEquals((await cli(["--quiet", "--", "true", ":::", "1", "2"])).code, 0);
  assertEquals((await cli(["--quiet", "--", "false", ":::", "1", "2", "3"])).code, 3);
  const many = Array.from({ length: 102 }, (_, i) => String(i));
  assertEquals((await cli(["--quiet", "-j", "0", "--", "false", ":::", ...many])).code, 101);
  // A command that cannot start is a failed task too.
  const missing = await cli(["--", "/no/such/procrun-cmd", ":::", "1"]);
  assertEquals(missing.code, 1);
  assertStringIncludes(missing.stderr, "NotFound");
});

Deno.test("cli usage errors print one line naming the option, exit 255, run nothing", async () => {
  const dir = await tempDir();
  const cases: [string[], string][] = [
    [["--bogus"], "unknown option '--bogus'"],
    [["-x"], "unknown option '-x'"],
    [["-j", "two"], "--jobs must be a non-negative integer"],
    [["-j", "1.5"], "--jobs must be a non-negative integer"],
    [["--timeout", "-1"], "--timeout must be a number of seconds >= 0"],
    [["--kill-grace", "abc"], "--kill-grace must be a number of seconds >= 0"],
    [["--engine", "threads"], "--engine must be one of async, workers"],
    [["--isolation", "process"], "--isolation needs --engine workers"],
    [["--engine", "workers", "--isolation", "fork"], "--isolation must be one of thread, process"],
    [["--engine", "workers", "--memory-limit", "64"], "--memory-limit needs --isolation process"],
    [
      ["--engine", "workers", "--isolation", "process", "--memory-limit", "1.5"],
      "--memory-limit must be a whole number of MiB >= 1: got '1.5'",
    ],
    [["--color", "pink"], "--color must be one of auto, always, never"],
    [["--json", "--jsonl"], "--json and --jsonl cannot be used together"],
    [["--arg-file", "x", "--", "touch", `${dir}/a`, ":::", "b"], "':::' and --arg-file"],
    [["--export", "f"], "--export needs --module"],
    [["--joblog"], "--joblog needs a value"],
    [["--engine"], "--engine needs a value"],
    [["-j", "x"], "got 'x'"],
    [["--", "echo hi"], "add --shell"],
  ];
  for (const [args, expected] of cases) {
    const full = args.includes("--") ? args : [...args, "--", "touch", `${dir}/{}`, ":::", "a"];
    const ran = await cli(full);
    assertEquals(ran.code, 255, args.join(" "));
    assertEquals(ran.stdout, "");
    assertEquals(ran.stderr.trimEnd().split("\n").length, 1, ran.stderr);
    assertStringIncludes(ran.stderr, expected);
    assertStringIncludes(ran.stderr, "Try 'procrun --help'.");
  }
  const noCommand = await cli([":::", "a"]);
  assertEquals(noCommand.code, 255);
  assertStringIncludes(noCommand.stderr, "no command given");
  assertEquals([...Deno.readDirSync(dir)], []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli --help shows examples and --version reads deno.json", async () => {
  const help = await cli(["--help"]);
  assertEquals(help.code, 0);
  assertStringIncludes(help.stdout, "procrun -j 4 -- sleep ::: 1 7 2 2 1");
  assertStringIncludes(help.stdout, "Exit status:");
  const version = await cli(["--version"]);
  assertEquals(
    version.stdout,
    `procrun ${denoJson.version}\ncommands start by: posix_spawn (glibc posix_spawn with POSIX_SPAWN_SETSID)\n`,
  );
  const setsid = await cli(["--version"], { env: { PROCRUN_SPAWN: "setsid" } });
  assertMatch(
    setsid.stdout,
    /\ncommands start by: setsid \(the setsid program \(\/\S+\/setsid\)\)\n$/,
  );
  const bad = await cli(["--version"], { env: { PROCRUN_SPAWN: "vfork" } });
  assertStringIncludes(bad.stdout, 'commands cannot start: PROCRUN_SPAWN must be "auto" or one of');
});

// ---- Signals -----------------------------------------------------------------

/** Starts the CLI on a task whose shell and grandchild write their pids to `dir/pids`. */
async function startLongRun(
  dir: string,
  extra: string[] = [],
  script = "sleep 30",
): Promise<{ child: Deno.ChildProcess; pids: number[] }> {
  const child = command([
    ...extra,
    "--shell",
    "--",
    `${script} & echo $$ $! > "$1.tmp"; mv "$1.tmp" "$1"; wait`,
    ":::",
    `${dir}/pids`,
  ]).spawn();
  await waitFor(() => exists(`${dir}/pids`), 10_000, "the task's pid file");
  const pids = (await Deno.readTextFile(`${dir}/pids`)).trim().split(" ").map(Number);
  return { child, pids };
}

async function assertNoneLeft(pids: number[]): Promise<void> {
  await waitFor(
    async () => {
      for (const pid of pids) if (await isAlive(pid)) return false;
      return (await groupMembers(pids[0]!)).length === 0;
    },
    3000,
    "the task's processes to be gone",
  );
}

Deno.test("cli SIGINT kills every task's tree, renders results so far, exits 130", async () => {
  const dir = await tempDir();
  const log = `${dir}/jobs.tsv`;
  const { child, pids } = await startLongRun(dir, ["--jsonl", "--joblog", log]);
  const t0 = performance.now();
  Deno.kill(child.pid, "SIGINT");
  const { code, stdout, stderr } = await child.output();
  assertEquals(code, 130);
  assertLess(performance.now() - t0, 5000);
  await assertNoneLeft(pids);
  const [result] = jsonLines(new TextDecoder().decode(stdout));
  assertEquals([result!.cancelled, result!.success], [true, false]);
  assertStringIncludes(new TextDecoder().decode(stderr), "(stopped by SIGINT)");
  // Killed before it ended: not logged, so that --resume runs it again.
  assertEquals((await Deno.readTextFile(log)).trimEnd().split("\n").length, 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli the Ctrl-C summary counts cancelled tasks as cancelled, not as done or failed", async () => {
  const dir = await tempDir();
  // Four run at once (the default -j 4) and write a file each; the fifth waits.
  const child = command([
    "--shell",
    "--",
    `touch "${dir}/$1"; sleep 30`,
    ":::",
    "a",
    "b",
    "c",
    "d",
    "e",
  ]).spawn();
  await waitFor(
    async () => {
      let n = 0;
      for await (const _ of Deno.readDir(dir)) n++;
      return n === 4;
    },
    10_000,
    "four tasks to start",
  );
  Deno.kill(child.pid, "SIGINT");
  const { code, stderr } = await child.output();
  assertEquals(code, 130);
  const text = new TextDecoder().decode(stderr);
  assertStringIncludes(text, "procrun: 0 done, 0 failed, 0 timed out, 5 cancelled");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli stops quietly with status 141 when its standard output is closed (| head -1)", async () => {
  const dir = await tempDir();
  const child = command([
    "--shell",
    "--",
    // a prints at once, b ends after the reader is gone (its write fails), c and d stay.
    `case "$1" in a) echo a;; b) sleep 1; echo b;; *) echo $$ > "${dir}/$1"; exec sleep 30;; esac`,
    ":::",
    "a",
    "b",
    "c",
    "d",
  ]).spawn();
  const stdout = child.stdout.getReader();
  await stdout.read(); // the first line, then the reader goes away, as head's does
  await stdout.cancel();
  const t0 = performance.now();
  const { code } = await child.status;
  const stderr = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
  assertEquals(code, 141, stderr);
  assertLess(performance.now() - t0, 10_000);
  assertEquals(/procrun: .*(error|closed)/i.test(stderr), false, stderr);
  for await (const entry of Deno.readDir(dir)) {
    const pid = Number(await Deno.readTextFile(`${dir}/${entry.name}`));
    await waitFor(async () => !(await isAlive(pid)), 3000, `task ${entry.name} to be killed`);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli SIGHUP (terminal or ssh session gone) stops the run like SIGTERM and exits 129", async () => {
  const dir = await tempDir();
  const { child, pids } = await startLongRun(dir, ["--quiet"]);
  Deno.kill(child.pid, "SIGHUP");
  assertEquals((await child.output()).code, 129);
  await assertNoneLeft(pids);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli SIGTERM stops the run and exits 143", async () => {
  const dir = await tempDir();
  const { child, pids } = await startLongRun(dir, ["--quiet"]);
  Deno.kill(child.pid, "SIGTERM");
  assertEquals((await child.output()).code, 143);
  await assertNoneLeft(pids);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli a second SIGINT exits at once, even while a task ignores SIGTERM", async () => {
  const dir = await tempDir();
  // The shell and its grandchild ignore SIGTERM; the kill grace is long.
  const { child, pids } = await startLongRun(
    dir,
    ["--kill-grace", "30"],
    'trap "" TERM; sleep 30',
  );
  const stderr = child.stderr.getReader();
  Deno.kill(child.pid, "SIGINT");
  // Handshake: the CLI says when it has handled the first signal.
  await readUntil(stderr, /SIGINT received/);
  assert(await isAlive(pids[1]!), "the grandchild ignores SIGTERM");
  const t0 = performance.now();
  Deno.kill(child.pid, "SIGINT");
  assertEquals((await child.status).code, 130);
  await stderr.cancel();
  await child.stdout.cancel();
  assertLess(performance.now() - t0, 3000);
  await assertNoneLeft(pids);
  await Deno.remove(dir, { recursive: true });
});

// ---- Retries, halt, resume ---------------------------------------------------

/** A --shell command that counts its runs in the file named by its argument and fails until the `n`th. */
const failsUntil = (n: number) =>
  `k=$(($(cat "$1" 2>/dev/null || echo 0) + 1)); echo $k > "$1"; echo "run $k"; [ $k -ge ${n} ]`;

Deno.test("cli --retries 3 makes a task that fails twice succeed at its 3rd attempt; --retries 2 fails it after 2", async () => {
  const dir = await tempDir();
  try {
    for (const [retries, code] of [[3, 0], [2, 1]] as const) {
      const file = `${dir}/count${retries}`;
      const ran = await cli([
        "--jsonl",
        "--retries",
        String(retries),
        "--shell",
        "--",
        failsUntil(3),
        ":::",
        file,
      ]);
      assertEquals(ran.code, code, ran.stderr);
      const [result] = jsonLines(ran.stdout);
      assertEquals([result!.attempts, result!.stdout], [retries, `run ${retries}\n`]);
      assertEquals((result!.earlierAttempts as unknown[]).length, retries - 1);
      assertEquals(await Deno.readTextFile(file), `${retries}\n`);
    }
    // --retry-delay waits before each retry (0.3 s, then 0.6 s).
    const t0 = performance.now();
    const ran = await cli([
      "--quiet",
      "--retries",
      "3",
      "--retry-delay",
      "0.3",
      "--",
      "false",
      ":::",
      "x",
    ]);
    assertEquals(ran.code, 1);
    assertGreaterOrEqual(performance.now() - t0, 850);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli --halt now,fail=1 on 100 tasks whose 5th fails: nothing left running, the rest reported not run, the task's own exit code", async () => {
  const marker = `procrun-cli-halt-${crypto.randomUUID()}`;
  const args = Array.from({ length: 100 }, (_, i) => [30, 30, 30, 0, "fail"][i] ?? 0);
  const ran = await cli([
    "--jsonl",
    "--halt",
    "now,fail=1",
    "-j",
    "4",
    "--kill-grace",
    "0.5",
    "--shell",
    "--",
    `[ "$1" = fail ] && exit 7; sleep "$1"; : ${marker}`,
    ":::",
    ...args.map(String),
  ]);
  assertEquals(ran.code, 7, ran.stderr);
  assertLess(ran.seconds, 15);
  const results = jsonLines(ran.stdout);
  const byKey = new Map(results.map((result) => [result.key, result]));
  assertEquals(byKey.get(5)!.returncode, 7);
  for (const key of [1, 2, 3]) {
    assertEquals(byKey.get(key)!.error, "halted: 1 task failed (halt now,fail=1)");
  }
  const notRun = results.filter((result) => result.timeStart === null);
  assert(notRun.length >= 1);
  for (const result of notRun) {
    assertEquals(
      result.error,
      "cancelled before it started (halted: 1 task failed (halt now,fail=1))",
    );
  }
  assertStringIncludes(ran.stderr, "procrun: halted (--halt now,fail=1) after task 5");
  const { stdout } = await new Deno.Command("ps", { args: ["-A", "-o", "args="], stdout: "piped" })
    .output();
  assertEquals(new TextDecoder().decode(stdout).includes(marker), false, "a task still runs");
});

Deno.test("cli --halt: soon lets running tasks end, success exits 0, fail=N exits with the count, 2 is now,fail=1", async () => {
  const soon = await cli([
    "--halt",
    "soon,fail=2",
    "-j",
    "1",
    "--",
    "sh",
    "-c",
    'exit "$0"',
    ":::",
    "1",
    "0",
    "1",
    "0",
  ]);
  assertEquals(soon.code, 2);
  assertStringIncludes(
    soon.stderr,
    "procrun: halted (--halt soon,fail=2) after task 3: no more tasks were started",
  );
  const success = await cli([
    "--quiet",
    "--halt",
    "now,success=1",
    "-j",
    "1",
    "--",
    "sh",
    "-c",
    'exit "$0"',
    ":::",
    "1",
    "0",
    "1",
  ]);
  assertEquals(success.code, 0);
  const legacy = await cli([
    "--quiet",
    "--halt",
    "2",
    "--",
    "sh",
    "-c",
    "kill -TERM $$",
    ":::",
    "x",
  ]);
  assertEquals(legacy.code, 128 + 15, "fail=1 gives the signal as 128 + its number");
});

Deno.test("cli --joblog +FILE appends to the joblog, with its header once", async () => {
  const dir = await tempDir();
  try {
    const log = `${dir}/log.tsv`;
    for (const word of ["a", "b"]) {
      assertEquals((await cli(["--joblog", `+${log}`, "--", "true", ":::", word])).code, 0);
    }
    const lines = (await Deno.readTextFile(log)).trimEnd().split("\n");
    assertEquals(lines.length, 3);
    assertStringIncludes(lines[0]!, "Seq\tHost");
    assertEquals(lines.slice(1).map((line) => line.split("\t").at(-1)), ["true a", "true b"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli --resume after a SIGINT at about half of 1,000 tasks runs each task exactly once across both runs", async () => {
  const dir = await tempDir();
  try {
    const log = `${dir}/log.tsv`;
    // Each task ignores SIGTERM, so that a task the interruption reaches still ends by itself.
    const script = `trap "" TERM INT HUP; sleep 0.01; echo x >> "$1"`;
    const words = Array.from({ length: 1000 }, (_, i) => `${dir}/t${i + 1}`);
    const args = ["--quiet", "-j", "8", "--joblog", log, "--shell", "--", script, ":::", ...words];
    const child = command(args).spawn();
    const count = () => [...Deno.readDirSync(dir)].filter((e) => e.name.startsWith("t")).length;
    await waitFor(() => count() >= 400, 60_000, "400 tasks to run");
    Deno.kill(child.pid, "SIGINT");
    assertEquals((await child.output()).code, 130);
    const first = count();
    assert(first < 1000, `all ${first} ran before the SIGINT`);
    const again = await cli(["--resume", ...args]);
    assertEquals(again.code, 0, again.stderr);
    for (const word of words) assertEquals(await Deno.readTextFile(word), "x\n", word);
    const seqs = (await Deno.readTextFile(log)).trimEnd().split("\n").slice(1).map((l) =>
      l.split("\t")[0]
    );
    assertEquals(new Set(seqs).size, 1000);
    assertEquals(seqs.length, 1000, "a task was logged twice");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli --resume-failed runs again the failed tasks, --resume none; a changed command runs again and is said", async () => {
  const dir = await tempDir();
  try {
    const log = `${dir}/log.tsv`;
    const run = (extra: string[], script: string) =>
      cli([...extra, "--joblog", log, "--shell", "--", script, ":::", `${dir}/a`, `${dir}/b`]);
    const counts = async () => [
      await Deno.readTextFile(`${dir}/a`),
      await Deno.readTextFile(`${dir}/b`),
    ];
    // Both fail at their first run only.
    assertEquals((await run([], failsUntil(2))).code, 2);
    assertEquals((await run(["--resume"], failsUntil(2))).code, 0);
    assertEquals(await counts(), ["1\n", "1\n"], "--resume ran a logged task");
    assertEquals((await run(["--resume-failed"], failsUntil(2))).code, 0);
    assertEquals(await counts(), ["2\n", "2\n"]);
    assertEquals((await run(["--resume-failed"], failsUntil(2))).code, 0);
    assertEquals(await counts(), ["2\n", "2\n"], "--resume-failed ran a task that succeeded");
    // The command changed: GNU parallel would skip by Seq alone.
    const changed = await run(["--resume"], `echo changed >> "$1"`);
    assertEquals(changed.code, 0);
    assertStringIncludes(changed.stderr, "procrun: task 1 ran ");
    assertStringIncludes(changed.stderr, "but is now ");
    assertStringIncludes(await Deno.readTextFile(`${dir}/a`), "changed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---- Input sources and replacement strings, against GNU parallel ------------

const hasParallel = installed("parallel");

/**
 * Runs `args` with procrun (-k) and checks its output against `expected`,
 * which is what GNU parallel 20221122 printed for the same line; where GNU
 * parallel is installed (.ci/run installs it and sets PROCRUN_WITH_PARALLEL
 * so that its absence fails), against what it prints now, too.
 */
async function sameAsParallel(args: string[], expected: string, stdin?: string): Promise<void> {
  const run = async (program: string, prefix: string[]) => {
    const child = new Deno.Command(program, {
      args: [...prefix, ...args],
      stdin: stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(stdin));
      await writer.close();
    }
    const { stdout, stderr } = await child.output();
    return new TextDecoder().decode(stdout) || new TextDecoder().decode(stderr);
  };
  const ours = await run(Deno.execPath(), ["run", "-A", "--config", CONFIG, CLI, "--quiet", "-k"]);
  assertEquals(ours, expected, args.join(" "));
  if (!hasParallel) {
    if (Deno.env.get("PROCRUN_WITH_PARALLEL")) throw new Error("GNU parallel is not installed");
    return;
  }
  // Its -q quotes the command, so that it runs the same words as procrun, without a shell.
  assertEquals(ours, await run("parallel", ["--will-cite", "-k", "-q"]), `GNU: ${args.join(" ")}`);
}

const lines = (text: string) => text.replaceAll(";", "\n");

Deno.test("cli's replacement strings give what GNU parallel's do, edge cases included", async () => {
  const paths = ["a", "dir.x/file", "a/b.tar.gz", "/abs/f.c", ".hidden", "a/.b", "x/", "a//b/"];
  await sameAsParallel(
    ["echo", "{}|{.}|{/}|{//}|{/.}|{#}", ":::", ...paths],
    lines(
      "a|a|a|.|a|1;dir.x/file|dir.x/file|file|dir.x|file|2;a/b.tar.gz|a/b.tar|b.tar.gz|a|b.tar|3;" +
        "/abs/f.c|/abs/f|f.c|/abs|f|4;.hidden||.hidden|.||5;a/.b|a/|.b|a||6;x/|x/||.||7;" +
        "a//b/|a//b/||a||8;",
    ),
  );
  await sameAsParallel(
    ["echo", "{1/.}", "{2//}", "{-1}", "{1.}", "{2/}", ":::", "x/y.z", "w.v", ":::", "p/q/r"],
    lines("y p/q p/q/r x/y r;w p/q p/q/r w r;"),
  );
  // {} over several values is several words, as GNU parallel's quoting makes it.
  await sameAsParallel(["printf", "[%s]", "x{}y", ":::", "a", "b", ":::", "1"], "[xa][1y][xb][1y]");
  // {} may be the command word.
  await sameAsParallel(["{}", ":::", "echo", "true"], "\n");
});

Deno.test("cli's input sources combine as GNU parallel's: :::, ::::, :::+, ::::+, --link, -a twice", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/f1`, "1\n2\n3\n");
    await Deno.writeTextFile(`${dir}/f2`, "x\ny\n");
    const cases: [string[], string][] = [
      [["echo", ":::", "a", "b", ":::", "1", "2", "3"], "a 1;a 2;a 3;b 1;b 2;b 3;"],
      [["echo", "{2}-{1}", ":::", "a", "b", ":::", "1", "2"], "1-a;2-a;1-b;2-b;"],
      [["echo", ":::", "a", "b", "c", ":::+", "1", "2"], "a 1;b 2;"],
      [["--link", "echo", ":::", "a", "b", "c", ":::", "1", "2"], "a 1;b 2;c 1;"],
      [["echo", "::::", `${dir}/f1`, ":::", "p", "q"], "1 p;1 q;2 p;2 q;3 p;3 q;"],
      [["echo", "::::", `${dir}/f1`, "::::+", `${dir}/f2`], "1 x;2 y;"],
      [["echo", ":::", "a", ":::", "b", "c", ":::+", "d", "e"], "a b d;a c e;"],
      [["-a", `${dir}/f1`, "-a", `${dir}/f2`, "echo"], "1 x;1 y;2 x;2 y;3 x;3 y;"],
    ];
    for (const [args, expected] of cases) await sameAsParallel(args, lines(expected));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli -N n gives each task n input values, as GNU parallel's -N", async () => {
  await sameAsParallel(
    ["-N2", "echo", "{1}+{2}", ":::", "a", "b", "c", "d", "e"],
    lines("a+b;c+d;e+;"),
  );
  await sameAsParallel(["-N", "2", "echo"], lines("a b;c;"), "a\nb\nc\n");
});

Deno.test("cli --tag and --tagstring put a tag and a tab before each output line, as GNU parallel", async () => {
  await sameAsParallel(["--tag", "echo", ":::", "a", "b", ":::", "1"], "a 1\ta 1\nb 1\tb 1\n");
  await sameAsParallel(
    ["--tagstring", "<{2}>", "echo", ":::", "a", ":::", "1", "2"],
    "<1>\ta 1\n<2>\ta 2\n",
  );
  // Past 1 MiB the output comes from a temporary file: every line is tagged still.
  const ran = await command(["--quiet", "--tag", "--", "seq", ":::", "300000"]).output();
  const out = new TextDecoder().decode(ran.stdout).trimEnd().split("\n");
  assertEquals(out.length, 300000);
  assert(out.every((line, i) => line === `300000\t${i + 1}`));
});

/** Every file under `dir` with its content, by relative path. */
async function tree(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const walk = async (at: string) => {
    for await (const entry of Deno.readDir(at)) {
      const path = `${at}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else files[path.slice(dir.length + 1)] = await Deno.readTextFile(path);
    }
  };
  await walk(dir);
  return files;
}

Deno.test("cli --results DIR writes each task's seq, stdout and stderr in GNU parallel's layout", async () => {
  const dir = await tempDir();
  try {
    const args = [
      "--results",
      "",
      "--shell",
      "--",
      "echo out {1}; echo err {2} >&2",
      ":::",
      "a",
      "x/y",
      ":::",
      "1",
    ];
    const run = async (out: string, gnu: boolean) => {
      const line = args.map((arg) => arg === "" ? out : arg);
      if (!gnu) return (await cli(["--quiet", ...line])).code;
      const shell = line.filter((arg) => arg !== "--shell" && arg !== "--");
      return (await new Deno.Command("parallel", {
        args: ["--will-cite", ...shell],
        stdout: "null",
      }).output()).code;
    };
    assertEquals(await run(`${dir}/ours`, false), 0);
    const ours = await tree(`${dir}/ours`);
    assertEquals(ours, {
      "1/a/2/1/seq": "1",
      "1/a/2/1/stdout": "out a\n",
      "1/a/2/1/stderr": "err 1\n",
      "1/x\\_y/2/1/seq": "2",
      "1/x\\_y/2/1/stdout": "out x/y\n",
      "1/x\\_y/2/1/stderr": "err 1\n",
    });
    if (hasParallel) {
      assertEquals(await run(`${dir}/gnu`, true), 0);
      assertEquals(ours, await tree(`${dir}/gnu`));
    } else if (Deno.env.get("PROCRUN_WITH_PARALLEL")) {
      throw new Error("GNU parallel is not installed");
    }
    // Where GNU parallel would leave DIR (a value of ..), procrun quotes.
    assertEquals(
      (await cli(["--quiet", "--results", `${dir}/safe`, "--", "true", ":::", ".."])).code,
      0,
    );
    assertEquals(Object.keys(await tree(`${dir}/safe`)).sort(), [
      "1/\\.\\./seq",
      "1/\\.\\./stderr",
      "1/\\.\\./stdout",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli {%} is the task's job slot: 1 to -j, never two running tasks with the same", async () => {
  const dir = await tempDir();
  try {
    // mkdir fails if a running task holds the same slot.
    const script =
      `mkdir "{}/slot-{%}" && echo {%} >> "{}/used" && sleep 0.05 && rmdir "{}/slot-{%}"`;
    const ran = await cli([
      "-j",
      "3",
      "--joblog",
      `${dir}/log`,
      "--shell",
      "--",
      script,
      ":::",
      ...Array(12).fill(dir),
    ]);
    assertEquals(ran.code, 0, ran.stderr);
    const used = (await Deno.readTextFile(`${dir}/used`)).trim().split("\n");
    assertEquals(used.length, 12);
    assertEquals([...new Set(used)].sort(), ["1", "2", "3"]);
    // The joblog's Command has the slot in it.
    const commands = (await Deno.readTextFile(`${dir}/log`)).trim().split("\n").slice(1);
    assert(commands.every((line) => /procrun '?\S+'? [123]$/.test(line)), commands[0]);
    assertStringIncludes(
      (await cli(["--engine", "workers", "--", "echo", "{%}", ":::", "a"])).stderr,
      "{%} (the job slot) needs --engine async",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli --timeout P% stops a task that runs past P% of the median run time of those that succeeded", async () => {
  const ran = await cli([
    "--jsonl",
    "-j",
    "1",
    "--timeout",
    "300%",
    "--kill-grace",
    "0.2",
    "--",
    "sleep",
    ":::",
    "0.2",
    "0.2",
    "0.2",
    "30",
    "0.2",
  ]);
  assertEquals(ran.code, 1, ran.stderr);
  const results = jsonLines(ran.stdout);
  assertEquals(results.map((r) => r.timeout), [false, false, false, true, false]);
  // 300% of 0.2 s: the slow one was stopped near 0.6 s, not at 30 s.
  assertLess(results[3]!.timeRun as number, 5);
  assertStringIncludes(results[3]!.error as string, "timed out after 0.");
});

Deno.test("cli --line-buffer writes each task's lines as they come, whole, tagged with --tag", async () => {
  const dir = await tempDir();
  try {
    // a writes a1, waits for b's first line, writes a2; b waits for a1 first.
    const wait = (file: string) => `while [ ! -e "${dir}/${file}" ]; do sleep 0.01; done`;
    const scripts = {
      a: `echo a1; touch "${dir}/a1"; ${wait("b1")}; echo a2`,
      b: `${wait("a1")}; echo b1; touch "${dir}/b1"; sleep 0.3; printf b2`,
    };
    const ran = await cli([
      "--quiet",
      "--line-buffer",
      "--tag",
      "--shell",
      "--",
      'eval "$1"',
      ":::",
      scripts.a,
      scripts.b,
    ]);
    assertEquals(ran.code, 0, ran.stderr);
    const lines = ran.stdout.split("\n").map((line) => line.slice(line.lastIndexOf("\t") + 1));
    assertEquals(lines, ["a1", "b1", "a2", "b2"]);
    assert(ran.stdout.split("\n").every((line) => line.includes("\t")), "every line is tagged");
    const refused = await cli(["--line-buffer", "--jsonl", "--", "true", ":::", "x"]);
    assertStringIncludes(refused.stderr, "--line-buffer and --jsonl cannot be used together");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli --delay waits between the starts of two tasks", async () => {
  const ran = await cli([
    "--jsonl",
    "--delay",
    "0.3",
    "-j",
    "4",
    "--",
    "true",
    ":::",
    "1",
    "2",
    "3",
  ]);
  const starts = jsonLines(ran.stdout).map((r) => Date.parse(r.timeStart as string)).sort();
  assertGreaterOrEqual(starts[1]! - starts[0]!, 280);
  assertGreaterOrEqual(starts[2]! - starts[1]!, 280);
});

Deno.test("cli reads --colsep columns, -0 and -d items from its input as GNU parallel does", async () => {
  await sameAsParallel(
    ["--colsep", "\\t", "echo", "{2}/{1}"],
    lines("c/a b;e/d;"),
    "a b\tc\nd\te\n",
  );
  await sameAsParallel(["--colsep", ",+", "echo", "{3}", "{1}"], lines("c a;"), "a,,b,c\n");
  await sameAsParallel(["-0", "printf", "<%s>"], "<a><b c>", "a\0b c\0");
  await sameAsParallel(["-d", ",", "echo", "[{}]"], lines("[a];[b c];[d];"), "a,b c,d");
});

Deno.test("cli --shell gives every replacement string to sh as one word, inside quotes too", async () => {
  const hostile = [`a b`, `c'd`, `$(echo pwned)`, `"e"; echo f`];
  const ran = await cli([
    "-k",
    "--shell",
    "--",
    `printf '[%s]' {1} "{2}" '{1/}' {#}; echo`,
    ":::",
    ...hostile.slice(0, 2),
    ":::",
    ...hostile.slice(2),
  ]);
  assertEquals(ran.code, 0, ran.stderr);
  assertEquals(ran.stdout.trimEnd().split("\n"), [
    `[a b][$(echo pwned)][a b][1]`,
    `[a b]["e"; echo f][a b][2]`,
    `[c'd][$(echo pwned)][c'd][3]`,
    `[c'd]["e"; echo f][c'd][4]`,
  ]);
});

Deno.test("cli -t prints each command line on stderr as its task starts, as GNU parallel's -t", async () => {
  const ran = await cli(["-t", "--quiet", "-j", "1", "--", "echo", "x{}", ":::", "a b", "c"]);
  assertEquals(ran.code, 0);
  assertEquals(ran.stdout, "xa b\nxc\n");
  assertEquals(ran.stderr, "echo 'xa b'\necho xc\n");
});

Deno.test("cli -q quotes --shell's command words, as GNU parallel's -q", async () => {
  const ran = await cli([
    "-q",
    "--quiet",
    "--shell",
    "--",
    "printf",
    "<%s>",
    "$HOME",
    "{}",
    ":::",
    "a b",
  ]);
  assertEquals(ran.stdout, "<$HOME><a b>");
});

Deno.test("cli -S runs commands on the hosts given over ssh, and the joblog's Host column says where", async () => {
  const dir = await tempDir();
  const sshd = await startSshd(dir);
  try {
    const ran = await cli([
      "-k",
      "--quiet",
      "-S",
      `1/${sshd.login},1/:`,
      "--ssh",
      sshd.ssh.join(" "),
      "--joblog",
      "-",
      "--shell",
      "--",
      'echo "{}:${SSH_CONNECTION:+remote}:"; sleep 0.3',
      ":::",
      "a",
      "b",
      "c",
      "d",
    ]);
    assertEquals(ran.code, 0, ran.stderr);
    const lines = ran.stdout.trimEnd().split("\n");
    const log = lines.filter((line) => /^\d+\t/.test(line)).map((line) => line.split("\t"));
    assertEquals(log.length, 4);
    assertEquals(new Set(log.map((fields) => fields[1])), new Set([sshd.login, ":"]));
    for (const fields of log) {
      const output = lines.find((line) => line.startsWith(`${"abcd"[Number(fields[0]) - 1]}:`))!;
      assertEquals(output.endsWith(":remote:"), fields[1] !== ":", output);
    }
    const refused = await cli(["-S", "host", "--module", TASKS, ":::", "a"]);
    assertStringIncludes(refused.stderr, "--sshlogin runs commands: not with --module");
  } finally {
    await sshd.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli --sshloginfile is read again while the run goes on: hosts join and leave mid-run", async () => {
  const dir = await tempDir();
  const [a, b] = [await startSshd(dir), await startSshd(dir)];
  try {
    const file = `${dir}/hosts`;
    await Deno.writeTextFile(file, `# the first host\n1/${a.login}\n`);
    const child = command(
      [
        "--quiet",
        "--sshloginfile",
        file,
        "--ssh",
        a.ssh.join(" "),
        "--joblog",
        "-",
        "--",
        "sleep",
        ":::",
        ...Array(8).fill("0.4"),
      ],
    ).spawn();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await Deno.writeTextFile(file, `1/${b.login}, # a comma list too\n`);
    const { code, stdout } = await child.output();
    assertEquals(code, 0);
    const hosts = new TextDecoder().decode(stdout).trim().split("\n").slice(1)
      .map((line) => line.split("\t")[1]);
    assertEquals(hosts.length, 8);
    assertEquals(new Set(hosts), new Set([a.login, b.login]));
    assert(hosts.filter((host) => host === a.login).length <= 4, hosts.join(" "));
  } finally {
    await a.stop();
    await b.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
