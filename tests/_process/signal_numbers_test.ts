import { assertEquals } from "@std/assert";
import { signalName, signalNumber } from "../../src/_process/signal_numbers.ts";

Deno.test("signalNumber() and signalName() agree with Linux's numbering, both ways", () => {
  assertEquals(signalNumber("SIGHUP"), 1);
  assertEquals(signalNumber("SIGKILL"), 9);
  assertEquals(signalNumber("SIGTERM"), 15);
  assertEquals(signalNumber("SIGSYS"), 31);
  for (let n = 1; n <= 31; n++) assertEquals(signalNumber(signalName(n)!), n, `signal ${n}`);
});

Deno.test("signalNumber() gives 0 and signalName() null for what they do not know", () => {
  assertEquals(signalNumber("SIGNOTONE"), 0);
  assertEquals(signalName(0), null);
  assertEquals(signalName(34), null, "real-time signals have no name in Deno");
});
