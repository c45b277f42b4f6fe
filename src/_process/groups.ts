/**
 * The live process groups of every command in this thread: signalled as a
 * group, stopped with SIGTERM then SIGKILL after a grace period, and killed
 * when the process exits.
 *
 * Each command runs in its own process group so that a timeout can kill a
 * whole tree; `Deno.Command`'s own kill reaches only the direct child.
 *
 * @module
 */
import { setLongTimeout } from "../_util.ts";
import { settleSpawns } from "./posix_spawn.ts";
import { type ProcessTable, processTable } from "./tree.ts";

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

/** Sends SIGKILL to every live process group, and to those of the spawns under way. */
export function killAllGroups(): void {
  for (const pgid of liveGroups) killGroup(pgid, "SIGKILL");
  for (const pgid of settleSpawns()) killGroup(pgid, "SIGKILL");
}

/**
 * An uncaught error or unhandled rejection ends the process without an
 * `unload` event: kill the groups then, unless a listener that ran before
 * this one has kept the process alive (`preventDefault()`).
 */
function onFatal(event: Event): void {
  if (!event.defaultPrevented) killAllGroups();
}

/** Records a live process group, so that it is killed if the process exits. */
export function trackGroup(pgid: number): void {
  liveGroups.add(pgid);
  if (!unloadHooked) {
    unloadHooked = true;
    globalThis.addEventListener("unload", killAllGroups);
    globalThis.addEventListener("error", onFatal);
    globalThis.addEventListener("unhandledrejection", onFatal);
  }
}

/** Forgets a process group once its command and its pipes are done. */
export function untrackGroup(pgid: number): void {
  liveGroups.delete(pgid);
}

/**
 * Stops the group `pgid`: SIGTERM now, SIGKILL after `graceMs`, then forgets
 * the group. `leader`, when given, is signalled too: between a spawn and the
 * child's `setsid()` the group does not exist yet (see spawn.ts). Descendants
 * that left the group (see {@linkcode escapees}) get the same signals; where
 * the process table comes from `ps` (see tree.ts), the signals wait for it,
 * a few milliseconds, since once the group is dead its runaways cannot be told
 * from anyone else's.
 *
 * The SIGKILL timer does not keep the process alive: a command that ignores
 * SIGTERM is still awaited, and whatever of the group outlives the script is
 * killed by the exit hook. So a long grace does not hold a script that is done.
 */
export function stopGroup(
  pgid: number,
  graceMs: number,
  leader?: { kill(signal: Deno.Signal): void },
): void {
  const signal = (escaped: number[]) => {
    killGroup(pgid, "SIGTERM");
    signalLeader(leader, "SIGTERM");
    for (const target of escaped) signalTarget(target, "SIGTERM");
    setLongTimeout(
      () => {
        killGroup(pgid, "SIGKILL");
        signalLeader(leader, "SIGKILL");
        for (const target of escaped) signalTarget(target, "SIGKILL");
        untrackGroup(pgid);
      },
      graceMs,
      true,
    );
  };
  // Found before the group dies: once their parent is gone they belong to init.
  const table = processTable();
  if (table instanceof Promise) table.then((found) => signal(escapees(pgid, found)));
  else signal(escapees(pgid, table));
}

/**
 * Where to signal the descendants of `pgid`'s leader that left its group (a
 * grandchild that called `setsid`, as daemons do), found in the process table
 * as GNU parallel finds a job's tree with `ps`: `-pgrp` for a group led by one
 * of them, else the pid. Empty without a table.
 */
export function escapees(pgid: number, procs: ProcessTable | null): number[] {
  if (!procs) return [];
  const escaped = new Set<number>();
  for (const [pid, { pgrp }] of procs) {
    if (pgrp === pgid) continue;
    let up = procs.get(pid)?.ppid;
    for (let depth = 0; up !== undefined && up > 1 && depth < 64; depth++) {
      if (up === pgid) {
        escaped.add(pid);
        break;
      }
      up = procs.get(up)?.ppid;
    }
  }
  const targets = new Set<number>();
  for (const pid of escaped) {
    const pgrp = procs.get(pid)!.pgrp;
    // A whole group only when one of them leads it: never a group of someone else's.
    targets.add(escaped.has(pgrp) ? -pgrp : pid);
  }
  return [...targets];
}

function signalTarget(target: number, signal: Deno.Signal): void {
  try {
    Deno.kill(target, signal);
  } catch {
    // It has already exited.
  }
}

function signalLeader(
  leader: { kill(signal: Deno.Signal): void } | undefined,
  signal: Deno.Signal,
): void {
  try {
    leader?.kill(signal);
  } catch {
    // It has already exited.
  }
}
