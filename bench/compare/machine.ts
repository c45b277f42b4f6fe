/**
 * The machine the comparison runs on: the tools on PATH and the facts printed
 * above the tables. Nothing runs at import: call {@linkcode probeTools} and
 * {@linkcode machineFacts}.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url);

/** The absolute path of a file of the repository, from its path relative to the root. */
export function repoPath(relative: string): string {
  return new URL(relative, ROOT).pathname;
}

/** The external programs the peers need: each one's path, or null when it is not on PATH. */
export interface Tools {
  cc: string | null;
  xargs: string | null;
  parallel: string | null;
  node: string | null;
  npm: string | null;
  setsid: string | null;
  chromium: string | null;
}

/** What the report's header and its JSON say about the machine. */
export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  os: string;
  deno: string;
  node: string | null;
  parallel: string | null;
  loadStart: number[];
  /** Filled in by the caller when the last workload is done. */
  loadEnd: number[];
}

/** The path of an executable `name` on PATH, or null. */
async function which(name: string): Promise<string | null> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    const file = `${dir}/${name}`;
    try {
      const info = await Deno.stat(file);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111)) return file;
    } catch {
      // Not there.
    }
  }
  return null;
}

/** Looks up every tool of {@linkcode Tools} on PATH. */
export async function probeTools(): Promise<Tools> {
  return {
    cc: await which("cc"),
    xargs: await which("xargs"),
    parallel: await which("parallel"),
    node: await which("node"),
    npm: await which("npm"),
    setsid: await which("setsid"),
    chromium: await which("chromium"),
  };
}

/** The date, CPU, OS, runtimes' versions and the load average now. */
export async function machineFacts(tools: Tools): Promise<Machine> {
  return {
    date: new Date().toISOString(),
    cpu: cpuModel(),
    cores: navigator.hardwareConcurrency,
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    deno: Deno.version.deno,
    node: tools.node ? await textOf([tools.node, "--version"]) : null,
    parallel: tools.parallel
      ? (await textOf([tools.parallel, "--version"]))?.split("\n")[0] ?? null
      : null,
    loadStart: Deno.loadavg(),
    loadEnd: [],
  };
}

async function textOf(argv: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command(argv[0]!, { args: argv.slice(1), stdin: "null" })
      .output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return null;
  }
}

function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    return info.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}
