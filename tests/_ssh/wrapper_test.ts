import { assert, assertEquals } from "@std/assert";
import { remoteCommandLine, takeFrame, takePid, type WatchMode } from "../../src/_ssh/wrapper.ts";
import { waitFor } from "../_helpers.ts";
import { remoteProcesses } from "./sshd.ts";

const encode = (text: string) => new TextEncoder().encode(text);

/** Runs the wrapper's command line in a local sh, as a remote login shell would. */
function spawnWrapped(words: string[], mode: WatchMode, prefix: string[] = []) {
  return new Deno.Command("sh", {
    args: [...prefix, "-c", remoteCommandLine(words, 0.5, mode)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs the wrapper to its end; in pass mode `stdin` is its input, in watch mode its input stays open. */
async function wrapped(words: string[], mode: WatchMode, stdin = "") {
  const child = spawnWrapped(words, mode);
  const writer = child.stdin.getWriter();
  if (mode === "pass") {
    await writer.write(encode(stdin));
    await writer.close();
  }
  const [status, stdout, stderr] = await Promise.all([
    child.status,
    new Response(child.stdout).bytes(),
    new Response(child.stderr).bytes(),
  ]);
  if (mode === "watch") await writer.close();
  const { pid, rest } = mode === "pass" ? takePid(stderr) : { pid: null, rest: stderr };
  const frame = takeFrame(rest);
  return { stdout: new TextDecoder().decode(stdout), pid, child, frame, status };
}

/** A command whose child and grandchild (backgrounded) carry `marker` in their command lines. */
function tree(marker: string): string[] {
  return ["sh", "-c", `sh -c 'sleep 30; : ${marker}' & sleep 30; : ${marker}`];
}

Deno.test("the ssh wrapper in pass mode gives the command its stdin and words unchanged, names its own pid and frames the exit status", async () => {
  const { stdout, pid, child, frame } = await wrapped(
    ["sh", "-c", 'cat; echo "[$1]" >&2; exit 7', "x", "a b'c"],
    "pass",
    "in\n",
  );
  assertEquals(stdout, "in\n");
  // The login shell's command line execs the wrapper: its pid is the one ssh started.
  assertEquals(pid, child.pid);
  assertEquals(frame?.status, 7);
  assertEquals(new TextDecoder().decode(frame!.stderr), "[a b'c]\n");
});

Deno.test("the ssh wrapper in watch mode gives the command an empty stdin and frames the exit status", async () => {
  const { stdout, frame } = await wrapped(
    ["sh", "-c", 'wc -c; echo "$0" >&2; exit 3', "e"],
    "watch",
  );
  assertEquals(stdout.trim(), "0");
  assertEquals([frame?.status, new TextDecoder().decode(frame!.stderr)], [3, "e\n"]);
});

Deno.test("the ssh wrapper runs the command in its own session", async () => {
  const { stdout, frame } = await wrapped(["sh", "-c", "ps -o sid= -p $$; echo $$"], "watch");
  const [sid, pid] = stdout.trim().split(/\s+/);
  assertEquals([sid, frame?.status], [pid, 0]);
});

Deno.test("the ssh wrapper in watch mode stops the whole tree when its input ends, and still frames the status", async () => {
  const marker = `wrapper-watch-${crypto.randomUUID()}`;
  const child = spawnWrapped(tree(marker), "watch");
  await waitFor(async () => (await remoteProcesses(marker)).length >= 2, 5000, "the tree to start");
  await child.stdin.close();
  const { stderr } = await child.output();
  assertEquals(takeFrame(stderr)?.status, 128 + 15);
  await waitFor(async () => (await remoteProcesses(marker)).length === 0, 5000, "the tree to die");
});

Deno.test("the ssh wrapper stops the whole tree on SIGTERM (a stop request over a shared connection)", async () => {
  const marker = `wrapper-term-${crypto.randomUUID()}`;
  const child = spawnWrapped(tree(marker), "pass");
  await waitFor(async () => (await remoteProcesses(marker)).length >= 2, 5000, "the tree to start");
  Deno.kill(child.pid, "SIGTERM");
  const { stderr } = await child.output();
  assertEquals(takeFrame(takePid(stderr).rest)?.status, 128 + 15);
  await waitFor(async () => (await remoteProcesses(marker)).length === 0, 5000, "the tree to die");
  await child.stdin.close().catch(() => {});
});

Deno.test("the ssh wrapper frames the status of a command that ends at once when stopped (its trap's exit, not the signal), under sh and bash", async () => {
  // The stop's trap ends the wrapper's wait; the command may be gone and
  // reaped before the wrapper looks again: its own status must still come.
  // (`sleep 30 & wait` after the echo: a stop that came before the fork
  // would miss the sleep, and the test would wait for the grace's KILL.)
  const words = ["sh", "-c", "trap 'echo dying >&2; exit 3' TERM; sleep 30 & echo started; wait"];
  for (const shell of ["sh", "bash"]) {
    for (let i = 0; i < 6; i++) {
      const mode: WatchMode = i % 2 === 0 ? "watch" : "pass";
      const child = new Deno.Command(shell, {
        args: ["-c", remoteCommandLine(words, 0.5, mode)],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const reader = child.stdout.getReader();
      assertEquals(new TextDecoder().decode((await reader.read()).value), "started\n");
      if (mode === "watch") await child.stdin.close();
      else Deno.kill(child.pid, "SIGTERM");
      const [stderr] = await Promise.all([
        new Response(child.stderr).bytes(),
        reader.cancel(),
        child.status,
      ]);
      const rest = mode === "pass" ? takePid(stderr).rest : stderr;
      const frame = takeFrame(rest);
      assertEquals(
        [frame?.status, frame && new TextDecoder().decode(frame.stderr)],
        [3, "dying\n"],
        `${shell}, ${mode}, round ${i}`,
      );
      if (mode === "pass") await child.stdin.close().catch(() => {});
    }
  }
});

Deno.test("the ssh wrapper in pass mode stops the whole tree when its parent (sshd) dies", async () => {
  const marker = `wrapper-parent-${crypto.randomUUID()}`;
  // A parent that is not this test: it runs the wrapper and is then killed.
  const line = remoteCommandLine(tree(marker), 0.5, "pass");
  const parent = new Deno.Command("sh", {
    args: ["-c", `(eval "$1") & wait`, "parent", line],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitFor(async () => (await remoteProcesses(marker)).length >= 3, 5000, "the tree to start");
  parent.kill("SIGKILL");
  await parent.status;
  await waitFor(async () => (await remoteProcesses(marker)).length === 0, 5000, "the tree to die");
});

Deno.test("takeFrame() finds no frame where ssh failed or the output was cut", () => {
  assertEquals(
    takeFrame(encode("ssh: connect to host 127.0.0.1 port 1: Connection refused\n")),
    null,
  );
  assertEquals(takeFrame(encode("\x1eprocrun-exit 3")), null);
  assertEquals(takeFrame(encode("oops\x1eprocrun-exit x\x1e")), null);
  assertEquals(takeFrame(encode("e\x1eprocrun-exit 255\x1e"))?.status, 255);
});

Deno.test("takePid() reads the pid frame at the start, waits for more while it may be cut, and leaves other text alone", () => {
  const read = (text: string) => {
    const { pid, rest } = takePid(encode(text));
    return [pid, new TextDecoder().decode(rest)];
  };
  assertEquals(read("\x1eprocrun-pid 42\x1eerr"), [42, "err"]);
  assertEquals(read("\x1eprocrun-p"), [undefined, "\x1eprocrun-p"]);
  assertEquals(read(""), [undefined, ""]);
  assertEquals(read("plain error"), [null, "plain error"]);
  assertEquals(read("\x1eprocrun-pid x\x1e"), [null, "\x1eprocrun-pid x\x1e"]);
  assert(read("\x1eprocrun-pid 1234567890123456789012345678")[0] === null);
});
