/**
 * `TaskGroup`: structured concurrency, Python's `asyncio.TaskGroup`,
 * written with `await using`.
 *
 * @module
 */
import { replaceError } from "./_replace_error.ts";
import { CancelledError, ExceptionGroup } from "./errors.ts";
import { type AbstractEventLoop, getRunningLoop } from "./events.ts";
import { type Future, kHasException } from "./futures.ts";
import {
  type CoroutineFunction,
  currentTask,
  kLastCancelError,
  type Task,
  type TaskOptions,
} from "./tasks.ts";

const NOTHING = Symbol("nothing to raise");

/**
 * A scope that owns tasks: leaving it waits for all of them; the first
 * failure cancels the others (and the scope's own task), and every error
 * is raised together as an {@link ExceptionGroup}.
 *
 * ```ts ignore
 * await using tg = new TaskGroup();
 * tg.createTask(() => work(1));
 * ```
 *
 * The group attaches to the current task when it is created. JavaScript
 * does not tell a disposer which error is leaving the scope, so an error
 * thrown by the scope's own code (not a child's) does not cancel the
 * children: they are awaited, then the error propagates. Cancellation of
 * the scope's task is detected and does cancel them, as in Python.
 *
 * @example Run tasks and collect results
 * ```ts
 * import { run, sleep, TaskGroup } from "@aio/asyncio";
 *
 * await run(async () => {
 *   let a, b;
 *   {
 *     await using tg = new TaskGroup();
 *     a = tg.createTask(() => sleep(0.01, "a"));
 *     b = tg.createTask(() => sleep(0.02, "b"));
 *   }
 *   console.log(a.result(), b.result()); // a b
 * });
 * ```
 */
export class TaskGroup implements AsyncDisposable {
  #loop: AbstractEventLoop;
  #parentTask: Task<unknown>;
  #parentCancelling: number;
  #lastCancelErrorAtEnter: CancelledError | null;
  #exiting = false;
  #aborting = false;
  #finished = false;
  #parentCancelRequested = false;
  #tasks = new Set<Task<unknown>>();
  #errors: unknown[] = [];
  #onCompleted: Future<boolean> | null = null;

  /** Enters the group in the current task. */
  constructor() {
    this.#loop = getRunningLoop();
    const task = currentTask(this.#loop);
    if (task === null) {
      throw new Error(
        "TaskGroup cannot determine the parent task: create it inside a task",
      );
    }
    this.#parentTask = task;
    this.#parentCancelling = task.cancelling();
    this.#lastCancelErrorAtEnter = task[kLastCancelError];
  }

  /** Starts a task owned by the group. */
  createTask<T>(
    coroutine: CoroutineFunction<T>,
    options: Omit<TaskOptions, "loop"> = {},
  ): Task<T> {
    if (this.#finished || (this.#exiting && this.#tasks.size === 0)) {
      throw new Error(
        "TaskGroup is finished: create a new TaskGroup to start more tasks",
      );
    }
    if (this.#aborting) throw new Error("TaskGroup is shutting down");
    const task = this.#loop.createTask(coroutine, options);
    if (task.done()) {
      this.#onTaskDone(task as Task<unknown>);
    } else {
      this.#tasks.add(task as Task<unknown>);
      task.addDoneCallback(this.#onTaskDone);
    }
    return task;
  }

  /** Leaves the scope: waits for every task (see the class notes). */
  async [Symbol.asyncDispose](): Promise<void> {
    const parent = this.#parentTask;
    // The scope's code is leaving with the CancelledError of a cancellation
    // requested while it ran (by us, after a child failed, or by others).
    const leaving = parent.cancelling() > this.#parentCancelling &&
        parent[kLastCancelError] !== this.#lastCancelErrorAtEnter
      ? parent[kLastCancelError]
      : null;
    const toRaise = await this.#exit(leaving ?? undefined, leaving !== null);
    if (toRaise === NOTHING || toRaise === leaving) return;
    if (leaving !== null && toRaise instanceof Error) {
      replaceError(leaving, toRaise);
      return;
    }
    throw toRaise;
  }

  // Python's `__aexit__`, for a caller that knows which error is leaving
  // the scope (`hasError`): returns what to raise instead, or NOTHING to
  // let it (or the normal exit) proceed.
  async #exit(error: unknown, hasError: boolean): Promise<unknown> {
    if (this.#finished) {
      throw new Error("TaskGroup is finished: it can be left only once");
    }
    this.#exiting = true;
    let propagateCancellation: unknown = hasError &&
        error instanceof CancelledError
      ? error
      : null;
    if (this.#parentCancelRequested) {
      // Our own cancellation of the parent (a child failed) is consumed here.
      if (this.#parentTask.uncancel() === 0) propagateCancellation = null;
    }
    if (hasError && !this.#aborting) this.#abort();
    while (this.#tasks.size > 0) {
      this.#onCompleted ??= this.#loop.createFuture<boolean>();
      try {
        await this.#onCompleted;
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
        if (!this.#aborting) {
          propagateCancellation = e;
          this.#abort();
        }
      }
      this.#onCompleted = null;
    }
    this.#finished = true;
    if (propagateCancellation !== null && this.#errors.length === 0) {
      return propagateCancellation;
    }
    if (hasError && !(error instanceof CancelledError)) {
      this.#errors.push(error);
    }
    if (this.#errors.length > 0) {
      const errors = this.#errors;
      this.#errors = [];
      return new ExceptionGroup("unhandled errors in a TaskGroup", errors);
    }
    return NOTHING;
  }

  /** Python's repr. */
  toString(): string {
    const info = [];
    if (this.#tasks.size) info.push(`tasks=${this.#tasks.size}`);
    if (this.#errors.length) info.push(`errors=${this.#errors.length}`);
    if (this.#aborting) info.push("cancelling");
    else if (!this.#finished) info.push("entered");
    return `<TaskGroup ${info.join(" ")}>`;
  }

  #abort(): void {
    this.#aborting = true;
    for (const task of this.#tasks) {
      if (!task.done()) task.cancel();
    }
  }

  // deno-lint-ignore no-explicit-any
  #onTaskDone = (task: Future<any>): void => {
    this.#tasks.delete(task as Task<unknown>);
    if (this.#onCompleted !== null && this.#tasks.size === 0) {
      if (!this.#onCompleted.done()) this.#onCompleted.setResult(true);
    }
    if (task.cancelled() || !task[kHasException]) return;
    const exc = task.exception();
    this.#errors.push(exc);
    if (this.#parentTask.done()) {
      this.#loop.callExceptionHandler({
        message:
          `Task ${task} has errored out but its parent task ${this.#parentTask} is already completed`,
        exception: exc,
        task: task as Task<unknown>,
      });
      return;
    }
    if (!this.#aborting && !this.#parentCancelRequested) {
      // Siblings are cancelled, and so is the parent, so that the scope's
      // own code stops at its next await and the group is left.
      this.#abort();
      this.#parentCancelRequested = true;
      this.#parentTask.cancel();
    }
  };
}
