/**
 * The Markdown report: a header on the machine, one table per workload, whose
 * columns come from its kind's {@linkcode COLUMNS}, and the targets.
 *
 * @module
 */
import type { Machine } from "./machine.ts";
import type { Row, WorkloadResult } from "./measure.ts";
import type { TargetResult } from "./targets.ts";
import type { Kind } from "./workloads.ts";

/** One column of a workload's table, between "variant" and "reference". */
interface Column {
  head: string | ((w: WorkloadResult) => string);
  /** The cell of a measured row; `lead` is the measured row of the workload's lead, if any. */
  cell: (r: Row, lead: Row | undefined) => string;
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

const wallSeconds: Column = { head: "median wall s", cell: (r) => fmt(r.wall!, 3) };

/** The columns of each kind of workload. A row not measured fills them with its reason. */
export const COLUMNS: Record<Kind, Column[]> = {
  rate: [
    wallSeconds,
    { head: "tasks/s", cell: (r) => fmt(r.rate!) },
    {
      head: (w) => `${w.lead} rate ÷ this`,
      cell: (r, lead) => lead?.rate && r.rate ? fmt(lead.rate / r.rate, 2) : "",
    },
    {
      head: "CPU s per 1,000 tasks",
      cell: (r) => r.cpuPer1000 === undefined ? "-" : fmt(r.cpuPer1000, 2),
    },
  ],
  cpu: [
    wallSeconds,
    { head: "own time s", cell: (r) => r.inner === undefined ? "-" : fmt(r.inner, 3) },
    {
      head: "speedup vs its single loop",
      cell: (r) => r.speedup === undefined ? "" : fmt(r.speedup, 2),
    },
    { head: "÷ core limit", cell: (r) => r.vsLimit === undefined ? "" : fmt(r.vsLimit, 2) },
  ],
  rss: [
    wallSeconds,
    {
      head: "peak RSS MiB",
      cell: (r) => r.peakRssMiB === undefined ? "-" : fmt(r.peakRssMiB, 1),
    },
  ],
  latency: [{ head: "median wall ms", cell: (r) => fmt(r.wall! * 1000, 1) }],
};

/** The report, in Markdown; `runs` is --runs. */
export function render(
  results: WorkloadResult[],
  targets: TargetResult[],
  machine: Machine,
  runs: number,
): string {
  const out: string[] = [];
  out.push(
    `Measured ${machine.date} on ${machine.cpu}, ${machine.cores} cores, ${machine.os}; ` +
      `Deno ${machine.deno}, Node ${machine.node ?? "-"}, ${
        machine.parallel ?? "no GNU parallel"
      }. ` +
      `Load average at start ${machine.loadStart.map((x) => x.toFixed(2)).join(" ")}, ` +
      `at end ${machine.loadEnd.map((x) => x.toFixed(2)).join(" ")}. ` +
      `Whole-process wall time, medians of ${runs} interleaved runs (after one warm-up round).`,
  );
  for (const w of results) out.push("", `### ${w.id}: ${w.title}`, "", ...table(w));
  out.push("", "### Targets", "", "| target | measured | goal | met |", "|---|---:|---|---|");
  for (const t of targets) {
    out.push(
      `| ${t.what} | ${
        t.value === null ? "-" : fmt(t.value, t.value >= 100 ? 0 : 2)
      } | ${t.goal} | ${
        t.met === undefined ? "-" : t.met === null ? "not measured" : t.met ? "yes" : "NO"
      } |`,
    );
  }
  return out.join("\n");
}

function table(w: WorkloadResult): string[] {
  const columns = COLUMNS[w.kind];
  const heads = columns.map((c) => typeof c.head === "string" ? c.head : c.head(w));
  const lead = w.rows.find((r) => r.id === w.lead && r.status === "measured");
  const lines = [
    `| variant | ${heads.join(" | ")} | reference (issue, not measured here) |`,
    `|---|${columns.map(() => "---:").join("|")}|---|`,
  ];
  for (const r of w.rows) {
    const ref = r.reference ?? "";
    if (r.status === "measured") {
      lines.push(`| ${r.label} | ${columns.map((c) => c.cell(r, lead)).join(" | ")} | ${ref} |`);
    } else {
      // The reason in the first column, the others empty.
      lines.push(`| ${r.label} | ${r.status}: ${r.reason}${" | ".repeat(columns.length)}${ref} |`);
    }
  }
  return lines;
}
