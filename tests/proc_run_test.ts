import { assert, assertEquals } from "@std/assert";
import { delay } from "@std/async/delay";
import type { AttemptDone, Engine } from "../src/_engine.ts";
import { resolveOptions } from "../src/_options.ts";
import { ProcRun } from "../src/proc_run.ts";
import { ProcRunAsync } from "../src/proc_run_async.ts";
import { ProcRunWorkers } from "../src/proc_run_workers.ts";
import type { ProcResult } from "../src/result.ts";
import type { HaltPolicy, Task, Tasks } from "../src/types.ts";
import { waitFor } from "./_helpers.ts";

const ok = (_key: unknown, args: unknown[]): [boolean, unknown] => [true, args.at(-1)];

Deno.test("ProcRun.stream() holds back new tasks while the consumer is slow", async () => {
  let started = 0;
  let consumed = 0;
  let ahead = 0;
  const count = (_key: unknown, args: unknown[]): [boolean, unknown] => {
    started++;
    ahead = Math.max(ahead, started - consumed);
    return [true, args.at(-1)];
  };
  const tasks = (function* () {
    for (let i = 0; i < 3000; i++) yield [i, i] as const;
  })();
  const run = new ProcRunAsync([count], tasks, { numWorkers: 4, keepResults: false });
  for await (const _ of run.stream()) {
    consumed++;
    if (consumed % 100 === 0) await delay(1);
  }
  assertEquals(consumed, 3000);
  // 256 results may wait for the consumer, plus the tasks already running.
  assert(ahead <= 256 + 4 + 1, `${ahead} tasks ran ahead of the consumer`);
});

Deno.test("ProcRun.stream() cancels the run when the consumer leaves the loop", async () => {
  let read = 0;
  let closed = false;
  const tasks = (function* () {
    try {
      yield ["quick", 0] as const;
      for (let i = 0; i < 1000; i++) {
        read++;
        yield [i, 30] as const;
      }
    } finally {
      closed = true;
    }
  })();
  const pids: number[] = [];
  const run = new ProcRunAsync(["sh", "-c", 'echo $$; exec sleep "$0"'], tasks, {
    numWorkers: 3,
    keepResults: true,
  });
  const t0 = performance.now();
  for await (const result of run.stream()) {
    assertEquals(result.key, "quick");
    break;
  }
  assert(performance.now() - t0 < 10_000, "leaving the loop must not wait for the sleeps");
  assertEquals(closed, true, "the task list is closed");
  assert(read < 10, `${read} tasks were read: reading must stop`);
  const results = await run.runAll(); // The same run, ended.
  assertEquals(results.length, read + 1);
  for (const result of results.slice(1)) {
    assertEquals([result.cancelled, result.success], [true, false]);
    if (result.stdout) pids.push(Number(result.stdout.trim()));
  }
  for (const pid of pids) {
    const alive = await new Deno.Command("kill", { args: ["-0", String(pid)], stderr: "null" })
      .output();
    assertEquals(alive.success, false, `sleep ${pid} is still running`);
  }
});

Deno.test("ProcRun.runAll() stops reading an endless task list once cancelled (sync and async)", async () => {
  const endless = function* () {
    for (let i = 0;; i++) yield [i, i] as const;
  };
  const endlessAsync = async function* () {
    for (let i = 0;; i++) {
      await delay(1);
      yield [i, i] as const;
    }
  };
  // Already aborted: the first task read is cancelled and reading stops.
  const pre = await new ProcRunAsync([ok], endless(), { signal: AbortSignal.abort() }).runAll();
  assertEquals(pre.length, 1);
  assertEquals(pre[0]!.cancelled, true);
  for (const tasks of [endless(), endlessAsync()]) {
    const controller = new AbortController();
    let seen = 0;
    const run = new ProcRunAsync([ok], tasks, {
      signal: controller.signal,
      keepResults: false,
      onResult: () => {
        if (++seen === 100) controller.abort(new Error("enough"));
      },
    });
    await run.runAll(); // settles: that is the test
    assert(seen >= 100 && seen < 200, `${seen} results`);
  }
});

Deno.test("ProcRun.runAll() settles when cancelled while an async task list waits forever", async () => {
  const controller = new AbortController();
  let returned = false;
  const stuck = async function* () {
    try {
      yield [1, 1] as const;
      await new Promise(() => {}); // a terminal nobody types into
    } finally {
      returned = true;
    }
  };
  const run = new ProcRunAsync([ok], stuck(), {
    signal: controller.signal,
    // Later, while the runner waits in the list's next().
    onResult: () => setTimeout(() => controller.abort(new Error("stop")), 50),
  });
  const results = await run.runAll();
  assertEquals(results.length, 1);
  assertEquals(results[0]!.success, true);
  assertEquals(returned, false, "its pending next() never settles, so return() cannot run");
});

Deno.test("ProcRun.runAll() over an endless sync task list of sync functions ends on SIGINT", async () => {
  const fixture = new URL("./fixtures/endless_run.ts", import.meta.url).pathname;
  const config = new URL("../deno.json", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--config", config, fixture],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("running")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  Deno.kill(child.pid, "SIGINT");
  const status = await child.status;
  await reader.cancel();
  await child.stderr.cancel();
  assertEquals(
    status.signal,
    "SIGINT",
    "the runner re-raises the signal once the run is cancelled",
  );
});

Deno.test("ProcRun.stream() over a lazy task list keeps no results by default: memory stays flat", async () => {
  const tasks = (function* () {
    for (let i = 0; i < 50_000; i++) yield [i, i] as const;
  })();
  const run = new ProcRunAsync([ok], tasks, { numWorkers: 4 });
  let seen = 0;
  for await (const _ of run.stream()) seen++;
  assertEquals(seen, 50_000);
  assertEquals(run.results.length, 0, "each result is freed once the loop has it");
});

/** An engine that breaks the contract: `done` twice per attempt, some sync, some later, and a throw after it. */
class CarelessEngine implements Engine {
  readonly capacity = 2;
  submitted = 0;
  start(): void {}
  submit(result: ProcResult, done: AttemptDone): void {
    this.submitted++;
    result.success = true;
    const end = { start: Date.now(), end: Date.now(), slot: 1, host: null };
    done(result, end);
    setTimeout(() => done(result, end), 0);
    if (result.key === "throws") throw new Error("engine bug after done");
    done(result, end);
  }
  abort(): void {}
  stopStarting(): void {}
  close(): Promise<void> {
    return Promise.resolve();
  }
}

class CarelessRun extends ProcRun {
  constructor(tasks: Tasks, onResult: (result: ProcResult) => void, engine: Engine) {
    super("CarelessRun", tasks, resolveOptions("CarelessRun", { onResult }, 2), engine);
  }
}

Deno.test("ProcRun ends each attempt once, however often its engine calls done or throws after it", async () => {
  const delivered: unknown[] = [];
  const engine = new CarelessEngine();
  const tasks: [string, number][] = [["a", 1], ["throws", 2], ["b", 3], ["c", 4]];
  const run = new CarelessRun(tasks, (result) => delivered.push(result.key), engine);
  const results = await run.runAll();
  await delay(20); // the late calls of done land after the run
  assertEquals(engine.submitted, 4);
  assertEquals(delivered, ["a", "throws", "b", "c"]);
  assertEquals(results.map((r) => [r.key, r.success]), [
    ["a", true],
    ["throws", true],
    ["b", true],
    ["c", true],
  ]);
});

const ENGINES = [ProcRunAsync, ProcRunWorkers] as const;

/** A command that counts its runs in DIR/ARG and fails until its `n`th run. */
function failsUntil(dir: string, n: number): [string, ...string[]] {
  return [
    "sh",
    "-c",
    `f="${dir}/$0"; k=$(($(cat "$f" 2>/dev/null || echo 0) + 1)); echo $k > "$f"; echo "run $k"; [ $k -ge ${n} ]`,
  ];
}

Deno.test("ProcRun retries: a task that fails twice then succeeds succeeds with 3 attempts allowed, fails with 2 (both engines)", async () => {
  for (const Engine of ENGINES) {
    for (const [maxAttempts, success] of [[3, true], [2, false]] as const) {
      const dir = await Deno.makeTempDir();
      try {
        const run = new Engine(failsUntil(dir, 3), [["t", "t"]], { retry: { maxAttempts } });
        const [result] = await run.runAll();
        const label = `${Engine.name} maxAttempts ${maxAttempts}`;
        assertEquals(result!.success, success, label);
        assertEquals(result!.attempts, maxAttempts, label);
        assertEquals(result!.stdout, `run ${maxAttempts}\n`, label);
        assertEquals(Number(await Deno.readTextFile(`${dir}/t`)), maxAttempts, label);
        assertEquals(
          result!.earlierAttempts.map((a) => a.returncode),
          Array(maxAttempts - 1).fill(1),
        );
        for (const attempt of result!.earlierAttempts) {
          assert(attempt.timeEnd!.getTime() <= result!.timeStart!.getTime(), label);
        }
        assertEquals(result!.toJSON().earlierAttempts.length, maxAttempts - 1);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }
  }
});

Deno.test("ProcRun retries a timed-out attempt with a fresh timeout and clock", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // The first run sleeps past the timeout; the second is quick.
    const script = `f="${dir}/$0"; [ -e "$f" ] && exit 0; touch "$f"; exec sleep 30`;
    const run = new ProcRunAsync(["sh", "-c", script], [["t", "t"]], {
      timeout: 0.5,
      killGrace: 0.2,
      retry: { maxAttempts: 2 },
    });
    const [result] = await run.runAll();
    assertEquals([result!.success, result!.attempts, result!.timeout], [true, 2, false]);
    assertEquals(result!.earlierAttempts[0]!.timeout, true);
    assertEquals(result!.earlierAttempts[0]!.exception, "TimeoutError");
    assert(result!.timeRun < 0.5, `the second attempt's clock started again: ${result!.timeRun}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ProcRun retries only what isRetriable accepts, and never a cancelled task", async () => {
  const run = new ProcRunAsync(["sh", "-c", 'exit "$0"'], [["temp", 75], ["bad", 1]], {
    retry: { maxAttempts: 3, isRetriable: (result) => result.returncode === 75 },
  });
  const [temp, bad] = await run.runAll();
  assertEquals([temp!.attempts, bad!.attempts], [3, 1]);
  const controller = new AbortController();
  const cancelled = new ProcRunAsync(["sleep"], [["s", "30"]], {
    signal: controller.signal,
    retry: { maxAttempts: 5 },
  });
  setTimeout(() => controller.abort(), 200);
  const [result] = await cancelled.runAll();
  assertEquals([result!.cancelled, result!.attempts], [true, 1]);
});

Deno.test("ProcRun waits between attempts with @std/async's backoff (minTimeout, multiplier)", async () => {
  const starts: number[] = [];
  const fail = (): [boolean, unknown] => {
    starts.push(performance.now());
    return [false, null];
  };
  const run = new ProcRunAsync([fail], [["f", 0]], {
    retry: { maxAttempts: 3, minTimeout: 200, multiplier: 2, jitter: 0 },
  });
  const [result] = await run.runAll();
  assertEquals(result!.attempts, 3);
  assert(starts[1]! - starts[0]! >= 190, `first delay ${starts[1]! - starts[0]!} ms`);
  assert(starts[2]! - starts[1]! >= 390, `second delay ${starts[2]! - starts[1]!} ms`);
});

Deno.test("ProcRun ends a task waiting for its retry with its last outcome when the run is cancelled", async () => {
  const controller = new AbortController();
  const run = new ProcRunAsync(["false"], [["f", ""]], {
    signal: controller.signal,
    retry: { maxAttempts: 5, minTimeout: 60_000 },
    onResult: () => {},
  });
  const t0 = performance.now();
  setTimeout(() => controller.abort(), 300);
  const [result] = await run.runAll();
  assert(performance.now() - t0 < 10_000, "the run waited out the retry's delay");
  assertEquals([result!.success, result!.cancelled, result!.returncode, result!.attempts], [
    false,
    false,
    1,
    1,
  ]);
});

Deno.test("ProcRun halt now,fail=1 on 100 tasks whose 5th fails: nothing left running, the rest said not run (both engines)", async () => {
  for (const Engine of ENGINES) {
    const marker = `procrun-halt-${crypto.randomUUID()}`;
    // 1 to 3 run long; 4 ends at once, so 5 starts, and fails; 6 to 100 take 50 ms each.
    const tasks = Array.from(
      { length: 100 },
      (_, i): Task => [i + 1, [30, 30, 30, 0, "fail"][i] ?? 0.05],
    );
    const run = new Engine(
      ["sh", "-c", `[ "$0" = fail ] && exit 7; sleep "$0"; : ${marker}`],
      tasks,
      { numWorkers: 4, halt: { when: "now", fail: 1 }, killGrace: 0.5 },
    );
    const t0 = performance.now();
    const results = await run.runAll();
    assert(performance.now() - t0 < 10_000, `${Engine.name} waited for the sleeps`);
    assertEquals(results.length, 100);
    assertEquals(run.haltedBy?.key, 5, Engine.name);
    assertEquals(results[4]!.returncode, 7);
    // The long ones were stopped, the rest never started; quick ones may have ended first.
    for (const result of results.slice(0, 3)) {
      assertEquals(result.error, "halted: 1 task failed (halt now,fail=1)", Engine.name);
      assertEquals(result.signal, "SIGTERM");
    }
    const halted = "halted: 1 task failed (halt now,fail=1)";
    for (const result of results.slice(5)) {
      if (result.success) continue;
      const before = result.timeStart === null;
      assertEquals(result.cancelled, true);
      assertEquals(result.error, before ? `cancelled before it started (${halted})` : halted);
    }
    const notRun = results.slice(5).filter((result) => result.timeStart === null).length;
    // The workers engine does not keep input order across its workers: 5 may even run last.
    if (Engine === ProcRunAsync) assert(notRun >= 90, `${notRun} of 95 not run`);
    await waitFor(async () => !(await psArgs()).includes(marker), 3000, "the sleeps to die");
  }
});

Deno.test("ProcRun halt soon lets running tasks end and starts no other (both engines)", async () => {
  for (const Engine of ENGINES) {
    const tasks = [
      ["fail", "exit 3"],
      ["slow", "sleep 0.5"],
      ...Array.from({ length: 8 }, (_, i) => [i, "true"]),
    ] as [string | number, string][];
    let halted = 0;
    const run = new Engine(["sh", "-c"], tasks, {
      numWorkers: 2,
      halt: { when: "soon", fail: 1 },
      // Called as the halt is decided; a worker may start a task until it hears.
      onResult: (result) => {
        if (result.key === "fail") halted = Date.now() + 20;
      },
    });
    const results = await run.runAll();
    // The async engine starts each task it is given: "slow" was running.
    if (Engine === ProcRunAsync) {
      assertEquals(results[1]!.success, true, "the running task was not stopped");
      assert(results[1]!.timeRun >= 0.4, `${results[1]!.timeRun}`);
    }
    for (const result of results.slice(1)) {
      if (result.timeStart === null) {
        assertEquals(result.cancelled, true);
        assertEquals(
          result.error,
          "cancelled before it started (halted: 1 task failed (halt soon,fail=1))",
        );
      } else {
        assertEquals(result.success, true, `${Engine.name}: ${result.key} was stopped`);
        assert(result.timeStart.getTime() <= halted, `${Engine.name} started ${result.key} after`);
      }
    }
    assert(results.slice(2).some((result) => result.cancelled), Engine.name);
  }
});

Deno.test("ProcRun halts on success, done and a percentage of the tasks started so far", async () => {
  const code = (_key: unknown, args: unknown[]): [boolean, unknown] => [args.at(-1) === 0, null];
  const ran = async (halt: HaltPolicy, codes: number[]) => {
    const run = new ProcRunAsync([code], codes.map((c, i) => [i + 1, c] as const), {
      numWorkers: 1,
      halt,
    });
    const results = await run.runAll();
    return [run.haltedBy?.key ?? null, results.filter((r) => !r.cancelled).length];
  };
  assertEquals(await ran({ when: "soon", success: 2 }, [1, 0, 1, 0, 0, 0]), [4, 4]);
  assertEquals(await ran({ when: "soon", done: 3 }, [1, 0, 1, 0, 0, 0]), [3, 3]);
  // 1 of 2 started (50%) has failed at the 2nd; 1 of 3 (33%) is not 40%.
  assertEquals(await ran({ when: "soon", fail: "50%" }, [0, 1, 0, 0, 0]), [2, 2]);
  assertEquals(await ran({ when: "soon", fail: "40%" }, [0, 0, 1, 0, 0]), [null, 5]);
  assertEquals(await ran({ when: "now", fail: 1 }, [0, 0, 0]), [null, 3]);
});

Deno.test("ProcRun decides a halt after a task's last attempt, not after a failed attempt it retries", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const run = new ProcRunAsync(failsUntil(dir, 2), [["a", "a"], ["b", "b"]], {
      numWorkers: 1,
      retry: { maxAttempts: 2 },
      halt: { when: "now", fail: 1 },
    });
    const [a, b] = await run.runAll();
    assertEquals([a!.success, a!.attempts, b!.success, run.haltedBy], [true, 2, true, null]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function psArgs(): Promise<string> {
  const { stdout } = await new Deno.Command("ps", { args: ["-A", "-o", "args="], stdout: "piped" })
    .output();
  return new TextDecoder().decode(stdout);
}

Deno.test("ProcRun gives a command an array argument as several words, also in the command word (both engines)", async () => {
  for (const Engine of ENGINES) {
    const appended = new Engine(["printf", "[%s]"], [["a", ["x y", 2]]]);
    assertEquals((await appended.runAll())[0]!.stdout, "[x y][2]", Engine.name);
    const whole = new Engine(["{}"], [["b", ["printf", "<%s>", "p q"]]], { placeholder: "{}" });
    assertEquals((await whole.runAll())[0]!.stdout, "<p q>", Engine.name);
  }
});

Deno.test("ProcResult.slot: the job slot, from 1 to numWorkers, never shared by two tasks running at once (both engines)", async () => {
  for (const Engine of ENGINES) {
    const tasks = Array.from({ length: 12 }, (_, i): Task => [i, 0.05]);
    const results = await new Engine(["sleep"], tasks, { numWorkers: 3 }).runAll();
    for (const a of results) {
      assert(a.slot !== null && a.slot >= 1 && a.slot <= 3, `${Engine.name}: slot ${a.slot}`);
      for (const b of results) {
        if (a === b || a.slot !== b.slot) continue;
        const overlap = a.timeStart! < b.timeEnd! && b.timeStart! < a.timeEnd!;
        assert(
          !overlap,
          `${Engine.name}: tasks ${a.key} and ${b.key} ran at once in slot ${a.slot}`,
        );
      }
    }
  }
});
