/**
 * The fast way to start a command in a session and process group of its own:
 * glibc's `posix_spawn()` with `POSIX_SPAWN_SETSID`, called through FFI. It
 * costs what Deno's own, ungrouped spawn costs (a vfork and one exec), where
 * `detached: true` forks the whole Deno process and the `setsid` program
 * execs twice (bench/README.md, design notes).
 *
 * The child gets pipes of its own for stdin (or /dev/null), stdout and
 * stderr, SIGPIPE back to its default and an empty signal mask, as Deno's
 * children get. Its exit is seen through a pidfd and collected with
 * `waitpid()` on its own pid only, so no child that Deno itself started is
 * ever reaped here. The pipes and pidfds are watched by one poll (poller.ts).
 *
 * @module
 */
import {
  EAGAIN,
  EINTR,
  EPOLLIN,
  EPOLLOUT,
  errno,
  F_SETFL,
  type Libc,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDONLY,
  OPAQUE_BYTES,
  POSIX_SPAWN_SETSID,
  POSIX_SPAWN_SETSIGDEF,
  POSIX_SPAWN_SETSIGMASK,
  SIGPIPE,
  SIGSET_BYTES,
  WNOHANG,
} from "./libc.ts";
import { Poller } from "./poller.ts";
import { signalName } from "./signal_numbers.ts";

/** What a spawned command offers: the part of `Deno.ChildProcess` that procrun uses. */
export interface SpawnedChild {
  readonly pid: number;
  readonly stdin: WritableStream<Uint8Array>;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly status: Promise<Deno.CommandStatus>;
  kill(signal?: Deno.Signal): void;
}

/** What to start: an executable's absolute path and what Deno.Command would take. */
export interface SpawnRequest {
  /** The absolute path of the executable (also its argv[0], as Deno passes it). */
  file: string;
  args: string[];
  cwd?: string;
  /** The whole environment of the command, or undefined for this process's own. */
  env: Record<string, string> | undefined;
  stdin: "piped" | "null";
}

const encoder = new TextEncoder();
const CHUNK_BYTES = 64 * 1024;

/** The pid boxes of the spawns under way on another thread (0 until posix_spawn returns). */
const spawning = new Set<Int32Array>();
/** How long an exit waits for the spawns under way to say their pids. */
const SETTLE_MS = 50;

/**
 * For an exit that cannot wait for promises (a second SIGINT, `unload`): the
 * pids of the commands whose spawn is under way, waited for a few
 * milliseconds (the child says its pid once it has exec'd), so that they can
 * be killed with the rest.
 */
export function settleSpawns(): number[] {
  const deadline = performance.now() + SETTLE_MS;
  const pids: number[] = [];
  for (const box of spawning) {
    while (box[0] === 0 && performance.now() < deadline);
    if (box[0] !== 0) pids.push(box[0]!);
  }
  return pids;
}

/**
 * A NULL-terminated table of pointers to NUL-terminated copies of `texts`
 * (none holds a NUL), all in one buffer, returned with it: the buffer must
 * stay alive as long as the table is used.
 */
function cStrings(texts: string[]): [BigUint64Array, Uint8Array] {
  const bytes = encoder.encode(texts.join("\0") + "\0");
  const base = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes)));
  const table = new BigUint64Array(texts.length + 1);
  for (let i = 0, at = 0; i < texts.length; i++) {
    table[i] = base + BigInt(at);
    at = bytes.indexOf(0, at) + 1;
  }
  return [table, bytes];
}

function cString(text: string): Uint8Array {
  return encoder.encode(text + "\0");
}

/** posix_spawn with its attributes and file actions; the spawner of one thread. */
export class PosixSpawner {
  #libc: Libc;
  #ready: Promise<{ poller: Poller; attr: Uint8Array }> | undefined;
  #chunk = new Uint8Array(CHUNK_BYTES);

  constructor(libc: Libc) {
    this.#libc = libc;
  }

  /** What every spawn shares: the attributes (set once, never changed) and the epoll set. */
  async #setup(): Promise<{ poller: Poller; attr: Uint8Array }> {
    const libc = this.#libc;
    const attr = new Uint8Array(OPAQUE_BYTES);
    await libc.posix_spawnattr_init(attr);
    // sigset_t by hand: an empty mask, and SIGPIPE back to its default (Deno ignores it).
    await libc.posix_spawnattr_setsigmask(attr, new Uint8Array(SIGSET_BYTES));
    const pipeOnly = new Uint8Array(SIGSET_BYTES);
    pipeOnly[(SIGPIPE - 1) >> 3] = 1 << ((SIGPIPE - 1) & 7);
    await libc.posix_spawnattr_setsigdefault(attr, pipeOnly);
    await libc.posix_spawnattr_setflags(
      attr,
      POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF,
    );
    return { poller: new Poller(libc, await libc.epoll_create1(O_CLOEXEC)), attr };
  }

  /** A pipe whose end kept here is non-blocking: [ours, theirs]. */
  #pipe(oursIsRead: boolean): [number, number] {
    const fds = new Int32Array(2);
    if (this.#libc.pipe2(fds, O_CLOEXEC) !== 0) throw this.#failure("pipe2");
    const [read, write] = [fds[0]!, fds[1]!];
    const ours = oursIsRead ? read : write;
    // A new pipe end has no other status flag to keep.
    this.#libc.fcntl(ours, F_SETFL, O_NONBLOCK);
    return oursIsRead ? [read, write] : [write, read];
  }

  /**
   * A copy of the table of this process's environment (`environ`, which
   * Deno.env.set changes and may move while the spawn goes on in another
   * thread; glibc never frees the strings themselves).
   */
  #environ(): BigUint64Array {
    const table = new Deno.UnsafePointerView(this.#libc.environ as Deno.PointerObject)
      .getPointer(0);
    if (table === null) return new BigUint64Array(1);
    const view = new Deno.UnsafePointerView(table);
    let count = 0;
    while (view.getBigUint64(count * 8) !== 0n) count++;
    const copy = new BigUint64Array(count + 1);
    view.copyInto(new Uint8Array(copy.buffer, 0, count * 8));
    return copy;
  }

  #failure(call: string, code = errno(this.#libc)): Error {
    return new Error(`${call}() failed (errno ${code})`);
  }

  /**
   * Starts `request`, or returns the errno of a spawn that failed (no such
   * file, no permission, a missing cwd...), for the caller to let Deno report
   * it in its own words.
   */
  async spawn(request: SpawnRequest): Promise<SpawnedChild | { errno: number }> {
    const libc = this.#libc;
    const { poller, attr } = await (this.#ready ??= this.#setup());
    const opened: number[] = [];
    const theirs: number[] = [];
    const actions = new Uint8Array(OPAQUE_BYTES);
    libc.posix_spawn_file_actions_init(actions);
    try {
      const stdin = request.stdin === "piped" ? this.#pipe(false) : undefined;
      if (stdin) opened.push(stdin[0]), theirs.push(stdin[1]);
      const stdout = this.#pipe(true);
      opened.push(stdout[0]), theirs.push(stdout[1]);
      const stderr = this.#pipe(true);
      opened.push(stderr[0]), theirs.push(stderr[1]);

      if (stdin) libc.posix_spawn_file_actions_adddup2(actions, stdin[1], 0);
      else libc.posix_spawn_file_actions_addopen(actions, 0, cString("/dev/null"), O_RDONLY, 0);
      libc.posix_spawn_file_actions_adddup2(actions, stdout[1], 1);
      libc.posix_spawn_file_actions_adddup2(actions, stderr[1], 2);
      const cwd = request.cwd === undefined ? undefined : cString(request.cwd);
      if (cwd) libc.posix_spawn_file_actions_addchdir_np(actions, cwd);

      const [argv, argvBytes] = cStrings([request.file, ...request.args]);
      const [envp, envBytes] = request.env === undefined
        ? [null, null]
        : cStrings(Object.entries(request.env).map(([name, value]) => `${name}=${value}`));
      const pidBox = new Int32Array(1);
      const path = cString(request.file);
      const environ = envp ?? this.#environ();
      // On a thread of its own: the vfork'd child holds its caller until it execs.
      spawning.add(pidBox);
      let code: number;
      try {
        code = await libc.posix_spawn(pidBox, path, actions, attr, argv, environ);
      } finally {
        spawning.delete(pidBox);
      }
      // Alive until here: the tables point into them.
      void argvBytes, envBytes;
      for (const fd of theirs.splice(0)) libc.close(fd);
      if (code !== 0) return { errno: code };
      const pid = pidBox[0]!;
      const child = new Child(
        libc,
        poller,
        this.#chunk,
        pid,
        stdin?.[0],
        stdout[0],
        stderr[0],
      );
      opened.length = 0;
      return child;
    } finally {
      for (const fd of [...theirs, ...opened]) libc.close(fd);
      libc.posix_spawn_file_actions_destroy(actions);
    }
  }
}

/** One of a child's output pipes, as it is read. */
interface Output {
  fd: number;
  open: boolean;
  controller?: ReadableStreamDefaultController<Uint8Array>;
}

/**
 * A command started by {@linkcode PosixSpawner}. Any event on one of its
 * descriptors services all of them (both pipes read to EAGAIN or their end,
 * the exit collected), so that a short command is done in one wake-up: its
 * pipes close a moment before its exit is posted.
 */
class Child implements SpawnedChild {
  readonly pid: number;
  readonly status: Promise<Deno.CommandStatus>;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  #stdin: WritableStream<Uint8Array> | undefined;
  #libc: Libc;
  #poller: Poller;
  #chunk: Uint8Array;
  #outputs: [Output, Output];
  #pidfd = -1;
  #raw = new Int32Array(1);
  #exit: Deno.CommandStatus | undefined;
  #resolve!: (status: Deno.CommandStatus) => void;

  constructor(
    libc: Libc,
    poller: Poller,
    chunk: Uint8Array,
    pid: number,
    stdin: number | undefined,
    stdout: number,
    stderr: number,
  ) {
    this.#libc = libc;
    this.#poller = poller;
    this.#chunk = chunk;
    this.pid = pid;
    this.#outputs = [{ fd: stdout, open: true }, { fd: stderr, open: true }];
    this.stdout = this.#reader(this.#outputs[0]);
    this.stderr = this.#reader(this.#outputs[1]);
    this.#stdin = stdin === undefined ? undefined : this.#writer(stdin);
    this.status = new Promise((resolve) => this.#resolve = resolve);
    const service = () => this.#service();
    for (const output of this.#outputs) poller.watch(output.fd, EPOLLIN, service);
    this.#pidfd = libc.pidfd_open(pid, 0);
    if (this.#pidfd >= 0) poller.watch(this.#pidfd, EPOLLIN, service);
    else {
      // No pidfd (too many open files, say): ask every few milliseconds.
      const timer = setInterval(() => this.#collect() && clearInterval(timer), 5);
    }
  }

  get stdin(): WritableStream<Uint8Array> {
    if (!this.#stdin) throw new TypeError("stdin is not piped");
    return this.#stdin;
  }

  kill(signal: Deno.Signal = "SIGTERM"): void {
    // Once collected, its pid may belong to someone else.
    if (this.#exit) throw new TypeError("Child process has already terminated");
    Deno.kill(this.pid, signal);
  }

  #service(): void {
    for (const output of this.#outputs) this.#drain(output);
    this.#collect();
  }

  /** Reads `output` to EAGAIN or its end. */
  #drain(output: Output): void {
    const libc = this.#libc;
    while (output.open && output.controller) {
      const n = Number(libc.read(output.fd, this.#chunk, BigInt(CHUNK_BYTES)));
      if (n > 0) {
        output.controller.enqueue(this.#chunk.slice(0, n));
        continue;
      }
      if (n < 0) {
        const code = errno(libc);
        if (code === EAGAIN) return;
        if (code === EINTR) continue;
      }
      // The end, or an error that ends the stream as Deno's would (EIO...).
      this.#close(output);
      output.controller.close();
    }
  }

  #close(output: Output): void {
    if (!output.open) return;
    output.open = false;
    this.#poller.unwatch(output.fd);
    this.#libc.close(output.fd);
  }

  /** Collects the exit status once the command has ended; true once it has. */
  #collect(): boolean {
    if (this.#exit) return true;
    if (this.#libc.waitpid(this.pid, this.#raw, WNOHANG) !== this.pid) return false;
    const status = this.#raw[0]!;
    const signo = status & 0x7f;
    const code = (status >> 8) & 0xff;
    this.#exit = signo === 0
      ? { success: code === 0, code, signal: null }
      : { success: false, code: 128 + signo, signal: signalName(signo) };
    if (this.#pidfd >= 0) {
      this.#poller.unwatch(this.#pidfd);
      this.#libc.close(this.#pidfd);
    }
    this.#resolve(this.#exit);
    return true;
  }

  #reader(output: Output): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        output.controller = controller;
      },
      cancel: () => this.#close(output),
    }, { highWaterMark: 0 });
  }

  #writer(fd: number): WritableStream<Uint8Array> {
    const libc = this.#libc;
    const poller = this.#poller;
    let open = true;
    const close = () => {
      if (!open) return;
      open = false;
      poller.unwatch(fd);
      libc.close(fd);
    };
    const writable = () =>
      new Promise<void>((resolve) => {
        poller.watch(fd, EPOLLOUT, () => {
          poller.unwatch(fd);
          resolve();
        });
      });
    return new WritableStream<Uint8Array>({
      write: async (chunk) => {
        let offset = 0;
        while (offset < chunk.length) {
          if (!open) throw new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
          const part = chunk.subarray(offset);
          const n = Number(libc.write(fd, part, BigInt(part.length)));
          if (n >= 0) {
            offset += n;
            continue;
          }
          const code = errno(libc);
          if (code === EAGAIN) await writable();
          else if (code !== EINTR) {
            close();
            throw new Deno.errors.BrokenPipe(`Broken pipe (os error ${code})`);
          }
        }
      },
      close,
      abort: close,
    });
  }
}
