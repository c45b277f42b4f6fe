import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { deno } from "../_helpers.ts";

const CLI = new URL("../../src/cli.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const RUN = ["run", "-A", "--config", CONFIG, CLI, "report"];

const RESULT = JSON.stringify({
  key: 1,
  arg: "a",
  timeStart: "2026-01-01T00:00:00.000Z",
  timeEnd: "2026-01-01T00:00:01.000Z",
  success: true,
  timeout: false,
  cancelled: false,
  attempts: 1,
  earlierAttempts: [],
  slot: 1,
  host: null,
});

Deno.test("procrun report refuses a bad command line before reading anything, exiting 255", async () => {
  const dir = await Deno.makeTempDir({ prefix: "procrun_report_" });
  try {
    const log = `${dir}/run.jsonl`;
    await Deno.writeTextFile(log, RESULT + "\n");
    const cases: [string[], string][] = [
      [[], "no LOG given"],
      [[log, log], "one LOG at a time (got 2)"],
      [["--bogus", log], "unknown option '--bogus'"],
      [["--out", log, log], "is LOG itself: it would be overwritten"],
      [["--out", "", log], "--out needs a file name"],
      [[`${dir}/missing.json`], `cannot read "${dir}/missing.json"`],
    ];
    for (const [args, message] of cases) {
      const { status, out, err } = await deno([...RUN, ...args]);
      assertEquals(status.code, 255, args.join(" "));
      assertStringIncludes(err, message);
      assertEquals(out, "");
    }
    // The log is untouched.
    assertEquals(await Deno.readTextFile(log), RESULT + "\n");
    await Deno.writeTextFile(`${dir}/notes.txt`, "just some notes\n");
    const wrong = await deno([...RUN, "-o", `${dir}/x.html`, `${dir}/notes.txt`]);
    assertEquals(wrong.status.code, 255);
    assertStringIncludes(
      wrong.err,
      "it is not a trace, procrun's --jsonl or --json output, or a joblog",
    );
    const help = await deno([...RUN, "--help"]);
    assertEquals(help.status.code, 0);
    assertStringIncludes(help.out, "procrun report [--out FILE] [--title TEXT] LOG");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("procrun report reads standard input for -, writes the page to standard output, with the title escaped", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...RUN, "--title", `<b>"mine"</b>`, "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(RESULT + "\n"));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  assertEquals(code, 0, new TextDecoder().decode(stderr));
  const html = new TextDecoder().decode(stdout);
  assert(html.startsWith("<!doctype html>"));
  assertStringIncludes(
    html,
    "<title>&#60;b&#62;&#34;mine&#34;&#60;/b&#62;: procrun report</title>",
  );
  assertStringIncludes(html, '"file":"standard input"');
  assert(!html.includes(`<b>"mine"</b>`));
});
