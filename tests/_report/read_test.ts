import { assert, assertEquals, assertThrows } from "@std/assert";
import { JobLog } from "../../src/_cli/joblog.ts";
import type { ReportData } from "../../src/_report/model.ts";
import { reportSummary } from "../../src/_report/page_summary.ts";
import { LogError, readLog } from "../../src/_report/read.ts";
import { ProcRunAsync } from "../../src/proc_run_async.ts";
import type { ProcResult } from "../../src/result.ts";
import { TraceRecorder } from "../../src/trace.ts";

const SCRIPT = 'case "$0" in fail) exit 3;; hang) sleep 30;; *) sleep "$0";; esac';

/** A real run with a failure retried, a timeout, a halt and tasks that never started. */
async function sampleRun(): Promise<{ results: ProcResult[]; trace: string }> {
  const trace = new TraceRecorder();
  const tasks: [string, string][] = [
    ["a", "0.05"],
    ["b", "fail"],
    ["c", "hang"],
    ["d", "0.02"],
    ["e", "0.01"],
    ["f", "fail"],
    ["g", "0"],
    ["h", "0"],
  ];
  const run = new ProcRunAsync(["/bin/sh", "-c", SCRIPT], tasks, {
    numWorkers: 2,
    timeout: 0.3,
    retry: { maxAttempts: 2 },
    halt: { when: "soon", fail: 2 },
    trace,
  });
  return { results: await run.runAll(), trace: JSON.stringify(trace) };
}

const statusName = (r: ProcResult) =>
  r.success ? "success" : r.timeout ? "timeout" : r.cancelled ? "cancelled" : "failure";

/** The report's tasks and attempts say what the results say. */
function assertMatches(data: ReportData, results: ProcResult[]): void {
  assertEquals(data.tasks.key.length, results.length);
  for (const result of results) {
    const task = data.tasks.key.indexOf(String(result.key));
    assert(task >= 0, String(result.key));
    assertEquals(data.statuses[data.tasks.status[task]!], statusName(result), String(result.key));
    assertEquals(data.tasks.attempts[task], result.timeStart === null ? 0 : result.attempts);
    const bars = data.bars.task.flatMap((t, i) => t === task ? [i] : []);
    assertEquals(bars.length, result.timeStart === null ? 0 : result.attempts);
    if (result.timeStart === null) continue;
    const last = bars.at(-1)!;
    const start = data.zeroEpochMs + data.bars.start[last]!;
    assert(Math.abs(start - result.timeStart.getTime()) < 1, String(result.key));
    assertEquals(data.rows[data.bars.row[last]!], `slot ${result.slot}`);
  }
  const summary = reportSummary(data);
  assertEquals(summary.succeeded, results.filter((r) => r.success).length);
  assertEquals(summary.timedOut, results.filter((r) => r.timeout).length);
  assertEquals(summary.notStarted, results.filter((r) => r.timeStart === null).length);
  assertEquals(summary.attempts, data.bars.start.length);
}

Deno.test("readLog() reads a trace, procrun's JSON Lines and its JSON into the same tasks and attempts", async () => {
  const { results, trace } = await sampleRun();
  assert(results.some((r) => r.timeStart === null), "the halt kept tasks from starting");
  const fromTrace = readLog(trace, "run.json", "run");
  assertEquals(fromTrace.source, "trace");
  assertMatches(fromTrace, results);
  // Only the trace knows the run's start and end, the queue waits and the halt.
  assert(fromTrace.bars.wait.every((wait) => wait >= 0));
  assertEquals(fromTrace.marks.name, ["halt"]);
  const jsonl = results.map((r) => JSON.stringify(r)).join("\n") + "\n";
  const fromLines = readLog(jsonl, "run.jsonl", "run");
  assertEquals(fromLines.source, "jsonl");
  assertMatches(fromLines, results);
  assert(fromLines.bars.wait.every((wait) => wait === -1));
  const fromArray = readLog(JSON.stringify(results, null, 2), "run.json", "run");
  assertEquals(fromArray.source, "json");
  assertMatches(fromArray, results);
  // Earlier attempts go on the slot that ran them, in both.
  const slots = (data: ReportData) =>
    Object.fromEntries(data.bars.task.map((task, i) => [
      `${data.tasks.key[task]}/${data.bars.attempt[i]}`,
      data.rows[data.bars.row[i]!],
    ]));
  assertEquals(slots(fromLines), slots(fromTrace));
  assert(Object.keys(slots(fromTrace)).includes("b/2"));
});

Deno.test("readLog() reads a trace cut short up to its last whole event, and JSON Lines without a torn last line", async () => {
  const { results } = await sampleRun();
  let text = "";
  const trace = new TraceRecorder({ write: (piece) => text += piece });
  await new ProcRunAsync(["true"], [[1, ""], [2, ""], [3, ""]], { numWorkers: 1, trace }).runAll();
  // As a SIGKILL leaves it: no end, and half an event.
  const lines = text.trimEnd().split("\n");
  const lastSlice = lines.findLastIndex((line) => line.includes('"ph":"X"'));
  const cut = lines.slice(0, lastSlice).join("\n") + "\n" + lines[lastSlice]!.slice(0, 40);
  const data = readLog(cut, "cut.json", "cut");
  assertEquals(data.source, "trace");
  assertEquals(data.bars.start.length, 2);
  const jsonl = results.map((r) => JSON.stringify(r)).join("\n");
  const torn = readLog(jsonl.slice(0, -10), "torn.jsonl", "torn");
  assertEquals(torn.tasks.key.length, results.length - 1);
});

Deno.test("readLog() puts a joblog's jobs on the lowest slot free at their start, per host", () => {
  let text = "";
  new JobLog((piece) => text += piece); // Writes the header.
  const job = (seq: number, host: string, start: number, run: number, exit: number, signal = 0) =>
    text += `${seq}\t${host}\t${start.toFixed(3)}\t${
      run.toFixed(3).padStart(10)
    }\t0\t0\t${exit}\t${signal}\tcmd ${seq}\n`;
  job(1, ":", 1000, 2, 0); // slot 1: 1000-1002
  job(2, ":", 1000.5, 1, 1); // slot 2: 1000.5-1001.5
  job(3, ":", 1001.5, 0.4, -1, 15); // slot 2 again, as 2 ended: a timeout
  job(4, ":", 1001.6, 0.2, 0, 9); // slot 3: 1 and 3 still run; killed by SIGKILL
  job(5, "srv", 1000.2, 1, 0); // another host: its own slot 1
  job(2, ":", 1003, 0.1, 0); // a resumed run ran task 2 again
  text += "7\t:\t1004.000\t  "; // a torn last line
  const data = readLog(text, "jobs.tsv", "jobs");
  assertEquals(data.source, "joblog");
  assertEquals(data.rows, ["slot 1", "slot 2", "slot 3", "srv slot 1"]);
  assertEquals(data.bars.row, [0, 3, 1, 1, 2, 0]);
  assertEquals(data.tasks.key, ["1", "5", "2", "3", "4"]);
  assertEquals(data.bars.status.map((s) => data.statuses[s]), [
    "success",
    "success",
    "failure",
    "timeout",
    "failure",
    "success",
  ]);
  assertEquals(data.bars.signal[4], "SIGKILL");
  assertEquals(data.tasks.attempts[2], 2);
  assertEquals(data.statuses[data.tasks.status[2]!], "success");
  assertEquals(data.zeroEpochMs, 1_000_000);
  assertEquals(data.wallMs, 3100);
  assertEquals(data.tasks.command[0], "cmd 1");
});

Deno.test("readLog() refuses what it cannot read, saying what it expected", () => {
  assertThrows(() => readLog("", "x", "x"), LogError, "it is empty");
  assertThrows(() => readLog("hello\n", "x", "x"), LogError, "is not a trace, procrun's --jsonl");
  assertThrows(
    () => readLog('{"key":1,"timeStart":null,"success":true}\n{"a":1}\n', "x", "x"),
    LogError,
    "line 2 is not a procrun result",
  );
  assertThrows(() => readLog("[1, 2]", "x", "x"), LogError, "item 0 is not a procrun result");
});
