/**
 * The wire of a worker process: length-prefixed frames over its standard
 * input and output. A frame is a 24-byte header (a magic word, the payload's
 * length, its kind, two integers) and a payload: a message in V8's
 * serialisation (`node:v8`, the format `postMessage` uses between threads),
 * or none for a start frame, which a worker writes before each task it
 * starts (its index and start), so that the main process knows which task
 * was running when a worker process dies, whatever kills it.
 *
 * A task may write to standard output too (`console.log`, a command started
 * with `stdout: "inherit"`): what comes between frames is passed on as its
 * output. (Its writes never land inside a frame unless they come from a
 * thread of its own while the pipe is full.)
 *
 * V8's serialiser copies what structured clone copies, except Deno's own
 * classes (a Blob would arrive as `{}`): those are refused here with the
 * `DataCloneError` that `postMessage` throws for what it cannot copy.
 *
 * @module
 */
import { deserialize, serialize } from "node:v8";
import { concatBytes } from "../_bytes.ts";
import { cloneError, refuseHostObjects } from "./host_objects.ts";
import { Ctrl } from "./protocol.ts";

/** What a frame carries. */
export const Frame = {
  /** A message, serialised. */
  Message: 1,
  /** Task `a` starts, at `b` ms after the run's time base. */
  Start: 2,
  /**
   * A message, serialised, handed on as bytes (to be read where it goes): the
   * tasks `a` to `a + b - 1` that a worker process passes to its thread.
   */
  Raw: 3,
} as const;

const NO_BYTES = new Uint8Array(0);

/** What every frame starts with: 8 bytes that text output never holds (two NULs). */
const MAGIC = new Uint8Array([0, 0x70, 0x72, 0x6f, 0x63, 0x72, 0x75, 0]); // "\0procru\0"

/**
 * Bytes of a frame's header: the magic word, then payload length, kind, `a`
 * and `b` (32 bits each, little-endian).
 */
export const HEADER_BYTES = 24;

/** `value` in V8's serialisation, as a worker thread or process reads it with {@linkcode decode}. */
export function encode(value: unknown): Uint8Array {
  refuseHostObjects(value);
  try {
    return serialize(value);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const shared = /SharedArrayBuffer/.test(text)
      ? " (memory cannot be shared with a worker process)"
      : "";
    throw cloneError(`${text.replace(/\.$/, "")}${shared}`);
  }
}

/** A value from its {@linkcode encode}d bytes. */
export function decode(bytes: Uint8Array): unknown {
  return deserialize(bytes);
}

/**
 * `value` serialised as a frame: a message (`Frame.Message`) unless `kind`
 * says otherwise, with `a` and `b` in its header.
 *
 * @throws {DOMException} A `DataCloneError` for what cannot be copied to
 * another process (functions, symbols, a SharedArrayBuffer, Deno's classes).
 */
export function messageFrame(
  value: unknown,
  kind: number = Frame.Message,
  a = 0,
  b = 0,
): Uint8Array {
  const body = encode(value);
  const frame = new Uint8Array(HEADER_BYTES + body.length);
  frame.set(MAGIC);
  const view = new DataView(frame.buffer);
  view.setUint32(8, body.length, true);
  view.setUint32(12, kind, true);
  view.setInt32(16, a, true);
  view.setInt32(20, b, true);
  frame.set(body, HEADER_BYTES);
  return frame;
}

/** A start frame, to be filled in by {@linkcode fillStartFrame} for each task. */
export function startFrame(): Uint8Array {
  const frame = new Uint8Array(HEADER_BYTES);
  frame.set(MAGIC);
  new DataView(frame.buffer).setUint32(12, Frame.Start, true);
  return frame;
}

/** Fills in `frame` (from {@linkcode startFrame}, as a view) for task `index`, started `start` ms after the base. */
export function fillStartFrame(frame: DataView, index: number, start: number): void {
  frame.setInt32(16, index, true);
  frame.setInt32(20, start, true);
}

/** Whether `bytes` holds the magic word at `at`. */
function magicAt(bytes: Uint8Array, at: number): boolean {
  for (let k = 0; k < MAGIC.length; k++) if (bytes[at + k] !== MAGIC[k]) return false;
  return true;
}

/**
 * Where the next frame may start in `bytes` from `at`: the first magic word,
 * or where an incomplete one may begin at the end, or the end.
 */
function nextMagic(bytes: Uint8Array, at: number): number {
  for (let i = bytes.indexOf(0, at); i >= 0; i = bytes.indexOf(0, i + 1)) {
    if (bytes.length - i < MAGIC.length) {
      if (MAGIC.subarray(0, bytes.length - i).every((b, k) => bytes[i + k] === b)) return i;
      continue;
    }
    if (magicAt(bytes, i)) return i;
  }
  return bytes.length;
}

/** What a {@linkcode FrameReader} finds. */
export interface FrameSink {
  message(value: unknown): void;
  start(index: number, start: number): void;
  /** A `Frame.Raw` frame's `a`, `b` and payload (a copy, to be decode()d where it goes). */
  raw?(a: number, b: number, bytes: Uint8Array): void;
}

/**
 * Cuts a byte stream into frames, as its chunks come, whatever their sizes,
 * and hands each on as it is complete. What comes between frames (a task's
 * own output) is handed back, in order: the reader stops there until asked
 * to go on, so that the output is written before what follows it is read.
 */
export class FrameReader {
  #sink: FrameSink;
  /** Bytes not read yet: of a frame not complete, or after output handed back. */
  #held: Uint8Array[] = [];
  #heldBytes = 0;
  /** How many bytes to hold before reading on: a header, or the frame begun. */
  #need = HEADER_BYTES;

  constructor(sink: FrameSink) {
    this.#sink = sink;
  }

  /** Bytes held, not read yet. */
  get pending(): number {
    return this.#heldBytes;
  }

  /**
   * Reads the frames in `chunk`, after what it holds, and returns undefined;
   * or stops at bytes that are not a frame and returns them: write them, then
   * call `push()` (without a chunk) to go on.
   *
   * @throws {Error} If a frame is not one of {@linkcode Frame}'s kinds, or its
   * message cannot be read.
   */
  push(chunk: Uint8Array = NO_BYTES): Uint8Array | undefined {
    if (this.#heldBytes > 0) {
      this.#held.push(chunk);
      this.#heldBytes += chunk.length;
      if (this.#heldBytes < this.#need) return undefined;
      chunk = concatBytes(this.#held);
      this.#held = [];
      this.#heldBytes = 0;
    }
    this.#need = HEADER_BYTES;
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let at = 0;
    let output: Uint8Array | undefined;
    while (at < chunk.length) {
      if (!magicAt(chunk, at)) {
        const end = nextMagic(chunk, at);
        if (end > at) {
          output = chunk.slice(at, end);
          at = end;
          // Read on once the output is written, at once if a frame follows.
          if (chunk.length - at >= MAGIC.length) this.#need = 0;
          break;
        }
        break; // An incomplete magic word at the end.
      }
      if (chunk.length - at < HEADER_BYTES) break;
      const total = HEADER_BYTES + view.getUint32(at + 8, true);
      if (chunk.length - at < total) {
        this.#need = total;
        break;
      }
      const kind = view.getUint32(at + 12, true);
      if (kind === Frame.Start) {
        this.#sink.start(view.getInt32(at + 16, true), view.getInt32(at + 20, true));
      } else if (kind === Frame.Message) {
        this.#sink.message(deserialize(chunk.subarray(at + HEADER_BYTES, at + total)));
      } else if (kind === Frame.Raw && this.#sink.raw) {
        const [a, b] = [view.getInt32(at + 16, true), view.getInt32(at + 20, true)];
        this.#sink.raw(a, b, chunk.slice(at + HEADER_BYTES, at + total));
      } else {
        throw new Error(`a worker process sent a frame of unknown kind ${kind}`);
      }
      at += total;
    }
    if (at < chunk.length) {
      // Copied: the stream may reuse the chunk's buffer.
      this.#held = [chunk.slice(at)];
      this.#heldBytes = chunk.length - at;
    }
    return output;
  }

  /** The stream ended: returns what is held, a task's output cut short, if anything. */
  end(): Uint8Array | undefined {
    const rest = this.#heldBytes > 0 ? concatBytes(this.#held) : undefined;
    this.#held = [];
    this.#heldBytes = 0;
    return rest;
  }
}

// Taken when the module loads, before any task code runs, so that tasks cannot replace it.
const stdout = Deno.stdout;
const writeSync = stdout.writeSync.bind(stdout);

/**
 * Writes a frame of at most 4096 bytes to standard output (a pipe): in one
 * write, which the pipe never mixes with another thread's (POSIX's PIPE_BUF).
 * Blocks while the pipe is full.
 */
export function writeSmall(bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(bytes.subarray(offset));
}

/**
 * Writes `bytes` whole to standard output, holding the lock word of `ctrl`
 * (`Ctrl.Lock`) meanwhile, so that the frames of a worker process's two
 * threads never interleave (a write past 4096 bytes can be split where the
 * pipe fills up). Blocks while the pipe is full.
 */
export function writeLocked(ctrl: Int32Array, bytes: Uint8Array): void {
  while (Atomics.compareExchange(ctrl, Ctrl.Lock, 0, 1) !== 0) {
    Atomics.wait(ctrl, Ctrl.Lock, 1, 5);
  }
  try {
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(bytes.subarray(offset));
  } finally {
    Atomics.store(ctrl, Ctrl.Lock, 0);
    Atomics.notify(ctrl, Ctrl.Lock, 1);
  }
}
