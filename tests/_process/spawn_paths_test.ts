/**
 * The promises kept on the fast spawn path (the rest of the suite runs on it:
 * the test task grants --allow-ffi) kept on the two older paths as well: the
 * same tests, run again in a child `deno test` with PROCRUN_SPAWN set.
 *
 * @module
 */
import { assertEquals, assertMatch } from "@std/assert";

const FILES = [
  "../proc_run_async_test.ts",
  "../proc_run_workers_test.ts",
  "./signals_test.ts",
].map((file) => new URL(file, import.meta.url).pathname);

/** Timeouts kill the whole tree on time, output kept, the cap, invalid UTF-8, stdin, signals, cancellation, spawn errors. */
const PROMISES = [
  "times out a command",
  "grandchild in its own session",
  "SIGKILL after killGrace",
  "cancelled by signal kills running commands",
  "caps large output",
  "not valid UTF-8",
  "feeds stdin",
  "missing or non-executable",
  "spawn error",
  "reports a command that cannot start",
  "kills a timed-out command",
  "cancels through signal",
  "leaves no child process behind",
  "leaves no task's grandchild behind",
];

const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

for (const path of ["setsid", "detached"]) {
  Deno.test(`On the ${path} spawn path too: timeouts, output, the cap, stdin, signals and cancellation`, async () => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "test",
        "--allow-run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-ffi",
        "--filter",
        `/${PROMISES.map(literally).join("|")}/`,
        ...FILES,
      ],
      env: { PROCRUN_SPAWN: path, NO_COLOR: "1" },
    }).output();
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    assertEquals(output.code, 0, text);
    const passed = /ok \| (\d+) passed \| 0 failed/.exec(text);
    assertMatch(text, /ok \| \d+ passed \| 0 failed/);
    // Every promise matched at least one test.
    for (const name of PROMISES) {
      assertMatch(text, new RegExp(literally(name)), name);
    }
    assertEquals(Number(passed![1]) >= PROMISES.length, true, text);
  });
}
