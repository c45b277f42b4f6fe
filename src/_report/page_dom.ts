/**
 * The few browser types the page's script uses, declared here: JSR does not
 * let a package turn on the DOM library (`/// <reference lib="dom" />`),
 * and procrun's users type-check it without one. Each page module declares
 * `document` with these types, module-scoped, so that nothing global changes.
 *
 * @module
 */

/** A mouse, wheel or key event, as the timeline reads it. */
export interface PageEvent {
  preventDefault(): void;
  clientX: number;
  clientY: number;
  pageX: number;
  pageY: number;
  buttons: number;
  deltaY: number;
  key: string;
}

/** An element, with what the page does to elements. */
export interface PageElement {
  textContent: string | null;
  className: string;
  hidden: boolean;
  tabIndex: number;
  readonly dataset: Record<string, string | undefined>;
  readonly style: Record<string, string>;
  readonly clientWidth: number;
  readonly scrollWidth: number;
  readonly firstElementChild: PageElement | null;
  append(...nodes: (PageElement | string)[]): void;
  replaceChildren(...nodes: (PageElement | string)[]): void;
  setAttribute(name: string, value: string): void;
  addEventListener(
    type: string,
    listener: (event: PageEvent) => void,
    options?: { passive?: boolean },
  ): void;
  scrollIntoView(): void;
  getBoundingClientRect(): { left: number; top: number };
}

/** A canvas's fill: a colour or a pattern. */
export type PageFill = string | { readonly setTransform?: unknown };

/** A 2D drawing context, with what the page draws. */
export interface PageContext {
  fillStyle: PageFill;
  strokeStyle: string;
  lineWidth: number;
  font: string;
  textBaseline: string;
  fillRect(x: number, y: number, width: number, height: number): void;
  strokeRect(x: number, y: number, width: number, height: number): void;
  fillText(text: string, x: number, y: number): void;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  stroke(): void;
  setLineDash(segments: number[]): void;
  setTransform(a: number, b: number, c: number, d: number, e: number, f: number): void;
  createPattern(image: PageCanvas, repetition: string): PageFill | null;
}

/** A canvas element. */
export interface PageCanvas extends PageElement {
  width: number;
  height: number;
  getContext(kind: "2d"): PageContext | null;
}

/** The document, with what the page asks of it. */
export interface PageDocument {
  readonly body: PageElement;
  getElementById(id: string): PageElement | null;
  createElement(tag: string): PageElement;
}

/** The window, with what the page asks of it. */
export interface PageWindow {
  readonly devicePixelRatio: number;
  readonly location: { readonly hash: string };
  readonly history: { replaceState(state: null, title: string, url: string): void };
  addEventListener(type: string, listener: () => void): void;
}
