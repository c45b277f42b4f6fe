/**
 * How the report paints each outcome: a colour and a pattern of its own
 * (solid, diagonal stripes, cross-hatch, dots), so that the timeline and its
 * legend read the same without colour, printed in black and white or by a
 * reader who does not tell red from green. Part of the page's script (see
 * html.ts): nothing here uses anything from outside the page.
 *
 * @module
 */
import type { PageCanvas, PageContext, PageDocument, PageFill } from "./page_dom.ts";

declare const document: PageDocument;

/** What each outcome looks like, by its index in the report's `statuses`. */
export interface StatusLook {
  name: string;
  /** What it means, for the legend. */
  meaning: string;
  /** The colour under the pattern. */
  color: string;
  /** The pattern's ink. */
  ink: string;
  /** How bad it is, for a pixel where several bars meet: the worst is drawn. */
  rank: number;
}

/** The look of each outcome, in the order of the report's `statuses`. */
export function statusLooks(): StatusLook[] {
  return [
    {
      name: "success",
      meaning: "solid: ended well (exit 0, or [true, answer])",
      color: "#3b8f3b",
      ink: "#3b8f3b",
      rank: 1,
    },
    {
      name: "failure",
      meaning: "diagonal stripes: a non-zero exit, a signal or an error",
      color: "#c62828",
      ink: "#ffffff",
      rank: 4,
    },
    {
      name: "timeout",
      meaning: "cross-hatch: stopped by its timeout",
      color: "#ef9a1a",
      ink: "#3d2600",
      rank: 3,
    },
    {
      name: "cancelled",
      meaning: "dots: cancelled (a signal, a halt) before it could end",
      color: "#b0b6ba",
      ink: "#222222",
      rank: 2,
    },
  ];
}

/** The fill of an outcome: its pattern on its colour, as a canvas pattern (or the colour). */
export function statusFill(ctx: PageContext, look: StatusLook, index: number): PageFill {
  const tile = document.createElement("canvas") as PageCanvas;
  tile.width = 8;
  tile.height = 8;
  const g = tile.getContext("2d");
  if (!g) return look.color;
  g.fillStyle = look.color;
  g.fillRect(0, 0, 8, 8);
  g.strokeStyle = look.ink;
  g.fillStyle = look.ink;
  g.lineWidth = 1.5;
  if (index === 1 || index === 2) {
    g.beginPath();
    g.moveTo(-2, 10);
    g.lineTo(10, -2);
    g.moveTo(-2, 2);
    g.lineTo(2, -2);
    g.moveTo(6, 10);
    g.lineTo(10, 6);
    if (index === 2) {
      g.moveTo(-2, -2);
      g.lineTo(10, 10);
      g.moveTo(6, -2);
      g.lineTo(10, 2);
      g.moveTo(-2, 6);
      g.lineTo(2, 10);
    }
    g.stroke();
  } else if (index === 3) {
    g.fillRect(1, 1, 2, 2);
    g.fillRect(5, 5, 2, 2);
  }
  return ctx.createPattern(tile, "repeat") ?? look.color;
}

/** A legend swatch: a small canvas painted as the outcome's bars are. */
export function statusSwatch(look: StatusLook, index: number): PageCanvas {
  const swatch = document.createElement("canvas") as PageCanvas;
  swatch.width = 32;
  swatch.height = 16;
  swatch.className = "swatch";
  const g = swatch.getContext("2d");
  if (g) {
    g.fillStyle = statusFill(g, look, index);
    g.fillRect(0, 0, 32, 16);
    g.strokeStyle = "#000000";
    g.strokeRect(0.5, 0.5, 31, 15);
  }
  return swatch;
}
