import { assertEquals } from "@std/assert";
import { expandWord, hasReplacement, shellTemplate, SLOT } from "../../src/_cli/replace.ts";

Deno.test("expandWord() fills in every replacement string, {%} as the slot mark", () => {
  assertEquals(expandWord("{2}-{1}-{-1}-{#}", ["a", "b"], 7), ["b-a-b-7"]);
  assertEquals(expandWord("{%}", ["a"], 1), [SLOT]);
  assertEquals(expandWord("no {braces} here {x}", ["a"], 1), ["no {braces} here {x}"]);
  assertEquals(expandWord("{3}", ["a"], 1), [""], "a missing value is empty");
});

Deno.test("hasReplacement() answers the same however often it is asked", () => {
  for (let i = 0; i < 3; i++) assertEquals(hasReplacement("{2}/{1}"), true);
  assertEquals(hasReplacement("{}x"), true);
  assertEquals(hasReplacement("{ }"), false);
});

Deno.test("shellTemplate() gives each distinct replacement string one parameter", () => {
  const { script, args } = shellTemplate(`cp {} "{.}.bak" '{}' {#}`);
  assertEquals(script, `cp "$1" "$2.bak" ''"$1"'' "$3"`);
  assertEquals(args(["a.txt"], 4), ["a.txt", "a", "4"]);
  assertEquals(shellTemplate("echo hi").args(["x", "y"], 1), ["x", "y"]);
});
