/**
 * The SIGINT/SIGTERM/SIGHUP guard of active runs: while a run holds it, those
 * signals cancel the run (SIGHUP: the terminal or ssh session is gone, which
 * must not leave every task running with parent 1); when the last guard goes after a signal, the
 * remaining process groups are killed and the signal is raised again.
 *
 * @module
 */
import { killAllGroups } from "./groups.ts";

const guards = new Set<AbortController>();
const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
/** The status of a process ended by each signal it stops runs on (128 + its number). */
export const EXIT_STATUS: Readonly<Record<string, number>> = {
  SIGHUP: 129,
  SIGINT: 130,
  SIGTERM: 143,
};
let received: Deno.Signal | undefined;
/** How long to wait for the raised-again signal to end the process. */
const REDELIVERY_WAIT_MS = 2000;

function onSignal(signal: Deno.Signal): void {
  if (received) {
    // A second signal: no more waiting.
    killAllGroups();
    Deno.exit(EXIT_STATUS[signal]);
  }
  received = signal;
  const reason = new DOMException(`cancelled: received ${signal}`, "AbortError");
  for (const controller of guards) controller.abort(reason);
}

const listeners = new Map<Deno.Signal, () => void>(
  SIGNALS.map((signal) => [signal, () => onSignal(signal)]),
);

function addListeners(): void {
  for (const [signal, listener] of listeners) {
    try {
      Deno.addSignalListener(signal, listener);
    } catch {
      // Not supported here (Windows has no SIGTERM, workers have no signals).
    }
  }
}

function removeListeners(): void {
  for (const [signal, listener] of listeners) {
    try {
      Deno.removeSignalListener(signal, listener);
    } catch {
      // Never added.
    }
  }
}

/**
 * While the guard is held, SIGINT, SIGTERM or SIGHUP aborts `controller`. Dispose of
 * it once the run has settled: when the last guard goes after a signal, the
 * remaining process groups are killed and the signal is raised again with no
 * listener left, so the process ends as the signal would have ended it,
 * before the run's promise resolves (this thread waits up to 2 s for it).
 */
export function guardSignals(controller: AbortController): Disposable {
  if (guards.size === 0) addListeners();
  guards.add(controller);
  return {
    [Symbol.dispose]() {
      guards.delete(controller);
      if (guards.size > 0) return;
      removeListeners();
      if (received) {
        const signal = received;
        received = undefined;
        killAllGroups();
        Deno.kill(Deno.pid, signal);
        // Deno applies the default action from its signal thread, a moment
        // later: hold this thread until then, so that no code after the run
        // (its promise, the rest of the script) runs in a process that is
        // ending. If a listener of the program's own takes the signal
        // instead, go on after this wait.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, REDELIVERY_WAIT_MS);
      }
    },
  };
}
