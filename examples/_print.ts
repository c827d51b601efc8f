/**
 * Python's `print()` for the example ports, so that a port prints exactly
 * what CPython prints for the original: arguments joined by `sep`, strings
 * as they are at the top level, and values inside containers in Python's
 * `repr` (`'a'`, `None`, `True`, `[1, 2]`, `{1, 2}`, `{'a': 1}`).
 *
 * JavaScript has no separate float type, so a port formats floats that
 * Python would print with a decimal point itself (`x.toFixed(1)` or
 * {@link pyFloat}).
 */
export function print(...args: unknown[]): void {
  console.log(args.map(pyStr).join(" "));
}

/** Python's `str()` of a value. */
export function pyStr(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return value.message;
  return pyRepr(value);
}

/** Python's `repr()` of a value. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "string") return reprString(value);
  if (typeof value === "number" || typeof value === "bigint") {
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(", ")}]`;
  if (value instanceof Set) {
    return value.size === 0 ? "set()" : `{${[...value].map(pyRepr).join(", ")}}`;
  }
  if (value instanceof Map) {
    return `{${
      [...value].map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(", ")
    }}`;
  }
  if (value instanceof Error) {
    return `${value.name}(${reprString(value.message)})`;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    return `{${
      Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${reprString(k)}: ${pyRepr(v)}`).join(", ")
    }}`;
  }
  return String(value);
}

/** Python's `str(float)`: `2` prints as `2.0`. */
export function pyFloat(x: number): string {
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}

function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  const escaped = s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r").replace(/\t/g, "\\t");
  return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) +
    quote;
}
