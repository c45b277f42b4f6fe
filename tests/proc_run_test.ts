import { assert, assertEquals } from "@std/assert";
import { delay } from "@std/async/delay";
import type { AttemptDone, Engine } from "../src/_engine.ts";
import { resolveOptions } from "../src/_options.ts";
import { ProcRun } from "../src/proc_run.ts";
import { ProcRunAsync } from "../src/proc_run_async.ts";
import type { ProcResult } from "../src/result.ts";
import type { Tasks } from "../src/types.ts";

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
