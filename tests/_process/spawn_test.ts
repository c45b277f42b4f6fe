import { assertEquals, assertMatch, assertThrows } from "@std/assert";
import { spawnGrouped } from "../../src/_process/spawn.ts";
import { waitFor } from "../_helpers.ts";

interface PsRow {
  pid: number;
  pgid: number;
  sid: number;
  args: string;
}

/** `ps`'s view of process `pid`, or undefined once it is gone. */
async function ps(pid: number): Promise<PsRow | undefined> {
  const output = await new Deno.Command("ps", {
    args: ["-o", "pid=,pgid=,sid=,args=", "-p", String(pid)],
    stdout: "piped",
    stderr: "null",
  }).output();
  const match = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(
    new TextDecoder().decode(output.stdout).trim(),
  );
  if (!match) return undefined;
  return { pid: Number(match[1]), pgid: Number(match[2]), sid: Number(match[3]), args: match[4]! };
}

/**
 * Waits until `child` leads its own session and process group (setsid runs
 * just after the spawn) and runs the command itself; returns what ps shows.
 */
async function grouped(child: Deno.ChildProcess): Promise<PsRow> {
  let row: PsRow | undefined;
  await waitFor(
    async () => {
      row = await ps(child.pid);
      return row !== undefined && row.pgid === row.pid && row.sid === row.pid &&
        !row.args.startsWith("setsid ") && !row.args.startsWith("/usr/bin/setsid ");
    },
    3000,
    `process ${child.pid} leading its own group and session (last seen: ${JSON.stringify(row)})`,
  );
  return row!;
}

async function stop(child: Deno.ChildProcess): Promise<Deno.CommandStatus> {
  child.kill("SIGKILL");
  await child.stdout.cancel();
  await child.stderr.cancel();
  return await child.status;
}

Deno.test("spawnGrouped() makes a command found on PATH (the setsid path) its own group and session leader", async () => {
  // Which path ran is checked by "runs a resolved command through setsid" below.
  const child = spawnGrouped("sleep", { args: ["5"], stdin: "null" });
  try {
    const row = await grouped(child);
    assertEquals([row.pgid, row.sid], [child.pid, child.pid]);
    assertMatch(row.args, /^\/\S*\/sleep 5$/, "the command has the pid, not setsid");
  } finally {
    assertEquals((await stop(child)).signal, "SIGKILL");
  }
});

Deno.test("spawnGrouped() falls back to detached for a relative command path, still its own group and session leader", async () => {
  const child = spawnGrouped("./sleep", { args: ["5"], cwd: "/usr/bin", stdin: "null" });
  try {
    const row = await grouped(child);
    assertEquals([row.pgid, row.sid], [child.pid, child.pid]);
    assertMatch(row.args, /^\/\S*\/sleep 5$/);
  } finally {
    assertEquals((await stop(child)).signal, "SIGKILL");
  }
});

Deno.test({
  name: "spawnGrouped() runs a resolved command through setsid and leaves a relative path to Deno",
  ignore: Deno.build.os !== "linux",
}, async () => {
  // The two paths are told apart by a script whose interpreter is missing:
  // exec fails after the spawn. Through setsid the spawn succeeds and setsid
  // reports the failure (exit 127); Deno alone reports it as NotFound.
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/script`, "#!/nonexistent/interpreter\necho ran\n");
    await Deno.chmod(`${dir}/script`, 0o755);
    for (
      const [command, env] of [[`${dir}/script`, undefined], ["script", { PATH: dir }]] as const
    ) {
      const child = spawnGrouped(command, { args: [], env, stdin: "null" });
      const [status, out, err] = await Promise.all([
        child.status,
        new Response(child.stdout).text(),
        new Response(child.stderr).text(),
      ]);
      assertEquals([status.code, out], [127, ""], command);
      assertMatch(err, /^setsid: failed to execute .*\/script: No such file or directory\n$/);
    }
    assertThrows(
      () => spawnGrouped("./script", { args: [], cwd: dir, stdin: "null" }),
      Deno.errors.NotFound,
      "No such file or directory",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spawnGrouped() pipes stdin, stdout and stderr", async () => {
  const child = spawnGrouped("sh", {
    args: ["-c", 'read line; echo "out $line"; echo "err $X" >&2'],
    env: { X: "from env" },
    stdin: "piped",
  });
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("hello\n"));
  await writer.close();
  const [status, out, err] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  assertEquals(status.code, 0);
  assertEquals([out, err], ["out hello\n", "err from env\n"]);
});

Deno.test("spawnGrouped() throws NotFound for a command that does not exist", () => {
  for (const command of ["procrun-no-such-command", "/nonexistent/command", "./no-such"]) {
    assertThrows(
      () => spawnGrouped(command, { args: [], stdin: "null" }),
      Deno.errors.NotFound,
      undefined,
      command,
    );
  }
});
