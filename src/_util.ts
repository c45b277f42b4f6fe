/**
 * Small helpers shared by the runner, the engines and the CLI.
 *
 * @module
 */

/**
 * Clears `timer` if it was armed. The first `clearTimeout()` of a Deno
 * process loads Deno's Node timers, which a run that never armed a timer (no
 * timeout, no work stealing) should not pay (bench/README.md, design notes).
 */
export function clearArmed(timer: ReturnType<typeof setTimeout> | undefined): void {
  if (timer !== undefined) clearTimeout(timer);
}

/**
 * The longest delay `setTimeout` honours: a longer one (25 days or more) fires
 * at once, with a TimeoutOverflowWarning.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timer from {@linkcode setLongTimeout}: call it to clear the timer. */
export type ClearTimer = () => void;

/**
 * Calls `fn` after `ms` milliseconds, however large `ms` is: a delay longer
 * than {@linkcode MAX_TIMER_MS} is waited for in steps. With `unref`, the
 * timer does not keep the process alive.
 */
export function setLongTimeout(fn: () => void, ms: number, unref = false): ClearTimer {
  const end = performance.now() + ms;
  let timer: ReturnType<typeof setTimeout>;
  const arm = (delay: number) => {
    timer = delay > MAX_TIMER_MS
      ? setTimeout(() => arm(end - performance.now()), MAX_TIMER_MS)
      : setTimeout(fn, Math.max(0, delay));
    if (unref) Deno.unrefTimer(timer);
  };
  arm(ms);
  return () => clearTimeout(timer);
}

/** Whether `value` has a `then` method, as `await` sees it. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function";
}

/** Whether `value` is what a task function must return: `[success: boolean, answer]`. */
export function isTaskReturn(value: unknown): value is readonly [boolean, unknown] {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === "boolean";
}

/**
 * `value` on one line, without colour, as `Deno.inspect` shows it, to
 * `depth` levels (Deno's default when left out: an explicit `undefined`
 * would mean no limit).
 */
export function inspectLine(value: unknown, depth?: number): string {
  const options: Deno.InspectOptions = { colors: false, compact: true, breakLength: Infinity };
  if (depth !== undefined) options.depth = depth;
  return Deno.inspect(value, options);
}

/** The message of an error, or the value as text. */
export function errorText(error: unknown): string {
  return error instanceof Error || error instanceof DOMException ? error.message : String(error);
}

/** `performance.timeOrigin`, read once: its getter costs as much as the clock read. */
const TIME_ORIGIN = performance.timeOrigin;

/** Now, in milliseconds since the epoch, with sub-millisecond precision. */
export function epochNow(): number {
  return TIME_ORIGIN + performance.now();
}

/**
 * Imports one of procrun's own modules when it is first needed, from a URL
 * made at run time (`new URL("./x.ts", import.meta.url)`). Not a literal
 * `import("./x.ts")` on purpose: Deno reads every module that a literal
 * dynamic import names when the program starts, before any code runs (about
 * 0.2 ms a file), so only a computed specifier keeps an unused feature's
 * files unread. `deno compile` follows only literals: its task includes
 * src/ whole.
 */
export function importOwn<T>(url: URL): Promise<T> {
  return import(url.href);
}
