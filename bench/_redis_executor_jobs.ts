/** The tiny job of bench/redis_executor_bench.ts: returns its argument. */
export function echo(x: number): number {
  return x;
}
