import { assert, assertEquals, assertLessOrEqual, assertMatch, assertThrows } from "@std/assert";
import { parseCli, UsageError } from "../../src/_cli/args.ts";
import { deno, readUntil } from "../_helpers.ts";
import { masters, noneLeft, remoteProcesses, withSshd } from "../_ssh/sshd.ts";

const CLI = new URL("../../src/cli.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

/** Runs the real CLI in `cwd`. */
function cli(args: string[], cwd?: string) {
  return deno(["run", "-A", "--config", CONFIG, CLI, ...args], 30_000, cwd);
}

Deno.test("parseCli() reads GNU parallel's file transfer options: --transferfile, --tf, --transfer, --return, --trc, --cleanup", () => {
  const config = parseCli([
    "-S",
    "h",
    "--tf",
    "{}.in",
    "--transferfile",
    "a/./b",
    "--return",
    "{.}.out",
    "--trc",
    "{}.log",
    "--",
    "cmd",
  ]);
  assertEquals(config.transferFiles, ["a/./b", "{}.in", "{}"]);
  assertEquals(config.returnFiles, ["{.}.out", "{}.log"]);
  assertEquals(config.cleanup, true);
  const plain = parseCli(["-S", "h", "--transfer", "--return", "x", "--", "cmd"]);
  assertEquals([plain.transferFiles, plain.returnFiles, plain.cleanup], [["{}"], ["x"], false]);
});

Deno.test("parseCli() reads -M/--controlmaster, --no-controlmaster, --wd, and -j as the slots of hosts with -S", () => {
  assertEquals(parseCli(["-S", "h", "--", "c"]).sshControl, undefined);
  assertEquals(parseCli(["-M", "-S", "h", "--", "c"]).sshControl, true);
  assertEquals(parseCli(["--controlmaster", "-S", "h", "--", "c"]).sshControl, true);
  assertEquals(parseCli(["--no-controlmaster", "-S", "h", "--", "c"]).sshControl, false);
  assertEquals(parseCli(["--wd", "/w", "-S", "h", "--", "c"]).workdir, "/w");
  assertEquals(parseCli(["-j", "3", "-S", "h", "--", "c"]).hostSlots, 3);
  assertEquals(parseCli(["-S", "h", "--", "c"]).hostSlots, undefined);
});

Deno.test("parseCli() refuses the options for hosts without a host", () => {
  for (const args of [["--return", "x"], ["--tf", "x"], ["-M"], ["--no-controlmaster"]]) {
    assertThrows(
      () => parseCli([...args, "--", "cmd"]),
      UsageError,
      "need --sshlogin or --sshloginfile",
    );
  }
});

Deno.test("cli --trc sends each input file to the host, brings the output back byte for byte and cleans up there", async () => {
  await withSshd(1, async ([sshd], dir) => {
    const here = `${dir}/here`;
    const there = `${dir}/there`;
    await Deno.mkdir(`${here}/in`, { recursive: true });
    // Every byte value, and bytes that are not UTF-8.
    const data = Uint8Array.from({ length: 1024 }, (_, i) => (i * 7) % 256);
    await Deno.writeFile(`${here}/in/a.bin`, data);
    await Deno.writeFile(`${here}/in/b c.bin`, new Uint8Array([0xff, 0, 0x1e, 10]));
    const ran = await cli([
      "-M",
      "-S",
      `1/${sshd!.login}`,
      "--ssh",
      sshd!.ssh.join(" "),
      "--workdir",
      there,
      "--trc",
      "{}.out",
      "--shell",
      "--",
      "test $(pwd) = " + there + " && cat {} {} > {}.out",
      ":::",
      "in/a.bin",
      "in/b c.bin",
    ], here);
    assertEquals(ran.status.code, 0, ran.err);
    assertEquals(await Deno.readFile(`${here}/in/a.bin.out`), new Uint8Array([...data, ...data]));
    assertEquals(
      await Deno.readFile(`${here}/in/b c.bin.out`),
      new Uint8Array([0xff, 0, 0x1e, 10, 0xff, 0, 0x1e, 10]),
    );
    // --cleanup: the files sent and brought back are gone there, with the folder made for them.
    assertEquals([...Deno.readDirSync(there)], []);
    assertEquals([...Deno.readDirSync(`${here}/in`)].map((e) => e.name).sort(), [
      "a.bin",
      "a.bin.out",
      "b c.bin",
      "b c.bin.out",
    ]);
  });
});

Deno.test("cli --transferfile with /./ puts the file relative to the workdir; without --cleanup it stays there", async () => {
  await withSshd(1, async ([sshd], dir) => {
    await Deno.mkdir(`${dir}/src/deep`, { recursive: true });
    await Deno.writeTextFile(`${dir}/src/deep/f.txt`, "content\n");
    const ran = await cli([
      "-M",
      "-S",
      sshd!.login,
      "--ssh",
      sshd!.ssh.join(" "),
      "--wd",
      `${dir}/work`,
      "--tf",
      `${dir}/src/./{}`,
      "--",
      "cat",
      ":::",
      "deep/f.txt",
    ]);
    assertEquals([ran.status.code, ran.out], [0, "content\n"], ran.err);
    assertEquals(await Deno.readTextFile(`${dir}/work/deep/f.txt`), "content\n");
  });
});

Deno.test("cli --return of a file the command did not make fails the task as a TransferError", async () => {
  await withSshd(1, async ([sshd], dir) => {
    const ran = await cli([
      "-M",
      "-S",
      sshd!.login,
      "--ssh",
      sshd!.ssh.join(" "),
      "--return",
      "{}.missing",
      "--",
      "true",
      ":::",
      "x",
    ], dir);
    assertEquals(ran.status.code, 1);
    assertMatch(ran.err, /TransferError: cannot return x\.missing: .*No such file/);
  });
});

Deno.test("cli {host}, {sshlogin} and {%} name where each task runs; --tagstring {host} and --jsonl carry the host", async () => {
  await withSshd(1, async ([sshd]) => {
    const login = `1/${sshd!.login}`;
    const common = ["-M", "-S", login, "--ssh", sshd!.ssh.join(" ")];
    const ran = await cli([
      ...common,
      "-k",
      "--",
      "echo",
      "{host}",
      "{sshlogin}",
      "{%}",
      ":::",
      "a",
      "b",
    ]);
    assertEquals(ran.out, `127.0.0.1 ${sshd!.login} 1\n`.repeat(2), ran.err);
    const tagged = await cli([...common, "--tagstring", "{host}/{}", "--", "echo", ":::", "a"]);
    assertEquals(tagged.out, "127.0.0.1/a\ta\n");
    const json = await cli([...common, "--jsonl", "--", "echo", ":::", "a"]);
    assertEquals(JSON.parse(json.out).host, sshd!.login);
    // Here, as GNU parallel (--plus), they are ':' (and, replacement strings, the value is not appended).
    const local = await cli(["--quiet", "--", "echo", "{host}", "{sshlogin}", ":::", "a"]);
    assertEquals(local.out, ": :\n");
  });
});

Deno.test("cli --line-buffer and --timeout P% work on hosts too; -j is the job slots of each host", async () => {
  await withSshd(1, async ([sshd]) => {
    const common = ["-M", "-S", sshd!.login, "--ssh", sshd!.ssh.join(" ")];
    const streamed = await cli([
      ...common,
      "--line-buffer",
      "--tag",
      "--shell",
      "--",
      "echo out {}; echo err {} >&2",
      ":::",
      "a",
    ]);
    assertEquals([streamed.out, streamed.err.split("\n")[0]], ["a\tout a\n", "a\terr a"]);
    const timed = await cli([
      ...common,
      "-j",
      "1",
      "--timeout",
      "300%",
      "--",
      "sleep",
      ":::",
      "0.2",
      "0.2",
      "0.2",
      "20",
    ]);
    assertEquals(timed.status.code, 1, timed.err);
    assertMatch(timed.err, /task 4 \(sleep 20\): timed out/);
    const log = await cli([
      ...common,
      "-j",
      "1",
      "--joblog",
      "-",
      "--",
      "sleep",
      ":::",
      "0.3",
      "0.3",
      "0.3",
    ]);
    const spans = log.out.trim().split("\n").slice(1).map((line) => line.split("\t"))
      .map((f) => [Number(f[2]), Number(f[2]) + Number(f[3])]).sort((x, y) => x[0]! - y[0]!);
    for (let i = 1; i < spans.length; i++) {
      assertLessOrEqual(spans[i - 1]![1]!, spans[i]![0]! + 0.01);
    }
  });
});

Deno.test("cli SIGINT with -S leaves no process on the host, no master connection and no control folder", async () => {
  await withSshd(1, async ([sshd], dir) => {
    const tmp = `${dir}/tmp`;
    await Deno.mkdir(tmp);
    const marker = `procrun-cli-sigint-${crypto.randomUUID()}`;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--config",
        CONFIG,
        CLI,
        "-M",
        "-S",
        sshd!.login,
        "--ssh",
        sshd!.ssh.join(" "),
        "--line-buffer",
        "--shell",
        "--",
        `echo started; sh -c 'sleep 30; : ${marker}' & sleep 30; : ${marker}`,
        ":::",
        "a",
        "b",
      ],
      env: { TMPDIR: tmp, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    await readUntil(reader, /started\n(.|\n)*started/);
    assert((await remoteProcesses(marker)).length >= 4, "both run there");
    assertEquals(await masters(tmp), 1);
    Deno.kill(child.pid, "SIGINT");
    reader.releaseLock();
    assertEquals((await child.output()).code, 130);
    await noneLeft(marker);
    assertEquals(await masters(tmp), 0);
    assertEquals([...Deno.readDirSync(tmp)], []);
  });
});
