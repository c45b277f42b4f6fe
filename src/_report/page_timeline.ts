/**
 * The report's timeline, drawn on a canvas so that 100,000 attempts cost no
 * DOM nodes: a row per job slot and a bar per attempt, its queue wait as a
 * thin line before it, the marks (halts, signals) as dashed lines, and above
 * them the tasks running (a filled area) and queued (a dashed line). Bars
 * narrower than a pixel are drawn per pixel, the worst outcome on top.
 * Zoom with the wheel, the buttons or + and -, pan by dragging or with the
 * arrow keys; hover a bar for its tooltip, click it for its details.
 *
 * Part of the page's script (see html.ts): it uses nothing from outside the
 * page but its other functions.
 *
 * @module
 */
import type { ReportData } from "./model.ts";
import type { PageCanvas, PageDocument, PageElement, PageEvent, PageWindow } from "./page_dom.ts";
import { statusFill, statusLooks } from "./page_paint.ts";
import { formatMs } from "./page_summary.ts";

declare const document: PageDocument;

/** The timeline, as the rest of the page drives it. */
export interface Timeline {
  /** How many bars the last frame drew (those in view). */
  drawn(): number;
  /** Shows a bar as selected, or none (-1). */
  select(bar: number): void;
  /** Zooms in (factor < 1) or out around the middle of the view. */
  zoom(factor: number): void;
  /** Shows the whole run. */
  reset(): void;
}

/**
 * Draws the timeline of `data` into `box`, with `tip` as its tooltip;
 * `onSelect` is told of each bar clicked.
 */
export function startTimeline(
  data: ReportData,
  box: PageElement,
  tip: PageElement,
  onSelect: (bar: number) => void,
): Timeline {
  const bars = data.bars;
  const n = bars.start.length;
  const rows = data.rows.length;
  const looks = statusLooks();
  const GUTTER = 140;
  const AXIS = 22;
  const CHART = 64;
  const rowH = Math.max(2, Math.min(22, Math.floor(1000 / Math.max(1, rows))));
  const top = AXIS + CHART + 10;
  const height = top + rows * rowH + 6;
  const page = globalThis as unknown as PageWindow;
  const canvas = document.createElement("canvas") as PageCanvas;
  canvas.tabIndex = 0;
  canvas.setAttribute("role", "img");
  canvas.setAttribute(
    "aria-label",
    `Timeline of ${n} attempts on ${rows} job slots; the tables list the slowest and the failed tasks`,
  );
  box.append(canvas);
  const ctx = canvas.getContext("2d")!;
  const fills = looks.map((look, i) => statusFill(ctx, look, i));

  // Each row's bars in start order (rows never overlap), for hit tests.
  const rowFirst = new Int32Array(rows + 1);
  for (let i = 0; i < n; i++) rowFirst[bars.row[i]! + 1]!++;
  for (let r = 0; r < rows; r++) rowFirst[r + 1]! += rowFirst[r]!;
  const order = new Int32Array(n);
  const next = rowFirst.slice(0, Math.max(rows, 1));
  for (let i = 0; i < n; i++) order[next[bars.row[i]!]!++] = i;
  for (let r = 0; r < rows; r++) {
    order.subarray(rowFirst[r]!, rowFirst[r + 1]!).sort((a, b) => bars.start[a]! - bars.start[b]!);
  }

  // Running and queued tasks over time, as steps.
  const changes: [number, number, number][] = [];
  let end = Math.max(1, data.wallMs);
  for (let i = 0; i < n; i++) {
    changes.push([bars.start[i]!, 1, 0], [bars.end[i]!, -1, 0]);
    if (bars.wait[i]! > 0) {
      changes.push([bars.start[i]! - bars.wait[i]!, 0, 1], [bars.start[i]!, 0, -1]);
    }
    end = Math.max(end, bars.end[i]!);
  }
  changes.sort((a, b) => a[0] - b[0]);
  const stepT: number[] = [];
  const stepRun: number[] = [];
  const stepQueue: number[] = [];
  let running = 0;
  let queued = 0;
  for (const [t, dr, dq] of changes) {
    running += dr;
    queued += dq;
    if (stepT.length > 0 && stepT[stepT.length - 1] === t) {
      stepRun[stepRun.length - 1] = running;
      stepQueue[stepQueue.length - 1] = queued;
    } else {
      stepT.push(t);
      stepRun.push(running);
      stepQueue.push(queued);
    }
  }
  const peak = Math.max(
    1,
    stepRun.reduce((a, b) => Math.max(a, b), 0),
    stepQueue.reduce((a, b) => Math.max(a, b), 0),
  );

  let from = 0;
  let to = end;
  let selected = -1;
  let drawn = 0;
  let width = 0;
  const scale = () => (width - GUTTER - 10) / (to - from);
  const xOf = (t: number) => GUTTER + (t - from) * scale();

  function draw(): void {
    const dpr = page.devicePixelRatio || 1;
    width = Math.max(480, box.clientWidth);
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, width, height);
    const plot = width - GUTTER - 10;
    const k = scale();
    ctx.font = "11px sans-serif";
    ctx.textBaseline = "middle";
    // The axis, with a grid line at each tick.
    const raw = (to - from) / Math.max(1, plot / 110);
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
    const digits = Math.max(0, Math.min(3, -Math.floor(Math.log10(step / 1000))));
    for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
      const x = xOf(t);
      ctx.fillStyle = "#dddddd";
      ctx.fillRect(x, AXIS, 1, height - AXIS);
      ctx.fillStyle = "#000000";
      ctx.fillText(`${(t / 1000).toFixed(digits)} s`, x + 3, AXIS / 2);
    }
    // Rows: a band every other slot, and the slot's name in the gutter.
    for (let r = 0; r < rows; r++) {
      const y = top + r * rowH;
      if (r % 2 === 1) {
        ctx.fillStyle = "#f3f3f3";
        ctx.fillRect(GUTTER, y, plot, rowH);
      }
      if (rowH >= 10) {
        ctx.fillStyle = "#000000";
        ctx.fillText(data.rows[r]!.slice(0, 22), 4, y + rowH / 2);
      }
    }
    if (rowH < 10 && rows > 0) {
      ctx.fillStyle = "#000000";
      ctx.fillText(`${rows} slots`, 4, top + 8);
    }
    // Running (filled) and queued (dashed) tasks, the most in each pixel.
    const chartBottom = AXIS + CHART;
    const h = (v: number) => (v / peak) * (CHART - 12);
    let j = 0;
    while (j + 1 < stepT.length && stepT[j + 1]! <= from) j++;
    ctx.fillStyle = "#2f4f8f";
    const queueLine: [number, number][] = [];
    for (let p = 0; p < plot; p++) {
      const until = from + (p + 1) / k;
      let run = stepT.length && stepT[j]! <= from + p / k ? stepRun[j]! : 0;
      let queue = stepT.length && stepT[j]! <= from + p / k ? stepQueue[j]! : 0;
      while (j + 1 < stepT.length && stepT[j + 1]! < until) {
        j++;
        run = Math.max(run, stepRun[j]!);
        queue = Math.max(queue, stepQueue[j]!);
      }
      if (run > 0) ctx.fillRect(GUTTER + p, chartBottom - h(run), 1, h(run));
      queueLine.push([GUTTER + p + 0.5, chartBottom - h(queue) - 0.5]);
    }
    ctx.strokeStyle = "#000000";
    ctx.lineWidth = 1.5;
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    queueLine.forEach(([x, y], i) => i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y));
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = "#000000";
    ctx.fillText("running (filled)", 4, AXIS + 12);
    ctx.fillText("queued (dashed)", 4, AXIS + 28);
    ctx.fillText(`0 to ${peak} tasks`, 4, AXIS + 44);
    // The bars; those under two pixels wide are gathered per pixel.
    const px = Math.max(1, Math.ceil(plot));
    const thin = new Uint8Array(rows * px);
    drawn = 0;
    ctx.lineWidth = 1;
    for (let i = 0; i < n; i++) {
      const s = bars.start[i]!;
      const e = bars.end[i]!;
      if (e < from || s > to) continue;
      drawn++;
      const x0 = Math.max(GUTTER, xOf(s));
      const x1 = Math.min(GUTTER + plot, xOf(e));
      const y = top + bars.row[i]! * rowH;
      const status = bars.status[i]!;
      const wait = bars.wait[i]!;
      if (wait > 0 && rowH >= 6) {
        const w0 = Math.max(GUTTER, xOf(s - wait));
        if (x0 - w0 >= 2) {
          ctx.fillStyle = "#333333";
          ctx.fillRect(w0, y + rowH - 2, x0 - w0, 1);
        }
      }
      if (x1 - x0 >= 2) {
        // On whole pixels: no lighter seams between bars that touch.
        const [left, right] = [Math.round(x0), Math.round(x1)];
        ctx.fillStyle = fills[status]!;
        ctx.fillRect(left, y + 1, right - left, Math.max(1, rowH - 3));
        if (rowH >= 8 && right - left >= 6) {
          ctx.strokeStyle = "#00000088";
          ctx.strokeRect(left + 0.5, y + 1.5, right - left - 1, rowH - 4);
        }
      } else {
        // Every pixel it touches, so that a busy slot does not look idle between slivers.
        const first = bars.row[i]! * px;
        const last = first + Math.min(px - 1, Math.floor(x1 - GUTTER));
        for (let at = first + Math.min(px - 1, Math.floor(x0 - GUTTER)); at <= last; at++) {
          const old = thin[at]!;
          if (old === 0 || looks[status]!.rank > looks[old - 1]!.rank) thin[at] = status + 1;
        }
      }
    }
    for (let r = 0; r < rows; r++) {
      for (let p = 0; p < px;) {
        const code = thin[r * px + p]!;
        let q = p + 1;
        while (q < px && thin[r * px + q] === code) q++;
        if (code > 0) {
          ctx.fillStyle = fills[code - 1]!;
          ctx.fillRect(GUTTER + p, top + r * rowH + 1, q - p, Math.max(1, rowH - 3));
        }
        p = q;
      }
    }
    // Marks: halts, signals, cancellations.
    ctx.setLineDash([2, 2]);
    ctx.strokeStyle = "#000000";
    data.marks.at.forEach((t, i) => {
      if (t < from || t > to) return;
      const x = Math.round(xOf(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, AXIS);
      ctx.lineTo(x, height);
      ctx.stroke();
      ctx.fillStyle = "#000000";
      ctx.fillText(data.marks.name[i]!, x + 3, AXIS + CHART + 4);
    });
    ctx.setLineDash([]);
    box.dataset.drawn = String(drawn);
    if (selected >= 0) {
      const x0 = Math.max(GUTTER, xOf(bars.start[selected]!));
      const x1 = Math.max(x0 + 2, Math.min(GUTTER + plot, xOf(bars.end[selected]!)));
      const y = top + bars.row[selected]! * rowH;
      ctx.lineWidth = 3;
      ctx.strokeStyle = "#000000";
      ctx.strokeRect(x0 - 2, y - 1, x1 - x0 + 4, rowH + 1);
      ctx.lineWidth = 1;
    }
  }

  /** The bar under the point (CSS pixels in the canvas), or -1. */
  function hit(mx: number, my: number): number {
    const r = Math.floor((my - top) / rowH);
    if (r < 0 || r >= rows || mx < GUTTER) return -1;
    const t = from + (mx - GUTTER) / scale();
    const slack = 3 / scale();
    let lo = rowFirst[r]!;
    let hi = rowFirst[r + 1]! - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (bars.start[order[mid]!]! <= t + slack) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return -1;
    const bar = order[found]!;
    return bars.end[bar]! >= t - slack ? bar : -1;
  }

  function zoomAround(t: number, factor: number): void {
    const span = Math.min(end * 1.05, Math.max(0.01, (to - from) * factor));
    from = Math.max(-end * 0.05, t - (t - from) * (span / (to - from)));
    to = from + span;
    draw();
  }

  function pan(dt: number): void {
    from += dt;
    to += dt;
    draw();
  }

  let drag: { x: number; from: number; moved: boolean } | undefined;
  const point = (event: PageEvent) => {
    const box = canvas.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top] as const;
  };
  canvas.addEventListener("mousedown", (event) => {
    drag = { x: event.clientX, from, moved: false };
  });
  page.addEventListener("mouseup", () => {
    setTimeout(() => drag = undefined, 0);
  });
  canvas.addEventListener("mousemove", (event) => {
    if (drag && (event.buttons & 1) === 1) {
      const dx = event.clientX - drag.x;
      if (Math.abs(dx) > 3) drag.moved = true;
      if (drag.moved) {
        const span = to - from;
        from = drag.from - dx / scale();
        to = from + span;
        draw();
      }
      return;
    }
    const [mx, my] = point(event);
    const bar = hit(mx, my);
    if (bar < 0) {
      tip.hidden = true;
      return;
    }
    const task = bars.task[bar]!;
    tip.textContent = [
      `task ${data.tasks.key[task]}: ${data.statuses[bars.status[bar]!]}`,
      `attempt ${bars.attempt[bar]}, ${formatMs(bars.end[bar]! - bars.start[bar]!)}`,
      `${data.rows[bars.row[bar]!]}, from ${formatMs(bars.start[bar]!)}`,
      bars.wait[bar]! >= 0 ? `queued ${formatMs(bars.wait[bar]!)} before` : "",
      data.tasks.command[task]!.slice(0, 160),
      "click for details",
    ].filter((line) => line !== "").join("\n");
    tip.hidden = false;
    tip.style.left = `${Math.min(event.pageX + 14, document.body.scrollWidth - 340)}px`;
    tip.style.top = `${event.pageY + 14}px`;
  });
  canvas.addEventListener("mouseleave", () => tip.hidden = true);
  canvas.addEventListener("click", (event) => {
    if (drag?.moved) return;
    const [mx, my] = point(event);
    const bar = hit(mx, my);
    if (bar >= 0) onSelect(bar);
  });
  canvas.addEventListener("wheel", (event) => {
    event.preventDefault();
    const [mx] = point(event);
    zoomAround(from + (mx - GUTTER) / scale(), event.deltaY < 0 ? 0.8 : 1.25);
  }, { passive: false });
  canvas.addEventListener("keydown", (event) => {
    const middle = (from + to) / 2;
    const keys: Record<string, () => void> = {
      "+": () => zoomAround(middle, 0.8),
      "=": () => zoomAround(middle, 0.8),
      "-": () => zoomAround(middle, 1.25),
      "0": () => timeline.reset(),
      ArrowLeft: () => pan(-(to - from) / 10),
      ArrowRight: () => pan((to - from) / 10),
    };
    const action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });
  page.addEventListener("resize", () => draw());

  const timeline: Timeline = {
    drawn: () => drawn,
    select(bar) {
      selected = bar;
      draw();
    },
    zoom: (factor) => zoomAround((from + to) / 2, factor),
    reset() {
      from = 0;
      to = end;
      draw();
    },
  };
  draw();
  return timeline;
}
