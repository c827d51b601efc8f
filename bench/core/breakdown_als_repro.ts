/**
 * The reproduction for the upstream Deno issue drafted in bench/core/README.md
 * ("The AsyncLocalStorage floor"): what one `AsyncLocalStorage.run` costs in
 * Deno 2.9 per async function it wraps (time and heap bytes), beside the
 * same async function without it; and the two allocation shapes side by side
 * in plain JavaScript: the frame Deno's `AsyncVariable.enter` builds today
 * (an entry object, a null-prototype mapping spread from the previous one,
 * a WeakMap entry) and a linked frame holding the value directly.
 *
 * deno run --v8-flags=--expose-gc bench/core/breakdown_als_repro.ts
 */
import { AsyncLocalStorage } from "node:async_hooks";

const N = 100_000;
const ROUNDS = 7;
const als = new AsyncLocalStorage<number>();
const gc = (globalThis as { gc?: () => void }).gc;

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

let release: () => void = () => {};
let gate = new Promise<void>((r) => (release = r));

async function waiter(): Promise<void> {
  await gate;
}

/** Time (us) and heap bytes per pending async function, with or without ALS. */
async function pending(withAls: boolean): Promise<[number, number]> {
  gate = new Promise<void>((r) => (release = r));
  gc?.();
  const before = Deno.memoryUsage().heapUsed;
  const t0 = performance.now();
  const all: Promise<void>[] = new Array(N);
  for (let i = 0; i < N; i++) {
    all[i] = withAls ? als.run(i, waiter) : waiter();
  }
  const t1 = performance.now();
  gc?.();
  const bytes = (Deno.memoryUsage().heapUsed - before) / N;
  release();
  await Promise.all(all);
  return [((t1 - t0) * 1000) / N, bytes];
}

// The two shapes, in plain JavaScript (no async function involved).
const data = new WeakMap<object, unknown>();
let mapping: Record<number, unknown> | null = null;
function enterToday(id: number, value: unknown): object {
  const entry = { id };
  const next = { __proto__: null, ...mapping, [id]: entry };
  data.set(entry, value);
  return next;
}
interface Frame {
  readonly id: number;
  readonly value: unknown;
  readonly parent: Frame | null;
}
function enterLinked(id: number, value: unknown, parent: Frame | null): Frame {
  return { id, value, parent };
}

function shapes(linked: boolean): [number, number] {
  gc?.();
  const before = Deno.memoryUsage().heapUsed;
  const keep: object[] = new Array(N);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    keep[i] = linked ? enterLinked(7, i, null) : enterToday(7, i);
  }
  const t1 = performance.now();
  gc?.();
  const bytes = (Deno.memoryUsage().heapUsed - before) / N;
  keep.length = 0;
  return [((t1 - t0) * 1000) / N, bytes];
}

const rows: Record<string, { us: number[]; bytes: number[] }> = {};
function record(name: string, [us, bytes]: [number, number]): void {
  (rows[name] ??= { us: [], bytes: [] }).us.push(us);
  rows[name].bytes.push(bytes);
}
for (let round = 0; round < ROUNDS; round++) {
  record("async function awaiting a promise", await pending(false));
  record("the same inside AsyncLocalStorage.run", await pending(true));
  record("frame shape of AsyncVariable.enter", shapes(false));
  record("linked frame { id, value, parent }", shapes(true));
  mapping = null;
}
if (!gc) console.log("(run with --v8-flags=--expose-gc for the bytes)");
console.log(
  `Deno ${Deno.version.deno}, V8 ${Deno.version.v8}; ${N} items, median of ${ROUNDS} rounds`,
);
for (const [name, { us, bytes }] of Object.entries(rows)) {
  console.log(
    `${name.padEnd(40)} ${median(us).toFixed(3).padStart(7)} us  ${
      median(bytes).toFixed(0).padStart(5)
    } B  (us ${Math.min(...us).toFixed(3)}-${Math.max(...us).toFixed(3)})`,
  );
}
