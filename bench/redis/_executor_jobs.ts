/** The tiny job of bench/redis/bench_executor.ts: returns its argument. */
export function echo(x: number): number {
  return x;
}
