/**
 * An engine whose modules are loaded when its first run starts (in
 * `prepare()`), not when its runner is made: a program that imports procrun
 * and never uses worker threads, worker processes or hosts never reads
 * their files (src/_util.ts, `importOwn`). The runner checks every option
 * before that, so bad input is still refused before anything runs.
 *
 * @module
 */
import type { AttemptDone, Engine } from "./_engine.ts";
import type { ProcResult } from "./result.ts";

/** An {@linkcode Engine} made by `load` at the first `prepare()`, which every call then goes to. */
export class DeferredEngine<E extends Engine> implements Engine {
  #load: () => Promise<E>;
  #engine: E | undefined;

  /** @param load Imports the engine's module and makes the engine. */
  constructor(load: () => Promise<E>) {
    this.#load = load;
  }

  /** The engine, once a run has loaded it. */
  get engine(): E | undefined {
    return this.#engine;
  }

  get capacity(): number {
    return this.#loaded().capacity;
  }

  async prepare(): Promise<void> {
    this.#engine ??= await this.#load();
    await this.#engine.prepare?.();
  }

  start(): void {
    this.#loaded().start();
  }

  submit(result: ProcResult, done: AttemptDone): void {
    this.#loaded().submit(result, done);
  }

  abort(reason: unknown): void {
    this.#loaded().abort(reason);
  }

  stopStarting(reason: unknown): void {
    this.#loaded().stopStarting(reason);
  }

  close(): Promise<void> {
    return this.#loaded().close();
  }

  #loaded(): E {
    if (this.#engine === undefined) throw new Error("DeferredEngine: prepare() was not awaited");
    return this.#engine;
  }
}
