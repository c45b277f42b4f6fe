/**
 * The CLI's writer: text and bytes for standard output and standard error, queued in
 * order and written in whole pieces, so that one task's output is never
 * interleaved with another's and a slow reader never blocks the runner.
 *
 * @module
 */

import { removeSpool } from "../_spool.ts";
import { concatBytes, writeAll } from "../_bytes.ts";

const encoder = new TextEncoder();

/** A task's output spooled to a temporary file: copied out, then removed. */
export interface SpoolFile {
  file: string;
  /** Put before each line as it is copied (`--tag`). */
  prefix?: Uint8Array;
}

type Data = string | Uint8Array | SpoolFile;

/** Where a piece of output goes. */
export type Target = "stdout" | "stderr";

interface Stream {
  write(bytes: Uint8Array): Promise<number>;
}

function dropFiles(data: Data[]): void {
  for (const piece of data) {
    if (typeof piece === "object" && "file" in piece) removeSpool(piece.file);
  }
}

/** Writes the pieces in order: text and bytes together, spool files streamed. */
async function writeData(stream: Stream, data: Data[]): Promise<void> {
  let inline: (string | Uint8Array)[] = [];
  for (const piece of data) {
    if (typeof piece === "string" || piece instanceof Uint8Array) {
      inline.push(piece);
      continue;
    }
    if (inline.length > 0) await writeAll(stream, joined(inline));
    inline = [];
    await copyFile(stream, piece.file, piece.prefix);
  }
  if (inline.length > 0) await writeAll(stream, joined(inline));
}

/** Copies a spool file to `stream` in chunks, then removes it (also when the write fails). */
async function copyFile(stream: Stream, path: string, prefix?: Uint8Array): Promise<void> {
  try {
    using file = await Deno.open(path);
    const buffer = new Uint8Array(256 * 1024);
    let atStart = true;
    while (true) {
      const n = await file.read(buffer);
      if (n === null) break;
      let chunk: Uint8Array = buffer.subarray(0, n);
      if (prefix) ({ bytes: chunk, atStart } = prefixLines(chunk, prefix, atStart));
      await writeAll(stream, chunk);
    }
  } finally {
    removeSpool(path);
  }
}

/**
 * `bytes` with `prefix` before each line (`--tag`); `atStart` says whether
 * they begin a line, and the result whether the next bytes will.
 */
export function prefixLines(
  bytes: Uint8Array,
  prefix: Uint8Array,
  atStart = true,
): { bytes: Uint8Array; atStart: boolean } {
  const parts: Uint8Array[] = [];
  let start = 0;
  while (start < bytes.length) {
    if (atStart) parts.push(prefix);
    const end = bytes.indexOf(0x0a, start);
    const stop = end === -1 ? bytes.length : end + 1;
    parts.push(bytes.subarray(start, stop));
    atStart = end !== -1;
    start = stop;
  }
  return { bytes: parts.length === 0 ? bytes : concatBytes(parts), atStart };
}

/** The pieces as one run of bytes. */
function joined(data: (string | Uint8Array)[]): Uint8Array {
  return concatBytes(
    data.map((piece) => typeof piece === "string" ? encoder.encode(piece) : piece),
  );
}

/**
 * An ordered queue of writes. Adjacent pieces for the same stream are written
 * together. If a stream is closed (`| head`), `onClosed` is called once and
 * later output is dropped.
 */
export class OutputQueue {
  #pieces: { target: Target; data: Data[] }[] = [];
  #flushing: Promise<void> | undefined;
  #closed = false;
  #onClosed: (error: unknown) => void;
  #before: () => void;
  #after: () => void;

  /**
   * @param onClosed Called once when a stream cannot be written any more.
   * @param before Called before each write (the progress bar clears itself).
   * @param after Called after each write (the progress bar redraws).
   */
  constructor(
    onClosed: (error: unknown) => void,
    before: () => void = () => {},
    after: () => void = () => {},
  ) {
    this.#onClosed = onClosed;
    this.#before = before;
    this.#after = after;
  }

  /**
   * Queues `data` for `target`: text (written as UTF-8), bytes (written as they
   * are) or a spool file (copied, then removed).
   */
  push(target: Target, data: Data): void {
    if (this.#closed) {
      if (typeof data === "object" && "file" in data) removeSpool(data.file);
      return;
    }
    if ((typeof data === "string" || data instanceof Uint8Array) && data.length === 0) return;
    const last = this.#pieces.at(-1);
    if (last && last.target === target) last.data.push(data);
    else this.#pieces.push({ target, data: [data] });
    this.#flushing ??= this.#flush();
  }

  /** Resolves when everything queued so far is written. */
  async drain(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async #flush(): Promise<void> {
    try {
      while (this.#pieces.length > 0) {
        const { target, data } = this.#pieces.shift()!;
        if (this.#closed) {
          dropFiles(data);
          continue;
        }
        try {
          this.#before();
          await writeData(target === "stdout" ? Deno.stdout : Deno.stderr, data);
          this.#after();
        } catch (error) {
          this.#closed = true;
          dropFiles(data);
          for (const piece of this.#pieces) dropFiles(piece.data);
          this.#pieces.length = 0;
          this.#onClosed(error);
        }
      }
    } finally {
      this.#flushing = undefined;
    }
  }
}
