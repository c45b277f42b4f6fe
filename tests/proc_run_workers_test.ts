import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertLess,
  assertNotEquals,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { ProcRunAsync } from "../src/proc_run_async.ts";
import { ProcRunWorkers, type ProcRunWorkersOptions } from "../src/proc_run_workers.ts";
import { decode, FrameReader } from "../src/_workers/frames.ts";
import type { ProcResult } from "../src/result.ts";
import type { Pargs, Task } from "../src/types.ts";
import { workerFunction } from "../src/worker_function.ts";
import { deno, groupMembers, isAlive, readUntil, waitFor } from "./_helpers.ts";

const TASKS = new URL("./fixtures/worker_tasks.ts", import.meta.url);
const MOD = JSON.stringify(new URL("../mod.ts", import.meta.url).href);
const CONFIG = new URL("../deno.json", import.meta.url).pathname;
const fn = (name: string) => workerFunction(TASKS, name);
const SH = "/bin/sh";

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await work();
  return [value, (performance.now() - t0) / 1000];
}

/** The most `interval` tasks of `results` that ran at once. */
function mostAtOnce(results: ProcResult[]): number {
  const edges = results.flatMap((r) => {
    const { start, end } = r.answer as { start: number; end: number };
    return [[start, 1], [end, -1]] as const;
  }).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, step] of edges) most = Math.max(most, now += step);
  return most;
}

/** Counts the tasks of each "run" message a ProcRunWorkers sends, thread or process, while `work` runs. */
async function countRunMessages(work: () => Promise<unknown>): Promise<number[]> {
  const counts: number[] = [];
  const seen = (message: unknown) => {
    const m = message as { type?: string; keys?: unknown[] };
    if (m.type === "run") counts.push(m.keys!.length);
  };
  const frames = new FrameReader({
    message: seen,
    start: () => {},
    raw: (_first, _count, bytes) => seen(decode(bytes)),
  });
  const post = Worker.prototype.postMessage;
  const write = WritableStreamDefaultWriter.prototype.write;
  Worker.prototype.postMessage = function (this: Worker, message: unknown, ...rest: never[]) {
    seen(message);
    return post.call(this, message, ...rest);
  };
  WritableStreamDefaultWriter.prototype.write = function (
    this: WritableStreamDefaultWriter,
    chunk,
  ) {
    if (chunk instanceof Uint8Array) frames.push(chunk);
    return write.call(this, chunk);
  };
  try {
    await work();
  } finally {
    Worker.prototype.postMessage = post;
    WritableStreamDefaultWriter.prototype.write = write;
  }
  return counts;
}

// Every test of ProcRunWorkers runs on both isolations: worker threads, and
// worker processes (with fewer rounds where processes would be slow to start).
for (const isolation of ["thread", "process"] as const) {
  const threads = isolation === "thread";
  /** The test's name, with the isolation it runs on. */
  const name = (title: string) => `${title} [${isolation}]`;
  /** A ProcRunWorkers on this isolation. */
  const workers = (pargs: Pargs, tasks: Iterable<Task>, options: ProcRunWorkersOptions = {}) =>
    new ProcRunWorkers(pargs, tasks, { isolation, ...options });

  // ---------------------------------------------- same API as ProcRunAsync

  Deno.test(
    name("ProcRunWorkers.runAll() gives the same results as ProcRunAsync for commands"),
    async () => {
      const pargs = [SH, "-c", 'echo "out $0"; echo err >&2; exit "$0"'] as const;
      const tasks: Task[] = [["a", 0], ["b", 3]];
      const options = { numWorkers: 2, env: { X: "1" }, stdin: "input" };
      const viaWorkers = await workers(pargs, tasks, options).runAll();
      const viaAsync = await new ProcRunAsync(pargs, tasks, options).runAll();
      const strip = (r: ProcResult) => ({ ...r.toJSON(), timeStart: 0, timeEnd: 0, timeRun: 0 });
      assertEquals(viaWorkers.map(strip), viaAsync.map(strip));
      assertEquals(viaWorkers[1]!.returncode, 3);
      assertEquals(viaWorkers[1]!.stdout, "out 3\n");
    },
  );

  Deno.test(name("ProcRunWorkers.runAll() reports a command that cannot start"), async () => {
    const [result] = await workers(["/nonexistent/command"], [[1, "x"]]).runAll();
    assertEquals(result!.success, false);
    assertEquals(result!.exception, "NotFound");
    assertEquals(result!.returncode, null);
  });

  Deno.test(
    name(
      'encoding "buffer" keeps a command\'s output as bytes on both engines; the default decodes it',
    ),
    async () => {
      const pargs = [SH, "-c", "printf '\\377\\000%s' \"$0\"; printf '\\376' >&2"] as const;
      const engines = [
        (options: ProcRunWorkersOptions) => new ProcRunAsync(pargs, [["a", "z"]], options),
        (options: ProcRunWorkersOptions) => workers(pargs, [["a", "z"]], options),
      ];
      for (const engine of engines) {
        const [raw] = await engine({ encoding: "buffer" }).runAll();
        assertEquals(raw!.stdoutBytes, new Uint8Array([0xff, 0x00, 0x7a]));
        assertEquals(raw!.stderrBytes, new Uint8Array([0xfe]));
        assertEquals([raw!.stdout, raw!.stderr], ["", ""]);
        const [text] = await engine({}).runAll();
        assertEquals([text!.stdout, text!.stdoutBytes, text!.stderrBytes], [
          "\ufffd\0z",
          null,
          null,
        ]);
      }
      assertThrows(
        () => workers(["true"], [], { encoding: "latin1" as "utf8" }),
        TypeError,
        `'encoding' must be "utf8" or "buffer": current value is "latin1"`,
      );
    },
  );

  Deno.test(
    name(
      "A task argument that is not well-formed text fails its task unrun, on both engines, instead of running on a changed name",
    ),
    async () => {
      const dir = await Deno.makeTempDir();
      try {
        // `touch` would create "f\uFFFDo" if Deno's silent replacement went through.
        const tasks: Task[] = [["bad", `${dir}/f\udcffo`], ["good", `${dir}/good`]];
        for (const run of [new ProcRunAsync(["touch"], tasks), workers(["touch"], tasks)]) {
          const [bad, good] = await run.runAll();
          assertEquals([bad!.success, bad!.exception, bad!.returncode], [false, "TypeError", null]);
          assertStringIncludes(bad!.error!, "an input byte 0xFF that is not UTF-8");
          assertStringIncludes(bad!.error!, "the command was not run");
          assertEquals(good!.success, true);
          assertEquals([...Deno.readDirSync(dir)].map((entry) => entry.name), ["good"]);
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );

  Deno.test(
    name(
      "ProcRunWorkers.runAll() calls fn(key, [...args, arg], signal), sync or async, with results in task order",
    ),
    async () => {
      const sync = await workers([fn("square")], [["a", 2], ["b", 3], ["c", 4]]).runAll();
      assertEquals(sync.map((r) => [r.key, r.success, r.answer]), [
        ["a", true, 4],
        ["b", true, 9],
        ["c", true, 16],
      ]);
      const [result] = await workers([fn("napAsync"), "x", 7], [["k", 0.01]]).runAll();
      assertEquals(result!.answer, {
        key: "k",
        args: ["x", 7, 0.01],
        success: true,
        result: "test_func done",
      });
      for (const r of [...sync, result!]) {
        assert(r.timeStart instanceof Date && r.timeEnd instanceof Date);
        assertGreaterOrEqual(r.timeEnd!.getTime(), r.timeStart!.getTime());
        assertGreaterOrEqual(r.timeRun, 0);
      }
      assertGreaterOrEqual(result!.timeRun, 0.005);
    },
  );

  Deno.test(
    name(
      "ProcRunWorkers.runAll() copies keys, arguments and answers as structured data to its workers and back",
    ),
    async () => {
      const value = {
        date: new Date(5),
        map: new Map([[1, { deep: [1n, "two"] }]]),
        set: new Set(["s"]),
        bytes: new Float64Array([1.5, -0]),
        re: /a+/gi,
        error: new RangeError("carried"),
        nothing: undefined,
      };
      const [result] = await workers([fn("echo")], [[{ key: [1] }, value]]).runAll();
      assertEquals(result!.success, true);
      const answer = result!.answer as { key: unknown; arg: typeof value };
      assertEquals(answer.key, { key: [1] });
      assertEquals(answer.arg.map, value.map);
      assertEquals(answer.arg.date, value.date);
      assertEquals(answer.arg.set, value.set);
      assertEquals(answer.arg.bytes, value.bytes);
      assertEquals(String(answer.arg.re), "/a+/gi");
      assert(answer.arg.error instanceof RangeError);
      assertEquals(answer.arg.error.message, "carried");
      assert("nothing" in answer.arg);
    },
  );

  Deno.test(
    name(
      "ProcRunWorkers.runAll() counts a task's time from its start in the worker, not from when it was queued",
    ),
    async () => {
      // One worker: the second task waits 0.4 s behind the first.
      const run = workers([fn("napSync")], [[1, 0.4], [2, 0.05]], { numWorkers: 1, timeout: 0.3 });
      const [first, second] = await run.runAll();
      assertEquals(first!.timeout, true);
      assertEquals(second!.success, true, "its timeout starts when it starts");
      assertLess(second!.timeRun, 0.25);
      assertGreaterOrEqual(second!.timeStart!.getTime(), first!.timeStart!.getTime() + 250);
    },
  );

  Deno.test(
    name("ProcRunWorkers.stream() yields results as tasks end, and onResult sees each one"),
    async () => {
      const seen: unknown[] = [];
      const run = workers([fn("napAsync")], [["slow", 0.4], ["fast", 0]], {
        numWorkers: 2,
        onResult: (r) => seen.push(r.key),
      });
      const keys = [];
      for await (const result of run.stream()) keys.push(result.key);
      assertEquals(keys, ["fast", "slow"]);
      assertEquals(seen, ["fast", "slow"]);
    },
  );

  Deno.test(name("ProcRunWorkers() refuses a plain function and says how to name it"), () => {
    const error = assertThrows(
      () => workers([(_k: unknown) => [true, 1] as const], [[1, 1]]),
      TypeError,
    );
    assertStringIncludes(error.message, "Cannot create ProcRunWorkers as 'pargs[0]'");
    assertStringIncludes(error.message, 'workerFunction(new URL("./tasks.ts", import.meta.url)');
  });

  Deno.test(name("ProcRunWorkers() refuses bad input before anything runs"), () => {
    const square = fn("square");
    assertThrows(() => workers([square], [[1, 1], [1, 2]]), TypeError, "key 1");
    assertThrows(() => workers([square], [[1, 1]], { numWorkers: -1 }), RangeError);
    assertThrows(() => workers([square], [[1, 1]], { timeout: NaN }), RangeError);
    assertThrows(() => workers([] as never, [[1, 1]]), TypeError, "'pargs'");
    assertThrows(
      () => workers([square, () => 1], [[1, 1]]),
      TypeError,
      "'pargs' must be values that can be copied to a worker",
    );
    assertThrows(
      () => workers([square], [[1, 1]], { permissions: 5 as never }),
      TypeError,
      "'permissions'",
    );
    assertThrows(
      () => workers([square], [[1, 1]], { numworkers: 2 } as never),
      TypeError,
      "'numworkers' is not an option (did you mean 'numWorkers'?)",
    );
    assertThrows(() => workerFunction("./relative.ts", "x"), TypeError, "absolute URL");
    assertThrows(() => workerFunction(TASKS, ""), TypeError, "'exportName'");
  });

  Deno.test(
    name("ProcRunWorkers.runAll() fails every task when the module or export cannot be loaded"),
    async () => {
      const missing = workerFunction(new URL("./fixtures/no_such_module.ts", import.meta.url), "f");
      const [r1, r2] = await workers([missing], [[1, 1], [2, 2]]).runAll();
      for (const r of [r1!, r2!]) {
        assertEquals(r.success, false);
        assertStringIncludes(r.error!, "no_such_module.ts");
      }
      const [r3] = await workers([fn("notAFunction")], [[1, 1]]).runAll();
      assertEquals(r3!.exception, "TypeError");
      assertStringIncludes(r3!.error!, "has no exported function 'notAFunction'");
    },
  );

  // ---------------------------------------------- workers

  Deno.test(
    name("ProcRunWorkers.runAll() runs numWorkers workers at once, no more, and reuses them"),
    async () => {
      for (const numWorkers of [1, 3]) {
        const tasks: Task[] = Array.from({ length: 9 }, (_, i) => [i, 100]);
        const results = await workers([fn("interval")], tasks, { numWorkers }).runAll();
        assertEquals(mostAtOnce(results), numWorkers, "most tasks at once");
        const tags = new Set(results.map((r) => (r.answer as { worker: string }).worker));
        assertEquals(tags.size, numWorkers, "distinct workers");
      }
    },
  );

  Deno.test(
    name("ProcRunWorkers.runAll() uses one worker per core by default, and for numWorkers 0"),
    async () => {
      const cores = navigator.hardwareConcurrency;
      for (const options of [{}, { numWorkers: 0 }]) {
        const tasks: Task[] = Array.from({ length: cores * 2 }, (_, i) => [i, 150]);
        const results = await workers([fn("interval")], tasks, options).runAll();
        assertEquals(mostAtOnce(results), cores);
      }
    },
  );

  Deno.test(name("ProcRunWorkers.runAll() sends many small tasks in few messages"), async () => {
    const tasks: Task[] = Array.from({ length: 20_000 }, (_, i) => [i, i]);
    let results: ProcResult[] = [];
    const posted = await countRunMessages(async () => {
      results = await workers([fn("square")], tasks, { numWorkers: 2 }).runAll();
    });
    assertEquals(results.length, 20_000);
    assertEquals(results[12_345]!.answer, 12_345 * 12_345);
    assert(results.every((r) => r.success));
    assertEquals(posted.reduce((a, b) => a + b, 0), 20_000);
    assertLess(posted.length, 2_000, `${posted.length} messages for 20,000 tasks`);
  });

  Deno.test(
    name(
      "ProcRunWorkers.runAll() does not leave tasks behind a long one while another worker idles",
    ),
    async () => {
      // Small tasks first make the batches big; then one long task and ten
      // 100 ms tasks. The other worker takes back what the busy one has not started.
      const tasks: Task[] = [
        ...Array.from({ length: 200 }, (_, i): Task => [`tiny${i}`, 0]),
        ["long", 1500],
        ...Array.from({ length: 10 }, (_, i): Task => [`short${i}`, 100]),
      ];
      const [results, seconds] = await timed(() =>
        workers([fn("spin")], tasks, { numWorkers: 2 }).runAll()
      );
      const long = results.find((r) => r.key === "long")!;
      const shorts = results.filter((r) => String(r.key).startsWith("short"));
      for (const r of shorts) {
        assertLess(
          r.timeEnd!.getTime(),
          long.timeEnd!.getTime(),
          `${r.key} waited for the long task`,
        );
        assertNotEquals(r.answer, long.answer, `${r.key} ran on the long task's worker`);
      }
      assertLess(seconds, threads ? 2.4 : 4);
    },
  );

  Deno.test(
    name(
      "ProcRunWorkers.runAll() does not pass tasks back and forth between an idle worker and one about to start them",
    ),
    async () => {
      // Two quick commands on two fresh workers: the second worker was idle while
      // the first had not yet started its batch, and work stealing handed the
      // batch back to the first without end (stack overflow in 1 run in 4).
      for (let i = 0; i < (threads ? 20 : 4); i++) {
        const results = await workers(["echo"], [[1, "a"], [2, "b"]], { numWorkers: 2 }).runAll();
        assertEquals(results.map((r) => [r.success, r.stdout]), [[true, "a\n"], [true, "b\n"]]);
      }
    },
  );

  // ---------------------------------------------- timeouts

  Deno.test(
    name("ProcRunWorkers.runAll() times out an async function at its deadline and goes on"),
    async () => {
      const tasks: Task[] = [["slow", 10], ["next", 0.01], ["last", 0.01]];
      const [results, seconds] = await timed(() =>
        workers([fn("napAsync")], tasks, { numWorkers: 1, timeout: 0.5 }).runAll()
      );
      assertLess(seconds, 3);
      assertEquals(results.map((r) => [r.key, r.success, r.timeout]), [
        ["slow", false, true],
        ["next", true, false],
        ["last", true, false],
      ]);
      assertEquals(results[0]!.error, "timed out after 0.5 s");
      assertGreaterOrEqual(results[0]!.timeRun, 0.45);
      assertLess(results[0]!.timeRun, 1.5);
    },
  );

  Deno.test(
    name("ProcRunWorkers.runAll() applies the timeout to each task of a batch"),
    async () => {
      // "wait" never settles; the tasks around it are fast and batched with it.
      const tasks: Task[] = Array.from(
        { length: 300 },
        (_, i): Task => [i, i === 150 ? "wait" : "ok"],
      );
      const [results, seconds] = await timed(() =>
        workers([fn("chaos")], tasks, { numWorkers: 2, timeout: 0.5 }).runAll()
      );
      assertLess(seconds, 3);
      assertEquals(results.filter((r) => r.timeout).map((r) => r.key), [150]);
      assertEquals(results.filter((r) => r.success).length, 299);
    },
  );

  const stuckScript = (exit: boolean) => `
import { ProcRunWorkers, workerFunction } from ${MOD};
const chaos = workerFunction(${JSON.stringify(TASKS.href)}, "chaos");
const t0 = performance.now();
const run = new ProcRunWorkers([chaos], [[1, "forever"], [2, "ok"], [3, "ok"]], {
  numWorkers: 1,
  timeout: 0.5,
  isolation: "${isolation}",
});
const results = await run.runAll();
console.log(JSON.stringify({
  seconds: (performance.now() - t0) / 1000,
  results: results.map((r) => [r.key, r.success, r.timeout]),
  abandoned: run.abandonedWorkers,
}));
${exit ? "Deno.exit(0);" : ""}
`;

  Deno.test(
    name("ProcRunWorkers.runAll() returns on time when a task is stuck in a synchronous loop"),
    async () => {
      const { status, out, err } = await deno(["eval", "--ext=ts", stuckScript(true)]);
      assertEquals(status.code, 0, err);
      const report = JSON.parse(out);
      assertLess(report.seconds, 3);
      assertEquals(report.results, [[1, false, true], [2, true, false], [3, true, false]]);
      // A thread stuck in a loop is left running; a process is killed.
      assertEquals(report.abandoned, threads ? 1 : 0);
      assertEquals(err.includes("end the script with Deno.exit()"), threads);
    },
  );

  if (threads) {
    Deno.test(
      name(
        "ProcRunWorkers.runAll() cannot stop a thread stuck in a synchronous loop on Deno 2.8.3-2.9.6: the process stays",
      ),
      async () => {
        // The documented cost: the run returns, but the spinning thread keeps the
        // process alive. A newer Deno that stops it makes this test fail: then
        // update the docs.
        const child = new Deno.Command(Deno.execPath(), {
          args: ["eval", "--ext=ts", stuckScript(false)],
          stdout: "piped",
          stderr: "null",
        }).spawn();
        const reader = child.stdout.getReader();
        const text = await readUntil(reader, /\n/);
        assertEquals(JSON.parse(text).results[0], [1, false, true]);
        const exited = await Promise.race([
          child.status.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1500)),
        ]);
        child.kill("SIGKILL");
        await child.status;
        reader.releaseLock();
        await child.stdout.cancel();
        const [major, minor, patch] = Deno.version.deno.split(".").map(Number);
        const affected = major === 2 && (minor === 9 ? patch! <= 6 : minor === 8 && patch! >= 3);
        if (affected) assertEquals(exited, false, "the stuck thread keeps the process alive");
      },
    );
  } else {
    Deno.test(
      name(
        "ProcRunWorkers.runAll() kills a worker process stuck in a synchronous loop at its timeout: the script exits by itself",
      ),
      async () => {
        // The script has no Deno.exit(): it ends once nothing is left running.
        const t0 = performance.now();
        const { status, out, err } = await deno(["eval", "--ext=ts", stuckScript(false)], 30_000);
        const seconds = (performance.now() - t0) / 1000;
        assertEquals(status.code, 0, err);
        assertEquals(JSON.parse(out).results, [[1, false, true], [2, true, false], [
          3,
          true,
          false,
        ]]);
        // Deno's start and the run take about 1 s; a stuck thread would hold it until killed at 30 s.
        assertLess(seconds, 15, "the script exited by itself");
      },
    );
  }

  // ---------------------------------------------- crashes

  Deno.test(
    name(
      "ProcRunWorkers.runAll() isolates crashes: one result per task, and every other task runs",
    ),
    async () => {
      const kinds = ["throw", "reject", "timer", "leak", "uncloneable", "close", "exit", "bad"];
      const tasks: Task[] = [];
      for (const kind of kinds) tasks.push([kind, kind], [`${kind}-ok`, "ok"]);
      const [results, seconds] = await timed(() =>
        workers([fn("chaos")], tasks, { numWorkers: 2 }).runAll()
      );
      assertLess(seconds, 10);
      const by = new Map(results.map((r) => [r.key, r]));
      const expect: Record<string, [string, string]> = {
        throw: ["RangeError", "bad value"],
        reject: ["SyntaxError", "bad syntax"],
        timer: ["EvalError", "thrown from a timer"],
        leak: ["URIError", "nobody handles this"],
        uncloneable: ["DataCloneError", "could not be cloned"],
        close: ["WorkerExit", "self.close()"],
        exit: ["WorkerExit", "Deno.exit(3)"],
        bad: ["TypeError", "must return [success: boolean, answer]"],
      };
      for (const [kind, [exception, message]] of Object.entries(expect)) {
        const r = by.get(kind)!;
        assertEquals(r.success, false, kind);
        assertEquals(r.exception, exception, kind);
        assertStringIncludes(r.error!, message);
        assertEquals(by.get(`${kind}-ok`)!.success, true, `${kind}-ok`);
      }
      assertEquals(results.length, tasks.length);
    },
  );

  // ---------------------------------------------- commands: kill semantics

  Deno.test(
    name(
      "ProcRunWorkers.runAll() kills a timed-out command's whole tree on time, keeping its output",
    ),
    async () => {
      const tag = `${Date.now() % 100000}.${Math.floor(Math.random() * 1000)}`;
      const script = `echo started; echo $$ >&2; sleep ${tag} & sleep ${tag}`;
      const [results, seconds] = await timed(() =>
        workers([SH, "-c", script], [[1, ""]], { timeout: 0.5 }).runAll()
      );
      assertLess(seconds, 3);
      const [r] = results;
      assertEquals(r!.timeout, true);
      assertEquals(r!.stdout, "started\n");
      const pgid = Number(r!.stderr.trim());
      await waitFor(async () => (await groupMembers(pgid)).length === 0, 3000, "the group gone");
    },
  );

  Deno.test(
    name("ProcRunWorkers.runAll() cancels through signal: one result per task, commands killed"),
    async () => {
      const controller = new AbortController();
      const tasks: Task[] = Array.from({ length: 6 }, (_, i): Task => [i, 30]);
      const run = workers([SH, "-c", 'echo $$; exec sleep "$0"'], tasks, {
        numWorkers: 2,
        signal: controller.signal,
        onResult: () => {},
      });
      const running = run.runAll();
      await waitFor(() => run.results.length === 6, 5000, "tasks queued");
      await new Promise((resolve) => setTimeout(resolve, threads ? 300 : 1500));
      const [results, seconds] = await timed(async () => {
        controller.abort(new Error("stop"));
        return await running;
      });
      assertLess(seconds, 3);
      assertEquals(results.length, 6);
      assert(results.every((r) => r.cancelled && !r.success && r.exception === "AbortError"));
      const started = results.filter((r) => r.stdout !== "");
      assertEquals(started.length, 2, "two commands were running");
      for (const r of started) {
        assertEquals(r.signal, "SIGTERM");
        const pgid = Number(r.stdout.trim());
        await waitFor(async () => (await groupMembers(pgid)).length === 0, 3000, "group gone");
      }
      for (const r of results.filter((r) => r.stdout === "")) {
        assertStringIncludes(r.error!, "cancelled before it started");
        assertEquals(r.timeStart, null);
      }
    },
  );

  Deno.test(name("ProcRunWorkers.runAll() cancels running functions through signal"), async () => {
    const controller = new AbortController();
    const run = workers([fn("chaos")], [[1, "wait"], [2, "wait"], [3, "ok"]], {
      numWorkers: 2,
      signal: controller.signal,
    });
    const running = run.runAll();
    setTimeout(() => controller.abort(new Error("stop")), threads ? 300 : 1500);
    const [results, seconds] = await timed(() => running);
    assertLess(seconds, threads ? 3 : 5);
    assertEquals(results.map((r) => r.cancelled), [true, true, true]);
    assertEquals(results[2]!.timeStart, null, "never started");
  });

  // ---------------------------------------------- modules

  Deno.test(
    name(
      "ProcRunWorkers resolves its worker from import.meta.url: it runs when procrun is imported over HTTP",
    ),
    async () => {
      // One child serves this repository over HTTP and imports procrun from it,
      // as it would from JSR or any remote URL. It runs in a folder of its own,
      // with a copy of deno.json: a worker process started there leaves its lock
      // file there.
      const root = new URL("../", import.meta.url).href;
      const dir = await Deno.makeTempDir();
      await Deno.copyFile(CONFIG, `${dir}/deno.json`);
      const script = `
const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
  try {
    const body = await Deno.readFile(new URL("." + new URL(req.url).pathname, ${
        JSON.stringify(root)
      }));
    return new Response(body, { headers: { "content-type": "application/typescript" } });
  } catch {
    return new Response("not found", { status: 404 });
  }
});
const base = "http://127.0.0.1:" + server.addr.port;
const { ProcRunWorkers, workerFunction } = await import(base + "/mod.ts");
const square = workerFunction(base + "/tests/fixtures/worker_tasks.ts", "square");
const results = await new ProcRunWorkers([square], [[1, 3], [2, 4]], { isolation: "${isolation}" }).runAll();
console.log(JSON.stringify(results.map((r) => [r.answer, r.error])));
await server.shutdown();
`;
      const { status, out, err } = await deno(
        [
          "eval",
          "--ext=ts",
          "--allow-net=127.0.0.1",
          "--allow-read",
          "--allow-import=127.0.0.1",
          ...(threads ? [] : [`--allow-run=${Deno.execPath()}`]),
          "--no-lock",
          "--config",
          `${dir}/deno.json`,
          script,
        ],
        60_000,
        dir,
      );
      await Deno.remove(dir, { recursive: true });
      assertEquals(status.code, 0, err);
      assertEquals(JSON.parse(out), [[9, null], [16, null]]);
    },
  );

  Deno.test(
    name(
      "ProcRunWorkers.runAll() reports the same cancellation as ProcRunAsync for the same abort reason",
    ),
    async () => {
      const dir = await Deno.makeTempDir();
      const cancelled = async (engine: "async" | "workers", reason: unknown) => {
        const controller = new AbortController();
        const options = { numWorkers: 1, signal: controller.signal };
        const marker = `${dir}/${engine}-${crypto.randomUUID()}`;
        const tasks: Task[] = [[1, marker], [2, `${marker}-2`]];
        // Each command says it started (a file: the handshake), then sleeps.
        const pargs = [SH, "-c", 'echo started; : > "$0"; exec sleep 30'] as const;
        const run = engine === "async"
          ? new ProcRunAsync(pargs, tasks, options)
          : workers(pargs, tasks, options);
        const running = run.runAll();
        await waitFor(
          () => Deno.stat(marker).then(() => true, () => false),
          10_000,
          "the first task started",
        );
        controller.abort(reason);
        return (await running).map((r) => [r.cancelled, r.exception, r.error, r.stdout]);
      };
      const reasons = [new RangeError("halt now"), "stop", new DOMException("t", "TimeoutError")];
      for (const reason of reasons) {
        const viaAsync = await cancelled("async", reason);
        assertEquals(await cancelled("workers", reason), viaAsync);
        assertEquals(viaAsync[0]![0], true);
        assertEquals(viaAsync[0]![3], "started\n", "the first task was running");
      }
      await Deno.remove(dir, { recursive: true });
    },
  );

  Deno.test(name("ProcRunWorkers.runAll() times a command from its start to its end"), async () => {
    const [result] = await workers([SH, "-c", 'sleep "$0"'], [[1, 0.3]], { numWorkers: 1 })
      .runAll();
    assertEquals(result!.success, true);
    assertGreaterOrEqual(result!.timeRun, 0.25);
    const span = result!.timeEnd!.getTime() - result!.timeStart!.getTime();
    assertLess(Math.abs(span - result!.timeRun * 1000), 2, "Dates hold whole milliseconds");
  });

  // ---------------------------------------------- memory

  const hog = new URL("./fixtures/memory_hog.ts", import.meta.url).pathname;

  if (threads) {
    Deno.test(
      name(
        "A worker function that runs V8 out of memory ends the whole process (documented); the same task as a command fails alone",
      ),
      async () => {
        const limit = "--v8-flags=--max-old-space-size=64";
        // Workers share the process's heap limit and its fatal OOM handler: no
        // result is printed, and Deno dies of a signal (SIGTRAP on Linux).
        const run = await deno(["run", "-A", `--config=${CONFIG}`, limit, hog, "--run"], 60_000);
        assertEquals(run.out, "");
        assert(!run.status.success);
        assertStringIncludes(run.err, "out of memory");
        // The workaround for threads: each such task in a process of its own.
        const results = await new ProcRunAsync(
          [Deno.execPath(), "run", `--config=${CONFIG}`, limit, hog],
          [["a", "a"], ["hog", "hog"], ["b", "b"]],
          { numWorkers: 2, env: { NO_COLOR: "1" } },
        ).runAll();
        assertEquals(results.map((r) => [r.key, r.success]), [
          ["a", true],
          ["hog", false],
          ["b", true],
        ]);
        assertEquals(results[0]!.stdout, "done a\n");
      },
    );
  } else {
    Deno.test(
      name(
        "A worker function that allocates until memoryLimit fails alone, with OutOfMemoryError, and the run goes on",
      ),
      async () => {
        const task = workerFunction(new URL(`file://${hog}`), "task");
        const tasks: Task[] = [["a", "a"], ["hog", "hog"], ["b", "b"], ["c", "c"]];
        const results = await workers([task], tasks, { numWorkers: 1, memoryLimit: 64 }).runAll();
        assertEquals(results.map((r) => [r.key, r.success, r.exception]), [
          ["a", true, null],
          ["hog", false, "OutOfMemoryError"],
          ["b", true, null],
          ["c", true, null],
        ]);
        assertEquals(
          results[1]!.error,
          "the worker process ran out of memory (memoryLimit 64 MiB)",
        );
        assertEquals(results.map((r) => r.answer), ["a", null, "b", "c"]);
      },
    );
  }
}

// ------------------------------------------------ threads only: their permissions

const permissionScript = (isolation: string) => `
import { ProcRunWorkers, workerFunction } from ${MOD};
const readFile = workerFunction(${JSON.stringify(TASKS.href)}, "readFile");
const file = ${JSON.stringify(CONFIG)};
// A worker may read only the folder of its task module (it needs that much
// to import it), so it cannot read deno.json.
const fixtures = ${JSON.stringify(new URL("./fixtures/", import.meta.url).pathname)};
const isolation = "${isolation}";
try {
  const denied = new ProcRunWorkers([readFile], [[1, file]], { isolation, permissions: { read: [fixtures] } });
  const allowed = new ProcRunWorkers([readFile], [[1, file]], { isolation });
  const nothing = new ProcRunWorkers([readFile], [[1, file]], { isolation, permissions: { read: false } });
  const [d] = await denied.runAll();
  const [a] = await allowed.runAll();
  const [n] = await nothing.runAll();
  console.log(JSON.stringify({
    denied: [d.success, d.exception],
    allowed: a.success,
    nothing: [n.success, n.error.includes("Requires read access to")],
  }));
} catch (error) {
  console.log(JSON.stringify({ thrown: error.name, message: error.message }));
}
`;

Deno.test("ProcRunWorkers() with permissions: a worker denied read cannot read a file [thread]", async () => {
  const { status, out, err } = await deno([
    "eval",
    "--unstable-worker-options",
    "--ext=ts",
    permissionScript("thread"),
  ]);
  assertEquals(status.code, 0, err);
  assertEquals(JSON.parse(out), {
    denied: [false, "NotCapable"],
    allowed: true,
    nothing: [false, true],
  });
});

Deno.test("ProcRunWorkers() with permissions but without --unstable-worker-options throws a clear TypeError [thread]", async () => {
  const { status, out, err } = await deno(["eval", "--ext=ts", permissionScript("thread")]);
  assertEquals(status.code, 0, err);
  const report = JSON.parse(out);
  assertEquals(report.thrown, "TypeError");
  assertStringIncludes(report.message, "'permissions'");
  assertStringIncludes(report.message, "--unstable-worker-options");
});

Deno.test("ProcRunWorkers() with permissions under --allow-read (no -A) throws a TypeError instead of letting Deno exit 70 [thread]", async () => {
  const dir = await Deno.makeTempDir();
  const script = `${dir}/script.ts`;
  await Deno.writeTextFile(script, permissionScript("thread"));
  // Deno keeps /proc/self/cmdline behind --allow-all: the flag cannot be seen here.
  const { status, out, err } = await deno(["run", "--allow-read", "--config", CONFIG, script]);
  await Deno.remove(dir, { recursive: true });
  assertEquals(status.code, 0, err);
  const report = JSON.parse(out);
  assertEquals(report.thrown, "TypeError");
  assertStringIncludes(
    report.message,
    "cannot see whether Deno runs with --unstable-worker-options",
  );
  assertStringIncludes(report.message, '"worker-options"');
});

// ------------------------------------------------ processes only

Deno.test("ProcRunWorkers() with permissions gives each worker process its own, without any unstable flag, under -A or --allow-read --allow-run [process]", async () => {
  const dir = await Deno.makeTempDir();
  const script = `${dir}/script.ts`;
  await Deno.writeTextFile(script, permissionScript("process"));
  const want = { denied: [false, "NotCapable"], allowed: true, nothing: [false, true] };
  for (const flags of [["-A"], ["--allow-read", `--allow-run=${Deno.execPath()}`]]) {
    const { status, out, err } = await deno(["run", ...flags, "--config", CONFIG, script], 60_000);
    assertEquals(status.code, 0, err);
    assertEquals(JSON.parse(out), want, flags.join(" "));
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ProcRunWorkers() refuses what a worker process cannot take, before anything runs [process]", () => {
  const square = fn("square");
  const make = (options: ProcRunWorkersOptions, pargs: Pargs = [square]) => () =>
    new ProcRunWorkers(pargs, [[1, 1]], options);
  assertThrows(
    make({ isolation: "processes" as "process" }),
    TypeError,
    `'isolation' must be "thread" or "process": current value is "processes"`,
  );
  assertThrows(
    make({ memoryLimit: 64 }),
    TypeError,
    `'memoryLimit' must be given with isolation "process": current value is 64`,
  );
  for (const bad of [0, -1, 1.5, NaN, Infinity]) {
    assertThrows(
      make({ isolation: "process", memoryLimit: bad }),
      RangeError,
      `'memoryLimit' must be a whole number of MiB >= 1: current value is ${bad}`,
    );
  }
  assertThrows(
    make({ isolation: "process", memoryLimit: "64" as never }),
    TypeError,
    "memoryLimit",
  );
  assertThrows(
    make({ isolation: "process" }, [square, new SharedArrayBuffer(8)]),
    TypeError,
    "'pargs' must be values that can be copied to a worker process",
  );
  assertThrows(
    make({ isolation: "process" }, [square, new Blob(["x"])]),
    TypeError,
    "'pargs' must be values that can be copied to a worker process",
  );
  // This test runs without --allow-net: a worker process cannot be given it.
  assertThrows(
    make({ isolation: "process", permissions: { net: true } }),
    TypeError,
    "'permissions.net' must be at most this process's own permissions: current value is true",
  );
  assertThrows(
    make({ isolation: "process", permissions: { net: ["example.com"] } }),
    TypeError,
    'this process has no net access to "example.com"',
  );
  assertThrows(
    make({ isolation: "process", permissions: { disk: true } as never }),
    TypeError,
    "'disk' is not a permission",
  );
});

Deno.test("ProcRunWorkers.runAll() fails a task whose answer a worker process cannot send, and goes on [process]", async () => {
  // A thread can take a Blob; V8's serialiser would empty it.
  const results = await new ProcRunWorkers([fn("blob")], [[1, 0]], { isolation: "process" })
    .runAll();
  assertEquals(results[0]!.exception, "DataCloneError");
  assertStringIncludes(results[0]!.error!, "Blob object could not be cloned");
  const [thread] = await new ProcRunWorkers([fn("blob")], [[1, 0]]).runAll();
  assert(thread!.answer instanceof Blob);
});

Deno.test("ProcRunWorkers.runAll() fails only the running task when its worker process is killed with SIGKILL from outside [process]", async () => {
  const dir = await Deno.makeTempDir();
  const pidFile = `${dir}/pid`;
  // One worker process: "victim" writes its pid and waits; the others are quick.
  const tasks: Task[] = [["before", "ok"], ["victim", { pidFile }], ["after", "ok"], [
    "last",
    "ok",
  ]];
  const run = new ProcRunWorkers([fn("chaos")], tasks, { isolation: "process", numWorkers: 1 });
  const running = run.runAll();
  await waitFor(() => Deno.stat(pidFile).then(() => true, () => false), 20_000, "the task's pid");
  const pid = Number(await Deno.readTextFile(pidFile));
  Deno.kill(pid, "SIGKILL");
  const results = await running;
  assertEquals(results.map((r) => [r.key, r.success, r.exception]), [
    ["before", true, null],
    ["victim", false, "WorkerCrash"],
    ["after", true, null],
    ["last", true, null],
  ]);
  assertEquals(results[1]!.error, "the worker process was killed by SIGKILL");
  assertGreaterOrEqual(results[1]!.timeRun, 0);
  assertEquals(results[2]!.slot, 1, "the next worker process took the job slot");
  await waitFor(async () => !(await isAlive(pid)), 3000, "the worker process gone");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ProcRunWorkers.runAll() passes on what tasks in worker processes print, and keeps their results apart [process]", async () => {
  const script = `
import { ProcRunWorkers, workerFunction } from ${MOD};
const print = workerFunction(${JSON.stringify(TASKS.href)}, "print");
const tasks = Array.from({ length: 50 }, (_, i) => [i, "line " + i]);
const results = await new ProcRunWorkers([print], tasks, { isolation: "process", numWorkers: 2 }).runAll();
console.log(JSON.stringify(results.map((r) => r.answer)));
`;
  const { status, out, err } = await deno(["eval", "--ext=ts", script], 60_000);
  assertEquals(status.code, 0, err);
  const lines = out.trimEnd().split("\n");
  const answers = JSON.parse(lines.pop()!);
  assertEquals(answers, Array.from({ length: 50 }, (_, i) => `line ${i}`));
  assertEquals(lines.sort(), answers.slice().sort(), "each task's line, whole");
});
