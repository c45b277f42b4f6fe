import { assertEquals } from "@std/assert";
import { commandArgs } from "../../src/_process/command_args.ts";

Deno.test("commandArgs() replaces every placeholder, also inside words", () => {
  assertEquals(commandArgs(["a{}b", "{}", "-n"], "X", "{}"), ["aXb", "X", "-n"]);
  assertEquals(commandArgs(["{}-{}.txt"], "X", "{}"), ["X-X.txt"]);
  assertEquals(commandArgs(["--in=%", "--out=%.bak"], "f", "%"), ["--in=f", "--out=f.bak"]);
});

Deno.test("commandArgs() appends the argument when no word holds the placeholder", () => {
  assertEquals(commandArgs(["-n", "1"], "X", "{}"), ["-n", "1", "X"]);
  assertEquals(commandArgs([], "X", "{}"), ["X"]);
  assertEquals(commandArgs(["{ }", "{"], "X", "{}"), ["{ }", "{", "X"]);
});

Deno.test("commandArgs() appends the argument when there is no placeholder", () => {
  assertEquals(commandArgs(["{}", "a"], "X", undefined), ["{}", "a", "X"]);
  assertEquals(commandArgs([], "X", undefined), ["X"]);
});

Deno.test("commandArgs() takes $ replacement patterns in the argument literally", () => {
  // String.prototype.replaceAll with a string would expand these.
  for (const arg of ["$&", "$$", "$`", "$'", "$1", "$<name>"]) {
    assertEquals(commandArgs(["<{}>"], arg, "{}"), [`<${arg}>`], arg);
  }
});

Deno.test("commandArgs() turns the argument into a string and leaves args unchanged", () => {
  const args = Object.freeze(["x{}", "y"]);
  assertEquals(commandArgs(args, 42, "{}"), ["x42", "y"]);
  assertEquals(commandArgs(args, null, "{}"), ["xnull", "y"]);
  assertEquals(commandArgs(["a"], 1.5, undefined), ["a", "1.5"]);
  assertEquals(args, ["x{}", "y"]);
});

Deno.test("commandArgs() spreads an array argument as several words", () => {
  assertEquals(commandArgs(["-n"], ["a b", 2], "{}"), ["-n", "a b", "2"]);
  assertEquals(commandArgs(["{}", "-x"], ["echo", "a b"], "{}"), ["echo", "a b", "-x"]);
  assertEquals(commandArgs(["out/{}.txt"], ["a", "b"], "{}"), ["out/a b.txt"]);
  assertEquals(commandArgs([], [], undefined), []);
});
