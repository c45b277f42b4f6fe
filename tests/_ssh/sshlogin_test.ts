import { assertEquals, assertThrows } from "@std/assert";
import { loginFileHosts, parseSshLogin } from "../../src/_ssh/sshlogin.ts";

Deno.test("parseSshLogin() reads GNU parallel's [N/][user@]host[:port] and ':'", () => {
  assertEquals(parseSshLogin("build1", "h"), {
    text: "build1",
    slots: undefined,
    destination: "build1",
    port: undefined,
  });
  assertEquals(parseSshLogin("4/me@10.0.0.2:2222", "h"), {
    text: "4/me@10.0.0.2:2222",
    slots: 4,
    destination: "me@10.0.0.2",
    port: 2222,
  });
  assertEquals(parseSshLogin("2/:", "h"), {
    text: "2/:",
    slots: 2,
    destination: null,
    port: undefined,
  });
});

Deno.test("parseSshLogin() refuses what is not an sshlogin, naming where it was", () => {
  for (const bad of ["", "0/host", "a b", "host:0", "host:99999", "@host", 3]) {
    assertThrows(() => parseSshLogin(bad, "hosts[2]"), TypeError, "'hosts[2]' must be an sshlogin");
  }
});

Deno.test("loginFileHosts() reads one sshlogin or a comma list per line, # comments and blank lines left out", () => {
  assertEquals(loginFileHosts("# hosts\n2/a\n\n b , c # two\n:\n"), ["2/a", "b", "c", ":"]);
});
