/**
 * Shared helpers of the workload scripts: peak memory and the one JSON line
 * each script prints for bench/compare.ts.
 *
 * @module
 */

/** The process's peak resident set size so far, in MiB (Linux), or null. */
export function peakRssMiB(): number | null {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const match = status.match(/^VmHWM:\s+(\d+) kB/m);
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Prints the workload's one JSON line: `{"name","tasks","seconds",...}`. */
export function report(
  name: string,
  tasks: number,
  seconds: number,
  extra: Record<string, unknown> = {},
): void {
  console.log(JSON.stringify({ name, tasks, seconds, ...extra }));
}

/** Reads a positive integer argument, or exits with the usage line. */
export function intArg(value: string | undefined, usage: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`usage: ${usage}`);
    Deno.exit(2);
  }
  return n;
}
