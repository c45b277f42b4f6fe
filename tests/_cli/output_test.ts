import { assertEquals } from "@std/assert";
import { prefixLines } from "../../src/_cli/output.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("prefixLines() puts the prefix before each line, a last one without newline too", () => {
  const { bytes: out, atStart } = prefixLines(bytes("a\nb\nc"), bytes("T\t"));
  assertEquals([text(out), atStart], ["T\ta\nT\tb\nT\tc", false]);
  assertEquals(text(prefixLines(bytes(""), bytes("T")).bytes), "");
});

Deno.test("prefixLines() carries a line across chunks", () => {
  const first = prefixLines(bytes("a\nb"), bytes(">"));
  const second = prefixLines(bytes("c\nd\n"), bytes(">"), first.atStart);
  assertEquals(text(first.bytes) + text(second.bytes), ">a\n>bc\n>d\n");
  assertEquals(second.atStart, true);
});
