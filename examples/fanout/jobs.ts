/**
 * The jobs of the fan-out example: plain exported functions, named by
 * reference (module URL + export name), so any consumer with this code
 * base can run them.
 *
 * @module
 */

/** CPU work: the n-th Fibonacci number, the slow way. */
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
