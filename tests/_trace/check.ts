/**
 * Checks a trace against the results of the run it recorded: the structure
 * the Chrome Trace Event format and Perfetto need, and times that match the
 * results. Shared by the library's and the CLI's trace tests.
 *
 * @module
 */
import { assert, assertAlmostEquals, assertEquals, assertGreaterOrEqual } from "@std/assert";
import type { ProcResultJSON } from "../../src/result.ts";
import type { TraceEvent, TraceFile } from "../../src/trace.ts";

/** What a result's attempts should look like in the trace. */
interface Expected {
  start: number;
  end: number;
  slot: number | null;
  host: string | null;
  status: string;
}

function expectedAttempts(result: ProcResultJSON): Expected[] {
  const attempts: Expected[] = result.earlierAttempts
    .filter((attempt) => attempt.timeStart !== null)
    .map((attempt) => ({
      start: Date.parse(attempt.timeStart!),
      end: Date.parse(attempt.timeEnd!),
      slot: attempt.slot,
      host: attempt.host,
      status: attempt.timeout ? "timeout" : "failure",
    }));
  if (result.timeStart !== null) {
    attempts.push({
      start: Date.parse(result.timeStart),
      end: Date.parse(result.timeEnd!),
      slot: result.slot,
      host: result.host,
      status: result.success
        ? "success"
        : result.timeout
        ? "timeout"
        : result.cancelled
        ? "cancelled"
        : "failure",
    });
  }
  return attempts;
}

/** The id of a key, as the trace's args hold it. */
const keyId = (key: unknown) => JSON.stringify(key);

/**
 * Asserts that `trace` is the trace of a run whose results are `results`
 * (as `toJSON()` gives them), run at most `slots` at once: every attempt is
 * one X event on the slot that ran it, at the times of its result (to the
 * millisecond of the results' dates), no two events of a thread overlap,
 * every task that never started has its instant, and the counter equals
 * the attempts running at each of its samples. Returns the X events.
 */
export function checkTrace(
  trace: TraceFile,
  results: readonly ProcResultJSON[],
  slots: number,
): TraceEvent[] {
  assertEquals(trace.displayTimeUnit, "ms");
  assert(Array.isArray(trace.traceEvents));
  const t0 = trace.otherData.startEpochMs as number;
  assertEquals(typeof t0, "number");
  const events = trace.traceEvents;
  const slices = events.filter((event) => event.ph === "X");
  const names = new Map<string, string>();
  const processes = new Map<number, string>();
  for (const event of events) {
    if (event.ph !== "M") continue;
    if (event.name === "thread_name") {
      names.set(`${event.pid}:${event.tid}`, event.args!.name as string);
    }
    if (event.name === "process_name") processes.set(event.pid, event.args!.name as string);
  }
  assertEquals(processes.get(1), "this machine");
  const byKey = Map.groupBy(slices, (event) => keyId(event.args!.key));
  const notStarted = new Set(
    events.filter((event) => event.name === "not started").map((event) => keyId(event.args!.key)),
  );
  for (const result of results) {
    const expected = expectedAttempts(result);
    const got = (byKey.get(keyId(result.key)) ?? []).sort((a, b) =>
      (a.args!.attempt as number) - (b.args!.attempt as number)
    );
    assertEquals(got.length, expected.length, `attempts of task ${keyId(result.key)}`);
    got.forEach((event, i) => {
      const want = expected[i]!;
      const where = `task ${keyId(result.key)} attempt ${i + 1}`;
      assertEquals(event.args!.attempt, i + 1, where);
      assertEquals(event.tid, want.slot, `${where}: slot`);
      assertEquals(names.get(`${event.pid}:${event.tid}`), `slot ${want.slot}`, where);
      assertEquals(processes.get(event.pid), want.host ?? "this machine", `${where}: host`);
      assertEquals(event.cat, want.status, `${where}: status`);
      // The results' dates keep whole milliseconds (cut, not rounded).
      assertAlmostEquals(t0 + event.ts / 1000, want.start + 0.5, 0.51, `${where}: start`);
      assertAlmostEquals(
        t0 + (event.ts + event.dur!) / 1000,
        want.end + 0.5,
        0.51,
        `${where}: end`,
      );
    });
    if (result.timeStart === null) assert(notStarted.has(keyId(result.key)), keyId(result.key));
  }
  assertEquals(slices.length, results.reduce((n, r) => n + expectedAttempts(r).length, 0));
  // One attempt at a time per slot: no two slices of a thread overlap.
  for (const [thread, list] of Map.groupBy(slices, (event) => `${event.pid}:${event.tid}`)) {
    list.sort((a, b) => a.ts - b.ts);
    for (let i = 1; i < list.length; i++) {
      assertGreaterOrEqual(
        list[i]!.ts,
        list[i - 1]!.ts + list[i - 1]!.dur!,
        `overlap on ${thread}`,
      );
    }
  }
  // The counter: in time order, and equal to the slices running at each sample.
  const samples = events.filter((event) => event.ph === "C");
  assert(samples.length > 0);
  for (let i = 1; i < samples.length; i++) {
    assertGreaterOrEqual(samples[i]!.ts, samples[i - 1]!.ts, "counter samples in time order");
  }
  // At every start and end of a slice, the last sample so far says how many run.
  const boundaries = [...new Set(slices.flatMap((s) => [s.ts, s.ts + s.dur!]))];
  for (const ts of boundaries) {
    const sample = samples.findLast((candidate) => candidate.ts <= ts);
    const running = slices.filter((s) => s.ts <= ts && ts < s.ts + s.dur!).length;
    assertEquals(sample?.args?.running ?? 0, running, `tasks running at ${ts} µs`);
  }
  for (const sample of samples) {
    assert((sample.args!.running as number) <= slots, `at most ${slots} running`);
    assertGreaterOrEqual(sample.args!.queued as number, 0);
  }
  assertEquals(samples.at(-1)!.args, { running: 0, queued: 0 });
  return slices;
}
