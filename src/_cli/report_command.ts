/**
 * `procrun report [--out FILE] [--title TEXT] LOG`: one self-contained HTML
 * page (timeline, summary, details) of a run, from its trace (`--trace`),
 * its JSON Lines (`--jsonl`) or JSON (`--json`), or a joblog (GNU
 * parallel's or procrun's `--joblog`).
 *
 * @module
 */
import { parseArgs } from "@std/cli/parse-args";
import { writeAll } from "../_bytes.ts";
import { reportHtml } from "../_report/html.ts";
import { LogError, readLog } from "../_report/read.ts";
import { errorText } from "../_util.ts";

/** `procrun report --help`. */
export const REPORT_HELP = `procrun report: an HTML timeline of a run, in one self-contained file.

Usage:
  procrun report [--out FILE] [--title TEXT] LOG

LOG is one of (told apart by their content; - reads standard input):
  a trace                 procrun --trace FILE (or a TraceRecorder's JSON)
  JSON Lines              procrun --jsonl > FILE
  JSON                    procrun --json > FILE
  a joblog                GNU parallel --joblog FILE, or procrun --joblog FILE
                          (a joblog has no slot column: each job goes on the
                          lowest slot of its host free at its start)

Options:
  -o, --out FILE          write the page to FILE (default: standard output,
                          which must not be a terminal)
      --title TEXT        the page's title (default: LOG's file name)
  -h, --help              this text

The page needs no network and loads nothing: open it in any browser. It shows
a row per job slot and a bar per attempt (success, failure, timeout and
cancelled each with a colour and a pattern), the queue wait, the tasks running
and queued, a summary, the slowest attempts and the tasks that failed.

Examples:
  procrun --trace run.json -j 8 -- ./build.sh ::: a b c && procrun report -o run.html run.json
  parallel --joblog jobs.tsv gzip ::: *.log; procrun report --out jobs.html jobs.tsv
`;

const EXIT_ERROR = 255;

/** The base name of a path, for the default title. */
function baseName(path: string): string {
  return path === "-" ? "standard input" : path.replace(/\/+$/, "").split("/").pop() || path;
}

/** Whether two paths name the same existing file. */
function sameFile(a: string, b: string): boolean {
  try {
    const [x, y] = [Deno.statSync(a), Deno.statSync(b)];
    return x.dev === y.dev && x.ino !== null && x.ino === y.ino;
  } catch {
    return false;
  }
}

/**
 * Runs `procrun report` with `args` (after the word `report`); returns the
 * exit status: 0, or 255 for a usage error or a log it cannot read.
 */
export async function reportMain(args: string[]): Promise<number> {
  let unknown: string | undefined;
  const flags = parseArgs(args, {
    string: ["out", "title"],
    boolean: ["help"],
    alias: { o: "out", h: "help" },
    unknown: (arg: string) => {
      if (arg.startsWith("-") && arg !== "-") {
        unknown ??= arg;
        return false;
      }
      return true;
    },
  });
  const usage = (message: string) => {
    console.error(`procrun report: ${message}. Try 'procrun report --help'.`);
    return EXIT_ERROR;
  };
  if (unknown !== undefined) return usage(`unknown option '${unknown.replace(/=.*/s, "")}'`);
  if (flags.help) {
    console.log(REPORT_HELP);
    return 0;
  }
  const out = typeof flags.out === "string" ? flags.out : undefined;
  if (out === "") return usage("--out needs a file name");
  const logs = flags._.map(String);
  if (logs.length !== 1) {
    return usage(logs.length === 0 ? "no LOG given" : `one LOG at a time (got ${logs.length})`);
  }
  const log = logs[0]!;
  if (out !== undefined && log !== "-" && sameFile(out, log)) {
    return usage(`--out ${JSON.stringify(out)} is LOG itself: it would be overwritten`);
  }
  if (out === undefined && Deno.stdout.isTerminal()) {
    return usage("the page is not written to a terminal: give --out FILE or redirect it");
  }
  let html: string;
  let tasks: number;
  try {
    const text = log === "-"
      ? await new Response(Deno.stdin.readable).text()
      : await Deno.readTextFile(log);
    const data = readLog(text, log === "-" ? "standard input" : log, flags.title ?? baseName(log));
    tasks = data.tasks.key.length;
    html = await reportHtml(data);
  } catch (error) {
    const why = error instanceof LogError ? error.message : errorText(error);
    console.error(`procrun report: cannot read ${JSON.stringify(log)}: ${why}`);
    return EXIT_ERROR;
  }
  try {
    if (out === undefined) {
      await writeAll(Deno.stdout, new TextEncoder().encode(html));
    } else {
      await Deno.writeTextFile(out, html);
      console.error(`procrun report: ${out} written (${tasks} tasks)`);
    }
  } catch (error) {
    console.error(
      `procrun report: cannot write ${JSON.stringify(out ?? "-")}: ${errorText(error)}`,
    );
    return EXIT_ERROR;
  }
  return 0;
}
