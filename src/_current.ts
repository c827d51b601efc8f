// The task running on `loop` right now, for the scopes (timeouts, task
// groups) that attach to it.
import { taskContext } from "./_context.ts";
import type { EventLoop } from "./events.ts";
import type { Task } from "./tasks.ts";

export function currentTaskOf(loop: EventLoop): Task<unknown> | null {
  const task = taskContext.getStore();
  return task !== undefined && task._loop === loop ? task : null;
}
