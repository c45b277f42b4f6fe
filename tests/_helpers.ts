/**
 * Test helpers: process-tree inspection and polling handshakes.
 *
 * @module
 */
import { delay } from "@std/async/delay";

/** The pids of live (non-zombie) processes whose process group is `pgid`. */
export async function groupMembers(pgid: number): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // fields[0] is the state, fields[2] the process group.
      if (fields[0] !== "Z" && Number(fields[2]) === pgid) pids.push(Number(entry.name));
    } catch {
      // The process exited while we looked.
    }
  }
  return pids;
}

/** Whether process `pid` is alive (and not a zombie). */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
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
