/**
 * One epoll set for every descriptor of the commands started by
 * posix_spawn.ts (their pipes and pidfds), waited on by a non-blocking FFI
 * call so that the event loop goes on meanwhile. Descriptors join and leave
 * the set while a wait is under way (epoll allows it), so a spawn costs no
 * extra wake-up; only when the set empties is the wait woken (a pipe),
 * so that no call is left pending and a script that is done can exit.
 *
 * The set is level-triggered: a callback must consume what made its
 * descriptor ready (read to EAGAIN, or stop watching), else it is called
 * again at once.
 *
 * @module
 */
import {
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_DATA_OFFSET,
  EPOLL_EVENT_BYTES,
  EPOLLIN,
  errno,
  type Libc,
  O_CLOEXEC,
  O_NONBLOCK,
} from "./libc.ts";

/** Called with epoll's events when its descriptor is ready. */
export type OnReady = (events: number) => void;

/** Events taken from one wait at most. */
const BATCH = 64;

/** Watches descriptors for one thread. */
export class Poller {
  #libc: Libc;
  #epoll: number;
  #wake: number;
  #wakeWrite: number;
  #watched = new Map<number, OnReady>();
  #waiting = false;
  #events = new Uint8Array(BATCH * EPOLL_EVENT_BYTES);
  #event = new Uint8Array(EPOLL_EVENT_BYTES);
  #byte = new Uint8Array(1);
  #bytes = new Uint8Array(64);

  /** A poller on the epoll set `epoll` (from `epoll_create1`), which it then owns. */
  constructor(libc: Libc, epoll: number) {
    this.#libc = libc;
    this.#epoll = epoll;
    const fds = new Int32Array(2);
    if (epoll < 0 || libc.pipe2(fds, O_CLOEXEC | O_NONBLOCK) !== 0) {
      throw new Error(`epoll_create1() or pipe2() failed (errno ${errno(libc)})`);
    }
    [this.#wake, this.#wakeWrite] = [fds[0]!, fds[1]!];
    this.#control(EPOLL_CTL_ADD, this.#wake, EPOLLIN);
  }

  #control(op: number, fd: number, events: number): void {
    const view = new DataView(this.#event.buffer);
    view.setUint32(0, events, true);
    view.setBigUint64(EPOLL_DATA_OFFSET, BigInt(fd), true);
    if (this.#libc.epoll_ctl(this.#epoll, op, fd, this.#event) !== 0) {
      throw new Error(`epoll_ctl(${op}, ${fd}) failed (errno ${errno(this.#libc)})`);
    }
  }

  /** Calls `onReady` whenever `fd` is ready for `events` (EPOLLIN, EPOLLOUT), until unwatched. */
  watch(fd: number, events: number, onReady: OnReady): void {
    this.#control(EPOLL_CTL_ADD, fd, events);
    this.#watched.set(fd, onReady);
    if (!this.#waiting) this.#loop();
  }

  /** Stops watching `fd`; call it before `fd` is closed. */
  unwatch(fd: number): void {
    if (!this.#watched.delete(fd)) return;
    this.#control(EPOLL_CTL_DEL, fd, 0);
    if (this.#watched.size === 0 && this.#waiting) {
      this.#libc.write(this.#wakeWrite, this.#byte, 1n);
    }
  }

  /** How many descriptors are watched. */
  get size(): number {
    return this.#watched.size;
  }

  async #loop(): Promise<void> {
    this.#waiting = true;
    const view = new DataView(this.#events.buffer);
    try {
      while (this.#watched.size > 0) {
        const ready = await this.#libc.epoll_wait(this.#epoll, this.#events, BATCH, -1);
        for (let i = 0; i < ready; i++) {
          const at = i * EPOLL_EVENT_BYTES;
          const fd = Number(view.getBigUint64(at + EPOLL_DATA_OFFSET, true));
          if (fd === this.#wake) {
            while (this.#libc.read(this.#wake, this.#bytes, BigInt(this.#bytes.length)) > 0);
            continue;
          }
          // Unwatched by an earlier callback of this batch: not its event any more.
          this.#watched.get(fd)?.(view.getUint32(at, true));
        }
        // ready < 0: EINTR, a signal came; wait again.
      }
    } finally {
      this.#waiting = false;
    }
  }
}
