/**
 * Process-wide cleanup: the live process groups of every command, killed when
 * the process exits, and the SIGINT/SIGTERM guard of active runs.
 *
 * Commands run detached, each in its own process group, so that a timeout can
 * kill a whole tree (see PLATFORM.md). A detached group does not get the
 * terminal's Ctrl-C, so this module passes those signals on.
 *
 * @module
 */

const liveGroups = new Set<number>();
let unloadHooked = false;

/** Sends `signal` to the process group `pgid`, ignoring groups that are gone. */
export function killGroup(pgid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(-pgid, signal);
  } catch {
    // The group has already exited.
  }
}

/** Records a live process group, so that it is killed if the process exits. */
export function trackGroup(pgid: number): void {
  liveGroups.add(pgid);
  if (!unloadHooked) {
    unloadHooked = true;
    globalThis.addEventListener("unload", () => {
      for (const pgid of liveGroups) killGroup(pgid, "SIGKILL");
    });
  }
}

/** Forgets a process group once its command and its pipes are done. */
export function untrackGroup(pgid: number): void {
  liveGroups.delete(pgid);
}

const guards = new Set<AbortController>();
const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM"];
let received: Deno.Signal | undefined;
/** How long to wait for the raised-again signal to end the process. */
const REDELIVERY_WAIT_MS = 2000;

function onSignal(signal: Deno.Signal): void {
  if (received) {
    // A second signal: no more waiting.
    for (const pgid of liveGroups) killGroup(pgid, "SIGKILL");
    Deno.exit(signal === "SIGINT" ? 130 : 143);
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
 * While the guard is held, SIGINT or SIGTERM aborts `controller`. Dispose of
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
        for (const pgid of liveGroups) killGroup(pgid, "SIGKILL");
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
