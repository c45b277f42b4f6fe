import { assert, assertEquals, assertInstanceOf } from "@std/assert";
import { processTable } from "../../src/_process/tree.ts";

const PGID = Number(
  new TextDecoder().decode(
    new Deno.Command("ps", { args: ["-o", "pgid=", "-p", String(Deno.pid)], stdout: "piped" })
      .outputSync().stdout,
  ).trim(),
);

Deno.test("processTable() reads the table from ps where Deno refuses /proc (no --allow-all)", async () => {
  // The test task runs without --allow-all: Deno then refuses every read of /proc.
  const table = processTable();
  assertInstanceOf(table, Promise);
  const found = await table;
  if (!found) throw new Error("ps gave no table");
  assertEquals(found.get(Deno.pid), { ppid: Deno.ppid, pgrp: PGID });
});

Deno.test("processTable() shares one run of ps among the stops of a burst", async () => {
  const tables = Array.from({ length: 20 }, () => processTable());
  const distinct = new Set(tables);
  assert(distinct.size <= 2, `${distinct.size} runs of ps for 20 calls`);
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
