import { assertEquals, assertThrows } from "@std/assert";
import {
  childFlags,
  configFlags,
  permissionFlags,
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
