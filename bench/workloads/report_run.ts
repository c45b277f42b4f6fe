/**
 * A real run of TASKS function tasks (ProcRunAsync, 8 at a time: about one
 * in a hundred fails and is retried once, one in a thousand times out),
 * recorded in DIR as a trace (DIR/run.trace.json, written as the run goes)
 * and as JSON Lines (DIR/run.jsonl): the input of the report workload.
 *
 * usage: deno run -A bench/workloads/report_run.ts TASKS DIR
 * prints one JSON line: {"name","tasks","seconds","attempts","failed"}
 *
 * @module
 */
import { delay } from "@std/async/delay";
import { ProcRunAsync, type TaskReturn, TraceRecorder } from "../../mod.ts";
import { intArg, report } from "./_report.ts";

const USAGE = "report_run.ts TASKS DIR";
const tasks = intArg(Deno.args[0], USAGE);
const dir = Deno.args[1] ?? String(intArg(undefined, USAGE));

function* taskList(): Generator<[number, number]> {
  for (let i = 0; i < tasks; i++) yield [i, i];
}

async function work(_key: unknown, args: unknown[], signal: AbortSignal): Promise<TaskReturn> {
  const n = args.at(-1) as number;
  if (n % 1000 === 999) await delay(100, { signal }); // past the 50 ms timeout
  else if (n % 100 === 0) await delay(2, { signal });
  else await Promise.resolve();
  return [n % 97 !== 13, n];
}

const encoder = new TextEncoder();
const traceFile = Deno.openSync(`${dir}/run.trace.json`, {
  write: true,
  create: true,
  truncate: true,
});
const lines = Deno.openSync(`${dir}/run.jsonl`, { write: true, create: true, truncate: true });
const write = (file: Deno.FsFile, text: string) => {
  const bytes = encoder.encode(text);
  for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
};
const trace = new TraceRecorder({ write: (text) => write(traceFile, text) });
let attempts = 0;
let pending = "";
const t0 = performance.now();
const run = new ProcRunAsync([work], taskList(), {
  numWorkers: 8,
  timeout: 0.05,
  keepResults: false,
  retry: { maxAttempts: 2, isRetriable: (result) => !result.timeout },
  trace,
  onResult: (result) => {
    attempts += result.attempts;
    pending += JSON.stringify(result) + "\n";
    if (pending.length > 1 << 16) {
      write(lines, pending);
      pending = "";
    }
  },
});
await run.runAll();
write(lines, pending);
traceFile.close();
lines.close();
report("report_run", tasks, (performance.now() - t0) / 1000, { attempts, failed: 0 });
