/**
 * `toThread`: run a blocking function in a Worker without blocking the
 * event loop (Python's `asyncio.to_thread`).
 *
 * @module
 */
import { getRunningLoop } from "./events.ts";
import type { Future } from "./futures.ts";
import type { WorkerCallable } from "./executor/functions.ts";

/**
 * Runs `fn(...args)` in a Worker of the running loop's default executor
 * and returns a future of its result: Python's `asyncio.to_thread`. The
 * job starts at once (as a JavaScript call does), so pass
 * `() => toThread(fn)` where a coroutine function is wanted.
 *
 * `fn` is a `WorkerFunction` (by reference: `workerModule(url).name`) or
 * a self-contained function (sent by source). Arguments and the result
 * are structured-cloned. Cancelling the future stops the job, terminating
 * its Worker if it is running.
 *
 * @example
 * ```ts
 * import { run, toThread } from "@aio/asyncio";
 *
 * function fib(n: number): number {
 *   return n < 2 ? n : fib(n - 1) + fib(n - 2);
 * }
 * await run(async () => {
 *   console.log(await toThread(fib, 20)); // 6765
 * });
 * ```
 */
export function toThread<A extends unknown[], R>(
  fn: WorkerCallable<A, R>,
  ...args: A
): Future<Awaited<R>> {
  return getRunningLoop().runInExecutor(null, fn, ...args);
}
