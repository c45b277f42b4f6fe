/**
 * The check of the `permissions` option of ProcRunWorkers. Deno ends the whole
 * process (exit code 70) when a worker is given `deno.permissions` without
 * `--unstable-worker-options`, so procrun looks for that flag, on the command
 * line or in a config file's `"unstable"` list, before it starts a worker.
 *
 * @module
 */
import { invalid } from "../_invalid.ts";

function readable(path: string): boolean {
  try {
    return Deno.permissions.querySync({ name: "read", path }).state === "granted";
  } catch {
    return false;
  }
}

/** Whether the text of a deno.json(c) lists "worker-options" in its "unstable" array. */
export function configEnablesWorkerOptions(text: string): boolean {
  const list = /"unstable"\s*:\s*\[([^\]]*)\]/.exec(text);
  return list !== null && /"worker-options"/.test(list[1]!);
}

/** Whether a command line has a flag that enables worker options. */
export function argvEnablesWorkerOptions(argv: readonly string[]): boolean {
  return argv.some((a) => a === "--unstable-worker-options" || a === "--unstable");
}

/** The config file a command line names with `--config`/`-c`, if any. */
export function configPath(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--config=")) return a.slice("--config=".length);
    if ((a === "--config" || a === "-c") && i + 1 < argv.length) return argv[i + 1];
  }
  return undefined;
}

/**
 * Whether this process may give workers their own permissions: `null` when it
 * cannot look (not Linux), `undefined` when it cannot tell (Deno keeps
 * /proc/self/cmdline behind `--allow-all`, so without it the command-line
 * flag is invisible and only a config file can say yes).
 */
export function workerOptionsEnabled(): boolean | null | undefined {
  if (Deno.build.os !== "linux") return null;
  let argv: string[] | undefined;
  try {
    argv = Deno.readTextFileSync("/proc/self/cmdline").split("\0");
  } catch {
    argv = undefined;
  }
  if (argv !== undefined) {
    if (argvEnablesWorkerOptions(argv)) return true;
    const named = configPath(argv);
    if (named !== undefined) {
      // Relative to where Deno started (this process's cwd, unless the script changed it).
      return configEnables(named.startsWith("/") ? named : `${Deno.cwd()}/${named}`);
    }
  }
  // Deno finds its config file from the current directory upwards.
  let dir: string;
  try {
    dir = Deno.cwd();
  } catch {
    return undefined;
  }
  while (true) {
    for (const name of ["deno.json", "deno.jsonc"]) {
      const found = configEnables(`${dir}/${name}`);
      if (found === true) return true;
      if (found === undefined) return undefined;
    }
    const parent = dir.replace(/\/[^/]*$/, "");
    if (parent === dir || parent === "") return argv === undefined ? undefined : false;
    dir = parent;
  }
}

/** Whether the config file at `path` enables worker options: false if absent, undefined if unreadable. */
function configEnables(path: string): boolean | undefined {
  if (!readable(path)) return undefined;
  try {
    return configEnablesWorkerOptions(Deno.readTextFileSync(path));
  } catch {
    return false; // No such file.
  }
}

/**
 * Checks the `permissions` option.
 *
 * @throws {TypeError} If it is not "inherit", "none" or an object, or if Deno
 * runs without `--unstable-worker-options`.
 */
export function checkPermissions(owner: string, permissions: unknown): void {
  if (permissions === undefined) return;
  if (
    permissions !== "inherit" && permissions !== "none" &&
    (permissions === null || typeof permissions !== "object" || Array.isArray(permissions))
  ) {
    throw new TypeError(
      invalid(owner, "permissions", '"inherit", "none" or an object of permissions', permissions),
    );
  }
  const enabled = workerOptionsEnabled();
  if (enabled === false) {
    throw new TypeError(
      `Cannot create ${owner} with 'permissions' as Deno runs without ` +
        `--unstable-worker-options: add that flag, or leave 'permissions' out ` +
        `(without the flag Deno ends the process when a worker is given permissions)`,
    );
  }
  if (enabled === undefined) {
    throw new TypeError(
      `Cannot create ${owner} with 'permissions' as it cannot see whether Deno runs with ` +
        `--unstable-worker-options (Deno lets a script read its command line only with ` +
        `--allow-all): add "worker-options" to the "unstable" list of your deno.json, or ` +
        `run with --allow-all, or leave 'permissions' out (without the flag Deno ends the ` +
        `process when a worker is given permissions)`,
    );
  }
}
