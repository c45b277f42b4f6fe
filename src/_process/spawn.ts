/**
 * Spawning a command in a process group of its own, cheaply.
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

/** The absolute path of an executable `command`, as Deno would find it, or null. */
function resolveCommand(
  command: string | URL,
  env: Record<string, string> | undefined,
): string | null {
  if (typeof command !== "string" || command === "") return null;
  if (command.includes("/")) {
    // Relative paths are left to Deno, which knows how it resolves them.
    return command.startsWith("/") && isExecutable(command) ? command : null;
  }
  const path = env?.PATH ?? Deno.env.get("PATH");
  if (!path) return null;
  const key = `${path}\0${command}`;
  const known = resolved.get(key);
  if (known !== undefined && isExecutable(known)) return known;
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

/**
 * Spawns `command` with piped stdout and stderr as the leader of a new session
 * and process group (its pid is the group id). Throws what `Deno.Command`
 * throws when the command cannot be spawned.
 */
export function spawnGrouped(command: string | URL, options: GroupedOptions): Deno.ChildProcess {
  const setsid = findSetsid();
  const file = setsid ? resolveCommand(command, options.env) : null;
  if (setsid && file) {
    return new Deno.Command(setsid, {
      args: ["--", file, ...options.args],
      cwd: options.cwd,
      env: options.env,
      stdin: options.stdin,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
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
