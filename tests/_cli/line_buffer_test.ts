import { assertEquals } from "@std/assert";
import { LineBuffer } from "../../src/_cli/line_buffer.ts";
import type { OutputQueue } from "../../src/_cli/output.ts";
import { ProcResult } from "../../src/result.ts";

/** An output queue that records what it is given. */
function recorder(): { out: OutputQueue; pieces: string[] } {
  const pieces: string[] = [];
  const decoder = new TextDecoder();
  const out = {
    push: (target: string, data: Uint8Array) => pieces.push(`${target}:${decoder.decode(data)}`),
  } as unknown as OutputQueue;
  return { out, pieces };
}

Deno.test("LineBuffer sends whole lines as they come, and the rest when the task ends", () => {
  const { out, pieces } = recorder();
  const buffer = new LineBuffer(out, () => new TextEncoder().encode("T\t"));
  const a = new ProcResult("a", 1);
  const enc = (text: string) => new TextEncoder().encode(text);
  buffer.add(a, "stdout", enc("one\ntw"));
  buffer.add(a, "stderr", enc("e"));
  buffer.add(a, "stdout", enc("o\nthr"));
  assertEquals(pieces, ["stdout:T\tone\n", "stdout:T\ttwo\n"]);
  buffer.end(a);
  assertEquals(pieces.slice(2), ["stdout:T\tthr", "stderr:T\te"]);
});
