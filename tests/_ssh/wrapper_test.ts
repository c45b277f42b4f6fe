import { assertEquals } from "@std/assert";
import { remoteCommandLine, takeFrame } from "../../src/_ssh/wrapper.ts";

/** Runs the wrapper's command line in a local sh, as a remote login shell would. */
async function wrapped(words: string[], stdin = "") {
  const child = new Deno.Command("sh", {
    args: ["-c", remoteCommandLine(words, 0.5)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const { stdout, stderr } = await child.output();
  return { stdout: new TextDecoder().decode(stdout), frame: takeFrame(stderr) };
}

Deno.test("the ssh wrapper passes words and stdin through unchanged and frames the exit status", async () => {
  const { stdout, frame } = await wrapped([
    "sh",
    "-c",
    'cat; echo "[$1]" >&2; exit 7',
    "x",
    "a b'c",
  ], "in\n");
  assertEquals(stdout, "in\n");
  assertEquals(frame?.status, 7);
  assertEquals(new TextDecoder().decode(frame!.stderr), "[a b'c]\n");
});

Deno.test("the ssh wrapper runs the command in its own session", async () => {
  const { stdout, frame } = await wrapped(["sh", "-c", "ps -o sid= -p $$; echo $$"]);
  const [sid, pid] = stdout.trim().split(/\s+/);
  assertEquals([sid, frame?.status], [pid, 0]);
});

Deno.test("takeFrame() finds no frame where ssh failed or the output was cut", () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  assertEquals(
    takeFrame(bytes("ssh: connect to host 127.0.0.1 port 1: Connection refused\n")),
    null,
  );
  assertEquals(takeFrame(bytes("\x1eprocrun-exit 3")), null);
  assertEquals(takeFrame(bytes("oops\x1eprocrun-exit x\x1e")), null);
  assertEquals(takeFrame(bytes("e\x1eprocrun-exit 255\x1e"))?.status, 255);
});
