import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import type { ProcResultJSON } from "../../src/result.ts";
import type { TraceFile } from "../../src/trace.ts";
import { deno, exists, readUntil, waitFor } from "../_helpers.ts";
import { checkTrace } from "../_trace/check.ts";

const CLI = new URL("../../src/cli.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const RUN = ["run", "-A", "--config", CONFIG, CLI];

function jsonLines(text: string): ProcResultJSON[] {
  return text.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

/** The CLI started in the background on a long shell command per value; waits until `started` tasks run. */
async function startRun(
  dir: string,
  args: string[],
  script: string,
  values: string[],
  started: number,
) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...RUN, ...args, "--shell", "--", script, ":::", ...values.map((v) => `${dir}/${v}`)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  // Handshake: each task writes its marker once it runs.
  await waitFor(
    async () => {
      let n = 0;
      for (const value of values) if (await exists(`${dir}/${value}.go`)) n++;
      return n >= started;
    },
    20_000,
    `${started} tasks to start`,
  );
  return child;
}

Deno.test("cli --trace writes every attempt, with the CLI's args and command lines", async () => {
  const dir = await Deno.makeTempDir({ prefix: "procrun_trace_" });
  try {
    const trace = `${dir}/run.json`;
    const { status, out } = await deno([
      ...RUN,
      "--quiet",
      "--jsonl",
      "--trace",
      trace,
      "-j",
      "3",
      "--retries",
      "2",
      "--timeout",
      "0.5",
      "--",
      "sh",
      "-c",
      'case "$0" in bad) exit 4;; slow) sleep 5;; *) sleep 0.0$0;; esac',
      ":::",
      "1",
      "bad",
      "3",
      "slow",
      "5",
      "6",
      "7",
    ]);
    assertEquals(status.code, 2);
    const results = jsonLines(out);
    const file = JSON.parse(await Deno.readTextFile(trace)) as TraceFile;
    const slices = checkTrace(file, results, 3);
    assertEquals(slices.length, 7 + 2);
    const bad = slices.filter((s) => s.args!.arg === "bad");
    assertEquals(bad.map((s) => [s.args!.attempt, s.args!.returncode]), [[1, 4], [2, 4]]);
    assertEquals(
      bad[0]!.args!.command,
      `sh -c 'case "$0" in bad) exit 4;; slow) sleep 5;; *) sleep 0.0$0;; esac' bad`,
    );
    assertEquals(slices.find((s) => s.args!.arg === "slow")!.cat, "timeout");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli --trace is valid JSON after a SIGINT mid-run, with the signal, the cancellation and every task", async () => {
  const dir = await Deno.makeTempDir({ prefix: "procrun_trace_" });
  try {
    const trace = `${dir}/run.json`;
    const child = await startRun(
      dir,
      ["--jsonl", "--trace", trace, "-j", "2"],
      'touch "$1.go"; exec sleep 30',
      ["a", "b", "c", "d"],
      2,
    );
    Deno.kill(child.pid, "SIGINT");
    const { code, stdout } = await child.output();
    assertEquals(code, 130);
    const file = JSON.parse(await Deno.readTextFile(trace)) as TraceFile;
    checkTrace(file, jsonLines(new TextDecoder().decode(stdout)), 2);
    const events = file.traceEvents;
    const signal = events.find((e) => e.cat === "signal")!;
    assertEquals([signal.name, signal.ph, signal.s], ["SIGINT", "i", "g"]);
    assertStringIncludes(
      events.find((e) => e.name === "cancelled")!.args!.reason as string,
      "SIGINT",
    );
    assertEquals(events.filter((e) => e.ph === "X").map((e) => e.cat), ["cancelled", "cancelled"]);
    // c was read and waited for a slot; d was never read (input stops at a cancellation).
    assertEquals(events.filter((e) => e.name === "not started").map((e) => e.args!.arg), [
      `${dir}/c`,
    ]);
    assertEquals(events.at(-1)!.name, "run end");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli --trace is valid JSON after a second SIGINT, which exits at once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "procrun_trace_" });
  try {
    const trace = `${dir}/run.json`;
    // The tasks ignore SIGTERM and the kill grace is long: only the second SIGINT ends the CLI.
    const child = await startRun(
      dir,
      ["--trace", trace, "-j", "2", "--kill-grace", "30"],
      'trap "" TERM; touch "$1.go"; sleep 30',
      ["a", "b", "c"],
      2,
    );
    const stderr = child.stderr.getReader();
    Deno.kill(child.pid, "SIGINT");
    await readUntil(stderr, /SIGINT received/);
    Deno.kill(child.pid, "SIGINT");
    assertEquals((await child.status).code, 130);
    await stderr.cancel();
    await child.stdout.cancel();
    const file = JSON.parse(await Deno.readTextFile(trace)) as TraceFile;
    const events = file.traceEvents;
    assertEquals(events.at(-1)!.name, "trace closed");
    assert(events.some((e) => e.cat === "signal" && e.name === "SIGINT"));
    assertEquals(events.at(-2)!.ph, "C");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli --trace to a path it cannot write runs nothing and exits 255", async () => {
  const dir = await Deno.makeTempDir({ prefix: "procrun_trace_" });
  try {
    const { status, err } = await deno([
      ...RUN,
      "--trace",
      `${dir}/missing/run.json`,
      "--shell",
      "--",
      `touch "${dir}/ran"`,
      ":::",
      "x",
    ]);
    assertEquals(status.code, 255);
    assertStringIncludes(err, `cannot write --trace "${dir}/missing/run.json"`);
    assertEquals(await exists(`${dir}/ran`), false);
    const dash = await deno([...RUN, "--trace", "-", "--", "true", ":::", "x"]);
    assertEquals(dash.status.code, 255);
    assertStringIncludes(dash.err, "--trace needs a file name");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
