import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertGreater,
  assertLessOrEqual,
} from "@std/assert";
import { readLog } from "../../src/_report/read.ts";
import type { ProcResultJSON } from "../../src/result.ts";
import type { TraceFile } from "../../src/trace.ts";
import { deno, installed } from "../_helpers.ts";
import { dataOf, headless, NO_CHROMIUM } from "./chromium.ts";
import { colorCounts, decodePng } from "./png.ts";

const CLI = new URL("../../src/cli.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const RUN = ["run", "-A", "--config", CONFIG, CLI];
// Chromium starts slowly on 2 busy cores: wide timeouts, few launches.
const BROWSER = { ignore: NO_CHROMIUM, sanitizeOps: false, sanitizeResources: false };

const HAS_PARALLEL = installed("parallel");

/** `procrun report --out HTML LOG`. */
async function report(log: string, html: string): Promise<void> {
  const { status, err } = await deno([...RUN, "report", "--out", html, log], 60_000);
  assertEquals(status.code, 0, err);
}

/** The summary's figures in a dumped DOM, by name. */
function figures(dom: string): Record<string, number> {
  return Object.fromEntries(
    [...dom.matchAll(/data-figure="(\w+)" data-value="([^"]*)"/g)].map((
      [, name, value],
    ) => [name!, Number(value)]),
  );
}

/**
 * Run in a copy of a report: hovers the canvas until a tooltip shows, clicks
 * there, zooms in with the + key and back with 0, and writes what it saw.
 */
const PROBE = `(() => {
  const canvas = document.querySelector("#timeline canvas");
  const box = document.getElementById("timeline");
  const tip = document.getElementById("tip");
  const r = canvas.getBoundingClientRect();
  const out = {};
  search: for (let y = 0; y < r.height; y += 3) {
    for (let x = 0; x < r.width; x += 4) {
      const at = { clientX: r.left + x, clientY: r.top + y, bubbles: true };
      canvas.dispatchEvent(new MouseEvent("mousemove", at));
      if (!tip.hidden) {
        out.tip = tip.textContent;
        canvas.dispatchEvent(new MouseEvent("click", at));
        break search;
      }
    }
  }
  out.detail = document.getElementById("detail").dataset.bar;
  for (let i = 0; i < 6; i++) canvas.dispatchEvent(new KeyboardEvent("keydown", { key: "+" }));
  out.zoomed = Number(box.dataset.drawn);
  canvas.dispatchEvent(new KeyboardEvent("keydown", { key: "0" }));
  out.reset = Number(box.dataset.drawn);
  const pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(out);
  document.body.append(pre);
})();`;

/** The figures a run's results say, computed here, apart from the report's code. */
function expected(results: ProcResultJSON[]) {
  const attempts = results.flatMap((r) => [
    ...r.earlierAttempts.filter((a) => a.timeStart !== null).map((a) => ({
      ...a,
      start: a.timeStart!,
    })),
    ...(r.timeStart === null ? [] : [{ ...r, start: r.timeStart }]),
  ]);
  return {
    tasks: results.length,
    succeeded: results.filter((r) => r.success).length,
    failed: results.filter((r) => !r.success && !r.timeout && !r.cancelled).length,
    timedOut: results.filter((r) => r.timeout).length,
    cancelled: results.filter((r) => r.cancelled).length,
    retried: results.filter((r) => r.attempts > 1).length,
    attempts: attempts.length,
    slots: new Set(attempts.map((a) => a.slot)).size,
    firstStart: Math.min(...attempts.map((a) => Date.parse(a.start))),
    lastEnd: Math.max(...attempts.map((a) => Date.parse(a.timeEnd!))),
  };
}

Deno.test(
  "procrun report of a real run draws every attempt and the run's figures in headless Chromium",
  BROWSER,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "procrun_report_" });
    try {
      const values = ["1", "2", "3", "4", "5", "6", "7", "8", "fail", "hang", "<b>x</b></script>"];
      const ran = await deno([
        ...RUN,
        "--quiet",
        "--jsonl",
        "--trace",
        `${dir}/run.json`,
        "--joblog",
        `${dir}/run.tsv`,
        "-j",
        "3",
        "--retries",
        "2",
        "--timeout",
        "1.2",
        "--shell",
        "--",
        'case "$1" in fail) sleep 0.3; exit 1;; hang) sleep 10;; *) sleep "0.$1";; esac',
        ":::",
        ...values,
      ], 60_000);
      assertEquals(ran.status.code, 3, ran.err);
      await Deno.writeTextFile(`${dir}/run.jsonl`, ran.out);
      const results: ProcResultJSON[] = ran.out.trim().split("\n").map((line) => JSON.parse(line));
      const want = expected(results);
      assertEquals([want.tasks, want.failed, want.timedOut, want.retried, want.attempts], [
        11,
        2,
        1,
        3,
        14,
      ]);
      const trace = JSON.parse(await Deno.readTextFile(`${dir}/run.json`)) as TraceFile;
      const slices = trace.traceEvents.filter((e) => e.ph === "X");
      const runEnd = trace.traceEvents.find((e) => e.name === "run end")!.ts / 1000;

      await report(`${dir}/run.json`, `${dir}/trace.html`);
      await report(`${dir}/run.jsonl`, `${dir}/jsonl.html`);
      const html = await Deno.readTextFile(`${dir}/trace.html`);
      // Self-contained: nothing to fetch, and a policy that lets nothing be fetched.
      assert(!/<(link|img|iframe)\b|<script[^>]*\bsrc=|url\(|@import|https?:\/\//i.test(html));
      assert(html.includes(`content="default-src 'none'; script-src 'sha256-`));

      // The bar of the hung task's second attempt, opened through the page's #bar=N.
      const data = readLog(await Deno.readTextFile(`${dir}/run.json`), "run.json", "run.json");
      const hang = data.tasks.arg.indexOf("hang");
      const bar = data.bars.task.findIndex((task, i) =>
        task === hang && data.bars.attempt[i] === 2
      );
      const png = `${dir}/trace.png`;
      const dom = await headless(`file://${dir}/trace.html#bar=${bar}`, {
        screenshot: png,
        size: [1280, 1000],
      });
      const page = dataOf(dom, /<main id="report"[^>]*>/);
      assertEquals(page.state, "ready");
      assertEquals(Number(page.bars), want.attempts);
      assertEquals(Number(page.drawn), want.attempts);
      assertEquals(Number(page.rows), want.slots);
      const shown = figures(dom);
      for (
        const name of ["tasks", "succeeded", "failed", "timedOut", "cancelled", "retried"] as const
      ) {
        assertEquals(shown[name], want[name], name);
      }
      assertEquals(shown.attempts, want.attempts);
      assertEquals(shown.slots, want.slots);
      assertAlmostEquals(shown.wallMs!, runEnd, 0.002);
      const busy = slices.reduce((sum, s) => sum + s.dur! / 1000, 0) / (want.slots * runEnd);
      assertAlmostEquals(shown.busy!, busy, 1e-3);
      // The legend: each outcome by name with its count, and the other marks.
      const legend = [...dom.matchAll(/<li data-status="([^"]+)">(.*?)<\/li>/g)];
      assertEquals(legend.map(([, name]) => name), [
        "success",
        "failure",
        "timeout",
        "cancelled",
        "queue wait",
        "running, queued",
        "marks",
      ]);
      const count = (status: string) => slices.filter((s) => s.cat === status).length;
      for (const [, name, text] of legend.slice(0, 4)) {
        assert(text!.includes(`(${count(name!)} attempts)`), `${name}: ${text}`);
      }
      // The details of the selected bar.
      const detail = Object.fromEntries(
        [...dom.matchAll(/<dd data-field="([^"]+)">([^<]*)<\/dd>/g)].map(([, k, v]) => [k!, v!]),
      );
      assertEquals(detail.outcome, "timeout");
      assertEquals(detail.attempt, "2 of 2");
      assertEquals(detail.arg, "hang");
      assertEquals(detail.exception, "TimeoutError");
      // The slowest attempt first, the failed tasks listed, markup in an arg shown as text.
      assert(
        /<table id="slowest">.*?<tbody><tr><td>.*?<\/td><td>[^<]*<\/td><td>timeout<\/td>/s.test(
          dom,
        ),
      );
      assert(dom.includes("&lt;b&gt;x&lt;/b&gt;&lt;/script&gt;"));
      assert(!dom.includes("<b>x</b>"));
      assert(dom.includes("3 tasks."), "three tasks did not succeed");

      // The screenshot is a picture of the bars, not a blank page.
      const image = await decodePng(await Deno.readFile(png));
      assertEquals([image.width, image.height], [1280, 1000]);
      const colors = colorCounts(image);
      assertGreater(colors.size, 30);
      const white = colors.get(0xffffff) ?? 0;
      assertGreater(image.width * image.height - white, image.width * image.height * 0.1);
      assertGreater(colors.get(0x3b8f3b) ?? 0, 500, "success bars");
      assertGreater(colors.get(0xef9a1a) ?? 0, 200, "timeout bars");
      assertGreater(colors.get(0xc62828) ?? 0, 50, "failure bars");

      // The same run from its JSON Lines: the same figures (no queue waits there), and the
      // page answers the mouse and the keys (a copy with a probe script, its policy taken out).
      const jsonlPage = await Deno.readTextFile(`${dir}/jsonl.html`);
      await Deno.writeTextFile(
        `${dir}/probe.html`,
        jsonlPage.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, "")
          .replace("</body>", `<script>${PROBE}</script></body>`),
      );
      const fromJsonl = await headless(`file://${dir}/probe.html`);
      const probe = JSON.parse(
        /<pre id="probe">([^<]*)<\/pre>/.exec(fromJsonl)![1]!.replaceAll("&quot;", '"')
          .replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&"),
      );
      assert(/^task \d+: (success|failure|timeout)\nattempt \d/.test(probe.tip), probe.tip);
      assert(probe.tip.endsWith("click for details"), probe.tip);
      assertEquals(typeof probe.detail, "string", "the click selected a bar");
      assert(probe.zoomed < want.attempts, `zoomed in, ${probe.zoomed} bars drawn`);
      assertEquals(probe.reset, want.attempts);
      assertEquals(dataOf(fromJsonl, /<main id="report"[^>]*>/).drawn, String(want.attempts));
      const jsonlFigures = figures(fromJsonl);
      for (
        const name of [
          "tasks",
          "succeeded",
          "failed",
          "timedOut",
          "retried",
          "attempts",
          "slots",
        ] as const
      ) {
        assertEquals(jsonlFigures[name], want[name], `jsonl ${name}`);
      }
      assertAlmostEquals(jsonlFigures.wallMs!, want.lastEnd - want.firstStart, 0.002);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "procrun report of a joblog written by GNU parallel shows its jobs in headless Chromium",
  {
    ...BROWSER,
    ignore: NO_CHROMIUM || (!HAS_PARALLEL && !Deno.env.get("PROCRUN_WITH_PARALLEL")),
  },
  async () => {
    if (!HAS_PARALLEL) throw new Error("GNU parallel is not installed (apt-get install parallel)");
    const dir = await Deno.makeTempDir({ prefix: "procrun_report_" });
    try {
      const joblog = `${dir}/jobs.tsv`;
      const out = await new Deno.Command("parallel", {
        args: [
          "--will-cite",
          "--joblog",
          joblog,
          "-j",
          "3",
          "--timeout",
          "1",
          "case {} in f) sleep 0.2; exit 2;; h) sleep 5;; *) sleep 0.{};; esac",
          ":::",
          "1",
          "2",
          "3",
          "f",
          "h",
          "4",
          "5",
        ],
        stdout: "null",
        stderr: "null",
      }).output();
      assertEquals(out.code, 2);
      const lines = (await Deno.readTextFile(joblog)).trim().split("\n").slice(1).map((line) =>
        line.split("\t")
      );
      assertEquals(lines.length, 7);
      const starts = lines.map((f) => Number(f[2]) * 1000);
      const ends = lines.map((f) => (Number(f[2]) + Number(f[3])) * 1000);
      await report(joblog, `${dir}/jobs.html`);
      const dom = await headless(`file://${dir}/jobs.html`);
      const page = dataOf(dom, /<main id="report"[^>]*>/);
      assertEquals([page.state, page.bars, page.drawn], ["ready", "7", "7"]);
      // No slot column in a joblog: never more rows than the jobs that ran at once (-j 3).
      assertLessOrEqual(Number(page.rows), 3);
      assertGreater(Number(page.rows), 1);
      const shown = figures(dom);
      assertEquals(shown.tasks, 7);
      assertEquals(shown.succeeded, lines.filter((f) => f[6] === "0" && f[7] === "0").length);
      assertEquals(shown.timedOut, lines.filter((f) => f[6] === "-1").length);
      assertEquals(shown.timedOut, 1);
      assertEquals(shown.failed, 1);
      assertAlmostEquals(shown.wallMs!, Math.max(...ends) - Math.min(...starts), 0.002);
      assert(dom.includes("a joblog (GNU parallel or procrun --joblog)"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
