/**
 * The peers that need preparing before they can be timed: the C posix_spawn
 * floor (compiled) and piscina (installed with npm). Each is prepared on first
 * use only, so that a run of workloads that do not need it never pays for it.
 *
 * @module
 */
import { repoPath, type Tools } from "./machine.ts";

/** Why something cannot run here. */
export interface Skip {
  skip: string;
}

/** Whether `value` is a {@linkcode Skip}. */
export function isSkip<T>(value: T | Skip): value is Skip {
  return typeof value === "object" && value !== null && "skip" in value;
}

/** The prepared peers: each an executable path, or why it is skipped. */
export interface Peers {
  /** The compiled C posix_spawn loop. */
  floor(): Promise<string | Skip>;
  /** piscina's `run.mjs`, for node. */
  piscina(): Promise<string | Skip>;
}

/** Options of {@linkcode peers}. */
export interface PeerOptions {
  /** --smoke: piscina is not run. */
  smoke: boolean;
  /** Whether piscina may be npm-installed when it is missing (not --no-install). */
  install: boolean;
}

/** The peers of this machine, each prepared once, when first asked for. */
export function peers(tools: Tools, options: PeerOptions): Peers {
  const once = <T>(make: () => Promise<T>) => {
    let value: Promise<T> | undefined;
    return () => value ??= make();
  };
  return {
    floor: once(() => buildFloor(tools)),
    piscina: once(() => preparePiscina(tools, options)),
  };
}

/** The C posix_spawn floor, compiled into a temporary directory, or why not. */
export async function buildFloor(tools: Tools): Promise<string | Skip> {
  if (!tools.cc) return { skip: "no C compiler (cc) on PATH" };
  const tmp = await Deno.makeTempDir({ prefix: "procrun-bench-" });
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(tmp, { recursive: true });
    } catch {
      // Already gone.
    }
  });
  const exe = `${tmp}/posix_spawn_floor`;
  const out = await new Deno.Command(tools.cc, {
    args: ["-O2", "-o", exe, repoPath("bench/peers/posix_spawn_floor.c")],
  }).output();
  if (!out.success) return { skip: `cc failed: ${new TextDecoder().decode(out.stderr).trim()}` };
  return exe;
}

/** The piscina peer, installed with npm into bench/peers/piscina if needed, or why not. */
export async function preparePiscina(tools: Tools, options: PeerOptions): Promise<string | Skip> {
  if (!tools.node) return { skip: "node is not installed" };
  const dir = repoPath("bench/peers/piscina");
  if (options.smoke) return { skip: "not run by --smoke" };
  try {
    await Deno.stat(`${dir}/node_modules/piscina/package.json`);
    return `${dir}/run.mjs`;
  } catch {
    // Not installed yet.
  }
  if (!options.install) {
    return { skip: "piscina is not installed (npm ci in bench/peers/piscina)" };
  }
  if (!tools.npm) return { skip: "npm is not installed" };
  console.error("compare.ts: installing piscina into bench/peers/piscina ...");
  const out = await new Deno.Command(tools.npm, {
    args: ["ci", "--no-audit", "--no-fund", "--silent"],
    cwd: dir,
    stdin: "null",
  }).output();
  if (!out.success) {
    return { skip: `npm ci failed: ${new TextDecoder().decode(out.stderr).trim().slice(0, 200)}` };
  }
  return `${dir}/run.mjs`;
}
