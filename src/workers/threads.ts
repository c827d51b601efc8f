/**
 * `toThread` (Python's `asyncio.to_thread`) and `runCoroutineThreadsafe`:
 * the meeting points of the event loop and other threads.
 *
 * @module
 */
import { startedPromiseError, typeError } from "../_validate.ts";
import {
  type AbstractEventLoop,
  getRunningLoop,
  isEventLoop,
} from "../events.ts";
import type { Future } from "../futures.ts";
import type { CoroutineFunction, Task } from "../tasks.ts";
import { ConcurrentFuture } from "./concurrent.ts";
import type { WorkerCallable } from "./functions.ts";
import type { ThreadLoop } from "./worker_loop.ts";

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

/**
 * Schedules coroutine function `coro` on `loop` from code that does not run
 * on it, and returns a `ConcurrentFuture` of its result: Python's
 * `asyncio.run_coroutine_threadsafe(coro(), loop)`. `loop` is an event loop
 * of this thread (for callers outside it: host callbacks, other loops) or
 * a loop on another thread (a `WorkerLoop`, or `parentLoop()` inside one);
 * for those, `coro` is named as for `toThread`, and
 * `loop.runCoroutineThreadsafe(fn, ...args)` also passes arguments.
 * Cancelling the future cancels the task.
 *
 * @example
 * ```ts
 * import { newEventLoop, runCoroutineThreadsafe, sleep } from "@aio/asyncio";
 *
 * const loop = newEventLoop();
 * const fut = runCoroutineThreadsafe(async () => {
 *   await sleep(0.01);
 *   return "from the loop";
 * }, loop);
 * fut.addDoneCallback(() => loop.stop());
 * await loop.runForever();
 * console.log(fut.result()); // from the loop
 * loop.close();
 * ```
 */
export function runCoroutineThreadsafe<R>(
  coro: WorkerCallable<[], R> | CoroutineFunction<R>,
  loop: AbstractEventLoop | ThreadLoop,
): ConcurrentFuture<Awaited<R>> {
  if (!isEventLoop(loop)) {
    if (
      loop === null || typeof loop !== "object" ||
      typeof loop.runCoroutineThreadsafe !== "function"
    ) {
      throw typeError(
        "runCoroutineThreadsafe()",
        "loop",
        "an event loop or a WorkerLoop",
        loop,
      );
    }
    return loop.runCoroutineThreadsafe(coro as WorkerCallable<[], R>);
  }
  if (typeof coro !== "function") {
    throw startedPromiseError("runCoroutineThreadsafe", coro);
  }
  const result = new ConcurrentFuture<Awaited<R>>();
  loop.callSoonThreadsafe(() => {
    if (result.cancelled()) return;
    let task: Task<Awaited<R>>;
    try {
      task = loop.createTask(coro as CoroutineFunction<Awaited<R>>);
    } catch (error) {
      // The future fails, and the loop reports it too (as CPython).
      result.setException(error);
      throw error;
    }
    result.addDoneCallback(() => {
      if (result.cancelled() && !loop.isClosed()) {
        loop.callSoonThreadsafe(() => task.cancel());
      }
    });
    task.addDoneCallback(() => {
      if (result.done()) return;
      if (task.cancelled()) {
        result.cancel();
        return;
      }
      try {
        result.setResult(task.result());
      } catch (error) {
        result.setException(error);
      }
    });
  });
  return result;
}
