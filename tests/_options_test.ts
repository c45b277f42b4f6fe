import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { ProcRunAsync } from "../src/proc_run_async.ts";
import type { Pargs, ProcRunOptions, Tasks } from "../src/types.ts";

type ErrorClass = typeof TypeError | typeof RangeError;

function refuses(
  pargs: unknown,
  tasks: unknown,
  options: unknown,
  errorClass: ErrorClass,
  ...fragments: string[]
): void {
  const error = assertThrows(
    () => new ProcRunAsync(pargs as Pargs, tasks as Tasks, options as ProcRunOptions),
    errorClass,
  );
  for (const fragment of fragments) assertStringIncludes(error.message, fragment);
}

Deno.test("ProcRunAsync() refuses duplicate keys and names the key", () => {
  refuses(["true"], [[1, "a"], [2, "b"], [1, "c"]], {}, TypeError, "tasks[2]", "key 1");
  refuses(["true"], [["x", 1], ["x", 2]], {}, TypeError, `key "x"`);
});

Deno.test("ProcRunAsync() refuses empty or malformed pargs", () => {
  refuses([], [], {}, TypeError, "'pargs'", "current value is []");
  refuses("sleep", [], {}, TypeError, "'pargs'");
  refuses([42], [], {}, TypeError, "'pargs[0]'", "command", "function", "current value is 42");
  refuses([""], [], {}, TypeError, "'pargs[0]'");
  refuses([new URL("https://example.com/x")], [], {}, TypeError, "'pargs[0]'", "file: URL");
  refuses(["echo", { a: 1 }], [], {}, TypeError, "'pargs[1]'");
});

Deno.test("ProcRunAsync() refuses pargs that Deno.Command would change (a lone surrogate becomes U+FFFD)", () => {
  refuses(["ls", "f\udcffo"], [], {}, TypeError, "'pargs[1]'", "well-formed text", "0xFF");
  refuses(["\ud800x"], [], {}, TypeError, "'pargs[0]'", "U+D800");
});

Deno.test("ProcRunAsync() refuses tasks that are not pairs or not iterable", () => {
  refuses(["true"], [[1, 2, 3]], {}, TypeError, "'tasks[0]'", "[key, arg] pair");
  refuses(["true"], [[1, 1], 5], {}, TypeError, "'tasks[1]'", "current value is 5");
  refuses(["true"], 5, {}, TypeError, "'tasks'", "iterable");
  refuses(["true"], "ab", {}, TypeError, "'tasks'");
  refuses(["true"], null, {}, TypeError, "'tasks'");
});

Deno.test("ProcRunAsync() refuses bad numWorkers, timeout and killGrace", () => {
  refuses(["true"], [], { numWorkers: "4" }, TypeError, "'numWorkers'", `current value is "4"`);
  refuses(["true"], [], { timeout: "5" }, TypeError, "'timeout'");
  for (const numWorkers of [-1, 1.5, NaN]) {
    refuses(["true"], [], { numWorkers }, RangeError, "'numWorkers'", "non-negative integer");
  }
  refuses(["true"], [], { numWorkers: -1 }, RangeError, "current value is -1");
  for (const timeout of [-1, NaN, Infinity]) {
    refuses(["true"], [], { timeout }, RangeError, "'timeout'", ">= 0");
  }
  refuses(["true"], [], { timeout: NaN }, RangeError, "current value is NaN");
  refuses(["true"], [], { killGrace: -0.5 }, RangeError, "'killGrace'", "current value is -0.5");
});

Deno.test("ProcRunAsync() refuses bad retry and halt options, naming the option, the value and what is accepted", () => {
  refuses(["true"], [], { retry: 3 }, TypeError, "'retry' must be an object", "current value is 3");
  refuses(
    ["true"],
    [],
    { retry: { maxAttempts: 0 } },
    RangeError,
    "'retry.maxAttempts' must be a positive integer",
    "current value is 0",
  );
  refuses(
    ["true"],
    [],
    { retry: { maxAttempts: "2" } },
    TypeError,
    "'retry.maxAttempts'",
    `current value is "2"`,
  );
  refuses(
    ["true"],
    [],
    { retry: { minTimeout: -1 } },
    RangeError,
    "'retry.minTimeout' must be a number of milliseconds >= 0",
  );
  refuses(
    ["true"],
    [],
    { retry: { multiplier: 0.5 } },
    RangeError,
    "'retry.multiplier' must be a finite number >= 1",
  );
  refuses(
    ["true"],
    [],
    { retry: { jitter: 2 } },
    RangeError,
    "'retry.jitter' must be a number from 0 to 1",
  );
  refuses(
    ["true"],
    [],
    { retry: { minTimeout: 10, maxTimeout: 5 } },
    RangeError,
    "'retry.minTimeout' must be <= retry.maxTimeout (5)",
  );
  refuses(
    ["true"],
    [],
    { retry: { isRetriable: true } },
    TypeError,
    "'retry.isRetriable' must be a function",
  );
  refuses(
    ["true"],
    [],
    { retry: { retries: 2 } },
    TypeError,
    "'retry.retries' is not an option",
    "maxAttempts",
  );
  refuses(
    ["true"],
    [],
    { halt: "now,fail=1" },
    TypeError,
    "'halt' must be an object such as { when: \"now\", fail: 1 }",
  );
  refuses(
    ["true"],
    [],
    { halt: { when: "later", fail: 1 } },
    TypeError,
    '\'halt.when\' must be "soon" or "now"',
    `current value is "later"`,
  );
  refuses(
    ["true"],
    [],
    { halt: { when: "now" } },
    TypeError,
    "exactly one of fail, success and done",
  );
  refuses(
    ["true"],
    [],
    { halt: { when: "now", fail: 1, done: 2 } },
    TypeError,
    "exactly one of fail, success and done",
  );
  refuses(
    ["true"],
    [],
    { halt: { when: "now", fail: 0 } },
    RangeError,
    "'halt.fail' must be a whole number of tasks >= 1",
    "current value is 0",
  );
  refuses(
    ["true"],
    [],
    { halt: { when: "soon", success: "120%" } },
    RangeError,
    "'halt.success'",
    `current value is "120%"`,
  );
  refuses(
    ["true"],
    [],
    { halt: { when: "soon", done: "half" } },
    TypeError,
    "'halt.done'",
    `current value is "half"`,
  );
  refuses(
    ["true"],
    [],
    { halt: { when: "soon", fails: 1 } },
    TypeError,
    "'halt.fails' is not an option",
  );
});

Deno.test("ProcRunAsync() refuses bad hosts and ssh options, and hosts for function tasks", () => {
  refuses(
    ["true"],
    [],
    { hosts: "a" },
    TypeError,
    "'hosts' must be a non-empty array of sshlogins",
  );
  refuses(["true"], [], { hosts: [] }, TypeError, "'hosts' must be a non-empty array");
  refuses(["true"], [], { hosts: ["0/a"] }, TypeError, "'hosts[0]' must be an sshlogin", `"0/a"`);
  refuses(
    ["true"],
    [],
    { hosts: ["a"], ssh: "ssh" },
    TypeError,
    "'ssh' must be a non-empty array of strings",
  );
  refuses(
    [() => [true, 1] as const],
    [],
    { hosts: ["a"] },
    TypeError,
    "'hosts' must be left out for function tasks",
  );
});

Deno.test("ProcRunAsync() refuses options of the wrong type", () => {
  refuses(["true"], [], { signal: {} }, TypeError, "'signal'", "AbortSignal");
  refuses(["true"], [], { cwd: 1 }, TypeError, "'cwd'");
  refuses(["true"], [], { env: { A: 1 } }, TypeError, "'env'");
  refuses(["true"], [], { stdin: 5 }, TypeError, "'stdin'");
  refuses(["true"], [], { maxOutputBytes: -1 }, RangeError, "'maxOutputBytes'");
  refuses(["true"], [], { verbose: "yes" }, TypeError, "'verbose'");
  refuses(["true"], [], { onResult: 1 }, TypeError, "'onResult'");
  refuses(["true"], [], { handleSignals: 1 }, TypeError, "'handleSignals'");
  refuses(["true"], [], null, TypeError, "'options'");
});

Deno.test("ProcRunAsync() refuses an option name it does not know, naming the near one", () => {
  refuses(
    ["true"],
    [],
    { numworkers: 2 },
    TypeError,
    "'numworkers' is not an option",
    "did you mean 'numWorkers'",
  );
  refuses(
    ["true"],
    [],
    { retries: 1 },
    TypeError,
    "'retries' is not an option",
    "numWorkers, timeout",
  );
  // permissions belongs to ProcRunWorkers: this engine could not apply it.
  refuses(["true"], [], { permissions: "none" }, TypeError, "'permissions' is not an option");
});

Deno.test("ProcRunAsync() refuses bad input before anything runs", async () => {
  const dir = await Deno.makeTempDir();
  const marker = `${dir}/ran`;
  assertThrows(
    () => new ProcRunAsync(["touch"], [[1, marker], [1, marker]]),
    TypeError,
  );
  assertThrows(
    () => new ProcRunAsync(["touch"], [[1, marker]], { timeout: -1 }),
    RangeError,
  );
  const exists = await Deno.stat(marker).then(() => true, () => false);
  assertEquals(exists, false);
  await Deno.remove(dir, { recursive: true });
});
