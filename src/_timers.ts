/**
 * Clearing timers without paying for timers never armed.
 *
 * @module
 */

/**
 * Clears `timer` if it was armed. The first `clearTimeout()` call of a Deno
 * 2.9.6 process loads Deno's Node timers (5 to 10 ms), which a run that never
 * armed a timer (no timeout, no work stealing) should not pay: in a one-task
 * CLI run, or between the start of two workers.
 */
export function clearArmed(timer: ReturnType<typeof setTimeout> | undefined): void {
  if (timer !== undefined) clearTimeout(timer);
}
