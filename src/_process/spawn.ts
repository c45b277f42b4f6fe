/**
 * Spawning a command in a process group of its own, cheaply.
 *
 * Three paths, the first that can be used (or the one `PROCRUN_SPAWN` names):
 * `posix_spawn` (posix_spawn.ts: glibc's posix_spawn with
 * `POSIX_SPAWN_SETSID` through FFI, at the cost of an ungrouped spawn; needs
 * `--allow-ffi`, Linux and glibc 2.36+), `setsid` and `detached`, below.
 *
 * `new Deno.Command(cmd, { detached: true }).spawn()` gives the child its own
 * session and process group, but Deno then starts it with `fork()` (a
 * `pre_exec` hook runs `setsid()`), which copies the page tables of the whole
 * Deno process, many times the cost of the `posix_spawn()` (vfork) path that
 * Deno takes without `detached` (measured in bench/README.md, design notes).
 * So, on Linux, when the util-linux `setsid` program
 * is there and the permissions allow it, the command is started as
 * `setsid -- /abs/command args...` without `detached`: `setsid` makes itself
 * the leader of a new session and process group (the same as `detached`) and
 * then `exec`s the command, keeping its pid. Elsewhere, or when the command
 * cannot be resolved to an executable file here (so that Deno reports the
 * spawn error exactly as before), it falls back to `detached: true`.
 *
 * Between the spawn and the child's `setsid()` there is a short window in which
 * the group does not exist yet: whoever stops the command should also signal
 * the child itself (see stopGroup in groups.ts).
 *
 * @module
 */

import { openLibc } from "./libc.ts";
import { PosixSpawner, type SpawnedChild } from "./posix_spawn.ts";

export type { SpawnedChild } from "./posix_spawn.ts";

/** Options of {@linkcode spawnGrouped}, a subset of `Deno.CommandOptions`. */
export interface GroupedOptions {
  args: string[];
  cwd?: string | URL;
  env?: Record<string, string>;
  stdin: "piped" | "null";
}

let setsidPath: string | null | undefined;
const resolved = new Map<string, string>();

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

function isExecutable(file: string): boolean {
  try {
    const info = Deno.statSync(file);
    return info.isFile && ((info.mode ?? 0) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * The path of `setsid`, or null when the wrapper cannot be used: not Linux,
 * not installed, or run/read/env not granted in full (the wrapper must never
 * run a command that Deno's `--allow-run` list would refuse).
 */
function findSetsid(): string | null {
  if (setsidPath !== undefined) return setsidPath;
  setsidPath = null;
  if (Deno.build.os !== "linux") return null;
  if (!granted({ name: "run" }) || !granted({ name: "read" }) || !granted({ name: "env" })) {
    return null;
  }
  for (const candidate of ["/usr/bin/setsid", "/bin/setsid"]) {
    if (isExecutable(candidate)) {
      setsidPath = candidate;
      break;
    }
  }
  return setsidPath;
}

/**
 * The absolute path of an executable `command`, as Deno would find it, or
 * null. With `trusting`, a path found before or given whole is not checked
 * again: the caller's spawn fails if it is gone, and Deno then reports why.
 */
function resolveCommand(
  command: string | URL,
  env: Record<string, string> | undefined,
  trusting = false,
): string | null {
  if (typeof command !== "string" || command === "") return null;
  if (command.includes("/")) {
    // Relative paths are left to Deno, which knows how it resolves them.
    if (!command.startsWith("/")) return null;
    return trusting || isExecutable(command) ? command : null;
  }
  const path = env?.PATH ?? Deno.env.get("PATH");
  if (!path) return null;
  const key = `${path}\0${command}`;
  const known = resolved.get(key);
  if (known !== undefined && (trusting || isExecutable(known))) return known;
  for (const dir of path.split(":")) {
    if (!dir.startsWith("/")) continue;
    const file = `${dir}/${command}`;
    if (isExecutable(file)) {
      resolved.set(key, file);
      return file;
    }
  }
  return null;
}

/** The ways to start a command in a group of its own, fastest first. */
export const SPAWN_PATHS = ["posix_spawn", "setsid", "detached"] as const;
/** One of {@linkcode SPAWN_PATHS}. */
export type SpawnPath = typeof SPAWN_PATHS[number];

/** The environment variable that chooses the path. */
export const SPAWN_VARIABLE = "PROCRUN_SPAWN";

let chosen: { path: SpawnPath; why: string } | undefined;
let spawner: PosixSpawner | string | undefined;

function requested(): string {
  try {
    return Deno.env.get(SPAWN_VARIABLE) ?? "auto";
  } catch {
    return "auto"; // No --allow-env: the variable cannot be read, so it is not set.
  }
}

/** Why the posix_spawn path cannot be used here, or its spawner. */
function posixSpawner(): PosixSpawner | string {
  if (spawner !== undefined) return spawner;
  const libc = openLibc();
  if ("why" in libc) spawner = libc.why;
  else if (!granted({ name: "read" })) spawner = "--allow-read not granted (the PATH lookup)";
  else spawner = new PosixSpawner(libc.libc);
  return spawner;
}

/**
 * The path commands are spawned by on this thread, and why: the fastest one
 * that can be used, or the one `PROCRUN_SPAWN` (`auto`, `posix_spawn`,
 * `setsid`, `detached`) asks for.
 *
 * @throws {TypeError} When `PROCRUN_SPAWN` holds something else, or asks for a path that cannot be used here.
 */
export function spawnPath(): { path: SpawnPath; why: string } {
  if (chosen) return chosen;
  const want = requested();
  if (want !== "auto" && !(SPAWN_PATHS as readonly string[]).includes(want)) {
    throw new TypeError(
      `${SPAWN_VARIABLE} must be "auto" or one of ${
        SPAWN_PATHS.map((path) => `"${path}"`).join(", ")
      }, but received ${JSON.stringify(want)}`,
    );
  }
  const unusable = (why: string) =>
    new TypeError(`${SPAWN_VARIABLE}=${want} cannot be used here: ${why}`);
  if (want === "auto" || want === "posix_spawn") {
    const fast = posixSpawner();
    if (typeof fast !== "string") {
      chosen = { path: "posix_spawn", why: "glibc posix_spawn with POSIX_SPAWN_SETSID" };
    } else if (want === "posix_spawn") throw unusable(fast);
  }
  if (!chosen && (want === "auto" || want === "setsid")) {
    if (findSetsid()) chosen = { path: "setsid", why: `the setsid program (${setsidPath})` };
    else if (want === "setsid") {
      throw unusable("not Linux, no setsid program, or run, read or env not granted in full");
    }
  }
  chosen ??= { path: "detached", why: "Deno.Command's detached option" };
  return chosen;
}

/** Bytes Deno.Command cannot pass: it refuses them itself, in its own words. */
function hasNul(options: GroupedOptions): boolean {
  return options.args.some((arg) => arg.includes("\0")) ||
    Object.entries(options.env ?? {}).some(([name, value]) =>
      name.includes("\0") || value.includes("\0")
    );
}

function cwdPath(cwd: string | URL | undefined): string | undefined {
  if (cwd === undefined) return undefined;
  if (typeof cwd === "string") return cwd;
  return cwd.protocol === "file:" ? decodeURIComponent(cwd.pathname) : undefined;
}

/** Through FFI, or null to let Deno start it (and report why it cannot). */
async function spawnPosix(
  spawner: PosixSpawner,
  command: string | URL,
  options: GroupedOptions,
): Promise<SpawnedChild | null> {
  if (typeof command !== "string" || hasNul(options)) return null;
  // FFI goes around --allow-run lists: ask as Deno would, and let Deno refuse.
  if (!granted({ name: "run", command })) return null;
  // A command gone since it was found makes posix_spawn fail: then Deno tells why.
  const file = resolveCommand(command, options.env, true);
  const cwd = cwdPath(options.cwd);
  if (!file || (options.cwd !== undefined && cwd === undefined)) return null;
  const child = await spawner.spawn({
    file,
    args: options.args,
    cwd,
    env: options.env && { ...Deno.env.toObject(), ...options.env },
    stdin: options.stdin,
  });
  return "errno" in child ? null : child;
}

/**
 * Spawns `command` with piped stdout and stderr as the leader of a new session
 * and process group (its pid is the group id), by the path of
 * {@linkcode spawnPath}. Throws what `Deno.Command` throws when the command
 * cannot be spawned (the promise rejects).
 */
export function spawnGrouped(
  command: string | URL,
  options: GroupedOptions,
): Promise<SpawnedChild> {
  return spawnOn(spawnPath().path, command, options);
}

/**
 * Spawns `command` as {@linkcode spawnGrouped} does, by `path`. A command the
 * path cannot start (a relative path, one that is missing or refused, bytes
 * Deno refuses) is left to Deno's own `detached` spawn, so that Deno reports
 * the error in its own words.
 */
export async function spawnOn(
  path: SpawnPath,
  command: string | URL,
  options: GroupedOptions,
): Promise<SpawnedChild> {
  if (path === "posix_spawn") {
    const fast = posixSpawner();
    if (typeof fast === "string") throw new TypeError(`posix_spawn cannot be used here: ${fast}`);
    const child = await spawnPosix(fast, command, options);
    if (child) return child;
  } else if (path === "setsid" && findSetsid()) {
    const file = resolveCommand(command, options.env);
    if (file) {
      return new Deno.Command(setsidPath!, {
        args: ["--", file, ...options.args],
        cwd: options.cwd,
        env: options.env,
        stdin: options.stdin,
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    }
  }
  return new Deno.Command(command, {
    args: options.args,
    cwd: options.cwd,
    env: options.env,
    stdin: options.stdin,
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
}
