/**
 * The CPU work of the pipeline, run in Workers by reference:
 * `workerModule<typeof Jobs>(new URL("./jobs.ts", import.meta.url))`. Each
 * Worker imports this module itself and calls the function by name (as
 * Python's process pools do), so it lives apart from the program: a Worker
 * importing pipeline.ts would run the whole pipeline again.
 *
 * @module
 */

/** What one chunk gave, and which thread computed it. */
export interface ChunkCount {
  primes: number;
  thread: string;
}

/** Counts the primes in [start, end), by trial division. */
export function countPrimes(start: number, end: number): ChunkCount {
  let primes = 0;
  for (let n = Math.max(start, 2); n < end; n++) {
    if (isPrime(n)) primes++;
  }
  // A Worker's name is its thread's (the pool names them).
  return { primes, thread: (globalThis as { name?: string }).name || "main" };
}

function isPrime(n: number): boolean {
  if (n < 4) return n >= 2;
  if (n % 2 === 0) return false;
  for (let d = 3; d * d <= n; d += 2) {
    if (n % d === 0) return false;
  }
  return true;
}
