import { assertEquals, assertThrows } from "@std/assert";
import { parseCli, UsageError } from "../../src/_cli/args.ts";

/** Asserts that `args` is refused with a UsageError whose message includes `fragment`. */
function refused(args: string[], fragment: string): UsageError {
  return assertThrows(() => parseCli(args), UsageError, fragment);
}

Deno.test("parseCli() gives the defaults for a bare command", () => {
  assertEquals(parseCli(["echo"]), {
    help: false,
    version: false,
    command: ["echo"],
    sources: undefined,
    argFile: undefined,
    link: false,
    colsep: undefined,
    delimiter: 10,
    keySep: undefined,
    shell: false,
    module: undefined,
    exportName: "default",
    jobs: 4,
    timeout: 0,
    timeoutPercent: undefined,
    killGrace: undefined,
    maxOutputBytes: undefined,
    joblogAppend: false,
    trace: undefined,
    resume: "no",
    retries: undefined,
    retryDelay: undefined,
    halt: undefined,
    engine: "async",
    isolation: "thread",
    memoryLimit: undefined,
    keepOrder: false,
    dryRun: false,
    color: "auto",
    quiet: false,
    verbose: false,
    quote: false,
    maxArgs: undefined,
    delay: 0,
    tag: undefined,
    results: undefined,
    lineBuffer: false,
    hosts: undefined,
    hostSlots: undefined,
    ssh: undefined,
    sshControl: undefined,
    sshloginfile: undefined,
    workdir: undefined,
    envNames: [],
    transferFiles: [],
    returnFiles: [],
    cleanup: false,
    joblog: undefined,
    progress: undefined,
    output: "default",
  });
});

Deno.test("parseCli() keeps the word after a boolean option as the command", () => {
  // parseArgs alone would read `-t true` as verbose = true and lose the command.
  const config = parseCli(["-t", "true", ":::", "1"]);
  assertEquals(config.verbose, true);
  assertEquals(config.command, ["true"]);
  assertEquals(config.sources, [{ values: ["1"], linked: false }]);
});

Deno.test("parseCli() leaves the command's own options to the command", () => {
  const config = parseCli(["-j", "2", "ls", "-l", "--timeout", "5", "-q"]);
  assertEquals(config.command, ["ls", "-l", "--timeout", "5", "-q"]);
  assertEquals(config.jobs, 2);
  assertEquals(config.timeout, 0);
  assertEquals(config.quiet, false);
});

Deno.test("parseCli() joins a separate value to its option, so a value may start with '-'", () => {
  const error = refused(["--timeout", "-1", "sleep"], "--timeout");
  assertEquals(
    error.message,
    "--timeout must be a number of seconds >= 0 (0 for none), with s, m, h or d, or P% of the median run time: got '-1'",
  );
  refused(["--timeout=-1", "sleep"], "got '-1'");
  refused(["--kill-grace", "-2", "sleep"], "--kill-grace must be a number of seconds >= 0");
  // -j -3 is GNU parallel's "3 fewer than the cores".
  assertEquals(
    parseCli(["--jobs", "-3", "sleep"]).jobs,
    Math.max(1, navigator.hardwareConcurrency - 3),
  );
  assertEquals(
    refused(["--max-output-bytes", "1.5", "cat"], "--max-output-bytes").message,
    "--max-output-bytes must be a whole number of bytes >= 0: got '1.5'",
  );
});

Deno.test("parseCli() reads short options with attached, separate and bundled values", () => {
  assertEquals(parseCli(["-j4", "echo"]).jobs, 4);
  assertEquals(parseCli(["-j", "5", "echo"]).jobs, 5);
  const bundled = parseCli(["-tj", "6", "echo"]);
  assertEquals([bundled.verbose, bundled.jobs, bundled.command], [true, 6, ["echo"]]);
  const quoted = parseCli(["-qkP", "2", "sleep"]);
  assertEquals([quoted.quote, quoted.keepOrder, quoted.jobs], [true, true, 2]);
  assertEquals(parseCli(["--jobs=0", "echo"]).jobs, 0);
});

Deno.test("parseCli() ends its options at '--'", () => {
  const config = parseCli(["--quiet", "--", "-x", "--json", ":::", "a"]);
  assertEquals(config.quiet, true);
  assertEquals(config.output, "default");
  assertEquals(config.command, ["-x", "--json"]);
  assertEquals(config.sources, [{ values: ["a"], linked: false }]);
  // "--" is never taken as an option's value.
  refused(["--timeout", "--", "sleep"], "--timeout needs a value");
});

Deno.test("parseCli() splits the command from its input sources at ':::', '::::', ':::+' and '::::+'", () => {
  const config = parseCli([
    "echo",
    "a",
    ":::",
    "1",
    "2",
    ":::",
    "x",
    ":::+",
    "y",
    "::::",
    "f",
    "g",
  ]);
  assertEquals(config.command, ["echo", "a"]);
  assertEquals(config.sources, [
    { values: ["1", "2"], linked: false },
    { values: ["x"], linked: false },
    { values: ["y"], linked: true },
    { file: "f", linked: false },
    { file: "g", linked: false },
  ]);
  assertEquals(parseCli(["echo", "::::+", "f"]).sources, [{ file: "f", linked: false }]);
  assertEquals(parseCli(["echo", ":::"]).sources, [{ values: [], linked: false }]);
  assertEquals(parseCli(["echo", "a"]).sources, undefined);
  assertEquals(parseCli(["-a", "f", "-a", "g", "echo"]).sources, [
    { file: "f", linked: false },
    { file: "g", linked: false },
  ]);
  assertEquals(parseCli(["-a", "f", "echo"]).argFile, "f");
  refused(["echo", "::::"], ":::: needs a file name");
  // ":::" right after an option that takes a value is not that value.
  refused(["-j", ":::", "1"], "--jobs needs a value");
});

Deno.test("parseCli() takes the last of a repeated option", () => {
  assertEquals(parseCli(["-j", "2", "--jobs", "3", "echo"]).jobs, 3);
  assertEquals(parseCli(["--timeout=1", "--timeout", "2", "echo"]).timeout, 2);
  assertEquals(parseCli(["--engine", "workers", "--engine", "async", "echo"]).engine, "async");
});

Deno.test("parseCli() refuses two output modes together", () => {
  refused(["--json", "--jsonl", "echo"], "--json and --jsonl cannot be used together");
  refused(["--report", "--json", "echo"], "--report and --json cannot be used together");
  assertEquals(parseCli(["--jsonl", "echo"]).output, "jsonl");
  assertEquals(parseCli(["--report", "echo"]).output, "report");
});

Deno.test("parseCli() refuses an unknown option and names it", () => {
  assertEquals(
    refused(["--frobnicate", "echo"], "--frobnicate").message,
    "unknown option '--frobnicate'",
  );
  assertEquals(refused(["--frob=3", "echo"], "--frob").message, "unknown option '--frob'");
  refused(["-x", "echo"], "unknown option '-x'");
});

Deno.test("parseCli() refuses --export without --module", () => {
  refused(["--export", "double", "echo"], "--export needs --module");
  const config = parseCli(["--module", "tasks.ts", "--export", "double"]);
  assertEquals([config.module, config.exportName, config.command], ["tasks.ts", "double", []]);
});

Deno.test("parseCli() refuses ':::' together with --arg-file", () => {
  refused(["-a", "list.txt", "echo", ":::", "1"], "':::' and --arg-file cannot be used together");
  assertEquals(parseCli(["-a", "list.txt", "echo"]).argFile, "list.txt");
});

Deno.test("parseCli() refuses a missing command, --shell with --module and bad values", () => {
  refused([], "no command given");
  refused(["--quiet"], "no command given");
  refused(["--shell", "--module", "tasks.ts"], "--shell and --module cannot be used together");
  refused(["--jobs", "1.5", "echo"], "--jobs must be a non-negative integer (0 for no limit), +N");
  refused(["--jobs", " ", "echo"], "got ' '");
  refused(["--engine", "threads", "echo"], "--engine must be one of async, workers: got 'threads'");
  refused(["--color", "yes", "echo"], "--color must be one of auto, always, never");
  refused(["--key-sep="], "--key-sep needs a value");
});

Deno.test("parseCli() returns for --help and --version without a command", () => {
  assertEquals(parseCli(["--help"]).help, true);
  assertEquals(parseCli(["-h"]).help, true);
  assertEquals(parseCli(["-V"]).version, true);
  assertEquals(parseCli(["--version"]).command, []);
});

Deno.test("parseCli() forces --progress on or off, else leaves it undecided", () => {
  assertEquals(parseCli(["--progress", "echo"]).progress, true);
  assertEquals(parseCli(["--no-progress", "echo"]).progress, false);
  assertEquals(parseCli(["echo"]).progress, undefined);
});

Deno.test("parseCli() reads every other option", () => {
  const config = parseCli([
    "--keep-order",
    "--dry-run",
    "--color",
    "never",
    "--joblog",
    "log.tsv",
    "--key-sep",
    "=",
    "--kill-grace",
    "0.5",
    "--max-output-bytes",
    "1048576",
    "--shell",
    "echo {}",
  ]);
  assertEquals(config.keepOrder, true);
  assertEquals(config.dryRun, true);
  assertEquals(config.color, "never");
  assertEquals(config.joblog, "log.tsv");
  assertEquals(config.keySep, "=");
  assertEquals(config.killGrace, 0.5);
  assertEquals(config.maxOutputBytes, 1048576);
  assertEquals(config.shell, true);
  assertEquals(config.command, ["echo {}"]);
});

Deno.test("parseCli() reads --halt in GNU parallel's forms, the legacy numbers included", () => {
  const halt = (value: string) => parseCli(["--halt", value, "true"]).halt;
  assertEquals(halt("never"), undefined);
  assertEquals(halt("0"), undefined);
  assertEquals(halt("now,fail=1"), { when: "now", fail: 1 });
  assertEquals(halt("soon,fail=3"), { when: "soon", fail: 3 });
  assertEquals(halt("soon,fail=3%"), { when: "soon", fail: "3%" });
  assertEquals(halt("now,success=2"), { when: "now", success: 2 });
  assertEquals(halt("now,done=50%"), { when: "now", done: "50%" });
  assertEquals(halt("1"), { when: "soon", fail: 1 });
  assertEquals(halt("2"), { when: "now", fail: 1 });
  assertEquals(halt("-1"), { when: "soon", success: 1 });
  assertEquals(halt("-2"), { when: "now", success: 1 });
  assertEquals(halt("20%"), { when: "soon", fail: "20%" });
  assertEquals(parseCli(["--halt-on-error", "2", "true"]).halt, { when: "now", fail: 1 });
  for (const bad of ["later,fail=1", "now,fail=0", "now,fails=1", "now,fail=101%", "3", "now"]) {
    refused(["--halt", bad, "true"], `--halt must be never, soon or now`);
  }
});

Deno.test("parseCli() reads --retries, --retry-delay, --resume and --joblog +FILE, and refuses what makes no sense", () => {
  const config = parseCli(["--retries", "3", "--retry-delay", "0.5", "true"]);
  assertEquals([config.retries, config.retryDelay], [3, 0.5]);
  assertEquals(parseCli(["--retries", "0", "true"]).retries, 0);
  refused(["--retries", "-1", "true"], "--retries must be a whole number of attempts >= 0");
  refused(["--retry-delay", "1", "true"], "--retry-delay needs --retries");
  const appended = parseCli(["--joblog", "+log.tsv", "true"]);
  assertEquals([appended.joblog, appended.joblogAppend], ["log.tsv", true]);
  assertEquals(parseCli(["--resume", "--joblog", "log.tsv", "true"]).resume, "all");
  assertEquals(parseCli(["--resume-failed", "--joblog", "log.tsv", "true"]).resume, "failed");
  refused(["--resume", "true"], "--resume needs --joblog FILE");
  refused(["--resume-failed", "--joblog", "-", "true"], "--resume-failed needs --joblog FILE");
  refused(["--resume", "--resume-failed", "--joblog", "l", "true"], "cannot be used together");
});

Deno.test("parseCli() reads --link, --colsep, -0 and -d, and GNU parallel's -k and -P", () => {
  const config = parseCli(["--link", "--colsep", "\\t+", "-0", "-k", "-P", "3", "echo"]);
  assertEquals([config.link, config.colsep?.source, config.delimiter], [true, "\\t+", 0]);
  assertEquals([config.keepOrder, config.jobs], [true, 3]);
  assertEquals(parseCli(["-d", ",", "echo"]).delimiter, 44);
  assertEquals(parseCli(["-d", "\\t", "echo"]).delimiter, 9);
  refused(["-d", "ab", "echo"], "--delimiter must be one ASCII character");
  refused(["--colsep", "(", "echo"], "--colsep must be a regular expression: got '('");
});

Deno.test("parseCli() reads -N and --delay, and refuses bad values", () => {
  assertEquals(parseCli(["-N", "3", "echo"]).maxArgs, 3);
  assertEquals(parseCli(["--delay", "0.5", "echo"]).delay, 0.5);
  refused(["-N", "0", "echo"], "--max-args must be a whole number of values >= 1: got '0'");
  refused(["--delay", "-1", "echo"], "--delay must be a number of seconds >= 0");
  refused(
    ["-N", "2", "--key-sep", "=", "echo"],
    "--max-args and --key-sep cannot be used together",
  );
});

Deno.test("parseCli() refuses --timeout P% where the engine cannot change a task's timeout", () => {
  refused(
    ["--timeout", "200%", "--module", "x.ts"],
    "--timeout P% needs a command on --engine async",
  );
});

Deno.test("parseCli() reads -S (repeated, comma lists) and --ssh", () => {
  const config = parseCli(["-S", "2/a,b", "--sshlogin", ":", "--ssh", "ssh -p 22", "true"]);
  assertEquals([config.hosts, config.ssh], [["2/a", "b", ":"], ["ssh", "-p", "22"]]);
  refused(
    ["--ssh", "ssh", "true"],
    "--ssh, --controlmaster, --workdir, --env, --transferfile and --return need --sshlogin or --sshloginfile",
  );
  refused(["--env", "HOME", "true"], "need --sshlogin");
  const remote = parseCli(["-S", "h", "--workdir", "/tmp/w", "--env", "A", "--env", "B", "true"]);
  assertEquals([remote.workdir, remote.envNames], ["/tmp/w", ["A", "B"]]);
  assertEquals(parseCli(["--sshloginfile", "hosts.txt", "true"]).sshloginfile, "hosts.txt");
  refused(["-S", "a", "--engine", "workers", "true"], "--sshlogin needs --engine async");
});

Deno.test("parseCli() takes --trace FILE, and refuses - (standard output carries the tasks' output)", () => {
  assertEquals(parseCli(["--trace", "run.json", "echo"]).trace, "run.json");
  assertEquals(parseCli(["--trace=run.json", "echo"]).trace, "run.json");
  refused(["--trace", "-", "echo"], "--trace needs a file name");
});
