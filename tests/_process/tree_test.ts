import { assert, assertEquals } from "@std/assert";
import { processTable } from "../../src/_process/tree.ts";

const TREE = new URL("../../src/_process/tree.ts", import.meta.url).href;

const PGID = Number(
  new TextDecoder().decode(
    new Deno.Command("ps", { args: ["-o", "pgid=", "-p", String(Deno.pid)], stdout: "piped" })
      .outputSync().stdout,
  ).trim(),
);

Deno.test("processTable() reads the table from ps where Deno refuses /proc (no --allow-all)", async () => {
  const code = `
    import { processTable } from ${JSON.stringify(TREE)};
    const table = processTable();
    const found = await table;
    console.log(JSON.stringify([table instanceof Promise, found?.get(Deno.pid)?.ppid === Deno.ppid]));
  `;
  // Without --allow-all, as the test task runs: Deno then refuses every read of /proc.
  // (Not `deno eval`: it allows everything.)
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, code);
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-run", "--allow-read", "--allow-env", file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(file);
  assert(success, new TextDecoder().decode(stderr));
  assertEquals(JSON.parse(new TextDecoder().decode(stdout)), [true, true]);
  // Here too, whichever way this test runs.
  const here = await processTable();
  assertEquals(here?.get(Deno.pid), { ppid: Deno.ppid, pgrp: PGID });
});

Deno.test("processTable() shares one run of ps among the stops of a burst", async () => {
  const tables = Array.from({ length: 20 }, () => processTable());
  const distinct = new Set(tables);
  // Under --allow-all each call reads /proc at once (a new Map each time): nothing to share.
  if (!(tables[0] instanceof Map)) {
    assert(distinct.size <= 2, `${distinct.size} runs of ps for 20 calls`);
  }
  for (const table of await Promise.all(tables)) assert(table?.has(Deno.pid));
});

Deno.test("processTable() reads /proc at once under --allow-all", async () => {
  const code = `
    import { processTable } from ${
    JSON.stringify(new URL("../../src/_process/tree.ts", import.meta.url).href)
  };
    const table = processTable();
    console.log(JSON.stringify([table instanceof Map, table?.get(Deno.pid)?.ppid === Deno.ppid]));
  `;
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "-A", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(success, new TextDecoder().decode(stderr));
  assertEquals(JSON.parse(new TextDecoder().decode(stdout)), [true, true]);
});
