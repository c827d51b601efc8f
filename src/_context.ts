// The task each piece of code runs in. AsyncLocalStorage follows a task's
// coroutine across every await, so `currentTask()` and `Future.then` know
// which task is running or awaiting.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Task } from "./tasks.ts";

export const taskContext: AsyncLocalStorage<Task<unknown>> =
  new AsyncLocalStorage();
