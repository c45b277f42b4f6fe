import { assert, assertEquals, assertLessOrEqual, assertMatch, assertThrows } from "@std/assert";
import { ProcRunAsync } from "../../src/proc_run_async.ts";
import type { ProcResult } from "../../src/result.ts";
import { readUntil, waitFor } from "../_helpers.ts";
import { masters, noneLeft, processTable, remoteProcesses, withSshd } from "./sshd.ts";

/** The most tasks of `results` that ran at once on `host`. */
function mostAtOnce(results: ProcResult[], host: string | null): number {
  const events = results.filter((r) => r.host === host)
    .flatMap((r) => [[r.timeStart!.getTime(), 1], [r.timeEnd!.getTime(), -1]])
    .sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!);
  let now = 0;
  let most = 0;
  for (const [, step] of events) most = Math.max(most, now += step!);
  return most;
}

Deno.test("ProcRunAsync with hosts spreads commands over two sshd and this machine, at most N at once on each, names the host, and shares one connection per host in a private folder removed after", async () => {
  await withSshd(2, async ([a, b], dir) => {
    // The control folder is made in TMPDIR: one of this test's own.
    const tmp = `${dir}/tmp`;
    await Deno.mkdir(tmp);
    const before = Deno.env.get("TMPDIR");
    Deno.env.set("TMPDIR", tmp);
    try {
      const hosts = [`2/${a!.login}`, `1/${b!.login}`, "1/:"];
      const tasks = Array.from({ length: 12 }, (_, i): [number, string] => [i, String(i)]);
      const seen: { mode: number; sockets: number; masters: number }[] = [];
      const run = new ProcRunAsync(
        ["sh", "-c", 'echo "port ${SSH_CONNECTION##* }"; sleep 0.3', "x"],
        tasks,
        {
          hosts,
          ssh: a!.ssh,
          sshControl: true,
          onResult: async () => {
            if (seen.length > 0) return;
            seen.push({ mode: 0, sockets: 0, masters: 0 });
            const [control] = [...Deno.readDirSync(tmp)].filter((e) =>
              e.name.startsWith("procrun_ssh_")
            );
            const path = `${tmp}/${control!.name}`;
            seen[0] = {
              mode: Deno.statSync(path).mode! & 0o777,
              sockets: [...Deno.readDirSync(path)].length,
              masters: await masters(path),
            };
          },
        },
      );
      const results = await run.runAll();
      assert(results.every((r) => r.success), results.find((r) => !r.success)?.stderr);
      for (const result of results) {
        const port = result.stdout.match(/port (\d*)/)![1];
        const expected = result.host === a!.login
          ? String(a!.port)
          : result.host === b!.login
          ? String(b!.port)
          : "";
        assertEquals(port, expected, `${result.host} ran it`);
      }
      assertEquals(new Set(results.map((r) => r.host)), new Set([a!.login, b!.login, null]));
      assertLessOrEqual(mostAtOnce(results, a!.login), 2);
      assertLessOrEqual(mostAtOnce(results, b!.login), 1);
      assertLessOrEqual(mostAtOnce(results, null), 1);
      // While it ran: a folder for this user alone, one master and its socket per host.
      assertEquals(seen[0], { mode: 0o700, sockets: 2, masters: 2 });
      // After: closed and removed.
      assertEquals([...Deno.readDirSync(tmp)], []);
      assertEquals(await masters(tmp), 0);
    } finally {
      if (before === undefined) Deno.env.delete("TMPDIR");
      else Deno.env.set("TMPDIR", before);
    }
  });
});

for (const sshControl of [true, false]) {
  const how = sshControl ? "over a shared connection" : "over a connection of its own";
  Deno.test(`ProcRunAsync with hosts ${how}: a timeout kills the remote tree, grandchild included, and keeps what it said while dying`, async () => {
    await withSshd(1, async ([sshd]) => {
      const marker = `procrun-timeout-${crypto.randomUUID()}`;
      const script =
        `trap 'echo dying >&2; exit 3' TERM; echo started; sh -c 'sleep 30; : ${marker}' & sleep 30 & wait; : ${marker}`;
      const run = new ProcRunAsync(["sh", "-c", script], [["slow", ""]], {
        hosts: [sshd!.login],
        ssh: sshd!.ssh,
        sshControl,
        timeout: 1,
        killGrace: 0.5,
      });
      const t0 = performance.now();
      const [result] = await run.runAll();
      assertLessOrEqual(performance.now() - t0, 8000);
      assertEquals([result!.timeout, result!.host], [true, sshd!.login]);
      // The shell's trap ran there and its last words came back (GNU parallel loses them).
      assertEquals([result!.stdout, result!.stderr, result!.returncode], [
        "started\n",
        "dying\n",
        3,
      ]);
      await noneLeft(marker);
    });
  });

  Deno.test(`ProcRunAsync with hosts ${how}: a command that reads stdin is stopped at its timeout, whole tree`, async () => {
    await withSshd(1, async ([sshd]) => {
      const marker = `procrun-stdin-${crypto.randomUUID()}`;
      const run = new ProcRunAsync(
        ["sh", "-c", `read line; echo "got $line"; sh -c 'sleep 30; : ${marker}' & wait`],
        [["reads", ""]],
        {
          hosts: [sshd!.login],
          ssh: sshd!.ssh,
          sshControl,
          stdin: "hello\n",
          timeout: 1,
          killGrace: 0.5,
        },
      );
      const t0 = performance.now();
      const [result] = await run.runAll();
      // Stopped there at once (not only once the connection closes at the end of the run).
      assertLessOrEqual(performance.now() - t0, 3000);
      assertEquals([result!.timeout, result!.stdout], [true, "got hello\n"]);
      // Told to stop over the shared connection, the wrapper says how its command ended.
      if (sshControl) assertEquals(result!.signal, "SIGTERM");
      await noneLeft(marker);
    });
  });
}

Deno.test("ProcRunAsync with hosts: exit 255 is the task's own, not a host failure", async () => {
  await withSshd(1, async ([sshd]) => {
    const exits = new ProcRunAsync(
      ["sh", "-c", 'echo "$0" >&2; exit "$0"'],
      [["a", 255], ["b", 0]],
      { hosts: [`1/${sshd!.login}`], ssh: sshd!.ssh, sshControl: true },
    );
    const [failed, ok] = await exits.runAll();
    assertEquals([failed!.returncode, failed!.stderr, failed!.host], [255, "255\n", sshd!.login]);
    assertEquals([ok!.success, ok!.host], [true, sshd!.login]);
  });
});

Deno.test("ProcRunAsync with hosts: a host whose sshd is gone is passed over; with none left each task fails as a HostError that says why", async () => {
  await withSshd(2, async ([gone, up]) => {
    await gone!.stop();
    const run = new ProcRunAsync(["echo"], [["a", 1], ["b", 2], ["c", 3]], {
      hosts: [`1/${gone!.login}`, `1/${up!.login}`],
      ssh: up!.ssh,
      sshControl: true,
    });
    const results = await run.runAll();
    assertEquals(results.map((r) => [r.stdout, r.host]), [
      ["1\n", up!.login],
      ["2\n", up!.login],
      ["3\n", up!.login],
    ]);
    for (const sshControl of [true, false]) {
      const none = new ProcRunAsync(["echo"], [["a", 1], ["b", 2]], {
        hosts: [gone!.login],
        ssh: up!.ssh,
        sshControl,
      });
      for (const result of await none.runAll()) {
        assertEquals([result.success, result.exception], [false, "HostError"]);
        assertMatch(result.error!, /every host is down \(.*127\.0\.0\.1.*Connection refused/);
      }
    }
  });
});

Deno.test("ProcRunAsync with hosts: an sshd killed mid-run, with its connections, loses nothing: its tasks finish on the other host", async () => {
  await withSshd(2, async ([doomed, steady]) => {
    const marker = `procrun-crash-${crypto.randomUUID()}`;
    const tasks = Array.from({ length: 12 }, (_, i): [number, string] => [i, String(i)]);
    const started: string[] = [];
    const run = new ProcRunAsync(
      ["sh", "-c", `sleep 0.6; echo "$SSH_CONNECTION"; : ${marker}`],
      tasks,
      {
        hosts: [`2/${doomed!.login}`, `2/${steady!.login}`],
        ssh: steady!.ssh,
        sshControl: true,
        onResult: (result) => started.push(String(result.host)),
      },
    );
    const running = run.runAll();
    // The doomed host's first tasks are running there: it dies under them.
    await waitFor(
      async () => (await remoteProcesses(marker)).length >= 4,
      10_000,
      "4 tasks to run",
    );
    await doomed!.crash();
    const results = await running;
    assertEquals(results.length, 12);
    assert(results.every((r) => r.success), results.find((r) => !r.success)?.error ?? "");
    for (const result of results) {
      // Each names the host that ran it, and that host's sshd served it.
      const port = result.stdout.trim().split(" ")[3];
      assertEquals(port, String(result.host === steady!.login ? steady!.port : doomed!.port));
    }
    assert(results.filter((r) => r.host === steady!.login).length >= 10, started.join(" "));
    assert(results.some((r) => r.attempts === 1 && r.host === steady!.login));
    await noneLeft(marker);
  });
});

Deno.test("ProcRunAsync with hosts: SIGINT to the script leaves no process on the host, nor a master connection", async () => {
  await withSshd(1, async ([sshd]) => {
    const marker = `procrun-sigint-${crypto.randomUUID()}`;
    const script = new URL("../fixtures/ssh_run.ts", import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, sshd!.login, JSON.stringify(sshd!.ssh), marker],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    await readUntil(reader, /started/);
    assert((await remoteProcesses(marker)).length >= 2, "the command runs there");
    Deno.kill(child.pid, "SIGINT");
    reader.releaseLock();
    const { code } = await child.output();
    assertEquals(code, 130);
    await noneLeft(marker);
    const left = (await processTable()).filter((p) =>
      p.comm === "ssh" && p.args.includes(sshd!.login.split(":")[1]!)
    );
    assertEquals(left, []);
  });
});

Deno.test("ProcRunAsync with hosts: a host given without N gets its core count as job slots", async () => {
  await withSshd(1, async ([sshd]) => {
    const tasks = Array.from({ length: 8 }, (_, i): [number, number] => [i, 0.2]);
    const results = await new ProcRunAsync(["sleep"], tasks, {
      hosts: [sshd!.login],
      ssh: sshd!.ssh,
      sshControl: true,
    }).runAll();
    assert(results.every((r) => r.success && r.host === sshd!.login));
    const most = mostAtOnce(results, sshd!.login);
    assertLessOrEqual(most, navigator.hardwareConcurrency);
    assert(most >= Math.min(2, navigator.hardwareConcurrency), `${most} at once`);
  });
});

Deno.test("ProcRunAsync with hosts: output past maxOutputBytes is cut at the cap, and the host stays up", async () => {
  await withSshd(1, async ([sshd]) => {
    const run = new ProcRunAsync(
      ["sh", "-c", 'seq 10000; seq 10000 >&2; exit "$0"'],
      [["a", 3], ["b", 0]],
      { hosts: [`1/${sshd!.login}`], ssh: sshd!.ssh, sshControl: true, maxOutputBytes: 100 },
    );
    const [a, b] = await run.runAll();
    assertEquals(
      [a!.returncode, a!.stdoutTruncated, a!.stdout.length, a!.stderrTruncated, a!.stderr.length],
      [3, true, 100, true, 100],
    );
    assertEquals([a!.host, b!.success, b!.host], [sshd!.login, true, sshd!.login]);
  });
});

Deno.test("ProcRunAsync with hosts: a host that was down is asked again, and takes tasks once it answers", async () => {
  await withSshd(2, async ([flaky, steady]) => {
    await flaky!.stop();
    const tasks = Array.from({ length: 12 }, (_, i): [number, number] => [i, 0.5]);
    const run = new ProcRunAsync(["sleep"], tasks, {
      hosts: [`1/${flaky!.login}`, `1/${steady!.login}`],
      ssh: steady!.ssh,
      sshControl: true,
    });
    const running = run.runAll();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await flaky!.restart();
    const results = await running;
    assert(results.every((r) => r.success), results.find((r) => !r.success)?.error ?? "");
    const onFlaky = results.filter((r) => r.host === flaky!.login).length;
    assert(onFlaky >= 1 && onFlaky < 12, `${onFlaky} of 12 ran on the host that came back`);
  });
});

Deno.test("ProcRunAsync with hosts: remoteCwd and remoteEnv set the commands' directory and variables there", async () => {
  await withSshd(1, async ([sshd], dir) => {
    const work = `${dir}/remote work`;
    const run = new ProcRunAsync(["sh", "-c", 'pwd; echo "$GREETING"'], [["a", ""]], {
      hosts: [sshd!.login],
      ssh: sshd!.ssh,
      remoteCwd: work,
      remoteEnv: { GREETING: "hello 'there'" },
    });
    const [result] = await run.runAll();
    assertEquals(result!.stdout, `${work}\nhello 'there'\n`, result!.stderr);
  });
});

Deno.test("ProcRunAsync refuses a bad sshControl before anything runs", () => {
  assertThrows(
    () => new ProcRunAsync(["true"], [], { hosts: ["h"], sshControl: "yes" as unknown as boolean }),
    TypeError,
    `Cannot create ProcRunAsync as 'sshControl' must be a boolean: current value is "yes"`,
  );
});
