/**
 * The report as one self-contained HTML file: its data as JSON, its script
 * and its style inline, and a Content Security Policy that lets the page
 * load nothing at all (no network, no other file), run only its own script
 * and use only its own style.
 *
 * The script is made of the page functions themselves (page_*.ts), as Deno
 * has them after type stripping, so that they are type-checked and linted as
 * any other code.
 *
 * @module
 */
import type { ReportData } from "./model.ts";
import { statusFill, statusLooks, statusSwatch } from "./page_paint.ts";
import { STYLE } from "./page_style.ts";
import { formatMs, reportSummary } from "./page_summary.ts";
import { startTimeline } from "./page_timeline.ts";
import { showReport } from "./page_view.ts";

/** Every function of the page's script: each may call the others by name. */
const PAGE_FUNCTIONS = [
  formatMs,
  reportSummary,
  statusLooks,
  statusFill,
  statusSwatch,
  startTimeline,
  showReport,
];

/** The page's script. */
export const SCRIPT = `"use strict";\n${PAGE_FUNCTIONS.map(String).join("\n\n")}\n\nshowReport(
  JSON.parse(document.getElementById("data").textContent),
);\n`;

/** Text for HTML content and attribute values. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The CSP source of a hash of `text`. */
async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return `'sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}'`;
}

/** The report's HTML page for `data`. */
export async function reportHtml(data: ReportData): Promise<string> {
  // "<" escaped, the JSON cannot end its script element (</script>) or open a comment.
  const json = JSON.stringify(data).replaceAll("<", "\\u003c");
  const policy = [
    "default-src 'none'",
    `script-src ${await sha256(SCRIPT)}`,
    `style-src ${await sha256(STYLE)}`,
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="procrun report">
<title>${escapeHtml(data.title)}: procrun report</title>
<style>${STYLE}</style>
</head>
<body>
<main id="report" data-state="loading">
<header><h1 id="title"></h1><p id="source"></p></header>
<noscript><p>This report draws its figures and its timeline with JavaScript, which is off
here: open it in a browser with JavaScript on. It loads nothing from the network.</p></noscript>
<section aria-labelledby="summary-head"><h2 id="summary-head">Summary</h2><dl id="summary"></dl></section>
<section aria-labelledby="timeline-head"><h2 id="timeline-head">Timeline: a row per job slot, a bar per attempt</h2>
<ul id="legend"></ul>
<div class="tools"><button id="zoom-in" type="button">Zoom in (+)</button>
<button id="zoom-out" type="button">Zoom out (-)</button>
<button id="zoom-reset" type="button">Whole run (0)</button>
<span>Wheel: zoom; drag or arrow keys: pan; hover a bar for its task, click it for the details.</span></div>
<div id="timeline"></div>
<div id="tip" hidden></div>
</section>
<section aria-labelledby="detail-head"><h2 id="detail-head">Details</h2>
<dl id="detail"><dt>none</dt><dd>Click a bar, or a task in the tables below.</dd></dl></section>
<section aria-labelledby="slowest-head"><h2 id="slowest-head">The slowest attempts</h2><table id="slowest"></table></section>
<section aria-labelledby="problems-head"><h2 id="problems-head">Tasks that did not succeed</h2>
<p id="problems-note"></p><table id="problems"></table></section>
<section aria-labelledby="marks-head"><h2 id="marks-head">Halts, signals and cancellations</h2><ul id="marks"></ul></section>
</main>
<script type="application/json" id="data">${json}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
