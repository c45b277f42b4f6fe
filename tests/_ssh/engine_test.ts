import { assert, assertEquals, assertLessOrEqual } from "@std/assert";
import { ProcRunAsync } from "../../src/proc_run_async.ts";
import type { ProcResult } from "../../src/result.ts";
import { waitFor } from "../_helpers.ts";
import { startSshd } from "./sshd.ts";

async function psArgs(): Promise<string> {
  const { stdout } = await new Deno.Command("ps", { args: ["-A", "-o", "args="], stdout: "piped" })
    .output();
  return new TextDecoder().decode(stdout);
}

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

Deno.test("ProcRunAsync with hosts spreads commands over two sshd and this machine, at most N at once on each, and names the host", async () => {
  const dir = await Deno.makeTempDir();
  const [a, b] = [await startSshd(dir), await startSshd(dir)];
  try {
    const hosts = [`2/${a.login}`, `1/${b.login}`, "1/:"];
    const tasks = Array.from({ length: 12 }, (_, i): [number, string] => [i, String(i)]);
    const run = new ProcRunAsync(
      ["sh", "-c", 'echo "port ${SSH_CONNECTION##* }"; sleep 0.3', "x"],
      tasks,
      {
        hosts,
        ssh: a.ssh,
      },
    );
    const results = await run.runAll();
    assert(results.every((r) => r.success), results.find((r) => !r.success)?.stderr);
    for (const result of results) {
      const port = result.stdout.match(/port (\d*)/)![1];
      const expected = result.host === a.login
        ? String(a.port)
        : result.host === b.login
        ? String(b.port)
        : "";
      assertEquals(port, expected, `${result.host} ran it`);
    }
    assertEquals(new Set(results.map((r) => r.host)), new Set([a.login, b.login, null]));
    assertLessOrEqual(mostAtOnce(results, a.login), 2);
    assertLessOrEqual(mostAtOnce(results, b.login), 1);
    assertLessOrEqual(mostAtOnce(results, null), 1);
  } finally {
    await a.stop();
    await b.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ProcRunAsync with hosts: a timeout kills the remote tree, grandchild included; exit 255 is the task's own", async () => {
  const dir = await Deno.makeTempDir();
  const sshd = await startSshd(dir);
  try {
    const marker = `procrun-remote-${crypto.randomUUID()}`;
    const run = new ProcRunAsync(["sh", "-c", `sleep 30 & sleep 30; : ${marker}`], [["slow", ""]], {
      hosts: [sshd.login],
      ssh: sshd.ssh,
      timeout: 1,
      killGrace: 0.5,
    });
    const [result] = await run.runAll();
    assertEquals([result!.timeout, result!.host], [true, sshd.login]);
    await waitFor(async () => !(await psArgs()).includes(marker), 5000, "the remote tree to die");
    // Not a host failure: the same host runs the next task.
    const exits = new ProcRunAsync(
      ["sh", "-c", 'echo "$0" >&2; exit "$0"'],
      [["a", 255], ["b", 0]],
      {
        hosts: [`1/${sshd.login}`],
        ssh: sshd.ssh,
      },
    );
    const [failed, ok] = await exits.runAll();
    assertEquals([failed!.returncode, failed!.stderr, failed!.host], [255, "255\n", sshd.login]);
    assertEquals([ok!.success, ok!.host], [true, sshd.login]);
  } finally {
    await sshd.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ProcRunAsync with hosts: a host whose sshd is gone is passed over; with none left each task fails as a HostError", async () => {
  const dir = await Deno.makeTempDir();
  const [gone, up] = [await startSshd(dir), await startSshd(dir)];
  await gone.stop();
  try {
    const run = new ProcRunAsync(["echo"], [["a", 1], ["b", 2], ["c", 3]], {
      hosts: [`1/${gone.login}`, `1/${up.login}`],
      ssh: up.ssh,
    });
    const results = await run.runAll();
    assertEquals(results.map((r) => [r.stdout, r.host]), [
      ["1\n", up.login],
      ["2\n", up.login],
      ["3\n", up.login],
    ]);
    const none = new ProcRunAsync(["echo"], [["a", 1], ["b", 2]], {
      hosts: [gone.login],
      ssh: up.ssh,
    });
    for (const result of await none.runAll()) {
      assertEquals([result.success, result.exception], [false, "HostError"]);
    }
  } finally {
    await up.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ProcRunAsync with hosts: SIGINT to the script leaves no process on the host", async () => {
  const dir = await Deno.makeTempDir();
  const sshd = await startSshd(dir);
  try {
    const marker = `procrun-sigint-${crypto.randomUUID()}`;
    const script = new URL("../fixtures/ssh_run.ts", import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, sshd.login, JSON.stringify(sshd.ssh), marker],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    await waitFor(
      async () => (await psArgs()).includes(marker),
      10_000,
      "the remote command to start",
    );
    Deno.kill(child.pid, "SIGINT");
    const { code } = await child.output();
    assertEquals(code, 130);
    await waitFor(async () => !(await psArgs()).includes(marker), 5000, "the remote tree to die");
  } finally {
    await sshd.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ProcRunAsync with hosts: a host given without N gets its core count as job slots", async () => {
  const dir = await Deno.makeTempDir();
  const sshd = await startSshd(dir);
  try {
    const tasks = Array.from({ length: 8 }, (_, i): [number, number] => [i, 0.2]);
    const results = await new ProcRunAsync(["sleep"], tasks, { hosts: [sshd.login], ssh: sshd.ssh })
      .runAll();
    assert(results.every((r) => r.success && r.host === sshd.login));
    const most = mostAtOnce(results, sshd.login);
    assertLessOrEqual(most, navigator.hardwareConcurrency);
    assert(most >= Math.min(2, navigator.hardwareConcurrency), `${most} at once`);
  } finally {
    await sshd.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ProcRunAsync with hosts: standard error past maxOutputBytes is cut, and the host stays up", async () => {
  const dir = await Deno.makeTempDir();
  const sshd = await startSshd(dir);
  try {
    const run = new ProcRunAsync(["sh", "-c", 'seq 10000 >&2; exit "$0"'], [["a", 3], ["b", 0]], {
      hosts: [`1/${sshd.login}`],
      ssh: sshd.ssh,
      maxOutputBytes: 100,
    });
    const [a, b] = await run.runAll();
    assertEquals([a!.returncode, a!.stderrTruncated, a!.stderr.length, a!.host], [
      3,
      true,
      100,
      sshd.login,
    ]);
    assertEquals([b!.success, b!.host], [true, sshd.login]);
  } finally {
    await sshd.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ProcRunAsync with hosts: a host that was down is asked again, and takes tasks once it answers", async () => {
  const dir = await Deno.makeTempDir();
  const [flaky, steady] = [await startSshd(dir), await startSshd(dir)];
  await flaky.stop();
  try {
    const tasks = Array.from({ length: 12 }, (_, i): [number, number] => [i, 0.5]);
    const run = new ProcRunAsync(["sleep"], tasks, {
      hosts: [`1/${flaky.login}`, `1/${steady.login}`],
      ssh: steady.ssh,
    });
    const running = run.runAll();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await flaky.restart();
    const results = await running;
    assert(results.every((r) => r.success), results.find((r) => !r.success)?.error ?? "");
    const onFlaky = results.filter((r) => r.host === flaky.login).length;
    assert(onFlaky >= 1 && onFlaky < 12, `${onFlaky} of 12 ran on the host that came back`);
  } finally {
    await flaky.stop();
    await steady.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ProcRunAsync with hosts: remoteCwd and remoteEnv set the commands' directory and variables there", async () => {
  const dir = await Deno.makeTempDir();
  const sshd = await startSshd(dir);
  try {
    const work = `${dir}/remote work`;
    const run = new ProcRunAsync(["sh", "-c", 'pwd; echo "$GREETING"'], [["a", ""]], {
      hosts: [sshd.login],
      ssh: sshd.ssh,
      remoteCwd: work,
      remoteEnv: { GREETING: "hello 'there'" },
    });
    const [result] = await run.runAll();
    assertEquals(result!.stdout, `${work}\nhello 'there'\n`, result!.stderr);
  } finally {
    await sshd.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
