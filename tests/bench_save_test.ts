import { assertEquals, assertStringIncludes } from "@std/assert";
import { resultsMarkdown } from "../bench/compare/save.ts";

const FULL = `Measured 2026-11-28 on X. Load average at start 1, at end 2. Whole-process wall time.

### spawn4: 2000 x /bin/true

| variant | median wall s |
|---|---:|
| a | 1.0 |

### report: the report, first run

| variant | median wall ms |
|---|---:|
| b | 900 |

### Targets

| target | measured | goal | met |
|---|---:|---|---|
| spawn4: rate | 700 | >= 1 | yes |
| report: built, ms | 900 | < 10000 | yes |`;

const PARTIAL =
  `Measured 2026-12-05 on Y. Load average at start 3, at end 4. Whole-process wall time.

### report: the report, again

| variant | median wall ms |
|---|---:|
| b | 1100 |

### Targets

| target | measured | goal | met |
|---|---:|---|---|
| report: built, ms | 1,100 | < 10000 | yes |`;

Deno.test("resultsMarkdown() replaces only the workloads of an --only run, saying when they were measured", () => {
  const previous = resultsMarkdown(null, FULL, undefined);
  assertStringIncludes(previous, "# Benchmark results\n\nThe latest full run");
  const merged = resultsMarkdown(previous, PARTIAL, new Set(["report"]));
  const sections = merged.split("\n### ").map((chunk) => chunk.split("\n")[0]);
  assertEquals(sections.slice(1), [
    "spawn4: 2000 x /bin/true",
    "report: the report, again",
    "Targets",
  ]);
  assertStringIncludes(merged, "| a | 1.0 |");
  assertStringIncludes(merged, "| b | 1100 |\n");
  assertEquals(merged.includes("| b | 900 |"), false);
  assertStringIncludes(
    merged,
    "Measured 2026-12-05 on Y. Load average at start 3, at end 4. Whole-process wall time; a run of `--only report`.",
  );
  assertStringIncludes(
    merged,
    "| spawn4: rate | 700 | >= 1 | yes |\n| report: built, ms | 1,100 |",
  );
  assertEquals(merged.includes("| report: built, ms | 900 |"), false);
  // A full run replaces everything.
  assertEquals(resultsMarkdown(merged, FULL, undefined), previous);
});
