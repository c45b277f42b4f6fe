import { assertEquals } from "@std/assert";
import { groupMembers, isAlive, waitFor } from "../_helpers.ts";

const fixture = new URL("../fixtures/signal_run.ts", import.meta.url).pathname;

async function pidFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.endsWith(".pid")) names.push(entry.name);
  }
  return names;
}

const ENGINES = [
  ["async", "ProcRunAsync"],
  ["workers", "ProcRunWorkers"],
  ["workers-process", 'ProcRunWorkers (isolation "process")'],
] as const;

for (const [engine, name] of ENGINES) {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    Deno.test(`${name}.runAll() leaves no child process behind when the runner gets ${signal}`, async () => {
      const dir = await Deno.makeTempDir();
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-run", "--allow-read", "--allow-write", fixture, dir, engine],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      await waitFor(async () => (await pidFiles(dir)).length === 2, 20_000, "both commands");
      const ids = await Promise.all(
        (await pidFiles(dir)).map(async (file) =>
          (await Deno.readTextFile(`${dir}/${file}`)).trim().split(" ").map(Number)
        ),
      );
      const pgids = ids.map(([pgid]) => pgid!);
      // On worker processes, the commands' parents: they must go too.
      const parents = engine === "workers-process" ? ids.map(([, parent]) => parent!) : [];
      for (const parent of parents) assertEquals(parent === child.pid, false);
      for (const pgid of pgids) assertEquals((await groupMembers(pgid)).length >= 2, true);
      const t0 = performance.now();
      child.kill(signal);
      const [status, stdout] = await Promise.all([
        child.status,
        new Response(child.stdout).text(),
        new Response(child.stderr).text(),
      ]);
      assertEquals(status.signal, signal, "the runner ends as the signal would have ended it");
      assertEquals(stdout, "");
      assertEquals(performance.now() - t0 < 5000, true);
      for (const pgid of pgids) {
        await waitFor(
          async () => (await groupMembers(pgid)).length === 0,
          3000,
          `group ${pgid} gone`,
        );
      }
      for (const pid of parents) {
        await waitFor(async () => !(await isAlive(pid)), 3000, `worker process ${pid} gone`);
      }
      await Deno.remove(dir, { recursive: true });
    });
  }
}

for (const how of ["exit", "throw", "reject"] as const) {
  Deno.test(`a script that ends by ${how} mid-run leaves no task's grandchild behind`, async () => {
    const dir = await Deno.makeTempDir();
    const file = `${dir}/pid`;
    const dying = new URL("../fixtures/dying_run.ts", import.meta.url).pathname;
    const config = new URL("../../deno.json", import.meta.url).pathname;
    const status = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", config, dying, file, how],
      stdout: "null",
      stderr: "null",
    }).output();
    assertEquals(status.code, how === "exit" ? 3 : 1);
    const pid = Number(await Deno.readTextFile(file));
    // Gone, or a zombie waiting for init to reap it: not running.
    await waitFor(
      async () => {
        const ps = await new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)] })
          .output();
        const stat = new TextDecoder().decode(ps.stdout).trim();
        return stat === "" || stat.startsWith("Z");
      },
      3000,
      `grandchild ${pid} to be killed`,
    );
    await Deno.remove(dir, { recursive: true });
  });
}

Deno.test('ProcRunWorkers (isolation "process").runAll() leaves no worker process behind when the runner gets SIGTERM while functions run', async () => {
  const dir = await Deno.makeTempDir();
  const functions = new URL("../fixtures/signal_functions_run.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-run", "--allow-read", "--allow-write", functions, dir],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await waitFor(async () => (await pidFiles(dir)).length === 2, 20_000, "both tasks");
  const pids = await Promise.all(
    (await pidFiles(dir)).map(async (file) => Number(await Deno.readTextFile(`${dir}/${file}`))),
  );
  for (const pid of pids) assertEquals(await isAlive(pid), true);
  child.kill("SIGTERM");
  const [status, stdout] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  assertEquals([status.signal, stdout], ["SIGTERM", ""]);
  for (const pid of pids) {
    await waitFor(async () => !(await isAlive(pid)), 3000, `worker process ${pid} gone`);
  }
  await Deno.remove(dir, { recursive: true });
});
