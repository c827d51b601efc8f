/**
 * The functions the thread examples run in Workers, named by reference:
 * `workerModule<typeof Jobs>(new URL("../_thread_jobs.ts", import.meta.url))`
 * from an example in a tutorial folder.
 *
 * A Worker shares no memory with the main thread: it imports this module
 * itself and calls the function by its exported name (as Python's process
 * pools find a function by module and name). So the functions here may use
 * imports (`blockingSleep`, `print`), which a function sent by source may
 * not. They cannot live in an example's own module: a Worker importing it
 * would run the whole example again.
 *
 * `queue` and `queuePut` are the other way round: they belong to the main
 * thread. A Worker reaches them through `parentLoop()`, and the main
 * thread runs `queuePut` in the copy of this module it imported, so it
 * puts into the same `queue` the example awaits.
 *
 * @module
 */
import {
  blockingSleep,
  parentLoop,
  Queue,
  sleep,
  workerModule,
} from "../mod.ts";
import { print } from "./_print.ts";
import type * as Main from "./_thread_jobs.ts";

// This module as the main thread sees it, for the Worker's parentLoop():
// main.queuePut names queuePut below by reference.
const main = workerModule<typeof Main>(new URL(import.meta.url));

// ------------------------------------------------ run in a Worker

/**
 * coroutines-and-tasks/21_run_in_executor: a blocking task, as in the
 * tutorial's snippet.
 */
export function task(name: string): void {
  print(`${name}: 任务开始`);
  blockingSleep(1);
  print(`${name}: 任务完成`);
}

/**
 * event-loop-in-depth/31_thread_pool_executor: Python's `foo(n)`: sleeps `n`
 * seconds, blocking its thread.
 */
export function foo(n: number): void {
  blockingSleep(n);
  print(`foo睡了${n}秒`);
}

/**
 * event-loop-in-depth/39_reader_run_in_executor: `Reader.__read`. Python
 * reads the file object `self.fd` opened on the main thread; a Worker cannot
 * see it, so it gets the file's URL and opens the file itself.
 */
export function readFile(file: string): string {
  // 假设读取文件需要两秒钟
  blockingSleep(2);
  return Deno.readTextFileSync(new URL(file));
}

/**
 * event-loop-in-depth/40_reader_async_iterator: `Reader.__read` of the async
 * iterator. Python reads `self.fd[self.__index]` and moves the index on; a
 * Worker cannot see the reader, so it gets the lines and the index, and the
 * reader moves its index on itself. Past the end it throws, as Python's list does
 * (`IndexError: list index out of range`).
 */
export function readLine(lines: string[], index: number): string {
  // 假设读一行需要1s
  blockingSleep(1);
  if (index >= lines.length) throw new RangeError("list index out of range");
  return lines[index];
}

/**
 * dynamic-tasks/01_call_soon_threadsafe: `do_sleep` scheduled with
 * `callSoonThreadsafe`: it blocks the Worker's event loop for `x` seconds,
 * then puts `msg` into the main thread's `queue`.
 */
export function doSleep(x: number, msg = ""): void {
  blockingSleep(x);
  parentLoop().callSoonThreadsafe(main.queuePut, msg);
}

/**
 * dynamic-tasks/02_run_coroutine_threadsafe: the async `do_sleep` run with
 * `runCoroutineThreadsafe`: it sleeps without blocking the Worker's event
 * loop, so two of them run at the same time.
 */
export async function doSleepAsync(x: number, msg = ""): Promise<void> {
  await sleep(x);
  parentLoop().callSoonThreadsafe(main.queuePut, msg);
}

// ------------------------------------------------ run on the main thread

/**
 * dynamic-tasks/01 and 02: the queue the main thread reads the Workers' messages from.
 * (Python's `queue.Queue` is shared by the threads; here each thread has
 * its own copy of this module, and only the main thread's is used.)
 */
export const queue: Queue<string> = new Queue<string>();

/** Puts `msg` into `queue`: called from a Worker through `parentLoop()`. */
export function queuePut(msg: string): void {
  queue.putNowait(msg);
}
