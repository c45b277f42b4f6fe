/**
 * A GNU parallel joblog (procrun's `--joblog` too) as report data. The
 * joblog has no slot column: each job goes on the lowest slot of its host
 * that is free at its start, as GNU parallel hands out `{%}`.
 *
 * @module
 */
import { signalName } from "../_process/signal_numbers.ts";
import type { Status } from "../_trace/status.ts";
import type { ReportBuilder } from "./model.ts";

/** The joblog's header line, which starts every joblog. */
export const JOBLOG_HEADER =
  "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand";

/**
 * Starts and ends are written to the millisecond: a job that starts within
 * this of another's end on its slot started after it.
 */
const ROUNDING_MS = 2;

interface Job {
  seq: string;
  host: string | null;
  start: number;
  end: number;
  exitval: number;
  signal: number;
  command: string;
}

/** The status of a job: Exitval -1 is a timeout (GNU parallel and procrun write it so). */
function statusOf(job: Job): Status {
  if (job.exitval === -1) return "timeout";
  return job.exitval === 0 && job.signal === 0 ? "success" : "failure";
}

/** Adds the jobs of a joblog's text to `builder`. Lines that are not whole jobs (a torn last line) are skipped. */
export function fromJoblog(text: string, builder: ReportBuilder): void {
  const jobs: Job[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split("\t");
    if (fields.length < 9 || !/^\d+$/.test(fields[0]!)) continue;
    const start = Number(fields[2]) * 1000;
    const runtime = Number(fields[3]) * 1000;
    const exitval = Number(fields[6]);
    const signal = Number(fields[7]);
    if (![start, runtime, exitval, signal].every(Number.isFinite)) continue;
    jobs.push({
      seq: fields[0]!,
      host: fields[1] === ":" ? null : fields[1]!,
      start,
      end: start + Math.max(0, runtime),
      exitval,
      signal,
      command: fields.slice(8).join("\t"),
    });
  }
  // A Seq logged again (a resumed run) is another attempt of the same job.
  const tasks = new Map<string, { index: number; attempts: number }>();
  const slotEnds = new Map<string | null, number[]>();
  jobs.sort((a, b) => a.start - b.start);
  for (const job of jobs) {
    let task = tasks.get(job.seq);
    if (!task) {
      task = { index: builder.task(Number(job.seq), "", job.command), attempts: 0 };
      tasks.set(job.seq, task);
    }
    task.attempts++;
    const ends = slotEnds.get(job.host) ?? [];
    slotEnds.set(job.host, ends);
    let slot = ends.findIndex((end) => end <= job.start + ROUNDING_MS);
    if (slot === -1) slot = ends.length;
    ends[slot] = job.end;
    const killed = job.signal !== 0;
    builder.bar({
      task: task.index,
      host: job.host,
      slot: slot + 1,
      start: job.start,
      end: job.end,
      status: statusOf(job),
      attempt: task.attempts,
      wait: -1,
      returncode: killed || job.exitval === -1 ? null : job.exitval,
      signal: killed ? signalName(job.signal) ?? `signal ${job.signal}` : null,
      exception: null,
      error: null,
    });
  }
}
