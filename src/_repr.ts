// Python's repr() of JavaScript values, for the reprs of futures, tasks
// and handles (`<Task finished name='Task-2' coro=<f()> result='x'>`).
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "string") return reprString(value);
  if (typeof value === "number" || typeof value === "bigint") {
    return String(value);
  }
  if (typeof value === "function") {
    return `<function ${value.name || "<anonymous>"}>`;
  }
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(", ")}]`;
  if (value instanceof Set) {
    return value.size === 0
      ? "set()"
      : `{${[...value].map(pyRepr).join(", ")}}`;
  }
  if (value instanceof Map) {
    return `{${
      [...value].map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(", ")
    }}`;
  }
  if (value instanceof Error) {
    return `${value.name}(${value.message ? reprString(value.message) : ""})`;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    return `{${
      Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${reprString(k)}: ${pyRepr(v)}`).join(", ")
    }}`;
  }
  return String(value);
}

function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let escaped = s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r").replace(/\t/g, "\\t");
  if (quote === "'") escaped = escaped.replace(/'/g, "\\'");
  return quote + escaped + quote;
}

/** The name Python would show for a coroutine function: `main`. */
export function coroName(fn: unknown): string {
  if (typeof fn !== "function") return String(fn);
  if (fn.name) return fn.name;
  // `() => work(1)` is named after the function it calls.
  const m =
    /^(?:async\s*)?\(\s*\)\s*=>\s*(?:\{\s*return\s+)?(?:await\s+)?([\w$.]+)\s*\(/
      .exec(Function.prototype.toString.call(fn));
  return m ? m[1] : "<anonymous>";
}
