/**
 * Byte helpers shared by the command path and the CLI's output.
 *
 * @module
 */

/** The parts as one run of bytes (the one part itself when there is one). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const all = new Uint8Array(parts.reduce((size, part) => size + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

/** Writes all of `bytes` to `sink`, however few each write takes. */
export async function writeAll(
  sink: { write(bytes: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await sink.write(bytes.subarray(offset));
}

/** Writes all of `bytes` to `sink` at once (the joblog's and the trace's lines), however few each write takes. */
export function writeAllSync(
  sink: { writeSync(bytes: Uint8Array): number },
  bytes: Uint8Array,
): void {
  let offset = 0;
  while (offset < bytes.length) offset += sink.writeSync(bytes.subarray(offset));
}
