/**
 * Bytes that are not UTF-8, kept visible in strings. `Deno.Command` takes its
 * arguments as strings and sends them as UTF-8: a file name that is not
 * UTF-8 cannot be passed, and Deno replaces a lone surrogate with U+FFFD
 * without a word. So input is decoded as Python's `surrogateescape` does (each
 * undecodable byte `b` becomes the lone surrogate U+DC00 + b, as in
 * `os.fsdecode`), and a command whose arguments hold one is refused instead
 * of run on a changed name.
 *
 * @module
 */

const fatal = new TextDecoder("utf-8", { fatal: true });

/** The length of the valid UTF-8 sequence at `i`, or 0 if there is none. */
function sequenceAt(bytes: Uint8Array, i: number): number {
  const lead = bytes[i]!;
  if (lead < 0x80) return 1;
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) low = 0xa0; // overlong
    if (lead === 0xed) high = 0x9f; // UTF-16 surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) low = 0x90; // overlong
    if (lead === 0xf4) high = 0x8f; // past U+10FFFF
  } else return 0;
  if (i + length > bytes.length) return 0;
  const second = bytes[i + 1]!;
  if (second < low || second > high) return 0;
  for (let k = 2; k < length; k++) {
    const next = bytes[i + k]!;
    if (next < 0x80 || next > 0xbf) return 0;
  }
  return length;
}

/**
 * Decodes UTF-8, turning each byte that is not part of a valid sequence into
 * the lone surrogate U+DC00 + byte (`surrogateescape`). Valid input decodes
 * exactly as `TextDecoder` does.
 */
export function decodeEscaped(bytes: Uint8Array): string {
  try {
    return fatal.decode(bytes);
  } catch {
    // Slow path, only for input that is not UTF-8.
  }
  let text = "";
  let start = 0;
  let i = 0;
  while (i < bytes.length) {
    const length = sequenceAt(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    text += fatal.decode(bytes.subarray(start, i)) + String.fromCharCode(0xdc00 + bytes[i]!);
    i++;
    start = i;
  }
  return text + fatal.decode(bytes.subarray(start));
}

/**
 * Null when `text` can be sent as UTF-8 unchanged, else why not: which lone
 * surrogate it holds, and where.
 */
export function illFormed(text: string): string | null {
  if (text.isWellFormed()) return null;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    const hex = unit.toString(16).toUpperCase();
    const escaped = unit >= 0xdc80 && unit <= 0xdcff
      ? `, an input byte 0x${(unit - 0xdc00).toString(16).toUpperCase()} that is not UTF-8`
      : "";
    return `a lone surrogate U+${hex} at index ${i}${escaped}`;
  }
  return null;
}
