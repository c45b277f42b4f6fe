import { shellTemplate } from "../../src/_cli/replace.ts";
import { assertEquals, assertRejects, assertStrictEquals } from "@std/assert";
import { parseCli } from "../../src/_cli/args.ts";
import { buildProgram, moduleUrl, shellJoin, shellQuote } from "../../src/_cli/program.ts";
import echo, { double } from "../fixtures/cli_tasks.ts";

const TASKS = new URL("../fixtures/cli_tasks.ts", import.meta.url).pathname;

/** What `sh` receives as its arguments when given `script`. */
async function shellWords(script: string): Promise<string[]> {
  const output = await new Deno.Command("sh", {
    args: ["-c", `for word in ${script}; do printf '%s\\0' "$word"; done`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout).split("\0").slice(0, -1);
}

Deno.test("shellQuote() leaves plain words alone and single-quotes the rest", () => {
  assertEquals(shellQuote("plain-word_1.txt"), "plain-word_1.txt");
  assertEquals(shellQuote("/usr/bin/a=b,c:d@e%f+g"), "/usr/bin/a=b,c:d@e%f+g");
  assertEquals(shellQuote(""), "''");
  assertEquals(shellQuote("a b"), "'a b'");
  assertEquals(shellQuote("$HOME"), "'$HOME'");
  assertEquals(shellQuote("it's"), `'it'\\''s'`);
  assertEquals(shellQuote("*"), "'*'");
});

Deno.test("shellJoin() gives a line that sh splits back into the same words", async () => {
  const words = ["echo", "a b", "", "it's", "$(echo injected)", "*", "`x`", "new\nline", '"q"'];
  const line = shellJoin(words);
  assertEquals(line.startsWith("echo 'a b' '' 'it'\\''s' "), true, line);
  assertEquals(await shellWords(line), words);
});

Deno.test("moduleUrl() keeps URLs and resolves paths from the current directory", () => {
  assertEquals(moduleUrl("https://example.com/t.ts").href, "https://example.com/t.ts");
  assertEquals(moduleUrl("file:///srv/t.ts").href, "file:///srv/t.ts");
  assertEquals(moduleUrl("/srv/t.ts").href, "file:///srv/t.ts");
  assertEquals(moduleUrl("t.ts").href, new URL(`file://${Deno.cwd()}/t.ts`).href);
  assertEquals(moduleUrl("/srv/a b#c?.ts").href, "file:///srv/a%20b%23c%3F.ts");
  // A scheme has two letters or more: "c:" is a relative path's first folder.
  assertEquals(moduleUrl("c:/t.ts").href, new URL(`file://${Deno.cwd()}/c:/t.ts`).href);
});

Deno.test("buildProgram() runs a plain command with {} replaced: the runner gets each task's words", async () => {
  const program = await buildProgram(parseCli(["echo", "a{}b", "{}"]));
  assertEquals(program.pargs, ["{}"]);
  assertEquals(program.placeholder, "{}");
  assertEquals(program.isCommand, true);
  assertEquals(program.toArg(["x y"], 1), ["echo", "ax yb", "x y"]);
  assertEquals(program.describe("x y", 1), "echo 'ax yb' 'x y'");
  assertEquals(program.describe("3", 1), "echo a3b 3");
});

Deno.test("buildProgram() describes a command without {} with the argument appended", async () => {
  const program = await buildProgram(parseCli(["printf", "%s\\n"]));
  assertEquals(program.toArg(["it's"], 1), ["printf", "%s\\n", "it's"]);
  assertEquals(program.describe("it's", 1), `printf '%s\\n' 'it'\\''s'`);
  assertEquals(program.describe(["a", "b"], 1), `printf '%s\\n' a b`);
});

Deno.test("buildProgram() with --shell runs sh -c with the argument as $1", async () => {
  const program = await buildProgram(parseCli(["--shell", "echo", "x{}y", "|", "tr", "a", "b"]));
  const script = 'echo x"$1"y | tr a b';
  assertEquals(program.pargs, ["sh", "-c", script, "procrun"]);
  assertEquals(program.placeholder, undefined);
  assertEquals(program.isCommand, true);
  assertEquals(
    program.describe("a b", 1),
    `sh -c '${script.replaceAll("'", "'\\''")}' procrun 'a b'`,
  );
  // The argument is never script text.
  const [command, ...args] = program.pargs as readonly string[];
  const hostile = "a; echo pwned $(echo x)";
  const output = await new Deno.Command(command!, {
    args: [...args, hostile],
    stdout: "piped",
  }).output();
  assertEquals(new TextDecoder().decode(output.stdout), "xb; echo pwned $(echo x)y\n");
});

Deno.test("buildProgram() with --module calls the named export with the extra words first", async () => {
  const program = await buildProgram(parseCli(["--module", TASKS, "--export", "double", "w"]));
  assertStrictEquals(program.pargs[0], double);
  assertEquals(program.pargs.slice(1), ["w"]);
  assertEquals(program.placeholder, undefined);
  assertEquals(program.isCommand, false);
  assertEquals(program.describe("3", 1), `${TASKS}#double("w","3")`);
  const byDefault = await buildProgram(parseCli(["--module", TASKS]));
  assertStrictEquals(byDefault.pargs[0], echo);
  assertEquals(byDefault.describe("x", 1), `${TASKS}#default("x")`);
});

Deno.test("buildProgram() with --module refuses a module that cannot be loaded", async () => {
  const missing = "/nonexistent/procrun_tasks.ts";
  const error = await assertRejects(
    () => buildProgram(parseCli(["--module", missing])),
    Error,
    `cannot load --module "${missing}": `,
  );
  assertEquals(error.message.includes("\n"), false, "one line");
});

Deno.test("buildProgram() with --module refuses an export that is not a function and lists the exports", async () => {
  for (const name of ["nope", "notAFunction"]) {
    const error = await assertRejects(
      () => buildProgram(parseCli(["--module", TASKS, "--export", name])),
      Error,
      `--module "${TASKS}" has no function export "${name}" (exports: `,
    );
    for (const exported of ["default", "double", "notAFunction"]) {
      assertEquals(error.message.includes(exported), true, error.message);
    }
  }
});

const shellScript = (text: string) => shellTemplate(text).script;

Deno.test("shellScript() quotes $1 for where {} stands: bare, in double quotes, in single quotes", () => {
  assertEquals(shellScript("rm {}"), 'rm "$1"');
  assertEquals(shellScript('rm "{}"'), 'rm "$1"');
  assertEquals(shellScript("echo '{}'"), `echo ''"$1"''`);
  assertEquals(shellScript("echo 'a {} b' \"x {}.txt\" {}"), `echo 'a '"$1"' b' "x $1.txt" "$1"`);
  // An escaped quote opens nothing; a backslash in single quotes is literal.
  assertEquals(shellScript('echo \\" {}'), 'echo \\" "$1"');
  assertEquals(shellScript("echo '\\' {}"), `echo '\\' "$1"`);
});

Deno.test("shellScript()'s scripts give sh the argument as one word wherever {} stands", async () => {
  const arg = "* a  b $HOME 'q' \"d\"";
  for (
    const script of [
      'printf "[%s]" {}',
      'printf "[%s]" "{}"',
      "printf '[%s]' '{}'",
      'printf "[%s]" "<{}>"',
    ]
  ) {
    const output = await new Deno.Command("sh", {
      args: ["-c", shellScript(script), "procrun", arg],
      cwd: "/",
    }).output();
    const expected = script.includes("<") ? `[<${arg}>]` : `[${arg}]`;
    assertEquals(new TextDecoder().decode(output.stdout), expected, script);
  }
});

Deno.test("buildProgram() puts the argument in the command word when {} is the command", async () => {
  const program = await buildProgram(parseCli(["--", "{}", "-n"]));
  assertEquals(program.describe("echo", 1), "echo -n");
});
