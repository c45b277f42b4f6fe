import { assert, assertEquals, assertThrows } from "@std/assert";
import { concatBytes } from "../../src/_bytes.ts";
import {
  fillStartFrame,
  FrameReader,
  HEADER_BYTES,
  messageFrame,
  startFrame,
} from "../../src/_workers/frames.ts";

type Event = ["message", unknown] | ["start", number, number] | ["output", string];

/** Reads `stream` cut into the given chunk sizes (cycled); returns what it found, outputs joined. */
function read(stream: Uint8Array, sizes: number[]): Event[] {
  const events: Event[] = [];
  const frames = new FrameReader({
    message: (value) => events.push(["message", value]),
    start: (index, start) => events.push(["start", index, start]),
  });
  const text = new TextDecoder();
  const output = (bytes: Uint8Array | undefined) => {
    for (let out = bytes; out !== undefined; out = frames.push()) {
      const last = events.at(-1);
      if (last?.[0] === "output") last[1] += text.decode(out);
      else events.push(["output", text.decode(out)]);
    }
  };
  for (let at = 0, k = 0; at < stream.length; k++) {
    const size = sizes[k % sizes.length]!;
    output(frames.push(stream.slice(at, at + size)));
    at += size;
  }
  const rest = frames.end();
  if (rest) output(rest);
  return events;
}

function start(index: number, at: number): Uint8Array {
  const frame = startFrame();
  fillStartFrame(new DataView(frame.buffer), index, at);
  return frame;
}

const text = (s: string) => new TextEncoder().encode(s);

Deno.test("FrameReader.push() reads messages and start frames whatever the chunks, and hands back the output between them in order", () => {
  const big = { type: "results", answers: Array.from({ length: 5000 }, (_, i) => `answer ${i}`) };
  const stream = concatBytes([
    messageFrame({ type: "ready" }),
    start(0, 12),
    text("printed by a task\n"),
    messageFrame(big),
    text("a NUL \0 in output, and half a magic \0pro"),
    start(1, 13),
    text("\0"),
    messageFrame(new Map([[1, new Float64Array([1.5])]])),
  ]);
  const want: Event[] = [
    ["message", { type: "ready" }],
    ["start", 0, 12],
    ["output", "printed by a task\n"],
    ["message", big],
    ["output", "a NUL \0 in output, and half a magic \0pro"],
    ["start", 1, 13],
    ["output", "\0"],
    ["message", new Map([[1, new Float64Array([1.5])]])],
  ];
  for (const sizes of [[stream.length], [1], [7], [HEADER_BYTES], [3, 50, 1, 1000], [65536]]) {
    assertEquals(read(stream, sizes), want, `chunks of ${sizes}`);
  }
});

Deno.test("FrameReader.push() stops at a task's output until asked to go on, so the output goes first", () => {
  const events: string[] = [];
  const frames = new FrameReader({
    message: (value) => events.push(String((value as { type: string }).type)),
    start: () => events.push("start"),
  });
  const out = frames.push(concatBytes([text("hello\n"), messageFrame({ type: "results" })]));
  assertEquals(new TextDecoder().decode(out), "hello\n");
  assertEquals(events, [], "nothing after the output is read before it is written");
  assertEquals(frames.push(), undefined);
  assertEquals(events, ["results"]);
  assertEquals(frames.pending, 0);
});

Deno.test("FrameReader.push() refuses a frame of an unknown kind", () => {
  const frame = startFrame();
  new DataView(frame.buffer).setUint32(12, 99, true);
  const frames = new FrameReader({ message: () => {}, start: () => {} });
  assertThrows(() => frames.push(frame), Error, "unknown kind 99");
});

Deno.test("messageFrame() refuses what cannot be copied to another process, as postMessage does, with DataCloneError", () => {
  const refused: [unknown, string][] = [
    [() => 1, "could not be cloned"],
    [Symbol("s"), "could not be cloned"],
    [new SharedArrayBuffer(8), "memory cannot be shared with a worker process"],
    [{ deep: [new Blob(["x"])] }, "Blob object could not be cloned"],
    [new Map([[1, new URL("https://deno.land/")]]), "URL object could not be cloned"],
    [new Set([new DOMException("x")]), "DOMException object could not be cloned"],
    [new Error("e", { cause: new Headers() }), "Headers object could not be cloned"],
  ];
  for (const [value, message] of refused) {
    const error = assertThrows(() => messageFrame(value), DOMException, message);
    assertEquals(error.name, "DataCloneError");
  }
  // What structured clone copies, V8's serialiser copies too.
  const fine = [1, "s", null, undefined, 10n, new Date(0), /x/g, new Uint8Array([1]), {
    cycle: null as unknown,
  }];
  (fine.at(-1) as { cycle: unknown }).cycle = fine;
  assert(messageFrame(fine).length > HEADER_BYTES);
});
