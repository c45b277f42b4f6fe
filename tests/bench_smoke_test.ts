import { assert, assertEquals } from "@std/assert";

interface Row {
  id: string;
  status: string;
  reason?: string;
  wall?: number;
  rate?: number;
  peakRssMiB?: number;
  runs: number[];
}
interface Report {
  smoke: boolean;
  machine: { cores: number; deno: string };
  workloads: { id: string; rows: Row[] }[];
  targets: { what: string; met: boolean | null }[];
}

Deno.test("bench/compare.ts behaviour: the suite starts, measures procrun and reports skips", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const json = `${dir}/smoke.json`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../bench/compare.ts", import.meta.url).pathname,
        "--smoke",
        "--only",
        "spawn4,functions,stream,e2e,report",
        "--json",
        json,
      ],
      stdin: "null",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, stderr);
    const table = new TextDecoder().decode(out.stdout);
    assert(table.includes("### Targets"), table);

    const report: Report = JSON.parse(await Deno.readTextFile(json));
    assert(report.smoke);
    assertEquals(report.workloads.map((w) => w.id), [
      "spawn4",
      "functions",
      "stream",
      "e2e",
      "report",
    ]);
    for (const workload of report.workloads) {
      // The report workload's rows are all procrun's: building the page, and opening it.
      const procrun = workload.rows.filter((r) =>
        r.id.startsWith("procrun_async") || workload.id === "report"
      );
      assert(procrun.length > 0, workload.id);
      for (const row of procrun) {
        assertEquals(row.status, "measured", `${workload.id} ${row.id}: ${row.reason}`);
        assert(row.wall! > 0 && row.runs.length === 1);
      }
      for (const row of workload.rows) {
        if (row.status === "skipped") assert(row.reason, `${workload.id} ${row.id} has no reason`);
        // Peers that cannot be installed here are never given a measured figure.
        if (row.id.startsWith("pyconcurrent")) {
          assertEquals(row.status, "skipped");
          assertEquals(row.wall, undefined);
        }
      }
    }
    assert(report.workloads[2]!.rows.every((r) => typeof r.peakRssMiB === "number"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
