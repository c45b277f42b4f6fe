import { assertEquals, assertStringIncludes } from "@std/assert";
import { readLines, TaskFeed } from "../../src/_cli/input.ts";
import { waitFor } from "../_helpers.ts";

const encoder = new TextEncoder();

/** A stream that gives `chunks` one by one, then ends. */
function streamOf(...chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks.map((c) => typeof c === "string" ? encoder.encode(c) : c));
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const live = () => new AbortController().signal;

Deno.test("readLines() yields lines split across chunks, without their newlines", async () => {
  const lines = await collect(readLines(streamOf("a\nb", "c\n", "\n", "d\ne\n"), live()));
  assertEquals(lines, ["a", "bc", "", "d", "e"]);
});

Deno.test("readLines() keeps bytes that are not UTF-8 as lone surrogates, and sequences split across chunks whole", async () => {
  const stream = ReadableStream.from([
    new Uint8Array([0x66, 0xff, 0x6f, 0x0a, 0xe6]), // "f", a bad byte, "o"; half of 漢
    new Uint8Array([0xbc, 0xa2, 0x0a, 0x41, 0xe9]), // its other half; "A" and a Latin-1 é at the end
  ]);
  assertEquals(await collect(readLines(stream, live())), ["f\udcffo", "漢", "A\udce9"]);
});

Deno.test("readLines() yields a last line that has no newline", async () => {
  assertEquals(await collect(readLines(streamOf("one\ntw", "o"), live())), ["one", "two"]);
  assertEquals(await collect(readLines(streamOf("one\n"), live())), ["one"]);
  assertEquals(await collect(readLines(streamOf(), live())), []);
});

Deno.test("readLines() decodes a UTF-8 character split between chunks", async () => {
  const bytes = encoder.encode("hé€\n");
  const chunks = [bytes.subarray(0, 2), bytes.subarray(2, 4), bytes.subarray(4)];
  assertEquals(await collect(readLines(streamOf(...chunks), live())), ["hé€"]);
});

Deno.test("readLines() returns at once when the signal aborts and cancels the stream", async () => {
  let cancelled = false;
  // A stream that sends one line and then nothing, as a quiet terminal would.
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode("first\nsecond"));
    },
    cancel() {
      cancelled = true;
    },
  });
  const controller = new AbortController();
  const lines = readLines(stream, controller.signal);
  assertEquals(await lines.next(), { value: "first", done: false });
  const waiting = lines.next();
  setTimeout(() => controller.abort(), 20);
  assertEquals(await waiting, { value: undefined, done: true });
  // The cancel reaches the source through the decoder's pipe, a few ticks later.
  await waitFor(() => cancelled, 1000, "the stream cancelled");
});

Deno.test("readLines() yields nothing for an already aborted signal", async () => {
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode("a\nb\n"));
    },
    cancel() {
      cancelled = true;
    },
  });
  assertEquals(await collect(readLines(stream, AbortSignal.abort())), []);
  await waitFor(() => cancelled, 1000, "the stream cancelled");
});

Deno.test("TaskFeed keys ::: arguments by their 1-based position and keeps empty ones", async () => {
  const feed = new TaskFeed(["x", "", "y"], false, undefined, live());
  assertEquals(await collect(feed), [[1, "x"], [2, ""], [3, "y"]]);
  assertEquals([feed.read, feed.total], [3, 3]);
});

Deno.test("TaskFeed skips empty lines without reusing their numbers", async () => {
  const feed = new TaskFeed(["a", "", "b", "", "c"], true, undefined, live());
  assertEquals(await collect(feed), [[1, "a"], [3, "b"], [5, "c"]]);
  assertEquals([feed.read, feed.total], [3, 3]);
});

Deno.test("TaskFeed reads lines from readLines() lazily", async () => {
  const signal = live();
  const feed = new TaskFeed(readLines(streamOf("a\n\nb"), signal), true, undefined, signal);
  assertEquals(await collect(feed), [[1, "a"], [3, "b"]]);
});

Deno.test("TaskFeed with a key separator takes each key from the text before it", async () => {
  const feed = new TaskFeed(["k1=v=1", "k2=", "", "=x"], true, "=", live());
  assertEquals(await collect(feed), [["k1", "v=1"], ["k2", ""], ["", "x"]]);
  const long = new TaskFeed(["a::b::c"], true, "::", live());
  assertEquals(await collect(long), [["a", "b::c"]]);
});

Deno.test("TaskFeed stops at a line without the key separator and names its line number", async () => {
  const feed = new TaskFeed(["a=1", "", "b", "c=3"], true, "=", live());
  assertEquals(await collect(feed), [["a", "1"]]);
  assertStringIncludes(feed.error!, 'input line 3 has no key separator "=" (--key-sep)');
  assertEquals(feed.total, undefined);
});

Deno.test("TaskFeed stops at a repeated key and names both lines", async () => {
  const feed = new TaskFeed(["a=1", "b=2", "a=3", "c=4"], true, "=", live());
  assertEquals(await collect(feed), [["a", "1"], ["b", "2"]]);
  assertStringIncludes(feed.error!, 'input line 3 repeats the key "a" of line 1');
});

Deno.test("TaskFeed knows the total of ::: arguments from the start, of lines once the input has ended", async () => {
  const args = new TaskFeed(["a", "b"], false, undefined, live());
  assertEquals(args.total, 2);
  const lines = new TaskFeed(["a", "b"], true, undefined, live());
  const totals: (number | undefined)[] = [];
  for await (const _ of lines) totals.push(lines.total);
  assertEquals(totals, [undefined, undefined]);
  assertEquals(lines.total, 2);
});

Deno.test("TaskFeed over ::: arguments with --key-sep counts only the tasks before a bad one", async () => {
  const feed = new TaskFeed(["a=1", "b", "c=3"], false, "=", live());
  assertEquals(feed.total, 3);
  assertEquals(await collect(feed), [["a", "1"]]);
  assertEquals(feed.total, 1);
});

Deno.test("TaskFeed stops reading lines when the signal aborts and leaves total unset", async () => {
  const controller = new AbortController();
  const feed = new TaskFeed(["a", "b", "c"], true, undefined, controller.signal);
  const seen: unknown[] = [];
  for await (const task of feed) {
    seen.push(task);
    controller.abort();
  }
  assertEquals(seen, [[1, "a"]]);
  assertEquals(feed.total, undefined);
});

Deno.test("TaskFeed.take() gives a task's sequence number and input once, then forgets it", async () => {
  const feed = new TaskFeed(["a", "", "b", "c"], true, undefined, live());
  await collect(feed);
  assertEquals(feed.take(3), { seq: 2, input: "b" }, "line 3 is the second task");
  assertEquals(feed.take(3).seq, 0, "forgotten once asked");
  assertEquals(feed.take(1).seq, 1);
  assertEquals(feed.take(4).seq, 3);
  assertEquals(feed.take("never").seq, 0);
});

Deno.test("TaskFeed.take() keeps the sequence number of a key whose repeat stopped the input", async () => {
  const feed = new TaskFeed(["k=1", "k=2", "j=3"], true, "=", live());
  await collect(feed);
  assertEquals(feed.take("k").seq, 1);
  assertEquals(feed.take("j").seq, 0, "never read");
});

Deno.test("TaskFeed splits lines into values with colsep, gives the runner toArg's form, and skips what skip says", async () => {
  const feed = new TaskFeed(["a\tb", "c\td", "e"], true, undefined, live(), {
    colsep: /\t/,
    toArg: (values, seq) => `${seq}:${values.join("+")}`,
    skip: (seq) => seq === 2,
  });
  assertEquals(await collect(feed), [[1, "1:a+b"], [3, "3:e"]]);
  assertEquals(feed.take(1).input, ["a", "b"]);
  assertEquals(feed.take(3).input, "e");
  assertEquals([feed.read, feed.skipped], [2, 1]);
});
