/**
 * Opens a report (procrun report's HTML page) in headless Chromium and
 * waits for its page to be drawn; fails unless the page drew BARS bars.
 * The whole process's wall time is the figure; the page's own time to ready
 * (from navigation start, its `data-ms`) is reported as `pageMs`.
 *
 * usage: deno run -A bench/workloads/report_open.ts HTML BARS
 * prints one JSON line: {"name","tasks","seconds","pageMs"}
 *
 * @module
 */
import { dataOf, headless } from "../../tests/_report/chromium.ts";
import { intArg, report } from "./_report.ts";

const USAGE = "report_open.ts HTML BARS";
const html = Deno.args[0] ?? String(intArg(undefined, USAGE));
const bars = intArg(Deno.args[1], USAGE);
const t0 = performance.now();
const dom = await headless(`file://${await Deno.realPath(html)}`, { timeoutMs: 60_000 });
const seconds = (performance.now() - t0) / 1000;
const page = dataOf(dom, /<main id="report"[^>]*>/);
if (page.state !== "ready" || Number(page.drawn) !== bars) {
  console.error(`the page is ${page.state} with ${page.drawn} bars drawn, not ${bars}`);
  Deno.exit(1);
}
report("report_open", bars, seconds, { pageMs: Number(page.ms) });
