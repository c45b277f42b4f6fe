import { assert } from "@std/assert";
import { KeySet } from "../src/_key_set.ts";

Deno.test("KeySet.has() finds small integers in the bitmap and other keys with SameValueZero", () => {
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
