import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { ProcRunAsync } from "../src/proc_run_async.ts";
import { ProcRunWorkers } from "../src/proc_run_workers.ts";
import { type TraceFile, TraceRecorder } from "../src/trace.ts";
import { workerFunction } from "../src/worker_function.ts";
import { exists, waitFor } from "./_helpers.ts";
import { startSshd } from "./_ssh/sshd.ts";
import { checkTrace } from "./_trace/check.ts";

const SH = "/bin/sh";
// $0 is the task's argument: "fail" exits 3, "hang" outlives the timeout, else a sleep of $0 s.
const SCRIPT = 'case "$0" in fail) exit 3;; hang) sleep 30;; *) sleep "$0";; esac';

Deno.test("TraceRecorder records every attempt as one X event on its slot, at its result's times", async () => {
  const trace = new TraceRecorder();
  const tasks: [string, string][] = [];
  for (let i = 0; i < 24; i++) {
    tasks.push([`t${i}`, i % 8 === 3 ? "fail" : i === 5 ? "hang" : String((i % 4) * 0.02)]);
  }
  const run = new ProcRunAsync([SH, "-c", SCRIPT], tasks, {
    numWorkers: 3,
    timeout: 0.3,
    retry: { maxAttempts: 2 },
    trace,
  });
  const results = await run.runAll();
  assert(results.some((r) => r.timeout) && results.some((r) => r.attempts === 2));
  const file = JSON.parse(JSON.stringify(trace)) as TraceFile;
  const slices = checkTrace(file, results.map((r) => r.toJSON()), 3);
  assertEquals(file.otherData.runner, "ProcRunAsync");
  assertEquals(file.otherData.slots, 3);
  const failed = slices.find((s) => s.args!.key === "t3" && s.args!.attempt === 2)!;
  assertEquals(failed.args!.returncode, 3);
  assertEquals(failed.args!.status, "failure");
  assertEquals(failed.args!.command, `${SH} -c '${SCRIPT.replaceAll("'", "'\\''")}' fail`);
  const hung = slices.find((s) => s.args!.key === "t5")!;
  assertEquals([hung.cat, hung.args!.timeout, hung.args!.exception], [
    "timeout",
    true,
    "TimeoutError",
  ]);
  // A task read while every slot is busy waits: its queue wait is in its args.
  assert(slices.some((s) => (s.args!.queue_wait_ms as number) > 10));
  const end = file.traceEvents.at(-1)!;
  assertEquals([end.name, end.ph], ["run end", "i"]);
});

Deno.test("TraceRecorder records a halt, the cancellation and each task that never started", async () => {
  const trace = new TraceRecorder();
  const tasks: [number, string][] = [[1, "fail"], [2, "hang"], [3, "0"], [4, "0"], [5, "0"]];
  const run = new ProcRunAsync([SH, "-c", SCRIPT], tasks, {
    numWorkers: 2,
    halt: { when: "now", fail: 1 },
    trace,
  });
  const results = await run.runAll();
  const file = trace.toJSON();
  checkTrace(file, results.map((r) => r.toJSON()), 2);
  const instants = file.traceEvents.filter((e) => e.ph === "i");
  const halt = instants.find((e) => e.name === "halt")!;
  assertEquals([halt.cat, halt.s, halt.args!.key, halt.args!.when], ["halt", "g", 1, "now"]);
  assertStringIncludes(halt.args!.reason as string, "halted: 1 task failed");
  const cancel = instants.find((e) => e.name === "cancelled")!;
  assertStringIncludes(cancel.args!.reason as string, "halted");
  const never = instants.filter((e) => e.name === "not started").map((e) => e.args!.key);
  assertEquals(never, results.filter((r) => r.timeStart === null).map((r) => r.key));
  assert(never.length > 0);
  const killed = file.traceEvents.find((e) => e.ph === "X" && e.args!.key === 2)!;
  assertEquals(killed.cat, "cancelled");
});

Deno.test("TraceRecorder with write gives the file's text as the run goes, whole at its end", async () => {
  const pieces: string[] = [];
  let seenDuringRun = 0;
  const trace = new TraceRecorder({ write: (text) => pieces.push(text) });
  const run = new ProcRunAsync([SH, "-c", "sleep 0.05"], [["a", 1], ["b", 2], ["c", 3]], {
    numWorkers: 1,
    trace,
    onResult: (result) => {
      // The slice of the attempt that just ended is written before its result goes out.
      if (pieces.join("").includes(`"args":{"task":${result.arg}`)) seenDuringRun++;
    },
  });
  const results = await run.runAll();
  assertEquals(seenDuringRun, 3);
  const file = JSON.parse(pieces.join("")) as TraceFile;
  checkTrace(file, results.map((r) => r.toJSON()), 1);
  assertThrows(() => trace.toJSON(), Error, "were not kept");
});

Deno.test("TraceRecorder stops when write throws, and the run goes on", async () => {
  let calls = 0;
  const trace = new TraceRecorder({
    write: () => {
      if (++calls === 2) throw new Error("disk full");
    },
  });
  const run = new ProcRunAsync(["true"], [[1, ""], [2, ""], [3, ""]], { numWorkers: 1, trace });
  const results = await run.runAll();
  assertEquals(results.map((r) => r.success), [true, true, true]);
  assertEquals((trace.error as Error).message, "disk full");
  assertEquals(calls, 2);
});

Deno.test("TraceRecorder.toJSON() during a run gives the trace so far, and close() ends it", async () => {
  const trace = new TraceRecorder();
  let during: TraceFile | undefined;
  const run = new ProcRunAsync([SH, "-c", "sleep 0.02"], [[1, ""], [2, ""]], {
    numWorkers: 1,
    trace,
    onResult: (result) => {
      if (result.key === 1) during = JSON.parse(JSON.stringify(trace));
    },
  });
  await run.runAll();
  assertEquals(during!.traceEvents.filter((e) => e.ph === "X").length, 1);
  const whole = trace.toJSON().traceEvents;
  assertEquals(whole.filter((e) => e.ph === "X").length, 2);
  trace.close();
  assertEquals(trace.toJSON().traceEvents.length, whole.length);

  let text = "";
  const cut = new TraceRecorder({ write: (piece) => text += piece });
  const stopped = new ProcRunAsync([SH, "-c", "sleep 0.05"], [[1, ""], [2, ""], [3, ""]], {
    numWorkers: 1,
    trace: cut,
    onResult: (result) => {
      if (result.key === 1) cut.close();
    },
  });
  await stopped.runAll();
  const events = JSON.parse(text).traceEvents as TraceFile["traceEvents"];
  assertEquals(events.filter((e) => e.ph === "X").length, 1);
  assertEquals(events.at(-1)!.name, "trace closed");
});

Deno.test("TraceRecorder on ProcRunWorkers: no two slices of a worker's slot overlap", async () => {
  const trace = new TraceRecorder();
  const fn = workerFunction(new URL("./fixtures/worker_tasks.ts", import.meta.url), "square");
  const tasks = Array.from({ length: 300 }, (_, i) => [i, i] as [number, number]);
  const run = new ProcRunWorkers([fn], tasks, { numWorkers: 2, trace });
  const results = await run.runAll();
  assert(results.every((r) => r.success));
  const slices = checkTrace(trace.toJSON(), results.map((r) => r.toJSON()), 2);
  assertEquals(new Set(slices.map((s) => s.tid)).size, 2);
  assertEquals(trace.toJSON().otherData.runner, "ProcRunWorkers");
});

Deno.test("TraceRecorder is refused where it cannot record: not a recorder, or used already", async () => {
  assertThrows(
    () => new ProcRunAsync(["true"], [[1, ""]], { trace: {} as TraceRecorder }),
    TypeError,
    "'trace' must be a TraceRecorder: current value is {}",
  );
  assertThrows(
    () => new TraceRecorder({ write: "file.json" as unknown as () => void }),
    TypeError,
    "'write' must be a function",
  );
  const trace = new TraceRecorder();
  const first = new ProcRunAsync(["true"], [[1, ""]], { trace });
  const second = new ProcRunAsync(["true"], [[1, ""]], { trace });
  await first.runAll();
  assertThrows(
    () => new ProcRunAsync(["true"], [[1, ""]], { trace }),
    TypeError,
    "'trace' must be a TraceRecorder that has not recorded a run",
  );
  // Made before the first run ended, the second runner fails before running anything.
  let ran = false;
  const third = new ProcRunAsync(
    [() => {
      ran = true;
      return [true, null] as const;
    }],
    [[1, ""]],
    { trace: new TraceRecorder() },
  );
  await third.runAll();
  assert(ran);
  await assertRejects(() => second.runAll(), TypeError, "has already recorded a run");
  assertEquals(second.results.length, 0);
});

Deno.test("checkTrace() (the tests' checker) fails on overlapping slices and on times off the results", async () => {
  const trace = new TraceRecorder();
  const run = new ProcRunAsync([SH, "-c", "sleep 0.01"], [[1, ""], [2, ""]], {
    numWorkers: 1,
    trace,
  });
  const results = (await run.runAll()).map((r) => r.toJSON());
  const file = trace.toJSON();
  checkTrace(file, results, 1);
  const doctor = (change: (slices: TraceFile["traceEvents"]) => void) => {
    const copy = structuredClone(file);
    change(copy.traceEvents.filter((e) => e.ph === "X"));
    return copy;
  };
  assertThrows(() => checkTrace(doctor(([a]) => a!.ts += 3000), results, 1), Error, "start");
  assertThrows(() => checkTrace(doctor(([a]) => a!.dur! += 60_000), results, 1), Error, "end");
  assertThrows(() => checkTrace(doctor(([a]) => a!.tid = 2), results, 1), Error, "slot");
});

Deno.test("TraceRecorder's file is whole JSON when SIGINT ends the process in the middle of a run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "procrun_trace_" });
  try {
    const script = new URL("./fixtures/trace_signal_run.ts", import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-run", "--allow-read", "--allow-write", script, `${dir}/run.json`, dir],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Handshake: both running commands have touched their markers.
    await waitFor(
      async () => (await exists(`${dir}/a.go`)) && (await exists(`${dir}/b.go`)),
      20_000,
      "two tasks to start",
    );
    Deno.kill(child.pid, "SIGINT");
    const { signal, stdout } = await child.output();
    assertEquals(signal, "SIGINT");
    assertEquals(new TextDecoder().decode(stdout), "");
    const events =
      (JSON.parse(await Deno.readTextFile(`${dir}/run.json`)) as TraceFile).traceEvents;
    assert(events.some((e) => e.cat === "signal" && e.name === "SIGINT"));
    assertEquals(events.filter((e) => e.ph === "X").map((e) => e.cat), ["cancelled", "cancelled"]);
    assertEquals(events.at(-1)!.name, "run end");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TraceRecorder gives each host its process: this machine, then each sshd host", async () => {
  const dir = await Deno.makeTempDir();
  const server = await startSshd(dir);
  try {
    const trace = new TraceRecorder();
    const tasks = Array.from({ length: 8 }, (_, i): [number, string] => [i, "0.1"]);
    const run = new ProcRunAsync(["sleep"], tasks, {
      hosts: [`2/${server.login}`, "1/:"],
      ssh: server.ssh,
      trace,
    });
    const results = await run.runAll();
    assert(results.every((r) => r.success), results.find((r) => !r.success)?.stderr);
    const file = trace.toJSON();
    const slices = checkTrace(file, results.map((r) => r.toJSON()), 3);
    const names = file.traceEvents.filter((e) => e.name === "process_name");
    assertEquals(names.map((e) => [e.pid, e.args!.name]), [[1, "this machine"], [2, server.login]]);
    assertEquals(new Set(slices.map((s) => s.pid)), new Set([1, 2]));
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
