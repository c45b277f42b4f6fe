import { assertEquals } from "@std/assert";
import { DONE, reader } from "../src/_task_reader.ts";
import type { Tasks } from "../src/types.ts";

Deno.test("reader() reads a sync iterable without promises, and close() returns it", async () => {
  let returned = false;
  const tasks = (function* () {
    try {
      yield [1, "a"] as const;
      yield [2, "b"] as const;
    } finally {
      returned = true;
    }
  })();
  const { next, close, lazy } = reader(tasks, new AbortController().signal);
  assertEquals(lazy, false);
  assertEquals(next(), [1, "a"]);
  await close();
  assertEquals(returned, true);
});

Deno.test("reader() reads an async iterable to DONE", async () => {
  const tasks = (async function* () {
    yield [1, "a"] as const;
  })();
  const { next, lazy } = reader(tasks as Tasks, new AbortController().signal);
  assertEquals(lazy, true);
  assertEquals(await next(), [1, "a"]);
  assertEquals(await next(), DONE);
});

Deno.test("reader() gives up on an async next() that waits when the signal aborts", async () => {
  const controller = new AbortController();
  const tasks = (async function* () {
    await new Promise(() => {});
    yield [1, "never"] as const;
  })();
  const { next, close } = reader(tasks as Tasks, controller.signal);
  const pending = next();
  controller.abort(new Error("stop"));
  assertEquals(await pending, DONE);
  await close(); // does not wait for the stuck next()
});
