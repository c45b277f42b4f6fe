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

interface Guard {
  cancel(reason: unknown): void;
  done: Promise<unknown>;
}

const guards = new Set<Guard>();
const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM"];
let stopping = false;

function onSignal(signal: Deno.Signal): void {
  if (stopping) {
    // A second signal: no more waiting.
    for (const pgid of liveGroups) killGroup(pgid, "SIGKILL");
    Deno.exit(signal === "SIGINT" ? 130 : 143);
  }
  stopping = true;
  const reason = new DOMException(`cancelled: received ${signal}`, "AbortError");
  const active = [...guards];
  for (const guard of active) guard.cancel(reason);
  Promise.allSettled(active.map((guard) => guard.done)).then(() => {
    for (const pgid of liveGroups) killGroup(pgid, "SIGKILL");
    removeListeners();
    // With no listener left, the default action ends the process as the
    // signal would have without procrun.
    Deno.kill(Deno.pid, signal);
  });
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
 * Cancels the run through `controller` on SIGINT or SIGTERM, waits for `done`,
 * then re-raises the signal. Dispose of the guard when the run ends.
 */
export function guardSignals(
  controller: AbortController,
  done: Promise<unknown>,
): Disposable {
  const guard: Guard = { cancel: (reason) => controller.abort(reason), done };
  if (guards.size === 0 && !stopping) addListeners();
  guards.add(guard);
  return {
    [Symbol.dispose]() {
      guards.delete(guard);
      if (guards.size === 0 && !stopping) removeListeners();
    },
  };
}
