import { assertEquals, assertMatch } from "@std/assert";
import { decodeEscaped, illFormed } from "../src/_text.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

Deno.test("decodeEscaped() decodes UTF-8 exactly as TextDecoder does", () => {
  const text = "plain, é, 漢字, 🦕, \u0000";
  assertEquals(decodeEscaped(new TextEncoder().encode(text)), text);
  assertEquals(decodeEscaped(bytes()), "");
});

Deno.test("decodeEscaped() keeps each byte that is not UTF-8 as U+DC00 + byte (surrogateescape)", () => {
  // A Latin-1 name, a cut sequence, an overlong "/", an encoded surrogate, past U+10FFFF.
  assertEquals(decodeEscaped(bytes(0x66, 0xe9, 0x65)), "f\udce9e");
  assertEquals(decodeEscaped(bytes(0xe6, 0xbc, 0x41)), "\udce6\udcbcA");
  assertEquals(decodeEscaped(bytes(0xc0, 0xaf)), "\udcc0\udcaf");
  assertEquals(decodeEscaped(bytes(0xed, 0xa0, 0x80)), "\udced\udca0\udc80");
  assertEquals(decodeEscaped(bytes(0xf4, 0x90, 0x80, 0x80)), "\udcf4\udc90\udc80\udc80");
  // Valid sequences around a bad byte are untouched.
  assertEquals(decodeEscaped(bytes(0xc3, 0xa9, 0xff, 0xf0, 0x9f, 0xa6, 0x95)), "é\udcff🦕");
});

Deno.test("illFormed() is null for text Deno can send, else names the lone surrogate and the byte", () => {
  assertEquals(illFormed("ok 🦕"), null);
  assertMatch(illFormed("f\udcffo")!, /U\+DCFF at index 1, an input byte 0xFF that is not UTF-8/);
  assertMatch(illFormed("\ud800")!, /U\+D800 at index 0$/);
});
