import { assertEquals } from "@std/assert";
import { deathError } from "../../src/_workers/process_transport.ts";

const status = (code: number, signal: Deno.Signal | null): Deno.CommandStatus => ({
  success: code === 0,
  code,
  signal,
});

Deno.test("deathError() names what ended a worker process: out of memory, a signal, an exit", () => {
  const oom =
    "<--- Last few GCs --->\n...\n# Fatal JavaScript out of memory: CALL_AND_RETRY_LAST\n";
  const cases: [Error, string, string][] = [
    [
      deathError(status(133, "SIGTRAP"), oom, 64),
      "OutOfMemoryError",
      "the worker process ran out of memory (memoryLimit 64 MiB)",
    ],
    [
      deathError(status(133, "SIGTRAP"), oom, undefined),
      "OutOfMemoryError",
      "the worker process ran out of memory (V8's default heap limit; set memoryLimit)",
    ],
    [
      deathError(status(137, "SIGKILL"), "", undefined),
      "WorkerCrash",
      "the worker process was killed by SIGKILL",
    ],
    [
      deathError(status(134, "SIGABRT"), "abort", 64),
      "WorkerCrash",
      "the worker process crashed (SIGABRT)",
    ],
    [
      deathError(status(3, null), "", undefined),
      "WorkerCrash",
      "the worker process exited with code 3",
    ],
  ];
  for (const [error, name, message] of cases) {
    assertEquals([error.name, error.message], [name, message]);
  }
});
