import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import {
  SPAWN_PATHS,
  type SpawnedChild,
  spawnGrouped,
  spawnOn,
  spawnPath,
} from "../../src/_process/spawn.ts";
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
async function grouped(child: SpawnedChild): Promise<PsRow> {
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

async function stop(child: SpawnedChild): Promise<Deno.CommandStatus> {
  child.kill("SIGKILL");
  await child.stdout.cancel();
  await child.stderr.cancel();
  return await child.status;
}

const linux = Deno.build.os === "linux";

/** Runs `source` as a script file under `flags` (`deno eval` would grant everything). */
async function denoScript(source: string, flags: string[], env: Record<string, string> = {}) {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, source);
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--config",
        new URL("../../deno.json", import.meta.url).pathname,
        ...flags,
        file,
      ],
      env: { NO_COLOR: "1", ...env },
    }).output();
    const text = new TextDecoder();
    return { status: output, out: text.decode(output.stdout), err: text.decode(output.stderr) };
  } finally {
    await Deno.remove(file);
  }
}

Deno.test({
  name:
    "spawnPath() takes posix_spawn where --allow-ffi is granted on Linux with glibc (the test task grants it)",
  ignore: !linux,
}, () => {
  const ffi = Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  assertEquals(spawnPath().path, ffi ? "posix_spawn" : "setsid", spawnPath().why);
});

for (const path of SPAWN_PATHS) {
  Deno.test({
    name: `spawnOn(${path}) makes a command found on PATH its own group and session leader`,
    ignore: !linux,
  }, async () => {
    const child = await spawnOn(path, "sleep", { args: ["5"], stdin: "null" });
    try {
      const row = await grouped(child);
      assertEquals([row.pgid, row.sid], [child.pid, child.pid]);
      // The command has the pid, not setsid; argv[0] is its path, as Deno passes it.
      assertMatch(row.args, /^\/\S*\/sleep 5$/);
    } finally {
      assertEquals((await stop(child)).signal, "SIGKILL");
    }
  });

  Deno.test(`spawnOn(${path}) pipes stdin, stdout and stderr and passes env on top of this process's`, async () => {
    Deno.env.set("PROCRUN_SPAWN_TEST_INHERITED", "inherited é");
    const child = await spawnOn(path, "sh", {
      args: ["-c", 'read line; echo "out $line"; echo "err $X $PROCRUN_SPAWN_TEST_INHERITED" >&2'],
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
    assertEquals(status, { success: true, code: 0, signal: null });
    assertEquals([out, err], ["out hello\n", "err from env inherited é\n"]);
  });

  Deno.test(`spawnOn(${path}) rejects with NotFound for a command or cwd that does not exist`, async () => {
    for (const command of ["procrun-no-such-command", "/nonexistent/command", "./no-such"]) {
      await assertRejects(
        () => spawnOn(path, command, { args: [], stdin: "null" }),
        Deno.errors.NotFound,
        undefined,
        command,
      );
    }
    await assertRejects(
      () => spawnOn(path, "true", { args: [], cwd: "/nonexistent/dir", stdin: "null" }),
      Deno.errors.NotFound,
    );
  });

  Deno.test({
    name: `spawnOn(${path}) gives the command SIGPIPE's default action and no blocked signal`,
    ignore: !linux,
  }, async () => {
    // Deno ignores SIGPIPE; its children must not: `yes | head -1` ends quietly.
    // The rest of the signal state is what Deno's own (ungrouped) children get.
    const script = "yes | head -1; grep -E '^Sig(Blk|Ign)' /proc/self/status";
    const child = await spawnOn(path, "sh", { args: ["-c", script], stdin: "null" });
    const [status, out, err] = await Promise.all([
      child.status,
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    const plain = await new Deno.Command("sh", { args: ["-c", script] }).output();
    assertEquals([status.code, err], [0, ""]);
    const mask = (text: string, name: string) =>
      BigInt("0x" + new RegExp(`${name}:\\t([0-9a-f]+)`).exec(text)![1]);
    assertMatch(out, /^y\n/);
    assertEquals(mask(out, "SigBlk"), 0n, "no signal blocked");
    const ignored = mask(out, "SigIgn");
    assertEquals(ignored & (1n << 12n), 0n, "SIGPIPE (13) is not ignored");
    const plainIgnored = mask(new TextDecoder().decode(plain.stdout), "SigIgn");
    assertEquals(
      ignored & ~plainIgnored,
      0n,
      "nothing ignored that Deno's own children do not ignore",
    );
  });

  Deno.test(`spawnOn(${path}) reports a signal death as Deno does`, async () => {
    const child = await spawnOn(path, "sh", { args: ["-c", "kill -TERM $$"], stdin: "null" });
    const [status] = await Promise.all([
      child.status,
      child.stdout.cancel(),
      child.stderr.cancel(),
    ]);
    assertEquals(status, { success: false, code: 143, signal: "SIGTERM" });
  });
}

Deno.test({
  name: "spawnOn(posix_spawn) never collects a child that Deno started itself",
  ignore: !linux,
}, async () => {
  // Deno's own children and ours end at the same moments; each status must reach its owner.
  const ours = await Promise.all(
    Array.from(
      { length: 8 },
      (_, i) => spawnOn("posix_spawn", "sh", { args: ["-c", `exit ${i}`], stdin: "null" }),
    ),
  );
  const theirs = Array.from(
    { length: 8 },
    (_, i) => new Deno.Command("sh", { args: ["-c", `exit ${i + 10}`] }).output(),
  );
  const codes = await Promise.all(ours.map(async (child) => {
    await Promise.all([child.stdout.cancel(), child.stderr.cancel()]);
    return (await child.status).code;
  }));
  assertEquals(codes, [0, 1, 2, 3, 4, 5, 6, 7]);
  assertEquals((await Promise.all(theirs)).map((o) => o.code), [10, 11, 12, 13, 14, 15, 16, 17]);
});

Deno.test({
  name: "spawnOn(posix_spawn) passes a large output and large input through unchanged",
  ignore: !linux,
}, async () => {
  const input = new Uint8Array(1_000_000).map((_, i) => (i * 7) & 0xff);
  const child = await spawnOn("posix_spawn", "cat", { args: [], stdin: "piped" });
  const writing = (async () => {
    const writer = child.stdin.getWriter();
    await writer.write(input);
    await writer.close();
  })();
  const [out] = await Promise.all([new Response(child.stdout).bytes(), writing, child.status]);
  await child.stderr.cancel();
  assertEquals(out.length, input.length);
  assert(out.every((byte, i) => byte === input[i]), "the bytes came back in order");
});

Deno.test({
  name: "spawnOn(posix_spawn) refuses a command outside an --allow-run list as Deno does",
  ignore: !linux,
}, async () => {
  // FFI goes around --allow-run: the path must ask first and let Deno refuse.
  const script = `
    import { spawnOn } from ${
    JSON.stringify(new URL("../../src/_process/spawn.ts", import.meta.url).href)
  };
    for (const path of ["posix_spawn", "detached"]) {
      try { await spawnOn(path, "ls", { args: [], stdin: "null" }); console.log(path, "ran"); }
      catch (error) { console.log(path, error.name, error.message); }
    }`;
  const { status, out, err } = await denoScript(script, [
    "--allow-run=sh",
    "--allow-ffi",
    "--allow-read",
    "--allow-env",
  ]);
  assertEquals(status.code, 0, err);
  const [fast, deno_] = out.trim().split("\n");
  assertMatch(deno_!, /^detached NotCapable Requires run access to "ls"/);
  assertEquals(fast!.replace(/^posix_spawn/, ""), deno_!.replace(/^detached/, ""));
});

Deno.test({
  name: "spawnOn(setsid) runs a resolved command through setsid and leaves a relative path to Deno",
  ignore: !linux,
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
      const child = await spawnOn("setsid", command, { args: [], env, stdin: "null" });
      const [status, out, err] = await Promise.all([
        child.status,
        new Response(child.stdout).text(),
        new Response(child.stderr).text(),
      ]);
      assertEquals([status.code, out], [127, ""], command);
      assertMatch(err, /^setsid: failed to execute .*\/script: No such file or directory\n$/);
    }
    await assertRejects(
      () => spawnOn("setsid", "./script", { args: [], cwd: dir, stdin: "null" }),
      Deno.errors.NotFound,
      "No such file or directory",
    );
    // posix_spawn's exec fails in the spawn itself: Deno then reports it, as for any path.
    await assertRejects(
      () => spawnOn("posix_spawn", `${dir}/script`, { args: [], stdin: "null" }),
      Deno.errors.NotFound,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spawnGrouped() falls back to Deno for a relative command path, still its own group and session leader", async () => {
  const child = await spawnGrouped("./sleep", { args: ["5"], cwd: "/usr/bin", stdin: "null" });
  try {
    const row = await grouped(child);
    assertEquals([row.pgid, row.sid], [child.pid, child.pid]);
    assertMatch(row.args, /^\/\S*\/sleep 5$/);
  } finally {
    assertEquals((await stop(child)).signal, "SIGKILL");
  }
});

Deno.test("PROCRUN_SPAWN chooses the path, and a value it does not know is refused before anything runs", async () => {
  const spawnUrl = JSON.stringify(new URL("../../src/_process/spawn.ts", import.meta.url).href);
  const modUrl = JSON.stringify(new URL("../../mod.ts", import.meta.url).href);
  const script = `
    import { spawnPath } from ${spawnUrl};
    import { ProcRunAsync } from ${modUrl};
    try { console.log(spawnPath().path); } catch (e) { console.log(e.name + ": " + e.message); }
    try { new ProcRunAsync(["true"], [["a", "1"]]); console.log("constructed"); }
    catch (e) { console.log(e.name); }`;
  const run = async (value: string, ...flags: string[]) => {
    const { out } = await denoScript(
      script,
      ["--allow-run", "--allow-read", "--allow-env", ...flags],
      { PROCRUN_SPAWN: value },
    );
    return out;
  };
  assertEquals(await run("setsid", "--allow-ffi"), "setsid\nconstructed\n");
  assertEquals(await run("detached", "--allow-ffi"), "detached\nconstructed\n");
  assertEquals(await run("auto", "--allow-ffi"), "posix_spawn\nconstructed\n");
  assertEquals(await run("auto"), "setsid\nconstructed\n");
  assertEquals(
    await run("posix_spawn"),
    "TypeError: PROCRUN_SPAWN=posix_spawn cannot be used here: --allow-ffi not granted\nTypeError\n",
  );
  assertEquals(
    await run("fork"),
    'TypeError: PROCRUN_SPAWN must be "auto" or one of "posix_spawn", "setsid", "detached", but received "fork"\nTypeError\n',
  );
});

Deno.test({
  name: "An exit while posix_spawn calls are under way still kills the commands they start",
  ignore: !linux,
}, async () => {
  // The commands are spawned on other threads; the script exits before most
  // of them are known to it. The exit hook waits for their pids and kills them.
  const marker = `procrun-settle-${crypto.randomUUID()}`;
  const script = `
    import { spawnGrouped } from ${
    JSON.stringify(new URL("../../src/_process/spawn.ts", import.meta.url).href)
  };
    import { trackGroup } from ${
    JSON.stringify(new URL("../../src/_process/groups.ts", import.meta.url).href)
  };
    // One spawn first, so that the next ones go straight to their threads.
    const first = await spawnGrouped("true", { args: [], stdin: "null" });
    trackGroup(first.pid); // As every command's group is: that hooks the exit.
    await first.status;
    for (let i = 0; i < 16; i++) {
      spawnGrouped("sh", { args: ["-c", "sleep 30 # ${marker}"], stdin: "null" })
        .then((child) => trackGroup(child.pid));
    }
    setTimeout(() => Deno.exit(0), 0);`;
  const { status, err } = await denoScript(script, [
    "--allow-run",
    "--allow-ffi",
    "--allow-read",
    "--allow-env",
  ]);
  assertEquals(status.code, 0, err);
  const survivors = async () =>
    new TextDecoder().decode(
      (await new Deno.Command("pgrep", { args: ["-f", marker], stdout: "piped" }).output()).stdout,
    ).trim();
  await waitFor(async () => (await survivors()) === "", 3000, "no command left alive");
});
