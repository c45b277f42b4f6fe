import { assertEquals, assertThrows } from "@std/assert";
import { DeferredEngine } from "../src/_deferred_engine.ts";
import type { AttemptDone, Engine } from "../src/_engine.ts";
import { ProcResult } from "../src/result.ts";

/** An engine that records what it is asked, and ends each attempt at once. */
class RecordingEngine implements Engine {
  readonly capacity = 3;
  calls: string[] = [];
  prepare(): Promise<void> {
    this.calls.push("prepare");
    return Promise.resolve();
  }
  start(): void {
    this.calls.push("start");
  }
  submit(result: ProcResult, done: AttemptDone): void {
    this.calls.push(`submit ${result.key}`);
    done(result, { start: 1, end: 2, slot: 1, host: null });
  }
  abort(reason: unknown): void {
    this.calls.push(`abort ${reason}`);
  }
  stopStarting(reason: unknown): void {
    this.calls.push(`stopStarting ${reason}`);
  }
  close(): Promise<void> {
    this.calls.push("close");
    return Promise.resolve();
  }
}

Deno.test("DeferredEngine loads its engine once, at the first prepare(), and passes every call on", async () => {
  let loads = 0;
  const inner = new RecordingEngine();
  const engine = new DeferredEngine(() => {
    loads++;
    return Promise.resolve(inner);
  });
  assertEquals([loads, engine.engine], [0, undefined], "nothing is loaded when it is made");
  assertThrows(() => engine.capacity, Error, "prepare() was not awaited");
  assertThrows(() => engine.start(), Error, "prepare() was not awaited");
  await engine.prepare();
  await engine.prepare();
  assertEquals([loads, engine.engine, engine.capacity], [1, inner, 3]);
  engine.start();
  const ended: unknown[] = [];
  engine.submit(new ProcResult("a", 1), (result) => ended.push(result.key));
  engine.stopStarting("halt");
  engine.abort("stop");
  await engine.close();
  assertEquals(ended, ["a"]);
  assertEquals(inner.calls, [
    "prepare",
    "prepare",
    "start",
    "submit a",
    "stopStarting halt",
    "abort stop",
    "close",
  ]);
});

Deno.test("DeferredEngine's prepare() rejects with what loading its engine threw", async () => {
  const engine = new DeferredEngine<Engine>(() => Promise.reject(new Error("cannot load")));
  let message = "";
  await engine.prepare().catch((error) => message = error.message);
  assertEquals([message, engine.engine], ["cannot load", undefined]);
});
