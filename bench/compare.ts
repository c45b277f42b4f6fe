/**
 * The comparison suite: runs each workload for procrun and for every peer
 * installed on this machine, as whole processes, interleaved (A B C A B C
 * ...), several runs each, and prints one table of medians and ratios per
 * workload, the targets met or not, and a machine-readable JSON file.
 *
 * Peers that are missing are reported as skipped, with the reason; figures
 * that were not measured here (pyconcurrent: PyPI is unreachable) are shown
 * only as "reference (not measured here)".
 *
 * The workloads and their targets are in compare/workloads.ts; bench/README.md
 * lists the other modules.
 *
 * usage: deno run -A bench/compare.ts [--runs N] [--only a,b] [--json FILE]
 *                                      [--save] [--smoke] [--no-install]
 *
 * @module
 */
import { parseArgs } from "@std/cli/parse-args";
import { machineFacts, probeTools, repoPath } from "./compare/machine.ts";
import { runWorkload, type WorkloadResult } from "./compare/measure.ts";
import { peers } from "./compare/peers.ts";
import { render } from "./compare/render.ts";
import { resultsMarkdown } from "./compare/save.ts";
import { checkTargets, evaluateTargets } from "./compare/targets.ts";
import { WORKLOADS, workloads } from "./compare/workloads.ts";

// `deno task bench -- --save` passes the "--" on: options follow it here.
const flags = parseArgs(Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args, {
  string: ["runs", "only", "json"],
  boolean: ["save", "smoke", "no-install", "help"],
});
if (flags.help) {
  console.log(
    "usage: deno run -A bench/compare.ts [--runs N] [--only ids] [--json FILE] [--save] [--smoke] [--no-install]\n" +
      "  --runs N      measured runs of each variant (default 5; 1 with --smoke)\n" +
      `  --only ids    comma-separated workload ids: ${Object.keys(WORKLOADS).join(",")}\n` +
      "  --json FILE   where to write the JSON (default bench/results/latest.json)\n" +
      "  --save        also write the table to bench/RESULTS.md (with --only: just those tables)\n" +
      "  --smoke       tiny sizes, one run, no warm-up, no peer installs: proves the suite starts\n" +
      "  --no-install  do not npm-install the piscina peer when it is missing",
  );
  Deno.exit(0);
}
const smoke = flags.smoke;
const runs = Number(flags.runs ?? (smoke ? 1 : 5));
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`compare.ts: --runs must be a positive integer: current value is ${flags.runs}`);
  Deno.exit(2);
}
const only = flags.only ? new Set<string>(flags.only.split(",")) : undefined;
const jsonPath = flags.json ?? repoPath("bench/results/latest.json");

const tools = await probeTools();
const machine = await machineFacts(tools);
const deno = Deno.execPath();
const list = await workloads({
  deno,
  tools,
  peers: peers(tools, { smoke, install: !flags["no-install"] }),
  smoke,
  runs,
}, only);
// A target naming a variant that does not exist fails now, not after the runs.
list.forEach(checkTargets);

const results: WorkloadResult[] = [];
for (const workload of list) {
  try {
    results.push(await runWorkload(workload, { runs, smoke }));
  } finally {
    await workload.cleanup?.();
  }
}
machine.loadEnd = Deno.loadavg();
const targets = list.flatMap((workload, i) => evaluateTargets(workload, results[i]!));
const table = render(results, targets, machine, runs);
console.log(table);

await Deno.mkdir(new URL(".", `file://${jsonPath}`), { recursive: true }).catch(() => {});
await Deno.writeTextFile(
  jsonPath,
  JSON.stringify({ machine, runs, smoke, workloads: results, targets }, null, 2) + "\n",
);
console.error(`\nJSON written to ${jsonPath}`);
if (flags.save) {
  const md = repoPath("bench/RESULTS.md");
  // With --only, the other workloads' tables stay as they were.
  const previous = await Deno.readTextFile(md).catch(() => null);
  await Deno.writeTextFile(md, resultsMarkdown(previous, table, only));
  // The repository's `deno fmt --check` covers Markdown: align the tables.
  await new Deno.Command(deno, { args: ["fmt", "--quiet", md] }).output();
  console.error(`Table written to ${md}`);
}
if (results.some((w) => w.rows.some((r) => r.status === "failed"))) Deno.exitCode = 1;
