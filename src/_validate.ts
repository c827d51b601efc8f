// Argument checks, in one voice: a wrong type is a TypeError, a wrong
// value (NaN, out of range) a RangeError, and every message reads
// "<call>: <parameter> must be <what>, got <the value>".

/** How a message shows the value it refuses: `"3"`, `NaN`, `a Promise`. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "undefined":
      return "undefined";
    case "string":
      return JSON.stringify(
        value.length > 40 ? value.slice(0, 40) + "…" : value,
      );
    case "number":
    case "boolean":
      return String(value);
    case "bigint":
      return `${value}n`;
    case "symbol":
      return value.toString();
    case "function":
      return value.name ? `function ${value.name}` : "a function";
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  return name && name !== "Object" ? `a ${name}` : "an object";
}

/** The TypeError for `value` given where `what` belongs. */
export function typeError(
  call: string,
  param: string,
  what: string,
  value: unknown,
): TypeError {
  return new TypeError(
    `${call}: ${param} must be ${what}, got ${describe(value)}`,
  );
}

/** The RangeError for `value` given where `what` belongs. */
export function rangeError(
  call: string,
  param: string,
  what: string,
  value: unknown,
): RangeError {
  return new RangeError(
    `${call}: ${param} must be ${what}, got ${describe(value)}`,
  );
}

/** A number of seconds (or a loop time): any number but NaN. */
export function checkSeconds(
  call: string,
  param: string,
  value: unknown,
): number {
  if (typeof value !== "number") {
    throw typeError(call, param, "a number of seconds", value);
  }
  if (Number.isNaN(value)) {
    throw rangeError(call, param, "a number of seconds", value);
  }
  return value;
}

/**
 * A number of seconds of at least 0 (or above 0 with `positive`); with
 * `nullable`, null and undefined give null.
 */
export function checkDuration(
  call: string,
  param: string,
  value: unknown,
  options: { positive?: boolean; nullable?: boolean } = {},
): number | null {
  if (options.nullable && (value === null || value === undefined)) {
    return null;
  }
  const what = `a number of seconds ${options.positive ? "> 0" : ">= 0"}${
    options.nullable ? " or null" : ""
  }`;
  if (typeof value !== "number") throw typeError(call, param, what, value);
  if (!(options.positive ? value > 0 : value >= 0)) {
    throw rangeError(call, param, what, value);
  }
  return value;
}

/** A number of seconds, or null / undefined for none. */
export function checkOptionalSeconds(
  call: string,
  param: string,
  value: unknown,
): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "number") {
    throw typeError(call, param, "a number of seconds or null", value);
  }
  if (Number.isNaN(value)) {
    throw rangeError(call, param, "a number of seconds or null", value);
  }
  return value;
}

/** An integer of at least `min`. */
export function checkInteger(
  call: string,
  param: string,
  value: unknown,
  min: number,
): number {
  if (typeof value !== "number") {
    throw typeError(call, param, `an integer >= ${min}`, value);
  }
  if (!Number.isInteger(value) || value < min) {
    throw rangeError(call, param, `an integer >= ${min}`, value);
  }
  return value;
}

/** A function. */
export function checkFunction(
  call: string,
  param: string,
  value: unknown,
): void {
  if (typeof value !== "function") {
    throw typeError(call, param, "a function", value);
  }
}

/**
 * The error for a started promise (or anything else) given where a
 * coroutine function belongs: the message shows the fix.
 */
export function startedPromiseError(caller: string, value: unknown): TypeError {
  if (
    value !== null && typeof value === "object" &&
    typeof (value as PromiseLike<unknown>).then === "function"
  ) {
    // Refused, but not left to reject unhandled: the TypeError is what the
    // caller hears about.
    if (value instanceof Promise) value.catch(() => {});
    return new TypeError(
      `${caller}() takes a coroutine function, not a promise that is already ` +
        `running: write ${caller}(() => work()) instead of ${caller}(work())`,
    );
  }
  // CPython's words, with what a coroutine is here.
  return new TypeError(
    `${caller}(): a coroutine was expected, got ${
      describe(value)
    } (pass a coroutine function, or a coroutine object)`,
  );
}
