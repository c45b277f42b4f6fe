import { assert, assertEquals, assertRejects } from "@std/assert";
import { delay } from "@std/async/delay";
import { ProcResult, ProcRunAsync } from "../mod.ts";
import { KeySet } from "../src/_key_set.ts";

function* lazy<T>(items: T[]): Generator<T> {
  yield* items;
}

const ok = (_key: unknown, args: unknown[]): [boolean, unknown] => [true, args.at(-1)];

Deno.test("KeySet behaviour: small integers in a bitmap, other keys with SameValueZero", () => {
  const keys = new KeySet();
  for (const key of [0, 31, 32, 1_000_000, 2 ** 24, 2 ** 40, -1, 1.5, NaN, "1", null, undefined]) {
    assert(!keys.has(key), String(key));
    keys.add(key);
    assert(keys.has(key), String(key));
  }
  assert(keys.has(-0), "-0 and 0 are one key");
  assert(!keys.has(1), "the string '1' is not the number 1");
  assert(!keys.has(33) && !keys.has(2 ** 24 + 1) && !keys.has("0"));
  const object = {};
  keys.add(object);
  assert(keys.has(object) && !keys.has({}));
});

Deno.test("ProcRunAsync.runAll() behaviour: lazily read keys are checked with the compact key set", async () => {
  const mixed = await new ProcRunAsync([ok], lazy([[1, "a"], ["1", "b"], [2, "c"]] as const))
    .runAll();
  assertEquals(mixed.map((r) => r.answer), ["a", "b", "c"]);
  await assertRejects(
    () => new ProcRunAsync([ok], lazy([[0, "a"], [-0, "b"]] as const)).runAll(),
    TypeError,
    "unique key",
  );
  await assertRejects(
    () => new ProcRunAsync([ok], lazy([[5000, "a"], [5000, "b"]] as const)).runAll(),
    TypeError,
    "unique key",
  );
});

Deno.test("ProcResult behaviour: times read back as Dates, null when unset", () => {
  const result = new ProcResult("k", 1);
  assertEquals(result.timeStart, null);
  const start = new Date(1_700_000_000_123);
  result.timeStart = start;
  assertEquals(result.timeStart, start);
  assert(result.timeStart !== start, "a new Date each read");
  result.timeStart = null;
  assertEquals(result.timeStart, null);
  assertEquals(result.toJSON().timeStart, null);
});

Deno.test("ProcRun.stream() behaviour: a slow consumer holds back new tasks", async () => {
  let started = 0;
  let consumed = 0;
  let ahead = 0;
  const count = (_key: unknown, args: unknown[]): [boolean, unknown] => {
    started++;
    ahead = Math.max(ahead, started - consumed);
    return [true, args.at(-1)];
  };
  const tasks = (function* () {
    for (let i = 0; i < 3000; i++) yield [i, i] as const;
  })();
  const run = new ProcRunAsync([count], tasks, { numWorkers: 4, keepResults: false });
  for await (const _ of run.stream()) {
    consumed++;
    if (consumed % 100 === 0) await delay(1);
  }
  assertEquals(consumed, 3000);
  // 256 results may wait for the consumer, plus the tasks already running.
  assert(ahead <= 256 + 4 + 1, `${ahead} tasks ran ahead of the consumer`);
});

Deno.test("ProcRun.stream() behaviour: a consumer that stops early lets the run finish", async () => {
  let delivered = 0;
  const tasks = (function* () {
    for (let i = 0; i < 2000; i++) yield [i, i] as const;
  })();
  const run = new ProcRunAsync([ok], tasks, {
    numWorkers: 2,
    onResult: () => delivered++,
  });
  for await (const _ of run.stream()) break;
  const results = await run.runAll(); // The same run, still going.
  assertEquals(results.length, 2000);
  assertEquals(delivered, 2000);
});
