/**
 * Naming a task function by module and export, so that a worker thread can
 * import it: functions cannot cross a thread boundary.
 *
 * @module
 */
import { invalid } from "./_invalid.ts";
import type { TaskFunction, TaskReturn } from "./types.ts";

/**
 * A {@linkcode TaskFunction} named by the module that exports it and the
 * export's name, made by {@linkcode workerFunction}. `ProcRunWorkers` sends
 * the name to each worker, which imports the module once and calls the
 * export there. Called directly (or by `ProcRunAsync`), it imports the module
 * on the current thread and calls the export.
 */
export interface WorkerFunction extends TaskFunction {
  /** The absolute URL of the module that exports the function. */
  readonly moduleUrl: string;
  /** The name of the export. */
  readonly exportName: string;
}

const named = new WeakSet<object>();

/** Whether `value` was made by {@linkcode workerFunction}. */
export function isWorkerFunction(value: unknown): value is WorkerFunction {
  return typeof value === "function" && named.has(value);
}

/**
 * Names a task function by the module that exports it and its export name,
 * for use as `pargs[0]` of `ProcRunWorkers`: each worker imports the module
 * once and calls `module[exportName](key, [...args, arg], signal)`.
 *
 * Resolve the module from your own file, so that it works wherever your code
 * runs: `new URL("./tasks.ts", import.meta.url)`.
 *
 * @param moduleUrl The module's absolute URL (a `URL`, or a string such as `"file:///..."`).
 * @param exportName The name of an exported function of that module.
 * @returns A task function that carries its module URL and export name.
 * @throws {TypeError} If `moduleUrl` is not an absolute URL or `exportName` is not a
 * non-empty string.
 *
 * @example Name a function for the workers
 * ```ts
 * import { workerFunction } from "@procrun/procrun";
 * import { assertEquals } from "@std/assert";
 *
 * const fn = workerFunction(new URL("./tasks.ts", import.meta.url), "square");
 * assertEquals(fn.exportName, "square");
 * assertEquals(fn.moduleUrl.endsWith("/tasks.ts"), true);
 * ```
 */
export function workerFunction(moduleUrl: string | URL, exportName: string): WorkerFunction {
  let url: URL;
  try {
    url = new URL(moduleUrl);
  } catch {
    throw new TypeError(
      invalid(
        "workerFunction",
        "moduleUrl",
        'an absolute URL, such as new URL("./tasks.ts", import.meta.url)',
        moduleUrl,
      ),
    );
  }
  if (typeof exportName !== "string" || exportName === "") {
    throw new TypeError(
      invalid("workerFunction", "exportName", "the non-empty name of an export", exportName),
    );
  }
  const href = url.href;
  const fn = async (key: unknown, args: unknown[], signal: AbortSignal): Promise<TaskReturn> => {
    const module = await import(href);
    const target = module[exportName];
    if (typeof target !== "function") {
      throw new TypeError(`${href} has no exported function '${exportName}'`);
    }
    return await target(key, args, signal);
  };
  Object.defineProperties(fn, {
    name: { value: exportName },
    moduleUrl: { value: href, enumerable: true },
    exportName: { value: exportName, enumerable: true },
  });
  named.add(fn);
  return fn as WorkerFunction;
}
