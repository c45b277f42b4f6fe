/**
 * What V8's serialiser (frames.ts) cannot carry to a worker process but
 * structured clone would copy: Deno's own classes, which it would empty, and
 * shared memory. Kept apart from frames.ts so that the checks a runner makes
 * before anything runs do not load `node:v8` (about 8 ms at start-up): only a
 * run of worker processes does.
 *
 * @module
 */

/** Deno's classes that V8's serialiser would empty, by prototype (a subclass is refused too). */
const HOST_CLASSES = [
  "Blob",
  "DOMException",
  "CryptoKey",
  "URL",
  "URLSearchParams",
  "Headers",
  "Request",
  "Response",
  "FormData",
  "ReadableStream",
  "WritableStream",
  "TransformStream",
  "EventTarget",
  "Event",
  "WebSocket",
];
const HOST_PROTOTYPES = new Map<object, string>();
for (const name of HOST_CLASSES) {
  const type = (globalThis as Record<string, unknown>)[name];
  if (typeof type === "function") HOST_PROTOTYPES.set(type.prototype, name);
}

export function cloneError(message: string): DOMException {
  return new DOMException(message, "DataCloneError");
}

/** The name of the Deno class `value` is an instance of, or undefined. */
function hostClass(value: object): string | undefined {
  for (let p = Object.getPrototypeOf(value); p !== null; p = Object.getPrototypeOf(p)) {
    if (p === Object.prototype || p === Array.prototype) return undefined;
    const name = HOST_PROTOTYPES.get(p);
    if (name !== undefined) return name;
  }
  return undefined;
}

/** Throws a DataCloneError if `value` holds an instance of a Deno class. */
export function refuseHostObjects(value: unknown): void {
  if (value === null || typeof value !== "object") return;
  const seen = new Set<object>();
  const stack: object[] = [value];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (seen.has(item) || ArrayBuffer.isView(item) || item instanceof ArrayBuffer) continue;
    seen.add(item);
    const name = hostClass(item);
    if (name !== undefined) {
      throw cloneError(
        `${name} object could not be cloned: it cannot be copied to a worker process`,
      );
    }
    const push = (v: unknown) => {
      if (v !== null && typeof v === "object") stack.push(v);
    };
    if (Array.isArray(item)) item.forEach(push);
    else if (item instanceof Map) item.forEach((v, k) => (push(k), push(v)));
    else if (item instanceof Set) item.forEach(push);
    else {
      for (const key of Object.keys(item)) push((item as Record<string, unknown>)[key]);
      if (item instanceof Error) push(item.cause);
    }
  }
}

/**
 * Whether `value` can be copied to a worker process: what structured clone
 * copies, without Deno's classes or a `SharedArrayBuffer` (a typed array over
 * one is copied, as V8's serialiser copies it).
 */
export function copyableToProcess(value: unknown): boolean {
  try {
    structuredClone(value);
    refuseHostObjects(value);
    return !holdsShared(value);
  } catch {
    return false;
  }
}

/** Whether `value` holds a SharedArrayBuffer itself (not a view of one). */
function holdsShared(value: unknown): boolean {
  const seen = new Set<unknown>();
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === null || typeof item !== "object" || seen.has(item)) continue;
    seen.add(item);
    if (item instanceof SharedArrayBuffer) return true;
    // A view is copied by value, shared memory or not, as the serialiser does.
    if (ArrayBuffer.isView(item)) continue;
    if (Array.isArray(item)) stack.push(...item);
    else if (item instanceof Map) item.forEach((v, k) => stack.push(k, v));
    else if (item instanceof Set) item.forEach((v) => stack.push(v));
    else for (const key of Object.keys(item)) stack.push((item as Record<string, unknown>)[key]);
  }
  return false;
}
