import { assertEquals } from "@std/assert";
import { exitValue, JobLog, joblogLine } from "../../src/_cli/joblog.ts";
import { ProcResult } from "../../src/result.ts";

const HEADER = "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand";

/** A result with `fields` set, as an engine would leave it. */
function result(fields: Partial<ProcResult> = {}): ProcResult {
  return Object.assign(new ProcResult("k", "a"), fields);
}

Deno.test("joblogLine() gives GNU parallel's nine tab-separated columns", () => {
  const ran = result({
    timeStart: new Date(1_700_000_000_123),
    timeRun: 1.5,
    success: true,
    returncode: 0,
    stdout: "out\n",
  });
  assertEquals(
    joblogLine(3, ran, "echo out", true),
    "3\t:\t1700000000.123\t     1.500\t0\t4\t0\t0\techo out",
  );
});

Deno.test("joblogLine() writes Starttime with 3 decimals and pads JobRuntime to 10", () => {
  const columns = (r: ProcResult) => joblogLine(1, r, "x", true).split("\t");
  const ran = result({ timeStart: new Date(1_700_000_000_000), timeRun: 0.0004, returncode: 0 });
  assertEquals(columns(ran).slice(2, 4), ["1700000000.000", "     0.000"]);
  const long = result({ timeStart: new Date(5), timeRun: 12345.6789, returncode: 0 });
  assertEquals(columns(long).slice(2, 4), ["0.005", " 12345.679"]);
  assertEquals(columns(result()).slice(2, 4), ["0.000", "     0.000"], "never started");
});

Deno.test("joblogLine() counts Receive in UTF-8 bytes of stdout only, as GNU parallel does", () => {
  // "é" is 2 bytes: 1 + 2 + 1 + 1 + 1 + 1 (newline) = 7; stderr is not counted.
  const r = result({ returncode: 0, stdout: "héllo\n", stderr: "€" });
  assertEquals(joblogLine(1, r, "x", true).split("\t")[5], "7");
});

Deno.test("joblogLine() gives the signal's number, 0 for none or an unknown one", () => {
  const signalColumn = (signal: string | null) =>
    joblogLine(1, result({ signal }), "x", true).split("\t")[7];
  assertEquals(signalColumn("SIGTERM"), "15");
  assertEquals(signalColumn("SIGKILL"), "9");
  assertEquals(signalColumn("SIGINT"), "2");
  assertEquals(signalColumn(null), "0");
  assertEquals(signalColumn("SIGWINCH"), "28");
  assertEquals(signalColumn("SIGNOTONE"), "0");
});

Deno.test("joblogLine() replaces newlines in the command with spaces", () => {
  const line = joblogLine(7, result({ returncode: 0 }), "sh -c 'echo a\necho b\n'", true);
  assertEquals(line.split("\t").at(-1), "sh -c 'echo a echo b '");
  assertEquals(line.includes("\n"), false);
});

Deno.test("exitValue() gives a command's exit code, -1 when procrun stopped it, 127 when it never ran", () => {
  assertEquals(exitValue(result({ returncode: 0, success: true }), true), 0);
  assertEquals(exitValue(result({ returncode: 3 }), true), 3);
  // Killed by someone else's signal: GNU parallel writes 0, and the Signal column.
  assertEquals(exitValue(result({ signal: "SIGKILL" }), true), 0);
  assertEquals(joblogLine(1, result({ signal: "SIGKILL" }), "x", true).split("\t").slice(6, 8), [
    "0",
    "9",
  ]);
  assertEquals(exitValue(result({ timeout: true, signal: "SIGTERM" }), true), -1);
  assertEquals(exitValue(result({ timeout: true }), true), -1);
  assertEquals(exitValue(result({ cancelled: true }), true), -1);
  assertEquals(exitValue(result({ exception: "NotFound", error: "no such file" }), true), 127);
  // The Exitval column is the same number.
  assertEquals(joblogLine(1, result({ returncode: 3 }), "x", true).split("\t")[6], "3");
  assertEquals(joblogLine(1, result({ cancelled: true }), "x", true).split("\t")[6], "-1");
});

Deno.test("exitValue() gives a function 0 for success and 1 for anything else", () => {
  assertEquals(exitValue(result({ success: true }), false), 0);
  assertEquals(exitValue(result({ success: false }), false), 1);
  assertEquals(exitValue(result({ timeout: true }), false), 1);
  assertEquals(exitValue(result({ cancelled: true }), false), 1);
});

Deno.test("JobLog() writes the header and each line through the function it is given", () => {
  const pieces: string[] = [];
  const log = new JobLog((text) => pieces.push(text));
  log.add(1, result({ timeStart: new Date(1000), timeRun: 0.25, returncode: 0 }), "echo 1", true);
  log.close();
  assertEquals(pieces.length, 2);
  assertEquals(pieces[0], HEADER + "\n");
  assertEquals(pieces[1]!.split("\t")[0], "1");
  assertEquals(pieces[1]!.endsWith("echo 1\n"), true);
});

Deno.test("JobLog.open() creates or truncates the file and writes the header at once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/joblog.tsv`;
    JobLog.open(path).close();
    assertEquals(await Deno.readTextFile(path), HEADER + "\n");
    await Deno.writeTextFile(path, "old content that must go\n".repeat(10));
    const log = JobLog.open(path);
    assertEquals(await Deno.readTextFile(path), HEADER + "\n", "written before close()");
    log.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("JobLog.add() writes each started task's line at once and skips tasks that never started", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/joblog.tsv`;
    const log = JobLog.open(path);
    const first = result({ timeStart: new Date(1000), timeRun: 0.25, returncode: 0 });
    const third = result({ timeStart: new Date(2000), timeRun: 1, returncode: 2, stderr: "no" });
    log.add(1, first, "echo 1", true);
    assertEquals((await Deno.readTextFile(path)).split("\n").length, 3, "on disk before close()");
    log.add(2, result({ cancelled: true, error: "cancelled before it started" }), "echo 2", true);
    log.add(3, third, "echo 3", true);
    log.close();
    assertEquals(
      await Deno.readTextFile(path),
      [
        HEADER,
        "1\t:\t1.000\t     0.250\t0\t0\t0\t0\techo 1",
        // Receive counts stdout only: the "no" on stderr is not in it.
        "3\t:\t2.000\t     1.000\t0\t0\t2\t0\techo 3",
        "",
      ].join("\n"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
