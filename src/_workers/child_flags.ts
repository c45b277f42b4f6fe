/**
 * The Deno command line of a worker process (`isolation: "process"`): its
 * permissions, from the `permissions` option and this process's own (asked
 * with `Deno.permissions.querySync`: never more than those), the config file
 * this process runs with, its V8 flags and the V8 heap limit (`memoryLimit`).
 * Checked before anything runs.
 *
 * @module
 */
import { invalid } from "../_invalid.ts";
import { configPath } from "./permissions.ts";

/** Deno's permissions, as its `--allow-NAME` flags name them. */
export const PERMISSION_NAMES = [
  "read",
  "write",
  "net",
  "env",
  "sys",
  "run",
  "ffi",
  "import",
] as const;

/** One of Deno's permissions. */
export type PermissionName = typeof PERMISSION_NAMES[number];

/** What one permission of a worker process is asked to be. */
type Wanted = "inherit" | boolean | string[];

/** What a worker process must reach to start and run: module URLs, and the command. */
export interface ChildNeeds {
  /** procrun's own modules (the directory of its sources), always read or imported. */
  own: URL;
  /** The task module, reached too when its permission is inherited. */
  module: URL | undefined;
  /** The command run for each task, allowed too when `run` is inherited. */
  command: string | undefined;
}

function descriptor(name: PermissionName, value?: string): Deno.PermissionDescriptor {
  if (value === undefined) return { name } as Deno.PermissionDescriptor;
  switch (name) {
    case "read":
    case "write":
    case "ffi":
      return { name, path: value };
    case "net":
    case "import":
      return { name, host: value };
    case "env":
      return { name, variable: value };
    case "sys":
      return { name, kind: value as Deno.SysPermissionDescriptor["kind"] };
    case "run":
      return { name, command: value };
  }
}

/** Whether this process holds permission `name` (for `value`, or all of it). */
export function holds(name: PermissionName, value?: string): boolean {
  try {
    return Deno.permissions.querySync(descriptor(name, value)).state === "granted";
  } catch {
    return false; // Not a valid value for that permission.
  }
}

const PATH_KINDS: readonly PermissionName[] = ["read", "write", "ffi", "run"];

/** A list entry as Deno's command line takes it: a `file:` URL becomes its path. */
function entry(owner: string, name: PermissionName, value: unknown, index: number): string {
  const what = `permissions.${name}[${index}]`;
  if (value instanceof URL && value.protocol === "file:" && PATH_KINDS.includes(name)) {
    return decodeURIComponent(value.pathname);
  }
  if (typeof value !== "string" || value === "" || value.includes(",")) {
    throw new TypeError(
      invalid(owner, what, "a non-empty string without a comma (or a file: URL for a path)", value),
    );
  }
  return value;
}

/**
 * The `permissions` option as each permission of a worker process: like a
 * Worker's `deno.permissions`, a name left out of an object is not granted.
 *
 * @throws {TypeError} For anything else than "inherit", "none" or an object of
 * Deno's permission names with "inherit", a boolean or a list.
 */
export function wantedPermissions(
  owner: string,
  permissions: unknown,
): Record<PermissionName, Wanted> {
  const all = (wanted: Wanted) =>
    Object.fromEntries(PERMISSION_NAMES.map((name) => [name, wanted])) as Record<
      PermissionName,
      Wanted
    >;
  if (permissions === undefined || permissions === "inherit") return all("inherit");
  if (permissions === "none") return all(false);
  if (permissions === null || typeof permissions !== "object" || Array.isArray(permissions)) {
    throw new TypeError(
      invalid(owner, "permissions", '"inherit", "none" or an object of permissions', permissions),
    );
  }
  const wanted = all(false);
  for (const [name, value] of Object.entries(permissions)) {
    if (!(PERMISSION_NAMES as readonly string[]).includes(name)) {
      throw new TypeError(
        invalid(owner, "permissions", `an object of ${PERMISSION_NAMES.join(", ")}`, permissions) +
          ` ('${name}' is not a permission)`,
      );
    }
    const key = name as PermissionName;
    if (value === "inherit" || typeof value === "boolean") wanted[key] = value;
    else if (Array.isArray(value)) wanted[key] = value.map((v, i) => entry(owner, key, v, i));
    else {
      throw new TypeError(
        invalid(owner, `permissions.${name}`, '"inherit", a boolean or a list', value),
      );
    }
  }
  return wanted;
}

/** What a worker process reaches of `url` under permission `name`: a path, a host, or nothing. */
function reach(url: URL, name: PermissionName): string | undefined {
  if (name === "read" && url.protocol === "file:") return decodeURIComponent(url.pathname);
  if (name === "import" && (url.protocol === "http:" || url.protocol === "https:")) return url.host;
  return undefined;
}

/**
 * The `--allow-NAME` flags of a worker process. Each permission is what the
 * option asks (by default this process's own, inherited); what the process
 * holds only in part (`--allow-read=DIR`: Deno does not say which parts) is
 * inherited for what the run needs: the task module, its command. procrun's
 * own modules are readable whatever is asked, when this process may read
 * them: the worker process runs them.
 *
 * @throws {TypeError} If the option asks for more than this process has.
 */
export function permissionFlags(owner: string, permissions: unknown, needs: ChildNeeds): string[] {
  const wanted = wantedPermissions(owner, permissions);
  const flags: string[] = [];
  for (const name of PERMISSION_NAMES) {
    const want = wanted[name];
    if ((want === "inherit" || want === true) && holds(name)) {
      flags.push(`--allow-${name}`);
      continue;
    }
    if (want === true) {
      throw new TypeError(
        invalid(owner, `permissions.${name}`, "at most this process's own permissions", true) +
          ` (this process does not have all ${name} access)`,
      );
    }
    const list = new Set<string>();
    for (const value of Array.isArray(want) ? want : []) {
      if (!holds(name, value)) {
        throw new TypeError(
          invalid(owner, `permissions.${name}`, "at most this process's own permissions", want) +
            ` (this process has no ${name} access to ${JSON.stringify(value)})`,
        );
      }
      list.add(value);
    }
    const add = (value: string | undefined): boolean => {
      if (value === undefined || value.includes(",") || !holds(name, value)) return false;
      list.add(value);
      return true;
    };
    add(reach(needs.own, name));
    if (want === "inherit") {
      const file = needs.module && reach(needs.module, name);
      // The task module's folder, for the modules next to it, or else the file.
      if (file !== undefined && !(name === "read" && add(file.replace(/[^/]*$/, "")))) add(file);
      if (name === "run") add(needs.command);
    }
    if (list.size > 0) flags.push(`--allow-${name}=${[...list].join(",")}`);
  }
  return flags;
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The nearest deno.json or deno.jsonc in `dir` or above it, as Deno finds its config. */
function nearestConfig(dir: string): string | undefined {
  for (let at = dir.replace(/\/+$/, "");; at = at.replace(/\/[^/]*$/, "")) {
    for (const name of ["deno.json", "deno.jsonc"]) {
      if (exists(`${at}/${name}`)) return `${at}/${name}`;
    }
    if (at === "") return undefined;
  }
}

/**
 * Deno's own flags on this process's command line (before the main module),
 * or undefined when they cannot be seen: Deno lets a script read
 * /proc/self/cmdline only under `--allow-all`.
 */
function denoFlags(): string[] | undefined {
  let argv: string[];
  try {
    argv = Deno.readTextFileSync("/proc/self/cmdline").split("\0");
  } catch {
    return undefined;
  }
  if (argv.at(-1) === "") argv.pop();
  // The script's own arguments come last, after the main module.
  return argv.slice(0, Math.max(0, argv.length - Deno.args.length - 1));
}

/**
 * The V8 flags of a worker process: those this process was started with
 * (`--v8-flags`, when its command line can be seen; `DENO_V8_FLAGS` reaches
 * the child anyway, through its environment), then the heap limit.
 */
export function v8Flags(
  argv: readonly string[] | undefined,
  memoryLimit: number | undefined,
): string[] {
  const flags = (argv ?? []).filter((a) => a.startsWith("--v8-flags=")).map((a) =>
    a.slice("--v8-flags=".length)
  ).filter((a) => a !== "");
  if (memoryLimit !== undefined) flags.push(`--max-old-space-size=${memoryLimit}`);
  return flags.length === 0 ? [] : [`--v8-flags=${flags.join(",")}`];
}

/**
 * The config file flag of a worker process, so that the task module's bare
 * imports resolve as they do here: the `--config` this process was given
 * (visible only under `--allow-all`), else the config Deno finds for this
 * process's main module (in its folder or above, else above the current
 * directory), else `--no-config`.
 */
export function configFlags(): string[] {
  const argv = denoFlags();
  if (argv?.includes("--no-config")) return ["--no-config"];
  const named = argv && configPath(argv);
  if (named !== undefined) {
    return ["--config", named.startsWith("/") ? named : `${Deno.cwd()}/${named}`];
  }
  const main = new URL(Deno.mainModule);
  let cwd: string | undefined;
  try {
    cwd = Deno.cwd();
  } catch {
    cwd = undefined; // Not allowed to read it.
  }
  const found =
    (main.protocol === "file:"
      ? nearestConfig(decodeURIComponent(main.pathname).replace(/\/[^/]*$/, ""))
      : undefined) ?? (cwd === undefined ? undefined : nearestConfig(cwd));
  return found === undefined ? ["--no-config"] : ["--config", found];
}

/**
 * The Deno flags of a worker process, before its entry: permissions, config,
 * no prompts (nobody could answer them), and V8's flags with the heap limit.
 *
 * @throws {TypeError} If `permissions` asks for more than this process has.
 */
export function childFlags(
  owner: string,
  permissions: unknown,
  needs: ChildNeeds,
  memoryLimit: number | undefined,
): string[] {
  return [
    ...permissionFlags(owner, permissions, needs),
    ...configFlags(),
    "--no-prompt",
    ...v8Flags(denoFlags(), memoryLimit),
  ];
}
