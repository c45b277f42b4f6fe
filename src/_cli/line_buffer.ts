/**
 * GNU parallel's `--line-buffer`: each task's output goes out line by line
 * as it comes, never half a line, so that lines of different tasks mix but
 * never break. The end of a task sends what is left of its last line.
 *
 * @module
 */
import type { ProcResult } from "../result.ts";
import { concatBytes } from "../_bytes.ts";
import { type OutputQueue, prefixLines } from "./output.ts";

type Stream = "stdout" | "stderr";

/** Holds each running task's unfinished line, per stream. */
export class LineBuffer {
  #out: OutputQueue;
  #prefix: (result: ProcResult) => Uint8Array | undefined;
  #held = new Map<ProcResult, Partial<Record<Stream, Uint8Array>>>();

  /**
   * @param out Where lines go.
   * @param prefix The tag before each line of a task (`--tag`), if any.
   */
  constructor(out: OutputQueue, prefix: (result: ProcResult) => Uint8Array | undefined) {
    this.#out = out;
    this.#prefix = prefix;
  }

  /** Takes a piece of a running task's output: its whole lines go out now. */
  add(result: ProcResult, stream: Stream, chunk: Uint8Array): void {
    let held = this.#held.get(result);
    if (!held) this.#held.set(result, held = {});
    const bytes = held[stream] ? concatBytes([held[stream]!, chunk]) : chunk;
    const end = bytes.lastIndexOf(0x0a);
    if (end === -1) {
      held[stream] = bytes;
      return;
    }
    this.#send(result, stream, bytes.subarray(0, end + 1));
    held[stream] = end + 1 < bytes.length ? bytes.slice(end + 1) : undefined;
  }

  /** The task has ended: what is left of its last lines goes out. */
  end(result: ProcResult): void {
    const held = this.#held.get(result);
    this.#held.delete(result);
    if (held?.stdout) this.#send(result, "stdout", held.stdout);
    if (held?.stderr) this.#send(result, "stderr", held.stderr);
  }

  #send(result: ProcResult, stream: Stream, bytes: Uint8Array): void {
    const prefix = this.#prefix(result);
    this.#out.push(stream, prefix ? prefixLines(bytes, prefix).bytes : bytes);
  }
}
