import { assertEquals, assertThrows } from "@std/assert";
import { copyableToProcess, refuseHostObjects } from "../../src/_workers/host_objects.ts";
import { encode } from "../../src/_workers/frames.ts";

Deno.test("copyableToProcess() accepts what V8's serialiser carries and refuses what it cannot", () => {
  const fine = [
    1,
    "s",
    null,
    undefined,
    10n,
    [1, [2, { a: new Date(0) }]],
    new Map([[1, new Set([2])]]),
    new Uint8Array([1, 2]),
    new ArrayBuffer(4),
    [{ view: new Int32Array(new SharedArrayBuffer(8)) }], // Copied by value.
    /x/g,
    new Error("e", { cause: { deep: true } }),
  ];
  for (const value of fine) {
    assertEquals(copyableToProcess(value), true, String(value));
    encode(value); // The serialiser agrees.
  }
  const shared = new SharedArrayBuffer(8);
  const refused = [
    () => 1,
    Symbol("s"),
    shared,
    [{ memory: shared }],
    new Map([["k", new Blob(["x"])]]),
    { url: new URL("https://example.com/") },
    new Error("e", { cause: new Headers() }),
  ];
  for (const value of refused) {
    assertEquals(copyableToProcess(value), false, String(value));
    assertThrows(() => encode(value), DOMException);
  }
});

Deno.test("refuseHostObjects() names the Deno class it found, as a DataCloneError", () => {
  const error = assertThrows(() => refuseHostObjects({ a: [new Blob([])] }), DOMException);
  assertEquals(error.name, "DataCloneError");
  assertEquals(
    error.message,
    "Blob object could not be cloned: it cannot be copied to a worker process",
  );
  const seen: unknown[] = [];
  seen.push(seen);
  refuseHostObjects(seen); // A cycle ends.
});
