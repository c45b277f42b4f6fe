/**
 * The report's page, built from its data: the summary, the legend, the
 * timeline, the details of the selected bar, the slowest attempts, the
 * tasks that did not succeed and the marks. Text goes in with
 * `textContent` only, so nothing a task's key, argument or output holds can
 * become markup.
 *
 * The figures are also written as `data-` attributes (the summary's
 * `data-figure` and `data-value`, the legend's `data-status`, the
 * timeline's `data-drawn`, the page's `data-state="ready"`), for tests and
 * scripts.
 *
 * Part of the page's script (see html.ts): it uses nothing from outside the
 * page but its other functions.
 *
 * @module
 */
import type { ReportData } from "./model.ts";
import type { PageDocument, PageWindow } from "./page_dom.ts";
import { statusLooks, statusSwatch } from "./page_paint.ts";
import { formatMs, reportSummary } from "./page_summary.ts";
import { startTimeline } from "./page_timeline.ts";

declare const document: PageDocument;

/** Builds the page of `data` into the document's skeleton (see html.ts). */
export function showReport(data: ReportData): void {
  const byId = (id: string) => document.getElementById(id)!;
  const make = (tag: string, text = "", className = "") => {
    const node = document.createElement(tag);
    node.textContent = text;
    if (className) node.className = className;
    return node;
  };
  const page = globalThis as unknown as PageWindow;
  const root = byId("report");
  const summary = reportSummary(data);
  const looks = statusLooks();
  const { bars, tasks } = data;
  const n = bars.start.length;
  const kinds: Record<string, string> = {
    trace: "a trace (procrun --trace)",
    jsonl: "procrun's JSON Lines (--jsonl)",
    json: "procrun's JSON (--json)",
    joblog: "a joblog (GNU parallel or procrun --joblog); slots assigned as jobs started",
  };
  byId("title").textContent = data.title;
  byId("source").textContent = `Read from ${data.file}, ${kinds[data.source]}. Times count from ${
    new Date(data.zeroEpochMs).toISOString()
  }.`;

  const figures: [string, string, number, string][] = [
    ["tasks", "Tasks", summary.tasks, String(summary.tasks)],
    ["succeeded", "Succeeded", summary.succeeded, String(summary.succeeded)],
    ["failed", "Failed (exit code, signal, error)", summary.failed, String(summary.failed)],
    ["timedOut", "Timed out", summary.timedOut, String(summary.timedOut)],
    [
      "cancelled",
      "Cancelled",
      summary.cancelled,
      `${summary.cancelled} (${summary.notStarted} never started)`,
    ],
    ["retried", "Retried", summary.retried, `${summary.retried} tasks`],
    ["attempts", "Attempts that ran", summary.attempts, String(summary.attempts)],
    ["wallMs", "Wall time", summary.wallMs, formatMs(summary.wallMs)],
    ["slots", "Job slots used", summary.slots, String(summary.slots)],
    [
      "busy",
      "Busy",
      summary.busy,
      `${(summary.busy * 100).toFixed(1)}% of the slots' time (${formatMs(summary.busyMs)})`,
    ],
  ];
  const list = byId("summary");
  for (const [id, label, value, shown] of figures) {
    const dd = make("dd", shown);
    dd.dataset.figure = id;
    dd.dataset.value = String(value);
    list.append(make("dt", label), dd);
  }

  const counts = looks.map(() => 0);
  for (const status of bars.status) counts[status]!++;
  const legend = byId("legend");
  looks.forEach((look, i) => {
    const item = make("li");
    item.dataset.status = look.name;
    const text = make("span");
    text.append(make("strong", look.name), ` (${counts[i]} attempts): ${look.meaning}`);
    item.append(statusSwatch(look, i), text);
    legend.append(item);
  });
  for (
    const [name, meaning] of [
      ["queue wait", "a thin line before a bar: how long the task waited for a slot"],
      ["running, queued", "above the slots: tasks running (filled) and queued (dashed line)"],
      ["marks", "dashed vertical lines: halts, signals, cancellations (listed below)"],
    ]
  ) {
    const item = make("li");
    item.dataset.status = name!;
    const text = make("span");
    text.append(make("strong", name), `: ${meaning}`);
    item.append(text);
    legend.append(item);
  }

  // The last attempt of each task, for the tables.
  const last = new Int32Array(tasks.key.length).fill(-1);
  for (let i = 0; i < n; i++) {
    const task = bars.task[i]!;
    if (last[task]! < 0 || bars.attempt[i]! >= bars.attempt[last[task]!]!) last[task] = i;
  }
  const why = (bar: number) =>
    bars.error[bar] ??
      (bars.signal[bar] !== null
        ? `killed by ${bars.signal[bar]}`
        : bars.returncode[bar] !== null
        ? `exit ${bars.returncode[bar]}`
        : (bars.exception[bar] ?? ""));

  const detail = byId("detail");
  const showDetail = (bar: number) => {
    const task = bars.task[bar]!;
    const rows: [string, string][] = [
      ["task", tasks.key[task]!],
      ["arg", tasks.arg[task]!],
      ["command", tasks.command[task] || "(not in this log)"],
      ["outcome", data.statuses[bars.status[bar]!]!],
      ["attempt", `${bars.attempt[bar]} of ${tasks.attempts[task]}`],
      ["slot", data.rows[bars.row[bar]!]!],
      [
        "start",
        `${formatMs(bars.start[bar]!)} (${
          new Date(data.zeroEpochMs + bars.start[bar]!).toISOString()
        })`,
      ],
      ["duration", formatMs(bars.end[bar]! - bars.start[bar]!)],
      ["queue wait", bars.wait[bar]! >= 0 ? formatMs(bars.wait[bar]!) : "(not in this log)"],
      ["returncode", String(bars.returncode[bar])],
      ["signal", String(bars.signal[bar])],
      ["exception", String(bars.exception[bar])],
      ["error", String(bars.error[bar])],
    ];
    detail.replaceChildren();
    detail.dataset.bar = String(bar);
    for (const [name, value] of rows) {
      const dd = make("dd", value);
      dd.dataset.field = name;
      detail.append(make("dt", name), dd);
    }
  };
  const timeline = startTimeline(data, byId("timeline"), byId("tip"), (bar) => select(bar));
  const select = (bar: number) => {
    timeline.select(bar);
    showDetail(bar);
    try {
      page.history.replaceState(null, "", `#bar=${bar}`);
    } catch {
      // Some viewers refuse it: the selection still shows.
    }
  };
  byId("zoom-in").addEventListener("click", () => timeline.zoom(0.5));
  byId("zoom-out").addEventListener("click", () => timeline.zoom(2));
  byId("zoom-reset").addEventListener("click", () => timeline.reset());

  /** A table of tasks: each row's first cell selects its last attempt. */
  const table = (id: string, head: string[], lines: [number, string[]][]) => {
    const node = byId(id);
    const top = make("tr");
    for (const name of head) top.append(make("th", name));
    node.append(make("thead"));
    node.firstElementChild!.append(top);
    const body = make("tbody");
    for (const [bar, cells] of lines) {
      const tr = make("tr");
      cells.forEach((cell, i) => {
        const td = make("td");
        if (i === 0 && bar >= 0) {
          const button = make("button", cell, "link");
          button.addEventListener("click", () => {
            select(bar);
            detail.scrollIntoView();
          });
          td.append(button);
        } else td.textContent = cell;
        tr.append(td);
      });
      body.append(tr);
    }
    node.append(body);
  };
  table(
    "slowest",
    ["task", "duration", "outcome", "attempt", "slot", "start"],
    summary.slowest.map((bar) => [bar, [
      tasks.key[bars.task[bar]!]!,
      formatMs(bars.end[bar]! - bars.start[bar]!),
      data.statuses[bars.status[bar]!]!,
      String(bars.attempt[bar]),
      data.rows[bars.row[bar]!]!,
      formatMs(bars.start[bar]!),
    ]]),
  );
  const SHOWN = 200;
  const problems: [number, string[]][] = [];
  let unsuccessful = 0;
  for (let task = 0; task < tasks.key.length; task++) {
    if (data.statuses[tasks.status[task]!] === "success") continue;
    unsuccessful++;
    if (problems.length === SHOWN) continue;
    const bar = last[task]!;
    problems.push([bar, [
      tasks.key[task]!,
      data.statuses[tasks.status[task]!]!,
      String(tasks.attempts[task]),
      bar < 0 ? "never started" : why(bar),
      tasks.command[task]!,
    ]]);
  }
  byId("problems-note").textContent = tasks.key.length === 0
    ? "This log holds no task."
    : unsuccessful === 0
    ? "Every task succeeded."
    : `${unsuccessful} ${unsuccessful === 1 ? "task" : "tasks"}${
      unsuccessful > SHOWN ? `, the first ${SHOWN} shown` : ""
    }.`;
  table("problems", ["task", "outcome", "attempts", "why", "command"], problems);
  const marks = byId("marks");
  data.marks.at.forEach((t, i) => {
    marks.append(make("li", `${formatMs(t)}: ${data.marks.name[i]} (${data.marks.text[i]})`));
  });
  if (data.marks.at.length === 0) marks.append(make("li", "No halt, signal or cancellation."));

  const chosen = /^#bar=(\d+)$/.exec(page.location.hash);
  if (chosen && Number(chosen[1]) < n) select(Number(chosen[1]));
  root.dataset.bars = String(n);
  root.dataset.rows = String(data.rows.length);
  root.dataset.drawn = String(timeline.drawn());
  // Milliseconds from the start of the page's loading to here.
  root.dataset.ms = String(Math.round(performance.now()));
  root.dataset.state = "ready";
}
