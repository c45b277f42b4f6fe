/**
 * GNU parallel's replacement strings: `{}` (every input value), `{n}` (the
 * nth, `{-n}` from the end), each with `.` (no extension), `/` (basename),
 * `//` (dirname) or `/.` (basename without extension), `{#}` (the task's
 * sequence number), `{%}` (its job slot, filled in by the engine: here it
 * becomes {@linkcode SLOT}), and `{host}` and `{sshlogin}` (where it runs,
 * filled in by the ssh engine: {@linkcode HOST} and {@linkcode SSHLOGIN};
 * GNU parallel has them with `--plus`). Their values follow GNU parallel's
 * own definitions: `{.}` strips the extension of the last path component only.
 *
 * @module
 */

/** One replacement string: what it reads and what it does to it. */
interface Token {
  /** The text matched, `{2/.}`. */
  text: string;
  /**
   * `"#"` for the sequence number, `"%"` for the slot, `"host"` and
   * `"sshlogin"` for where it runs, else 0 for every value, n or -n for one.
   */
  index: number | "#" | "%" | "host" | "sshlogin";
  op: "" | "." | "/" | "//" | "/.";
}

const TOKEN = /\{(#|%|host|sshlogin|(-?[1-9][0-9]*)?(\.|\/\/|\/\.|\/)?)\}/g;

/**
 * What `{%}` becomes until the engine puts the job slot in its place: with
 * NUL bytes, which no command-line value can hold.
 */
export const SLOT = "\0slot\0";
/** What `{host}` becomes until the ssh engine puts the host's name in its place. */
export const HOST = "\0host\0";
/** What `{sshlogin}` becomes until the ssh engine puts the sshlogin in its place. */
export const SSHLOGIN = "\0sshlogin\0";

const MARKS = { "%": SLOT, host: HOST, sshlogin: SSHLOGIN } as const;
/** The same, without the state a global regex keeps between calls. */
const ANY_TOKEN = new RegExp(TOKEN.source);

/** Every replacement string in `text`, in order. */
function tokens(text: string): { token: Token; at: number }[] {
  return [...text.matchAll(TOKEN)].map((match) => ({
    at: match.index,
    token: {
      text: match[0],
      index: ["#", "%", "host", "sshlogin"].includes(match[1]!)
        ? match[1] as Token["index"]
        : Number(match[2] ?? 0),
      op: (match[3] ?? "") as Token["op"],
    },
  }));
}

/** Whether `text` holds a replacement string. */
export function hasReplacement(text: string): boolean {
  return ANY_TOKEN.test(text);
}

/** Perl's File::Basename dirname, as GNU parallel's `{//}` uses it. */
function dirname(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "") return path === "" ? "." : "/";
  const slash = trimmed.lastIndexOf("/");
  if (slash === -1) return ".";
  const parent = trimmed.slice(0, slash).replace(/\/+$/, "");
  return parent === "" ? "/" : parent;
}

function apply(op: Token["op"], value: string): string {
  switch (op) {
    case ".":
      return value.replace(/\.[^/.]*$/, "");
    case "/":
      return value.replace(/^.*\//s, "");
    case "//":
      return dirname(value);
    case "/.":
      return value.replace(/^.*\//s, "").replace(/\.[^/.]*$/, "");
    default:
      return value;
  }
}

/** The values a token stands for: several for `{}` over several values, else one. */
function valuesOf(token: Token, values: readonly string[], seq: number): string[] {
  if (token.index === "#") return [String(seq)];
  if (typeof token.index === "string") return [MARKS[token.index]];
  if (token.index === 0) return values.map((value) => apply(token.op, value));
  const at = token.index > 0 ? token.index - 1 : values.length + token.index;
  return [apply(token.op, values[at] ?? "")];
}

/**
 * One word of a command with its replacement strings filled in. A `{}` over
 * several values gives several words, as GNU parallel's quoting does
 * (`x{}y` over `a` and `b` is `xa` and `by`).
 */
export function expandWord(word: string, values: readonly string[], seq: number): string[] {
  const found = tokens(word);
  if (found.length === 0) return [word];
  let words = [""];
  let last = 0;
  for (const { token, at } of found) {
    const literal = word.slice(last, at);
    const parts = valuesOf(token, values, seq);
    words[words.length - 1] += literal + (parts[0] ?? "");
    if (parts.length > 1) words = [...words, ...parts.slice(1)];
    last = at + token.text.length;
  }
  words[words.length - 1] += word.slice(last);
  return words;
}

/**
 * The `sh -c` script for `--shell` and how to fill it: each replacement
 * string becomes a positional parameter, quoted for where it stands, so that
 * its value is one word and never shell syntax. Outside quotes `{2}` becomes
 * `"$2"`; inside double quotes, `$2`; inside single quotes, where nothing
 * expands, the quote is closed around `"$2"`. `{}` over several values is
 * `"$@"`-like: its values are one word each. `args(values, seq)` gives the
 * parameters, `$1` first.
 */
export function shellTemplate(text: string): {
  script: string;
  args: (values: readonly string[], seq: number) => string[];
} {
  const found = tokens(text);
  const params: Token[] = [];
  let script = "";
  let quote: "'" | '"' | undefined;
  let next = 0;
  for (let i = 0; i < text.length; i++) {
    if (next < found.length && found[next]!.at === i) {
      const { token } = found[next++]!;
      // The same replacement string is the same parameter wherever it stands.
      let n = params.findIndex((known) => known.text === token.text) + 1;
      if (n === 0) n = params.push(token);
      const ref = n < 10 ? `$${n}` : `\${${n}}`;
      script += quote === "'" ? `'"${ref}"'` : quote === '"' ? ref : `"${ref}"`;
      i += token.text.length - 1;
      continue;
    }
    const c = text[i]!;
    script += c;
    if (c === "\\" && quote !== "'" && i + 1 < text.length) {
      script += text[++i]; // an escaped character neither quotes nor ends a quote
    } else if (quote === undefined && (c === "'" || c === '"')) quote = c;
    else if (c === quote) quote = undefined;
  }
  if (params.length === 0) {
    // No replacement string: the values are "$1", "$2", ... for the script to use.
    return { script, args: (values) => [...values] };
  }
  return {
    script,
    args: (values, seq) => params.map((token) => valuesOf(token, values, seq).join(" ")),
  };
}

/**
 * `text` with the marks of `{%}`, `{host}` and `{sshlogin}` filled in, from
 * the job slot and the host (its sshlogin, null for this machine) that ran a
 * task; a mark whose value is not known stays as its replacement string.
 */
export function fillPlace(
  text: string,
  slot: number | null | undefined,
  host: string | null | undefined,
): string {
  const here = host === null ? ":" : undefined;
  return text.replaceAll(SLOT, slot === null || slot === undefined ? "{%}" : String(slot))
    .replaceAll(HOST, here ?? host?.replace(/^.*@/, "").replace(/:\d+$/, "") ?? "{host}")
    .replaceAll(SSHLOGIN, here ?? host ?? "{sshlogin}");
}
