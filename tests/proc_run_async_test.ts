import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertLess,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { delay } from "@std/async/delay";
import { ProcRunAsync } from "../src/proc_run_async.ts";
import type { ProcResult } from "../src/result.ts";
import type { Task, TaskReturn } from "../src/types.ts";
import { deno, groupMembers, isAlive, waitFor } from "./_helpers.ts";

const SH = "/bin/sh";

function* lazy<T>(items: T[]): Generator<T> {
  yield* items;
}

const ok = (_key: unknown, args: unknown[]): [boolean, unknown] => [true, args.at(-1)];

Deno.test("ProcRunAsync.runAll() appends each task's argument to the command", async () => {
  const run = new ProcRunAsync(["echo", "hello"], [["a", "one"], ["b", 2], ["c", "x y"]]);
  const results = await run.runAll();
  assertEquals(results, run.results);
  assertEquals(results.map((r) => r.key), ["a", "b", "c"]);
  assertEquals(results.map((r) => r.stdout), ["hello one\n", "hello 2\n", "hello x y\n"]);
  for (const r of results) {
    assertEquals(r.success, true);
    assertEquals(r.returncode, 0);
    assertEquals(r.exception, null);
    assertEquals(r.timeout, false);
    assertEquals(r.stderr, "");
    assert(r.timeStart instanceof Date && r.timeEnd instanceof Date);
    assertGreaterOrEqual(r.timeEnd!.getTime(), r.timeStart!.getTime());
    assertGreaterOrEqual(r.timeRun, 0);
  }
  assert(run.timeStart instanceof Date && run.timeEnd instanceof Date);
  assertGreaterOrEqual(run.timeRun, 0);
});

Deno.test("ProcRunAsync.runAll() reports a non-zero exit as a failure with its code and output", async () => {
  const run = new ProcRunAsync([SH, "-c", 'echo out; echo err >&2; exit "$0"'], [[1, 3], [2, 0]]);
  const [failed, ok] = await run.runAll();
  assertEquals(failed!.success, false);
  assertEquals(failed!.returncode, 3);
  assertEquals(failed!.exception, null);
  assertEquals(failed!.signal, null);
  assertEquals(failed!.stdout, "out\n");
  assertEquals(failed!.stderr, "err\n");
  assertEquals(ok!.success, true);
});

Deno.test("ProcRunAsync.runAll() reports a command killed by a signal it did not get from procrun", async () => {
  const run = new ProcRunAsync([SH, "-c", "kill -KILL $$"], [[1, ""]]);
  const [result] = await run.runAll();
  assertEquals(result!.success, false);
  assertEquals(result!.signal, "SIGKILL");
  assertEquals(result!.returncode, null);
  assertEquals(result!.timeout, false);
});

Deno.test("ProcRunAsync.runAll() gives a missing or non-executable command one failed result per task", async () => {
  const dir = await Deno.makeTempDir();
  const notExecutable = `${dir}/script.sh`;
  await Deno.writeTextFile(notExecutable, "#!/bin/sh\necho hi\n", { mode: 0o644 });
  for (
    const [command, name] of [
      [`${dir}/missing`, "NotFound"],
      [notExecutable, "PermissionDenied"],
    ]
  ) {
    const run = new ProcRunAsync([command!], [[1, "a"], [2, "b"]]);
    const results = await run.runAll();
    assertEquals(results.length, 2);
    for (const r of results) {
      assertEquals(r.success, false);
      assertEquals(r.exception, name);
      assertStringIncludes(r.error!, "Failed to spawn");
      assertEquals(r.returncode, null);
    }
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ProcRunAsync.runAll() runs a command given as a file URL", async () => {
  const run = new ProcRunAsync([new URL("file:///bin/echo")], [[1, "url"]]);
  const [result] = await run.runAll();
  assertEquals(result!.stdout, "url\n");
});

Deno.test("ProcRunAsync.runAll() calls a function with key, [...args, arg] and a signal", async () => {
  const calls: unknown[] = [];
  const fn = (key: unknown, args: unknown[], signal: AbortSignal): TaskReturn => {
    calls.push([key, args, signal instanceof AbortSignal]);
    return [true, `${key}:${args.join(",")}`];
  };
  const run = new ProcRunAsync([fn, "p1", "p2"], [["k1", 1], ["k2", 2]]);
  const results = await run.runAll();
  assertEquals(calls, [["k1", ["p1", "p2", 1], true], ["k2", ["p1", "p2", 2], true]]);
  assertEquals(results.map((r) => [r.success, r.answer, r.timeout]), [
    [true, "k1:p1,p2,1", false],
    [true, "k2:p1,p2,2", false],
  ]);
});

Deno.test("ProcRunAsync.runAll() turns a function's [false, answer] into a failure that keeps the answer", async () => {
  const run = new ProcRunAsync([async () => await Promise.resolve([false, "why"] as const)], [[
    1,
    0,
  ]]);
  const [result] = await run.runAll();
  assertEquals(result!.success, false);
  assertEquals(result!.answer, "why");
  assertEquals(result!.exception, null);
  assertEquals(result!.timeout, false);
});

Deno.test("ProcRunAsync.runAll() records what a function throws, rejects or wrongly returns", async () => {
  class CustomError extends Error {
    override name = "CustomError";
  }
  const fn = async (key: unknown): Promise<TaskReturn> => {
    switch (key) {
      case "throw":
        throw new RangeError("bad range");
      case "reject":
        await delay(10);
        throw new CustomError("custom");
      case "string":
        throw "just a string";
      case "not-pair":
        return 42 as unknown as TaskReturn;
      case "not-boolean":
        return ["yes", 1] as unknown as TaskReturn;
      default:
        return [true, key];
    }
  };
  const keys = ["throw", "reject", "string", "not-pair", "not-boolean", "ok"];
  const run = new ProcRunAsync([fn], keys.map((k): Task => [k, null]));
  const results = await run.runAll();
  assertEquals(results.map((r) => [r.key, r.success, r.exception]), [
    ["throw", false, "RangeError"],
    ["reject", false, "CustomError"],
    ["string", false, "Error"],
    ["not-pair", false, "TypeError"],
    ["not-boolean", false, "TypeError"],
    ["ok", true, null],
  ]);
  assertEquals(results[0]!.error, "bad range");
  assertEquals(results[1]!.error, "custom");
  assertEquals(results[2]!.error, "just a string");
  assertStringIncludes(results[3]!.error!, "must return [success: boolean, answer]: got 42");
});

Deno.test("ProcRunAsync.runAll() times out a command, keeps its output and kills its whole tree on time", async () => {
  // The grandchild `sleep 30 &` holds the output pipe open: pipe EOF alone would wait 30 s.
  const run = new ProcRunAsync(
    [SH, "-c", 'echo "pgid $$"; echo partial >&2; sleep 30 & sleep "$0"'],
    [[1, 30]],
    { timeout: 0.5 },
  );
  const t0 = performance.now();
  const [result] = await run.runAll();
  const elapsed = performance.now() - t0;
  assertLess(elapsed, 3000);
  assertEquals(result!.timeout, true);
  assertEquals(result!.success, false);
  assertEquals(result!.exception, "TimeoutError");
  assertEquals(result!.error, "timed out after 0.5 s");
  assertEquals(result!.signal, "SIGTERM");
  assertEquals(result!.returncode, null);
  assertStringIncludes(result!.stdout, "pgid ");
  assertEquals(result!.stderr, "partial\n");
  assertGreaterOrEqual(result!.timeRun, 0.5);
  const pgid = Number(result!.stdout.match(/pgid (\d+)/)![1]);
  await waitFor(async () => (await groupMembers(pgid)).length === 0, 2000, "the group to die");
});

Deno.test("ProcRunAsync.runAll() returns a timed-out result at deadline plus grace though a grandchild in its own session holds the pipes, and kills that grandchild too", async () => {
  // `setsid` takes the grandchild out of the command's process group: the group kill misses it.
  const script =
    'echo start; setsid sh -c \'echo "escaped $$"; trap "" TERM; exec sleep 30\' & sleep 30';
  const run = new ProcRunAsync([SH, "-c", script], [[1, "x"]], { timeout: 0.5, killGrace: 0.5 });
  const t0 = performance.now();
  const [result] = await run.runAll();
  const elapsed = performance.now() - t0;
  const pid = Number(result!.stdout.match(/escaped (\d+)/)?.[1]);
  try {
    assertLess(elapsed, 10_000, "the result waited for the escaped grandchild (30 s)");
    assertEquals([result!.timeout, result!.exception], [true, "TimeoutError"]);
    assertStringIncludes(result!.stdout, "start\n");
    assert(pid > 0, result!.stdout);
    await waitFor(async () => !(await isAlive(pid)), 3000, "the escaped grandchild to die");
  } finally {
    if (pid > 0 && await isAlive(pid)) Deno.kill(pid, "SIGKILL");
  }
});

Deno.test("ProcRunAsync.runAll() sends SIGKILL after killGrace to a tree that ignores SIGTERM", async () => {
  const run = new ProcRunAsync(
    [SH, "-c", `trap '' TERM; echo "pgid $$"; sleep "$0"`],
    [[1, 30]],
    { timeout: 0.3, killGrace: 0.5 },
  );
  const t0 = performance.now();
  const [result] = await run.runAll();
  const elapsed = performance.now() - t0;
  assertGreaterOrEqual(elapsed, 700);
  assertLess(elapsed, 4000);
  assertEquals(result!.timeout, true);
  assertEquals(result!.signal, "SIGKILL");
  const pgid = Number(result!.stdout.match(/pgid (\d+)/)![1]);
  await waitFor(async () => (await groupMembers(pgid)).length === 0, 2000, "the group to die");
});

// 30 days: past setTimeout's 2^31 ms, where a plain timer fires at once.
const THIRTY_DAYS = 30 * 24 * 3600;

Deno.test("ProcRunAsync.runAll() waits out a timeout of 30 days instead of firing at once", async () => {
  const run = new ProcRunAsync(["sleep"], [[1, 0.3]], { timeout: THIRTY_DAYS });
  const fnRun = new ProcRunAsync(
    [async () => (await delay(300), [true, 1] as const)],
    [[1, 0]],
    { timeout: THIRTY_DAYS },
  );
  const [[cmd], [fn]] = await Promise.all([run.runAll(), fnRun.runAll()]);
  assertEquals([cmd!.success, cmd!.timeout, cmd!.exception], [true, false, null]);
  assertEquals([fn!.success, fn!.timeout, fn!.exception], [true, false, null]);
});

Deno.test("ProcRunAsync.runAll() gives a 30-day killGrace to a command's SIGTERM handler, and does not wait it out", async () => {
  // The handler writes after a handshake-free pause; a SIGKILL sent at once
  // (the overflowed timer) would leave no "term" line and a SIGKILL signal.
  const run = new ProcRunAsync(
    [SH, "-c", `trap 'sleep 0.3; echo term; exit 3' TERM; sleep "$0" & wait`],
    [[1, 30]],
    { timeout: 0.3, killGrace: THIRTY_DAYS },
  );
  const [result] = await run.runAll();
  assertEquals(result!.timeout, true);
  assertStringIncludes(result!.stdout, "term");
  assertEquals(result!.signal, null);
});

Deno.test("ProcRunAsync.runAll() completes a timed-out function at its deadline and aborts its signal", async () => {
  let seen: AbortSignal | undefined;
  let release!: () => void;
  const never = new Promise<void>((resolve) => release = resolve);
  const fn = async (key: unknown, _args: unknown[], signal: AbortSignal): Promise<TaskReturn> => {
    if (key === "fast") return [true, "done"];
    seen = signal;
    await never; // ignores its signal: the result must still come back
    return [true, "late"];
  };
  const run = new ProcRunAsync([fn], [["slow", 0], ["fast", 0]], { timeout: 0.3 });
  const t0 = performance.now();
  const [slow, fast] = await run.runAll();
  assertLess(performance.now() - t0, 3000);
  assertEquals(slow!.timeout, true);
  assertEquals(slow!.success, false);
  assertEquals(slow!.exception, "TimeoutError");
  assertEquals(slow!.answer, null);
  assertEquals(seen?.aborted, true);
  assertEquals((seen?.reason as DOMException).name, "TimeoutError");
  assertEquals(fast!.success, true);
  assertEquals(fast!.timeout, false);
  release();
  await delay(0);
  assertEquals(slow!.answer, null, "a late answer must not change the result");
});

Deno.test("ProcRunAsync.runAll() marks a synchronous function that returned past its timeout as timed out", async () => {
  const busy = (_key: unknown, args: unknown[]): TaskReturn => {
    const end = performance.now() + (args[0] as number) * 1000;
    while (performance.now() < end) { /* busy */ }
    return [true, "finished"];
  };
  const [slow, quick] = await new ProcRunAsync([busy], [["slow", 0.5], ["quick", 0]], {
    timeout: 0.2,
  }).runAll();
  assertEquals([slow!.timeout, slow!.success, slow!.exception, slow!.answer], [
    true,
    false,
    "TimeoutError",
    null,
  ]);
  assertEquals([quick!.timeout, quick!.success, quick!.answer], [false, true, "finished"]);
});

Deno.test("ProcRunAsync.runAll() with timeout 0 never times out", async () => {
  const run = new ProcRunAsync(["sleep"], [[1, 0.6]], { timeout: 0 });
  const fnRun = new ProcRunAsync(
    [async () => (await delay(600), [true, 1] as const)],
    [[1, 0]],
    { timeout: 0 },
  );
  const [[cmd], [fn]] = await Promise.all([run.runAll(), fnRun.runAll()]);
  assertEquals(cmd!.success, true);
  assertEquals(fn!.success, true);
  assertEquals(cmd!.timeout || fn!.timeout, false);
});

Deno.test("ProcRunAsync.runAll() starts each task's clock and timeout when it starts, not when queued", async () => {
  // One slot, three 1 s sleeps, a 2 s timeout: the third waits 2 s in the queue.
  // Counting queue time (as pyconcurrent does) would time it out.
  const run = new ProcRunAsync(["sleep"], [[1, 1], [2, 1], [3, 1]], {
    numWorkers: 1,
    timeout: 2,
  });
  const results = await run.runAll();
  assertEquals(results.map((r) => r.success), [true, true, true]);
  for (const r of results) assertLess(r.timeRun, 1.9);
  assertGreaterOrEqual(results[2]!.timeStart!.getTime(), results[1]!.timeEnd!.getTime());
  assertGreaterOrEqual(results[1]!.timeStart!.getTime(), results[0]!.timeEnd!.getTime());
  assertGreaterOrEqual(run.timeRun, 3 - 0.05);
});

async function maxConcurrency(numWorkers: number, tasks: number): Promise<number> {
  let active = 0;
  let peak = 0;
  const fn = async (): Promise<TaskReturn> => {
    active++;
    peak = Math.max(peak, active);
    await delay(20);
    active--;
    return [true, null];
  };
  const run = new ProcRunAsync([fn], Array.from({ length: tasks }, (_, i): Task => [i, i]), {
    numWorkers,
  });
  const results = await run.runAll();
  assertEquals(results.filter((r) => r.success).length, tasks);
  return peak;
}

Deno.test("ProcRunAsync.runAll() never runs more than numWorkers at once and reaches it", async () => {
  assertEquals(await maxConcurrency(3, 20), 3);
  assertEquals(await maxConcurrency(1, 5), 1);
  assertEquals(await maxConcurrency(4, 2), 2);
  assertEquals(await maxConcurrency(0, 50), 50); // 0: no limit
});

Deno.test("ProcRunAsync.runAll() defaults numWorkers to 4 for commands", async () => {
  const dir = await Deno.makeTempDir();
  // Each command records how many commands are inside the critical section.
  const script =
    `mkdir "${dir}/run.$0"; sleep 1; ls -d "${dir}"/run.* | wc -l >> "${dir}/counts";` +
    ` rmdir "${dir}/run.$0"`;
  const run = new ProcRunAsync(
    [SH, "-c", script],
    Array.from({ length: 8 }, (_, i): Task => [i, i]),
  );
  const results = await run.runAll();
  assertEquals(results.every((r) => r.success), true, results.map((r) => r.stderr).join());
  const counts = (await Deno.readTextFile(`${dir}/counts`)).trim().split("\n").map(Number);
  assertEquals(counts.length, 8);
  assert(Math.max(...counts) <= 4, `counts: ${counts}`);
  assertEquals(Math.max(...counts), 4, `counts: ${counts}`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ProcRunAsync.runAll() cancelled by signal kills running commands and reports queued ones as cancelled", async () => {
  const dir = await Deno.makeTempDir();
  const controller = new AbortController();
  const run = new ProcRunAsync(
    [SH, "-c", `echo $$ > "${dir}/$0.pid"; sleep 30`],
    [[1, "a"], [2, "b"], [3, "c"], [4, "d"]],
    { numWorkers: 2, signal: controller.signal },
  );
  const done = run.runAll();
  const started = async () => {
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    return names.length === 2;
  };
  await waitFor(started, 5000, "two commands to start");
  const pgids = await Promise.all(
    ["a", "b"].map(async (n) => Number(await Deno.readTextFile(`${dir}/${n}.pid`))),
  );
  const t0 = performance.now();
  controller.abort(new Error("user stop"));
  const results = await done;
  assertLess(performance.now() - t0, 3000);
  assertEquals(results.length, 4);
  for (const r of results) {
    assertEquals(r.success, false);
    assertEquals(r.cancelled, true);
    assertEquals(r.exception, "AbortError");
    assertStringIncludes(r.error!, "user stop");
  }
  assertEquals(results.slice(0, 2).map((r) => r.signal), ["SIGTERM", "SIGTERM"]);
  assertEquals(results.slice(2).map((r) => r.timeStart), [null, null]);
  assertStringIncludes(results[3]!.error!, "cancelled before it started");
  for (const pgid of pgids) {
    await waitFor(async () => (await groupMembers(pgid)).length === 0, 2000, "groups to die");
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ProcRunAsync.runAll() with an already aborted signal runs nothing", async () => {
  const dir = await Deno.makeTempDir();
  const run = new ProcRunAsync(["touch"], [[1, `${dir}/a`], [2, `${dir}/b`]], {
    signal: AbortSignal.abort(),
  });
  const results = await run.runAll();
  assertEquals(results.map((r) => r.cancelled), [true, true]);
  assertEquals([...Deno.readDirSync(dir)].length, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ProcRunAsync.runAll() cancels a running function through its signal", async () => {
  const controller = new AbortController();
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => entered = resolve);
  const fn = async (_key: unknown, _args: unknown[], signal: AbortSignal): Promise<TaskReturn> => {
    entered();
    await delay(30_000, { signal });
    return [true, null];
  };
  const run = new ProcRunAsync([fn], [[1, 0], [2, 0]], {
    numWorkers: 1,
    signal: controller.signal,
  });
  const done = run.runAll();
  await inside;
  controller.abort();
  const [first, second] = await done;
  assertEquals(first!.cancelled, true);
  assertEquals(first!.timeout, false);
  assertEquals(second!.cancelled, true);
  assertEquals(second!.timeStart, null);
});

Deno.test("ProcRunAsync.runAll() reads an async iterable lazily and starts work before it ends", async () => {
  let firstStarted!: () => void;
  const started = new Promise<void>((resolve) => firstStarted = resolve);
  let pulled = 0;
  async function* tasks(): AsyncGenerator<Task> {
    for (let i = 0; i < 10; i++) {
      pulled++;
      yield [i, i];
      // Handshake: the generator goes on only once the first task has run.
      if (i === 0) await started;
    }
  }
  const fn = (key: unknown): TaskReturn => {
    if (key === 0) firstStarted();
    return [true, pulled];
  };
  const run = new ProcRunAsync([fn], tasks(), { numWorkers: 2 });
  const results = await run.runAll();
  assertEquals(results.map((r) => r.key), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assertEquals(results[0]!.answer, 1, "task 0 ran when only one task had been read");
  assertEquals(results.every((r) => r.success), true);
});

Deno.test("ProcRunAsync.runAll() reads a sync generator lazily, never more than a slot ahead", async () => {
  let pulled = 0;
  let maxAhead = 0;
  let finished = 0;
  function* tasks(): Generator<Task> {
    for (let i = 0; i < 50; i++) {
      pulled++;
      maxAhead = Math.max(maxAhead, pulled - finished);
      yield [i, i];
    }
  }
  const fn = async (): Promise<TaskReturn> => {
    await delay(1);
    finished++;
    return [true, null];
  };
  const run = new ProcRunAsync([fn], tasks(), { numWorkers: 3 });
  const results = await run.runAll();
  assertEquals(results.length, 50);
  assert(maxAhead <= 4, `read ${maxAhead} tasks ahead of completion`);
});

Deno.test("ProcRunAsync.runAll() rejects a duplicate key in a lazy task list after cancelling running tasks", async () => {
  let inside!: () => void;
  const entered = new Promise<void>((resolve) => inside = resolve);
  async function* tasks(): AsyncGenerator<Task> {
    yield [1, "a"];
    await entered;
    yield [1, "again"];
  }
  const fn = async (_k: unknown, _a: unknown[], signal: AbortSignal): Promise<TaskReturn> => {
    inside();
    await delay(30_000, { signal });
    return [true, null];
  };
  const run = new ProcRunAsync([fn], tasks());
  const t0 = performance.now();
  const error = await assertRejects(() => run.runAll(), TypeError);
  assertLess(performance.now() - t0, 3000);
  assertStringIncludes(error.message, "tasks[1]");
  assertStringIncludes(error.message, "key 1");
  assertEquals(run.results.length, 1);
  assertEquals(run.results[0]!.cancelled, true);
});

Deno.test("ProcRunAsync.runAll() checks lazily read keys with the compact key set", async () => {
  const mixed = await new ProcRunAsync([ok], lazy([[1, "a"], ["1", "b"], [2, "c"]] as const))
    .runAll();
  assertEquals(mixed.map((r) => r.answer), ["a", "b", "c"]);
  await assertRejects(
    () => new ProcRunAsync([ok], lazy([[0, "a"], [-0, "b"]] as const)).runAll(),
    TypeError,
    "unique key",
  );
  await assertRejects(
    () => new ProcRunAsync([ok], lazy([[5000, "a"], [5000, "b"]] as const)).runAll(),
    TypeError,
    "unique key",
  );
});

Deno.test("ProcRunAsync.runAll() caps large output without deadlock or unbounded memory", async () => {
  // 200 MB through a 1 MiB cap: holding it would grow the process by 200 MB or
  // more; reading and dropping it leaves only garbage chunks (about 50 MB here).
  // Measured in a process of its own: test modules run in parallel threads of
  // one process here, so this process's RSS moves with theirs.
  const script = `
import { ProcRunAsync } from ${JSON.stringify(new URL("../mod.ts", import.meta.url).href)};
const before = Deno.memoryUsage().rss;
const run = new ProcRunAsync(
  ["/bin/sh", "-c", "head -c $0 /dev/zero; head -c 1000 /dev/zero >&2"],
  [[1, 200 * 1024 * 1024]],
  { maxOutputBytes: 1024 * 1024, timeout: 60 },
);
const [r] = await run.runAll();
console.log(JSON.stringify({
  grown: Deno.memoryUsage().rss - before,
  success: r.success,
  stdout: r.stdout.length,
  stdoutTruncated: r.stdoutTruncated,
  stderr: r.stderr.length,
  stderrTruncated: r.stderrTruncated,
}));
`;
  const { status, out, err } = await deno([
    "eval",
    "--ext=ts",
    "--no-lock",
    "--config",
    new URL("../deno.json", import.meta.url).pathname,
    "--allow-run",
    "--allow-read",
    "--allow-env",
    script,
  ], 60_000);
  assertEquals(status.code, 0, err);
  const report = JSON.parse(out);
  assertEquals(report.success, true);
  assertEquals(report.stdout, 1024 * 1024);
  assertEquals(report.stdoutTruncated, true);
  assertEquals(report.stderr, 1000);
  assertEquals(report.stderrTruncated, false);
  assertLess(report.grown, 150 * 1024 * 1024, `rss grew by ${report.grown} bytes`);
});

Deno.test("ProcRunAsync.runAll() decodes output that is not valid UTF-8 without throwing", async () => {
  const run = new ProcRunAsync(["printf"], [[1, "ok\\377\\376end"]]);
  const [result] = await run.runAll();
  assertEquals(result!.success, true);
  assertEquals(result!.stdout, "ok\uFFFD\uFFFDend");
});

Deno.test("ProcRunAsync.runAll() feeds stdin to every command and applies cwd and env", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  const run = new ProcRunAsync(
    [SH, "-c", 'read line; echo "$line $PROCRUN_TEST $(pwd) $0"'],
    [[1, "a"], [2, "b"]],
    { stdin: "input", env: { PROCRUN_TEST: "env-ok" }, cwd: dir },
  );
  const results = await run.runAll();
  assertEquals(results.map((r) => r.stdout), [
    `input env-ok ${dir} a\n`,
    `input env-ok ${dir} b\n`,
  ]);
  // A command that never reads its input is not an error.
  const ignoring = new ProcRunAsync(["true"], [[1, ""]], { stdin: new Uint8Array(1 << 20) });
  assertEquals((await ignoring.runAll())[0]!.success, true);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ProcRunAsync.runAll() with placeholder replaces the marker or appends the argument", async () => {
  const run = new ProcRunAsync(["echo", "a{}b", "{}"], [[1, "X"]], { placeholder: "{}" });
  await run.runAll();
  assertEquals(run.results[0]!.stdout, "aXb X\n");
  const plain = new ProcRunAsync(["echo", "{}"], [[1, "X"]]);
  await plain.runAll();
  assertEquals(plain.results[0]!.stdout, "{} X\n");
  const none = new ProcRunAsync(["echo", "z"], [[1, "X"]], { placeholder: "{}" });
  await none.runAll();
  assertEquals(none.results[0]!.stdout, "z X\n");
});

Deno.test("ProcRunAsync.runAll() names the user's command in a spawn error, never the setsid wrapper", async () => {
  // One argument past Linux's 128 KiB limit for a single argument: E2BIG.
  const [big] = await new ProcRunAsync(["echo"], [[1, "x".repeat(300_000)]]).runAll();
  assertEquals(big!.success, false);
  assertStringIncludes(big!.error!, "Failed to spawn 'echo'");
  assertEquals(big!.error!.includes("setsid"), false, big!.error!);
  assertLess(big!.error!.length, 300);
});

Deno.test("ProcRunAsync.runAll() with placeholder replaces it in the command word too", async () => {
  const run = new ProcRunAsync(["{}", "hi"], [[1, "echo"], [2, "/bin/echo"]], {
    placeholder: "{}",
  });
  const results = await run.runAll();
  assertEquals(results.map((r) => [r.success, r.stdout]), [[true, "hi\n"], [true, "hi\n"]]);
});

Deno.test("ProcRunAsync.runAll() with keepResults: false delivers results without keeping them", async () => {
  const seen: unknown[] = [];
  const run = new ProcRunAsync(["echo"], [[1, "a"], [2, "b"]], {
    keepResults: false,
    onResult: (result) => seen.push(result.key),
  });
  await run.runAll();
  assertEquals(run.results, []);
  assertEquals(seen.sort(), [1, 2]);
});

Deno.test("ProcRunAsync.stream() yields results in completion order and calls onResult", async () => {
  const seen: unknown[] = [];
  const run = new ProcRunAsync(["sleep"], [["slow", 1.5], ["fast", 0], ["mid", 0.5]], {
    onResult: (result: ProcResult) => seen.push(result.key),
  });
  const streamed: unknown[] = [];
  for await (const result of run.stream()) streamed.push(result.key);
  assertEquals(streamed, ["fast", "mid", "slow"]);
  assertEquals(seen, streamed);
  // The loop got every result: by default stream() keeps none (memory stays flat).
  assertEquals(run.results, []);
  await assertRejects(async () => {
    for await (const _ of run.stream()) { /* already run */ }
  }, Error);
  const kept = new ProcRunAsync(["sleep"], [["slow", 0.3], ["fast", 0]], { keepResults: true });
  for await (const _ of kept.stream()) { /* consume */ }
  assertEquals(kept.results.map((r) => r.key), ["slow", "fast"]);
});

Deno.test("ProcRunAsync.runAll() returns the same promise when called twice", async () => {
  const run = new ProcRunAsync(["true"], [[1, ""]]);
  const a = run.runAll();
  assertEquals(run.runAll(), a);
  assertEquals((await a).length, 1);
});

Deno.test("ProcRunAsync.runAll() rejects when onResult throws, after every task has ended", async () => {
  const run = new ProcRunAsync(["true"], [[1, ""], [2, ""]], {
    onResult: () => {
      throw new Error("consumer broke");
    },
  });
  await assertRejects(() => run.runAll(), Error, "consumer broke");
  assertEquals(run.results.length, 2);
});

Deno.test("ProcRunAsync.printResults() prints every result and a summary", async () => {
  const run = new ProcRunAsync(["echo"], [[1, "x"], [2, "y"]]);
  await run.runAll();
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    run.printResults();
  } finally {
    console.log = original;
  }
  const text = lines.join("\n");
  assertStringIncludes(text, "x");
  assertStringIncludes(text, "2 tasks, 2 succeeded, 0 failed");
});

Deno.test("ProcRunAsync() refuses a function for nothing but the documented shapes", () => {
  assertThrows(() => new ProcRunAsync([Symbol("x")] as never, []), TypeError);
});
