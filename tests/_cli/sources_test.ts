import { assertEquals } from "@std/assert";
import { combine, fileValues } from "../../src/_cli/sources.ts";

const source = (values: string[], linked = false) => ({ values, linked });

Deno.test("combine() gives every combination, the last source fastest", () => {
  assertEquals(combine([source(["a", "b"]), source(["1", "2"])], false), [
    ["a", "1"],
    ["a", "2"],
    ["b", "1"],
    ["b", "2"],
  ]);
  assertEquals(combine([source(["a"]), source([])], false), []);
});

Deno.test("combine() pairs a linked source up to the shorter, and --link wraps", () => {
  assertEquals(combine([source(["a", "b", "c"]), source(["1", "2"], true)], false), [["a", "1"], [
    "b",
    "2",
  ]]);
  assertEquals(combine([source(["a", "b", "c"]), source(["1", "2"])], true), [
    ["a", "1"],
    ["b", "2"],
    ["c", "1"],
  ]);
});

Deno.test("fileValues() splits a file at its delimiter, skipping empty items", async () => {
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(file, "a\n\nb c\n");
    assertEquals(fileValues(file, 0x0a), ["a", "b c"]);
    await Deno.writeTextFile(file, "x\0y\0");
    assertEquals(fileValues(file, 0), ["x", "y"]);
  } finally {
    await Deno.remove(file);
  }
});
