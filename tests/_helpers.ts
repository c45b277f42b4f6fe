/**
 * Test helpers: process-tree inspection, polling handshakes, and Deno
 * scripts run in a child process.
 *
 * @module
 */
import { delay } from "@std/async/delay";

interface Proc {
  pid: number;
  pgid: number;
  state: string;
}

// Deno 2.9.6 wants --allow-all to read /proc/<pid>/stat, so ask ps instead:
// the tests then need only --allow-run.
async function processes(): Promise<Proc[]> {
  const output = await new Deno.Command("ps", {
    args: ["-A", "-o", "pid=,pgid=,stat="],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(output.stdout).trim().split("\n").map((line) => {
    const [pid, pgid, state] = line.trim().split(/\s+/);
    return { pid: Number(pid), pgid: Number(pgid), state: state ?? "" };
  });
}

/** The pids of live (non-zombie) processes whose process group is `pgid`. */
export async function groupMembers(pgid: number): Promise<number[]> {
  return (await processes())
    .filter((p) => p.pgid === pgid && !p.state.startsWith("Z"))
    .map((p) => p.pid);
}

/** Whether process `pid` is alive (and not a zombie). */
export async function isAlive(pid: number): Promise<boolean> {
  return (await processes()).some((p) => p.pid === pid && !p.state.startsWith("Z"));
}

/** Polls `check` every 20 ms until it returns true, or throws after `ms`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const end = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

/** Reads a child's stdout until `marker` appears; returns the text so far. */
export async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  marker: RegExp,
): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  while (!marker.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before ${marker}: ${text}`);
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

/**
 * Runs Deno with `args` in a child process (killed after `timeoutMs`), in
 * `cwd` if given; returns its status and output.
 */
export async function deno(args: string[], timeoutMs = 20_000, cwd?: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [status, out, err] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  clearTimeout(timer);
  return { status, out, err };
}

/** Whether `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
