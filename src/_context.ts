// The task each piece of code runs in. AsyncLocalStorage follows a task's
// coroutine across every await, so `currentTask()` and `Future.then` know
// which task is running or awaiting. Only tasks.ts enters it.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Awaiter } from "./futures.ts";

export const taskContext: AsyncLocalStorage<Awaiter> = new AsyncLocalStorage();

/**
 * Runs `fn` outside any task: host code (an I/O pump) started from a task
 * must not carry the task's context into its continuations.
 */
export function outsideTasks<T>(fn: () => T): T {
  return taskContext.exit(fn);
}
