/**
 * bench/RESULTS.md from a run's tables: the whole file after a full run;
 * after a run of `--only` some workloads, the file as it was, with only
 * those workloads' tables and targets replaced (or added), each table saying
 * when and on what it was measured, since the file's header tells of the
 * last full run.
 *
 * @module
 */

const TITLE =
  "# Benchmark results\n\nThe latest full run of `deno task bench` (bench/compare.ts); see bench/README.md for how to read it.\n\n";

const TARGETS_HEAD = "### Targets\n\n| target | measured | goal | met |\n|---|---:|---|---|";

interface Parts {
  /** Up to the first table. */
  head: string;
  /** Each workload's section (heading, text, table), by workload id, in file order. */
  sections: Map<string, string>;
  /** The rows of the targets' table. */
  targets: string[];
}

function parts(markdown: string): Parts {
  const chunks = markdown.split(/\n(?=### )/);
  const sections = new Map<string, string>();
  let targets: string[] = [];
  for (const chunk of chunks.slice(1)) {
    if (chunk.startsWith("### Targets")) {
      targets = chunk.split("\n").filter((line) => line.startsWith("|")).slice(2);
    } else sections.set(chunk.slice(4, chunk.indexOf(":")), chunk.trimEnd());
  }
  return { head: chunks[0]!.trimEnd(), sections, targets };
}

/**
 * The new text of RESULTS.md: `table` is render()'s output, `previous` the
 * file as it is (null if there is none), `only` the workloads run, if not all.
 */
export function resultsMarkdown(
  previous: string | null,
  table: string,
  only: ReadonlySet<string> | undefined,
): string {
  if (!only || previous === null) return `${TITLE}${table}\n`;
  const old = parts(previous);
  const run = parts(table);
  const measured = run.head.replace(/\.$/, "");
  for (const [id, section] of run.sections) {
    const [heading, ...rest] = section.split("\n");
    old.sections.set(
      id,
      [heading, "", `${measured}; a run of \`--only ${[...only].join(",")}\`.`, ...rest].join("\n"),
    );
  }
  const ids = [...run.sections.keys()];
  const rows = [
    ...old.targets.filter((row) => !ids.some((id) => row.startsWith(`| ${id}: `))),
    ...run.targets,
  ];
  return [old.head, ...old.sections.values(), `${TARGETS_HEAD}\n${rows.join("\n")}`].join("\n\n") +
    "\n";
}
