/**
 * Python's `print()` for the example ports, so that a port prints exactly
 * what CPython prints for the original: arguments joined by spaces,
 * strings as they are at the top level, and values inside containers in
 * Python's `repr` (`'a'`, `None`, `True`, `[1, 2]`, `{1, 2}`, `{'a': 1}`).
 *
 * JavaScript has no separate float type, so a port formats floats that
 * Python would print with a decimal point itself (`x.toFixed(1)` or
 * {@link pyFloat}).
 */
import { pyRepr } from "../src/_repr.ts";

export { pyRepr };

/** Python's `print(*args)`. */
export function print(...args: unknown[]): void {
  console.log(args.map(pyStr).join(" "));
}

/** Python's `str()` of a value. */
export function pyStr(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return value.message;
  if (value instanceof Uint8Array) return pyBytes(value);
  return pyRepr(value);
}

/**
 * Python's `repr(bytes)` of a `Uint8Array`: `b'hello\n'`, printable ASCII as
 * it is, `\t` `\n` `\r` `\\` escaped, other bytes as `\xe4`.
 */
export function pyBytes(data: Uint8Array): string {
  const quote = data.includes(0x27) && !data.includes(0x22) ? '"' : "'";
  let out = "b" + quote;
  for (const byte of data) {
    if (byte === 0x5c) out += "\\\\";
    else if (byte === 0x09) out += "\\t";
    else if (byte === 0x0a) out += "\\n";
    else if (byte === 0x0d) out += "\\r";
    else if (byte === quote.charCodeAt(0)) out += "\\" + quote;
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += "\\x" + byte.toString(16).padStart(2, "0");
  }
  return out + quote;
}

/** Python's `str(float)`: `2` prints as `2.0`. */
export function pyFloat(x: number): string {
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}

/**
 * Python's `type(x)` as printed: `<class 'coroutine'>` for an async
 * function (the TypeScript form of an unstarted coroutine).
 */
export function pyType(value: unknown): string {
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  return `<class '${tag === "AsyncFunction" ? "coroutine" : tag}'>`;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];

/**
 * Python's `time.ctime(secs)`: the local time as C's `asctime` writes it,
 * `Thu May 31 22:11:16 2018` (the day of the month padded with a space:
 * `Sat Jun  2 09:05:01 2018`). Without `secs`, now.
 */
export function ctime(secs?: number): string {
  const d = secs === undefined ? new Date() : new Date(secs * 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${
    String(d.getDate()).padStart(2, " ")
  } ${two(d.getHours())}:${two(d.getMinutes())}:${
    two(d.getSeconds())
  } ${d.getFullYear()}`;
}
