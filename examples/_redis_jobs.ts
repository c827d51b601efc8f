/**
 * The coroutine function `dynamic-tasks/redis_dynamic_tasks.ts` runs in its
 * WorkerLoop, named by reference (`workerModule<typeof Jobs>(new URL(...))`):
 * it lives in a module of its own because a Worker importing the example
 * itself would run the whole example again.
 *
 * @module
 */
import { sleep } from "../mod.ts";

/**
 * Python's `do_sleep(x, queue)` for the Redis example: `task` is the
 * message taken from the Redis list (a number of seconds, as text, as
 * redis-py's `rpop` gives bytes). It sleeps that long on the Worker's loop
 * without blocking it, and returns the message. Python's version put "ok"
 * into a `queue.Queue` shared with the main thread; here the main thread
 * hears of it from `RedisTaskSource.feed`'s `onDone`.
 */
export async function doSleep(task: string): Promise<string> {
  await sleep(Number(task));
  return task;
}
