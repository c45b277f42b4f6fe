import { assertEquals, assertThrows } from "@std/assert";
import {
  childFlags,
  configFlags,
  permissionFlags,
  v8Flags,
  wantedPermissions,
} from "../../src/_workers/child_flags.ts";
import { deno } from "../_helpers.ts";

const OWN = new URL("../../src/", import.meta.url);
const OWN_DIR = OWN.pathname;
const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;
const MODULE = new URL("../fixtures/worker_tasks.ts", import.meta.url);
const needs = { own: OWN, module: MODULE, command: undefined };
const FLAGS = JSON.stringify(new URL("../../src/_workers/child_flags.ts", import.meta.url).href);

// The tests run with --allow-run --allow-read --allow-write --allow-env --allow-ffi.

Deno.test("permissionFlags() passes on this process's own permissions by default, and no other", () => {
  assertEquals(permissionFlags("R", undefined, needs), [
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-run",
    "--allow-ffi",
  ]);
  assertEquals(permissionFlags("R", "inherit", needs), permissionFlags("R", undefined, needs));
});

Deno.test("permissionFlags() gives what the option asks, and procrun's own modules to read", () => {
  assertEquals(permissionFlags("R", "none", needs), [`--allow-read=${OWN_DIR}`]);
  assertEquals(
    permissionFlags("R", { read: [FIXTURES], env: ["HOME", "PATH"], write: "inherit" }, needs),
    [`--allow-read=${FIXTURES},${OWN_DIR}`, "--allow-write", "--allow-env=HOME,PATH"],
  );
  assertEquals(
    permissionFlags("R", { read: [new URL("file:///tmp/")], run: true }, needs),
    [`--allow-read=/tmp/,${OWN_DIR}`, "--allow-run"],
  );
});

Deno.test("permissionFlags() refuses to give more than this process has, naming what", () => {
  assertThrows(
    () => permissionFlags("R", { net: true }, needs),
    TypeError,
    "Cannot create R as 'permissions.net' must be at most this process's own permissions: current value is true (this process does not have all net access)",
  );
  assertThrows(
    () => permissionFlags("R", { sys: ["hostname"] }, needs),
    TypeError,
    'this process has no sys access to "hostname"',
  );
});

Deno.test("wantedPermissions() reads the option as a Worker's deno.permissions: names left out are not granted", () => {
  const wanted = wantedPermissions("R", { read: true });
  assertEquals([wanted.read, wanted.write, wanted.net, wanted.import], [true, false, false, false]);
  assertEquals(wantedPermissions("R", "none").env, false);
  for (
    const [bad, message] of [
      [5, '\'permissions\' must be "inherit", "none" or an object of permissions'],
      [["read"], "'permissions' must be"],
      [{ hrtime: true }, "'hrtime' is not a permission"],
      [{ read: "yes" }, "'permissions.read' must be \"inherit\", a boolean or a list"],
      [{ read: ["a,b"] }, "'permissions.read[0]' must be a non-empty string without a comma"],
      [{ net: [new URL("https://x/")] }, "'permissions.net[0]'"],
    ] as const
  ) {
    assertThrows(() => wantedPermissions("R", bad), TypeError, message);
  }
});

Deno.test("childFlags() adds the config, no prompts and the heap limit", () => {
  const flags = childFlags("R", "none", needs, 64);
  assertEquals(flags.slice(-2), ["--no-prompt", "--v8-flags=--max-old-space-size=64"]);
  assertEquals(flags.includes("--config") || flags.includes("--no-config"), true);
  assertEquals(childFlags("R", "none", needs, undefined).at(-1), "--no-prompt");
});

Deno.test("v8Flags() passes on this process's --v8-flags and adds the heap limit, in one flag", () => {
  const argv = [
    "deno",
    "run",
    "-A",
    "--v8-flags=--expose-gc,--no-maglev",
    "--v8-flags=",
    "--quiet",
  ];
  assertEquals(v8Flags(argv, undefined), ["--v8-flags=--expose-gc,--no-maglev"]);
  assertEquals(v8Flags(argv, 64), ["--v8-flags=--expose-gc,--no-maglev,--max-old-space-size=64"]);
  assertEquals(v8Flags(["deno", "run", "-A"], 64), ["--v8-flags=--max-old-space-size=64"]);
  assertEquals(v8Flags(undefined, undefined), []);
});

Deno.test("a worker process runs with the V8 flags of the process that started it", async () => {
  const dir = await Deno.makeTempDir();
  const root = new URL("../../", import.meta.url);
  await Deno.writeTextFile(
    `${dir}/script.ts`,
    `import { ProcRunWorkers, workerFunction } from ${JSON.stringify(new URL("mod.ts", root).href)};
const fn = workerFunction(${JSON.stringify(MODULE.href)}, "gcType");
const [r] = await new ProcRunWorkers([fn], [[1, 0]], { isolation: "process", memoryLimit: 256 }).runAll();
console.log(JSON.stringify([r!.answer, typeof (globalThis as { gc?: unknown }).gc, Deno.args]));
`,
  );
  const config = new URL("deno.json", root).pathname;
  const run = async (flags: string[]) => {
    const { status, out, err } = await deno([
      "run",
      "--config",
      config,
      ...flags,
      `${dir}/script.ts`,
      "--v8-flags=--not-deno-s",
    ]);
    assertEquals(status.code, 0, err);
    return JSON.parse(out);
  };
  // The script's own arguments are not Deno's flags: the worker would not start.
  assertEquals(await run(["-A", "--v8-flags=--expose-gc"]), ["function", "function", [
    "--v8-flags=--not-deno-s",
  ]]);
  assertEquals(await run(["-A"]), ["undefined", "undefined", ["--v8-flags=--not-deno-s"]]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("permissionFlags() inherits a permission held only in part for what the run needs: the task module's folder, its command", async () => {
  const script = `
import { permissionFlags } from ${FLAGS};
const own = new URL(${JSON.stringify(OWN.href)});
const module = new URL(${JSON.stringify(MODULE.href)});
console.log(JSON.stringify([
  permissionFlags("R", undefined, { own, module, command: "/bin/sh" }),
  permissionFlags("R", undefined, { own, module: new URL("file:///elsewhere/t.ts"), command: "/bin/ls" }),
]));
`;
  // (deno eval would have every permission.)
  const root = new URL("../../", import.meta.url).pathname;
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/script.ts`, script);
  const { status, out, err } = await deno([
    "run",
    `--allow-read=${root}`,
    "--allow-run=/bin/sh",
    `${dir}/script.ts`,
  ]);
  await Deno.remove(dir, { recursive: true });
  assertEquals(status.code, 0, err);
  assertEquals(JSON.parse(out), [
    [`--allow-read=${OWN_DIR},${FIXTURES}`, "--allow-run=/bin/sh"],
    [`--allow-read=${OWN_DIR}`],
  ]);
});

Deno.test("configFlags() names the config Deno found for this process, or --no-config without one", async () => {
  const dir = await Deno.makeTempDir();
  const script = `
import { configFlags } from ${FLAGS};
console.log(JSON.stringify(configFlags()));
`;
  const run = async (args: string[], cwd: string) => {
    const { status, out, err } = await deno(["eval", "--ext=ts", ...args, script], 20_000, cwd);
    assertEquals(status.code, 0, err);
    return JSON.parse(out);
  };
  assertEquals(await run(["--allow-read"], dir), ["--no-config"]);
  await Deno.writeTextFile(`${dir}/deno.json`, "{}");
  assertEquals(await run(["--allow-read"], dir), ["--config", `${dir}/deno.json`]);
  // Under --allow-all the command line is visible: its --config wins.
  const other = `${dir}/other.json`;
  await Deno.writeTextFile(other, "{}");
  assertEquals(await run(["-A", "--config", other], dir), ["--config", other]);
  assertEquals(configFlags()[0], "--config", "this test's own deno.json");
  await Deno.remove(dir, { recursive: true });
});
