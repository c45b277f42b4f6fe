import { assertEquals } from "@std/assert";
import { resultDir, resultName } from "../../src/_cli/results.ts";

Deno.test("resultName() quotes a value as GNU parallel does, and keeps . .. and empty inside DIR", () => {
  assertEquals(resultName("a/b"), "a\\_b");
  assertEquals(resultName("a\\b\tc\0d"), "a\\\\b\\tc\\0d");
  assertEquals([resultName("."), resultName(".."), resultName("")], ["\\.", "\\.\\.", "\\e"]);
  assertEquals(resultDir("out", ["x", "y/z"]), "out/1/x/2/y\\_z");
});
