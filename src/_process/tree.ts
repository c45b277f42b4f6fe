/**
 * A snapshot of the machine's processes (pid, parent, process group), for
 * finding the descendants of a command that left its process group.
 *
 * Read from `/proc` where Deno allows it (it does only under `--allow-all`),
 * else from `ps -A`, as GNU parallel does, where running `ps` is allowed.
 *
 * @module
 */

/** pid → its parent's pid and its process group. */
export type ProcessTable = Map<number, { ppid: number; pgrp: number }>;

let procReadable = Deno.build.os === "linux";
let psRunning: Promise<ProcessTable | null> | undefined;
let psQueued: Promise<ProcessTable | null> | undefined;

/**
 * The process table now: at once from `/proc`, later from `ps`, or null where
 * neither can be read. Callers that arrive while `ps` runs share the next run,
 * so that a burst of stops costs two runs of `ps`, not one each.
 */
export function processTable(): ProcessTable | Promise<ProcessTable | null> | null {
  if (procReadable) {
    const table = readProc();
    if (table) return table;
    procReadable = false;
  }
  if (!psAllowed()) return null;
  if (psQueued) return psQueued;
  if (!psRunning) return startPs();
  psQueued = psRunning.then(() => {
    psQueued = undefined;
    return startPs();
  });
  return psQueued;
}

function readProc(): ProcessTable | null {
  const table: ProcessTable = new Map();
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      const pid = Number(entry.name);
      if (!Number.isInteger(pid)) continue;
      let stat: string;
      try {
        stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      } catch {
        continue; // It has exited.
      }
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      table.set(pid, { ppid: Number(fields[1]), pgrp: Number(fields[2]) });
    }
  } catch {
    return null; // Not Linux's /proc, or Deno refuses it without --allow-all.
  }
  return table;
}

let psPermitted: boolean | undefined;

function psAllowed(): boolean {
  if (psPermitted === undefined) {
    try {
      psPermitted = Deno.permissions.querySync({ name: "run", command: "ps" }).state === "granted";
    } catch {
      psPermitted = false;
    }
  }
  return psPermitted;
}

function startPs(): Promise<ProcessTable | null> {
  const run = readPs();
  psRunning = run;
  run.finally(() => {
    if (psRunning === run) psRunning = undefined;
  });
  return run;
}

async function readPs(): Promise<ProcessTable | null> {
  try {
    const { success, stdout } = await new Deno.Command("ps", {
      args: ["-A", "-o", "pid=,ppid=,pgid="],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!success) return null;
    const table: ProcessTable = new Map();
    for (const line of new TextDecoder().decode(stdout).split("\n")) {
      const [pid, ppid, pgrp] = line.trim().split(/\s+/).map(Number);
      if (pid && ppid !== undefined && pgrp !== undefined) table.set(pid, { ppid, pgrp });
    }
    return table;
  } catch {
    return null; // No ps here.
  }
}
