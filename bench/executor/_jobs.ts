/**
 * The job functions of `bench.ts`, run in Workers by reference
 * (`workerModule<typeof Jobs>(new URL("./_jobs.ts", import.meta.url))`).
 * `bench/executor/node/_jobs.mjs` and `bench.py` have the same functions.
 *
 * @module
 */

/** The tiny job of the throughput workload. */
export function add(a: number, b: number): number {
  return a + b;
}

/** The job of the start-up and memory workloads. */
export function noop(): void {}

/** The CPU-bound job: naive recursive Fibonacci. */
export function fib(n: number): number {
  return naiveFib(n);
}

// The recursion goes through a binding that is not exported: in V8 a
// function that calls itself through its own export runs about 8% slower
// (measured with fib(38) on bare Workers), and `_bare_worker.ts`, the
// floor, has this very function.
function naiveFib(n: number): number {
  return n < 2 ? n : naiveFib(n - 1) + naiveFib(n - 2);
}
