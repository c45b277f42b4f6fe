/**
 * Linux's signal numbers and names, both ways: for the joblog's Signal
 * column, the exit statuses a wrapper or `waitpid()` reports, and back.
 *
 * @module
 */

/** Linux signal numbers by name (the same on x86_64 and aarch64). */
const NUMBERS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
};

const NAMES = new Map(Object.entries(NUMBERS).map(([name, number]) => [number, name]));

/** The number of a signal by its name (`SIGTERM`: 15), or 0 if unknown. */
export function signalNumber(name: string): number {
  return NUMBERS[name] ?? 0;
}

/** The name of signal `number` (15: `SIGTERM`), or null if unknown (a real-time signal). */
export function signalName(number: number): Deno.Signal | null {
  return (NAMES.get(number) as Deno.Signal | undefined) ?? null;
}
