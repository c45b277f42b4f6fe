#!/usr/bin/env -S deno run --allow-run --allow-write
/**
 * Records a run as a trace and writes it to a file as the run goes: open the
 * file in https://ui.perfetto.dev ("Open trace file"), or turn it into an
 * HTML timeline with `procrun report --out run.html run.trace.json`.
 *
 * Six tasks, three at a time: one fails, one outlives its timeout, one fails
 * once and is retried.
 *
 * usage: examples/example_4_trace.ts [FILE]   (default: run.trace.json)
 *
 * @module
 */
import { ProcRunAsync, TraceRecorder } from "../mod.ts";

async function main(path: string): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  const trace = new TraceRecorder({ write: (text) => void file.writeSync(encoder.encode(text)) });
  // $0 is the task's argument: a sleep, "fail", "hang" or "flaky" (fails on its first attempt).
  const script =
    'case "$0" in fail) exit 2;; hang) sleep 30;; flaky) [ -e "$1" ] || { touch "$1"; exit 1; };; *) sleep "$0";; esac';
  const marker = await Deno.makeTempFile();
  await Deno.remove(marker);
  const tasks = [["a", 0.3], ["b", "fail"], ["c", 0.1], ["d", "hang"], ["e", 0.2], [
    "f",
    "flaky",
  ]] as const;
  const run = new ProcRunAsync(
    ["sh", "-c", script],
    tasks.map(([key, arg]) => [key, [arg, marker]]),
    {
      numWorkers: 3,
      timeout: 1,
      retry: { maxAttempts: 2, isRetriable: (result) => result.key === "f" },
      trace,
    },
  );
  await run.runAll();
  file.close();
  await Deno.remove(marker).catch(() => {});
  run.printResults({ color: false });
  console.log(`trace written to ${path}: open it in https://ui.perfetto.dev ("Open trace file")`);
}

if (import.meta.main) await main(Deno.args[0] ?? "run.trace.json");
