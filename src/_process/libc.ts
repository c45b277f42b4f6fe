/**
 * The few glibc functions the fast spawn path calls through `Deno.dlopen`
 * (see posix_spawn.ts): posix_spawn and its attributes and file actions,
 * pipes, poll, reads and writes on non-blocking descriptors, pidfd_open and
 * waitpid. Opened once per thread, on first use; null where it cannot be:
 * not Linux, no `--allow-ffi`, not glibc (musl has no `libc.so.6`), or a
 * glibc older than 2.36 (no `pidfd_open`; `POSIX_SPAWN_SETSID` needs 2.26,
 * `posix_spawn_file_actions_addchdir_np` 2.29).
 *
 * @module
 */

// Deno compiles a fast-call trampoline for each synchronous symbol when the
// library is opened (0.1 to 0.2 ms each, measured on 2.9.6): the calls made
// once per thread are declared non-blocking, which costs nothing to open, and
// sigsets are built by hand, to keep a one-command CLI run fast.
const SYMBOLS = {
  posix_spawn: {
    // pid, path, file actions, attributes, argv, envp
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  posix_spawnattr_init: { parameters: ["buffer"], result: "i32", nonblocking: true },
  posix_spawnattr_setflags: { parameters: ["buffer", "i16"], result: "i32", nonblocking: true },
  posix_spawnattr_setsigmask: {
    parameters: ["buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  posix_spawnattr_setsigdefault: {
    parameters: ["buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  epoll_create1: { parameters: ["i32"], result: "i32", nonblocking: true },
  posix_spawn_file_actions_init: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_destroy: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_adddup2: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  posix_spawn_file_actions_addopen: {
    parameters: ["buffer", "i32", "buffer", "i32", "u32"],
    result: "i32",
  },
  posix_spawn_file_actions_addchdir_np: { parameters: ["buffer", "buffer"], result: "i32" },
  pipe2: { parameters: ["buffer", "i32"], result: "i32" },
  // fcntl is variadic; called with one int argument, as the SysV and AAPCS64 ABIs allow.
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32", nonblocking: true },
  pidfd_open: { parameters: ["i32", "u32"], result: "i32" },
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  // The process's environment as Deno.env.set leaves it (Rust's set_var calls setenv).
  environ: { type: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The opened library's functions. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** Linux's constants (the same on x86_64 and aarch64). */
export const O_RDONLY = 0;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const F_SETFL = 4;
export const EPOLLIN = 0x1;
export const EPOLLOUT = 0x4;
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;
/** `struct epoll_event` is packed on x86_64 (12 bytes), not elsewhere (16). */
export const EPOLL_EVENT_BYTES = Deno.build.arch === "x86_64" ? 12 : 16;
export const EPOLL_DATA_OFFSET = Deno.build.arch === "x86_64" ? 4 : 8;
export const WNOHANG = 1;
export const EINTR = 4;
export const EAGAIN = 11;
export const SIGPIPE = 13;
export const POSIX_SPAWN_SETSIGDEF = 0x04;
export const POSIX_SPAWN_SETSIGMASK = 0x08;
export const POSIX_SPAWN_SETSID = 0x80;
/** Room for glibc's posix_spawnattr_t (336 bytes on x86_64), file actions (80). */
export const OPAQUE_BYTES = 512;
/** glibc's sigset_t: 1,024 bits, signal n at bit n - 1. */
export const SIGSET_BYTES = 128;

let opened: { libc: Libc } | { why: string } | undefined;

function granted(name: "ffi" | "env"): boolean {
  try {
    return Deno.permissions.querySync({ name }).state === "granted";
  } catch {
    return false;
  }
}

/** Opens glibc, or says why it cannot be used. */
export function openLibc(): { libc: Libc } | { why: string } {
  if (opened) return opened;
  if (Deno.build.os !== "linux") opened = { why: `not Linux (${Deno.build.os})` };
  else if (!granted("ffi")) opened = { why: "--allow-ffi not granted" };
  else if (!granted("env")) opened = { why: "--allow-env not granted (a command's environment)" };
  else {
    try {
      const { symbols } = Deno.dlopen("libc.so.6", SYMBOLS);
      opened = { libc: symbols };
    } catch (error) {
      opened = {
        why: `glibc 2.36 or later not found (${error instanceof Error ? error.message : error})`,
      };
    }
  }
  return opened;
}

/** The calling thread's errno, right after a failed call. */
export function errno(libc: Libc): number {
  const where = libc.__errno_location();
  return where === null ? 0 : new Deno.UnsafePointerView(where).getInt32();
}
