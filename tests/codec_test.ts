// The codec of the Redis executor (src/_codec.ts): values as text, keeping
// what structured clone keeps, compared with structuredClone itself on
// fixed and random values; refusals name the path; the size limit.
import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix
import fc from "npm:fast-check@4.10.2";
import { decodeValue, encodeValue } from "../src/_codec.ts";
import { CancelledError, ExceptionGroup, TimeoutError } from "../mod.ts";

const roundTrip = <T>(value: T): T =>
  decodeValue(encodeValue(value, "test", 1 << 30)) as T;

Deno.test("plain JSON values travel as plain JSON, the rest as a tagged tree", () => {
  assert.equal(
    encodeValue([30, "a", { b: [true, null] }], "x", 1e6),
    'J[30,"a",{"b":[true,null]}]',
  );
  assert.match(encodeValue([new Date(0)], "x", 1e6), /^T/);
  assert.match(encodeValue([-0], "x", 1e6), /^T/);
  assert.match(encodeValue([undefined], "x", 1e6), /^T/);
  const shared = {};
  assert.match(encodeValue([shared, shared], "x", 1e6), /^T/);
});

Deno.test("what structured clone keeps comes back the same, as structuredClone gives it", () => {
  const buffer = new ArrayBuffer(12);
  const cases: unknown[] = [
    new Date(1_700_000_000_000),
    new Date(NaN),
    /x+y/gimsuy,
    new Map<unknown, unknown>([[{ k: 1 }, new Set([1])], [NaN, "nan"]]),
    new Set(["a", 1, 2n, undefined]),
    new Uint8Array([1, 2, 3]),
    new Int32Array([-1, 7]),
    new Float32Array([0.5]),
    new BigInt64Array([-(2n ** 63n)]),
    [new Uint16Array(buffer, 2, 3), new DataView(buffer, 1, 6)],
    buffer,
    12345678901234567890123n,
    [undefined, NaN, Infinity, -Infinity, -0],
    [1, , 3], // a hole
    Object.assign(Object.create(null), { a: 1 }),
    JSON.parse('{"__proto__": {"x": 1}}'),
    new Number(3),
    new String("boxed"),
    new Boolean(false),
    "lone \ud800 surrogate",
  ];
  for (const value of cases) {
    assert.deepStrictEqual(roundTrip(value), structuredClone(value));
  }
});

Deno.test("shared and cyclic references survive, views keep sharing their buffer", () => {
  const node: Record<string, unknown> = { name: "n" };
  node.self = node;
  const list = [node, node];
  const back = roundTrip(list);
  assert.ok(back[0] === back[1]);
  assert.ok((back[0] as Record<string, unknown>).self === back[0]);
  const buffer = new ArrayBuffer(8);
  const [a, b] = roundTrip([new Uint8Array(buffer), new Uint32Array(buffer)]);
  a[0] = 1;
  assert.equal(b[0], 1);
  const map = new Map<string, unknown>();
  map.set("me", map);
  const m = roundTrip(map);
  assert.ok(m.get("me") === m);
});

Deno.test("errors keep name, message, stack, cause, own properties, and their class when it is a built-in or the library's", () => {
  class HttpError extends Error {
    override name = "HttpError";
    constructor(
      message: string,
      readonly status: number,
      options?: ErrorOptions,
    ) {
      super(message, options);
    }
  }
  const error = new HttpError("not found", 404, {
    cause: new TypeError("inner", { cause: "deepest" }),
  });
  const back = roundTrip(error);
  assert.ok(back instanceof Error);
  assert.equal(back.name, "HttpError");
  assert.equal(back.message, "not found");
  assert.equal(back.stack, error.stack);
  assert.equal((back as HttpError).status, 404);
  assert.ok(back.cause instanceof TypeError);
  assert.equal((back.cause as Error).cause, "deepest");
  assert.ok(roundTrip(new RangeError("r")) instanceof RangeError);
  assert.ok(roundTrip(new TimeoutError("t")) instanceof TimeoutError);
  assert.ok(roundTrip(new CancelledError()) instanceof CancelledError);
  const group = roundTrip(new ExceptionGroup("g", [new Error("a")]));
  assert.ok(group instanceof ExceptionGroup);
  assert.equal(group.message, "g (1 sub-exception)");
  assert.equal((group.errors[0] as Error).message, "a");
  const dom = roundTrip(new DOMException("aborted", "AbortError"));
  assert.ok(dom instanceof DOMException);
  assert.equal(dom.name, "AbortError");
  // A property that cannot be sent is left behind, not the error.
  const odd = Object.assign(new Error("odd"), { fn: () => 1, ok: 1 });
  assert.deepEqual(Object.keys(roundTrip(odd)), ["ok"]);
});

Deno.test("what cannot be sent is refused with its path, and the fix where there is one", () => {
  const refuse = (value: unknown, pattern: RegExp) =>
    assert.throws(
      () => encodeValue(value, "the arguments of job()", 1e6),
      (e: Error) => e instanceof TypeError && pattern.test(e.message),
    );
  refuse(
    [{ deep: [1, () => 2] }],
    /a function at \[0\]\.deep\[1\].*by reference/,
  );
  refuse([Symbol("s")], /a symbol at \[0\]/);
  refuse([new Map([[1, Promise.resolve()]])], /a Promise at \[0\]\.<value 0>/);
  refuse([new WeakMap()], /a WeakMap at \[0\]/);
  refuse([{ u: new URL("https://x/") }], /a URL at \[0\]\.u .*url\.href/);
  refuse([new Blob(["x"])], /a Blob at \[0\].*arrayBuffer/);
  refuse([new Headers()], /a Headers at \[0\]/);
  class Point {
    constructor(readonly x: number, readonly y: number) {}
  }
  // Structured clone copies a class instance as a plain object: so do we.
  assert.deepEqual(roundTrip(new Point(1, 2)), { x: 1, y: 2 });
});

Deno.test("a value over the size limit is a RangeError that gives both sizes", () => {
  assert.throws(
    () => encodeValue(["é".repeat(600)], "the arguments of job()", 1000),
    /the arguments of job\(\) take 1\.2 KiB serialized, over the limit of 1000 bytes/,
  );
  assert.doesNotThrow(() => encodeValue(["é".repeat(300)], "x", 1000));
});

Deno.test("random values of every kind come back as structuredClone gives them", () => {
  const { letrec } = fc;
  const leaf = fc.oneof(
    fc.string(),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.bigInt(),
    fc.date({ noInvalidDate: false }),
    fc.uint8Array({ maxLength: 8 }),
    fc.float64Array({ maxLength: 4 }),
  );
  const { value } = letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(fc.string(), tie("value"), { maxKeys: 4 }),
      fc.array(fc.tuple(tie("value"), tie("value")), { maxLength: 3 }).map((
        entries,
      ) => new Map(entries)),
      fc.array(tie("value"), { maxLength: 3 }).map((items) => new Set(items)),
    ),
  }));
  fc.assert(
    fc.property(value, (v) => {
      assert.deepStrictEqual(roundTrip(v), structuredClone(v));
    }),
    { numRuns: 300 },
  );
});
