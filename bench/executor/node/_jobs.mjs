// The job functions of bench.mjs, run in tinypool's and piscina's
// worker threads (by name: pool.run(task, { name })); bench/executor/_jobs.ts has
// the same for asyncio for Deno. Each takes one task value.

/** The tiny job of the throughput workload: task = [a, b]. */
export function add([a, b]) {
  return a + b;
}

/** The job of the start-up workload. */
export function noop() {}

/** Blocks this thread for `ms` milliseconds (the memory workload). */
export function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The CPU-bound job: naive recursive Fibonacci (as in bench/executor/_jobs.ts). */
export function fib(n) {
  return naiveFib(n);
}

function naiveFib(n) {
  return n < 2 ? n : naiveFib(n - 1) + naiveFib(n - 2);
}

export default add;
