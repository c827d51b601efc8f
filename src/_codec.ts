/**
 * Values across machines, as text: what structured clone keeps, in JSON.
 *
 * `node:v8`'s `serialize` was the first choice and was checked on Deno
 * 2.9.6: it loses the name of an error subclass, an error's own
 * properties and an `AggregateError`'s `errors`, reads a `DataView` back
 * wrong (another offset in another buffer) and took ten times as long
 * as JSON for a small argument list; its format is also tied to the V8
 * version, which may differ between producer and consumers. So:
 *
 * - `J<json>`: a value that JSON carries exactly (strings, finite
 *   numbers but -0, booleans, null, plain arrays without holes and plain
 *   objects, no object seen twice) is plain JSON: the common case, fast
 *   both ways.
 * - `T<json>`: anything else is a tree in which every array is a tagged
 *   node `[tag, ...]` and every other JSON value stands for itself:
 *   `["A", ...items]` array (`["h"]` a hole), `["O", key, value, ...]`
 *   object, `["u"]` undefined, `["N", "NaN" | "Infinity" | "-Infinity" |
 *   "-0"]`, `["I", digits]` bigint, `["D", ms | null]` Date, `["R",
 *   source, flags]` RegExp, `["M", k, v, ...]` Map, `["S", ...]` Set,
 *   `["B", base64]` ArrayBuffer, `["V", type, buffer, offset, length]`
 *   typed array or DataView, `["E", name, message, stack, hasCause, cause,
 *   props, errors]` error, `["P", type, value]` boxed primitive, and
 *   `["r", n]` the n-th object of the tree again (shared and cyclic
 *   references survive).
 *
 * Functions, symbols, promises, weak collections, host objects (`URL`,
 * `Headers`, ...) and `Blob`s are refused with the path to the value.
 *
 * @module
 */
import {
  CancelledError,
  ExceptionGroup,
  InvalidStateError,
  TimeoutError,
  WorkerCrashedError,
} from "./errors.ts";

/** Bytes of `s` in UTF-8 (a lone surrogate becomes U+FFFD: 3 bytes). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        n += 2;
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
}

/** How a size reads in a message: 1.5 MiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Encodes `value`; throws a TypeError naming `what` ("the arguments of
 * fib()") and the path to a value that cannot be sent, or a RangeError
 * past `maxBytes`.
 */
export function encodeValue(
  value: unknown,
  what: string,
  maxBytes: number,
): string {
  let text: string;
  if (isPlainJson(value, 0, new Set())) text = "J" + JSON.stringify(value);
  else text = "T" + JSON.stringify(new Encoder(what).node(value));
  if (text.length * 3 > maxBytes) {
    const bytes = text.length > maxBytes ? text.length : utf8Length(text);
    if (bytes > maxBytes) {
      throw new RangeError(
        `${what} take ${formatBytes(bytes)} serialized, over the limit of ${
          formatBytes(maxBytes)
        } (option maxSize): pass a reference to the data instead (a key, a URL, a path)`,
      );
    }
  }
  return text;
}

/** Decodes what {@link encodeValue} made. */
export function decodeValue(text: string): unknown {
  const kind = text.charCodeAt(0);
  const tree = JSON.parse(text.slice(1));
  if (kind === 74 /* J */) return tree;
  if (kind !== 84 /* T */) {
    throw new TypeError(
      `not an encoded value: ${JSON.stringify(text.slice(0, 20))}`,
    );
  }
  return new Decoder().node(tree);
}

// Plain JSON: no tags needed (no object may appear twice: JSON would copy
// it, structured clone keeps one).
function isPlainJson(v: unknown, depth: number, seen: Set<object>): boolean {
  switch (typeof v) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(v) && !(v === 0 && 1 / v < 0);
    case "object": {
      if (v === null) return true;
      if (depth > 100 || seen.has(v)) return false;
      seen.add(v);
      const proto = Object.getPrototypeOf(v);
      if (proto === Array.prototype) {
        const a = v as unknown[];
        for (let i = 0; i < a.length; i++) {
          if (!(i in a) || !isPlainJson(a[i], depth + 1, seen)) return false;
        }
        return true;
      }
      if (proto === Object.prototype || proto === null) {
        const o = v as Record<string, unknown>;
        for (const key of Object.keys(o)) {
          if (!isPlainJson(o[key], depth + 1, seen)) return false;
        }
        return true;
      }
      return false;
    }
    default:
      return false;
  }
}

const TypedArray = Object.getPrototypeOf(Int8Array);
const viewTypes: Record<
  string,
  new (b: ArrayBuffer, o: number, l: number) => ArrayBufferView
> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
};
if (
  typeof (globalThis as Record<string, unknown>).Float16Array === "function"
) {
  viewTypes.Float16Array = (globalThis as unknown as Record<
    string,
    typeof Float32Array
  >).Float16Array;
}

// Prototypes whose instances structured clone copies as plain objects
// (checked once per prototype).
const cloneable = new WeakSet<object>();

const toBase64 = (bytes: Uint8Array): string =>
  (bytes as unknown as { toBase64(): string }).toBase64();
const fromBase64 = (text: string): Uint8Array =>
  (Uint8Array as unknown as { fromBase64(s: string): Uint8Array })
    .fromBase64(text);

class Encoder {
  readonly #refs = new Map<object, number>();
  readonly #path: (string | number)[] = [];
  constructor(readonly what: string) {}

  #refuse(kind: string, hint = ""): never {
    const at = this.#path.length === 0
      ? ""
      : ` at ${
        this.#path.map((p) => typeof p === "number" ? `[${p}]` : `.${p}`).join(
          "",
        )
      }`;
    throw new TypeError(
      `${this.what}: ${kind}${at} cannot be sent to another machine (values are serialized, keeping what structured clone keeps)${hint}`,
    );
  }

  #child(key: string | number, v: unknown): unknown {
    this.#path.push(key);
    try {
      return this.node(v);
    } finally {
      this.#path.pop();
    }
  }

  /**
   * The node of `v`, or `fallback()` if it cannot be sent (what it had
   * numbered is forgotten, so that references stay in step).
   */
  #childOr(key: string, v: unknown, fallback: () => unknown): unknown {
    const mark = this.#refs.size;
    try {
      return this.#child(key, v);
    } catch {
      for (const [o, n] of this.#refs) if (n >= mark) this.#refs.delete(o);
      return fallback();
    }
  }

  node(v: unknown): unknown {
    switch (typeof v) {
      case "string":
      case "boolean":
        return v;
      case "number":
        if (Number.isFinite(v) && !(v === 0 && 1 / v < 0)) return v;
        return ["N", Object.is(v, -0) ? "-0" : String(v)];
      case "undefined":
        return ["u"];
      case "bigint":
        return ["I", v.toString()];
      case "function":
        return this.#refuse(
          `a function${v.name ? ` (${v.name})` : ""}`,
          ": name a function by reference (workerModule(url).name) and pass its arguments instead",
        );
      case "symbol":
        return this.#refuse("a symbol");
    }
    if (v === null) return null;
    const obj = v as object;
    const ref = this.#refs.get(obj);
    if (ref !== undefined) return ["r", ref];
    this.#refs.set(obj, this.#refs.size);
    const proto = Object.getPrototypeOf(obj);
    if (Array.isArray(obj)) {
      const out: unknown[] = ["A"];
      for (let i = 0; i < obj.length; i++) {
        out.push(i in obj ? this.#child(i, obj[i]) : ["h"]);
      }
      return out;
    }
    if (obj instanceof Date) return ["D", isNaN(+obj) ? null : +obj];
    if (obj instanceof RegExp) return ["R", obj.source, obj.flags];
    if (obj instanceof Map) {
      const out: unknown[] = ["M"];
      let i = 0;
      for (const [k, val] of obj) {
        out.push(
          this.#child(`<key ${i}>`, k),
          this.#child(`<value ${i}>`, val),
        );
        i++;
      }
      return out;
    }
    if (obj instanceof Set) {
      const out: unknown[] = ["S"];
      let i = 0;
      for (const item of obj) out.push(this.#child(`<item ${i++}>`, item));
      return out;
    }
    if (obj instanceof ArrayBuffer || obj instanceof SharedArrayBuffer) {
      return ["B", toBase64(new Uint8Array(obj))];
    }
    if (ArrayBuffer.isView(obj)) {
      const type = obj instanceof DataView
        ? "DataView"
        : Object.getPrototypeOf(obj).constructor.name;
      if (!(type in viewTypes)) return this.#refuse(`a ${type}`);
      const length = obj instanceof TypedArray
        ? (obj as unknown as { length: number }).length
        : obj.byteLength;
      return [
        "V",
        type,
        this.#child("buffer", obj.buffer),
        obj.byteOffset,
        length,
      ];
    }
    if (obj instanceof Error) return this.#error(obj);
    if (
      obj instanceof Boolean || obj instanceof Number ||
      obj instanceof String || obj instanceof BigInt
    ) {
      const type = obj instanceof Boolean
        ? "Boolean"
        : obj instanceof Number
        ? "Number"
        : obj instanceof String
        ? "String"
        : "BigInt";
      return ["P", type, this.node(obj.valueOf())];
    }
    if (proto !== Object.prototype && proto !== null) {
      if (obj instanceof Blob) {
        this.#refuse(
          `a ${proto.constructor?.name ?? "Blob"}`,
          ": send its bytes (await blob.arrayBuffer())",
        );
      }
      if (!cloneable.has(proto)) {
        try {
          structuredClone(obj);
        } catch {
          this.#refuse(
            `a ${proto?.constructor?.name ?? "host object"}`,
            obj instanceof URL ? ": pass url.href instead" : "",
          );
        }
        cloneable.add(proto);
      }
      if (
        obj instanceof Promise || obj instanceof WeakMap ||
        obj instanceof WeakSet
      ) {
        this.#refuse(`a ${proto.constructor.name}`);
      }
    }
    // A plain object (or a class instance, which structured clone copies
    // as one): its own enumerable string-keyed properties.
    const out: unknown[] = ["O"];
    const rec = obj as Record<string, unknown>;
    for (const key of Object.keys(rec)) {
      out.push(key, this.#child(key, rec[key]));
    }
    return out;
  }

  // Properties that cannot be sent are left behind, not the error; a
  // cause that cannot be sent arrives as its text.
  #error(error: Error): unknown[] {
    const props: unknown[] = [];
    const rec = error as unknown as Record<string, unknown>;
    for (const key of Object.keys(rec)) {
      if (
        key === "name" || key === "message" || key === "stack" ||
        key === "cause" || key === "errors"
      ) continue;
      const node = this.#childOr(key, rec[key], () => skip);
      if (node !== skip) props.push(key, node);
    }
    const hasCause = "cause" in error;
    const cause = hasCause
      ? this.#childOr("cause", error.cause, () => String(error.cause))
      : null;
    const errors =
      error instanceof AggregateError && Array.isArray(error.errors)
        ? this.#child("errors", error.errors)
        : null;
    return [
      "E",
      String(error.name),
      String(error.message),
      typeof error.stack === "string" ? error.stack : null,
      error instanceof DOMException ? 1 : 0,
      props,
      hasCause ? 1 : 0,
      cause,
      errors,
    ];
  }
}

const skip = Symbol("skip");

const errorTypes: Record<string, new (message: string) => Error> = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
  CancelledError,
  TimeoutError,
  InvalidStateError,
  WorkerCrashedError,
};

function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

class Decoder {
  readonly #objects: unknown[] = [];

  node(n: unknown): unknown {
    if (!Array.isArray(n)) return n;
    switch (n[0]) {
      case "u":
        return undefined;
      case "h":
        return undefined;
      case "N":
        return n[1] === "-0" ? -0 : Number(n[1]);
      case "I":
        return BigInt(n[1]);
      case "r":
        return this.#objects[n[1]];
      case "A": {
        const out: unknown[] = new Array(n.length - 1);
        this.#objects.push(out);
        for (let i = 1; i < n.length; i++) {
          const item = n[i];
          if (Array.isArray(item) && item[0] === "h") continue;
          out[i - 1] = this.node(item);
        }
        return out;
      }
      case "O": {
        const out: Record<string, unknown> = {};
        this.#objects.push(out);
        for (let i = 1; i < n.length; i += 2) {
          const key = n[i] as string;
          const value = this.node(n[i + 1]);
          if (key === "__proto__") defineOwn(out, key, value);
          else out[key] = value;
        }
        return out;
      }
      case "D": {
        const out = new Date(n[1] === null ? NaN : n[1]);
        this.#objects.push(out);
        return out;
      }
      case "R": {
        const out = new RegExp(n[1], n[2]);
        this.#objects.push(out);
        return out;
      }
      case "M": {
        const out = new Map();
        this.#objects.push(out);
        for (let i = 1; i < n.length; i += 2) {
          out.set(this.node(n[i]), this.node(n[i + 1]));
        }
        return out;
      }
      case "S": {
        const out = new Set();
        this.#objects.push(out);
        for (let i = 1; i < n.length; i++) out.add(this.node(n[i]));
        return out;
      }
      case "B": {
        const bytes = fromBase64(n[1]);
        const out = bytes.buffer.byteLength === bytes.byteLength
          ? bytes.buffer
          : bytes.slice().buffer;
        this.#objects.push(out);
        return out;
      }
      case "V": {
        const index = this.#objects.length;
        this.#objects.push(null); // its place, before its buffer's
        const type = viewTypes[n[1]];
        if (type === undefined) throw new TypeError(`unknown view ${n[1]}`);
        const out = new type(this.node(n[2]) as ArrayBuffer, n[3], n[4]);
        this.#objects[index] = out;
        return out;
      }
      case "P": {
        const index = this.#objects.length;
        this.#objects.push(null);
        const out = Object(this.node(n[2]));
        this.#objects[index] = out;
        return out;
      }
      case "E":
        return this.#error(n);
      default:
        throw new TypeError(`unknown tag ${JSON.stringify(n[0])}`);
    }
  }

  // In the encoder's order: properties, cause, errors; then the error
  // (a reference to the error from inside itself comes back as null).
  #error(n: unknown[]): Error {
    const [, name, message, stack, dom, props, hasCause, cause, errors] = n as [
      string,
      string,
      string,
      string | null,
      number,
      unknown[],
      number,
      unknown,
      unknown,
    ];
    const index = this.#objects.length;
    this.#objects.push(null);
    const extra: [string, unknown][] = [];
    for (let i = 0; i < props.length; i += 2) {
      extra.push([props[i] as string, this.node(props[i + 1])]);
    }
    const causeValue = hasCause ? this.node(cause) : undefined;
    const list = errors === null ? null : this.node(errors) as unknown[];
    let error: Error;
    if (dom) error = new DOMException(message, name);
    else if (list !== null) {
      error = name === "ExceptionGroup"
        ? new ExceptionGroup("", list)
        : new AggregateError(list, message);
    } else error = new (errorTypes[name] ?? Error)(message);
    this.#objects[index] = error;
    if (error.message !== message) defineOwnHidden(error, "message", message);
    if (error.name !== name) defineOwnHidden(error, "name", name);
    if (stack !== null) defineOwnHidden(error, "stack", stack);
    if (hasCause) defineOwnHidden(error, "cause", causeValue);
    for (const [key, value] of extra) defineOwn(error, key, value);
    return error;
  }
}

function defineOwnHidden(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    writable: true,
    enumerable: false,
    configurable: true,
  });
}
