/**
 * The check of the `permissions` option of ProcRunWorkers. Deno ends the whole
 * process (exit code 70) when a worker is given `deno.permissions` without
 * `--unstable-worker-options`, so procrun looks for that flag, on the command
 * line or in a config file's `"unstable"` list, before it starts a worker.
 *
 * @module
 */
import { invalid } from "../_options.ts";

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

/** Whether a command line enables worker options, or undefined when a config file decides. */
export function argvEnablesWorkerOptions(argv: readonly string[]): boolean | undefined {
  if (argv.some((a) => a === "--unstable-worker-options" || a === "--unstable")) return true;
  if (argv.some((a) => a === "--config" || a === "-c" || a.startsWith("--config="))) {
    return undefined;
  }
  return false;
}

/**
 * Whether this process may give workers their own permissions: `undefined`
 * when it cannot tell (not Linux, or no read permission where it must look).
 */
export function workerOptionsEnabled(): boolean | undefined {
  if (Deno.build.os !== "linux" || !readable("/proc/self/cmdline")) return undefined;
  let argv: string[];
  try {
    argv = Deno.readTextFileSync("/proc/self/cmdline").split("\0");
  } catch {
    return undefined;
  }
  const fromArgv = argvEnablesWorkerOptions(argv);
  if (fromArgv !== false) return fromArgv;
  // Deno finds its config file from the current directory upwards.
  let dir = Deno.cwd();
  while (true) {
    for (const name of ["deno.json", "deno.jsonc"]) {
      const path = `${dir}/${name}`;
      if (!readable(path)) return undefined;
      try {
        if (configEnablesWorkerOptions(Deno.readTextFileSync(path))) return true;
      } catch {
        // No such file.
      }
    }
    const parent = dir.replace(/\/[^/]*$/, "");
    if (parent === dir || parent === "") return false;
    dir = parent;
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
  if (workerOptionsEnabled() === false) {
    throw new TypeError(
      `Cannot create ${owner} with 'permissions' as Deno runs without ` +
        `--unstable-worker-options: add that flag, or leave 'permissions' out ` +
        `(without the flag Deno ends the process when a worker is given permissions)`,
    );
  }
}
