/**
 * `TaskGroup`: structured concurrency, Python's `asyncio.TaskGroup`, in two
 * forms: `await taskGroup(async (tg) => { ... })` sees the error leaving the
 * block and has Python's exact semantics (a failing block cancels the
 * children and joins the `ExceptionGroup`); `await using tg = new
 * TaskGroup()` cannot see it (JavaScript does not tell a disposer), so a
 * failing block there waits for the children instead of cancelling them.
 *
 * @module
 */
import { replaceError } from "./_replace_error.ts";
import { checkFunction } from "./_validate.ts";
import { Coroutine } from "./coroutines.ts";
import { CancelledError, ExceptionGroup, KeyboardInterrupt } from "./errors.ts";
import { type AbstractEventLoop, getRunningLoop } from "./events.ts";
import { awaitedThrough, type Future, kHasException } from "./futures.ts";
import {
  type CoroutineFunction,
  currentTask,
  kLastCancelError,
  type Task,
  type TaskOptions,
} from "./tasks.ts";

const NOTHING = Symbol("nothing to raise");
// The function form's way to leave the group, knowing the block's error.
const kExitWith: unique symbol = Symbol("exit with");
const kEnteredByBlock: unique symbol = Symbol("entered by block");

/**
 * A scope that owns tasks: leaving it waits for all of them; the first
 * failure cancels the others (and the block, by cancelling its task), and
 * every error is raised together as an {@link ExceptionGroup}. Prefer the
 * function form {@link taskGroup}, which sees the block's own error; with
 * `await using`, an error thrown by the block itself (not by a child, not a
 * cancellation) does not cancel the children: they are awaited, then the
 * error propagates.
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
  // A KeyboardInterrupt (Python's SystemExit too): raised alone, not in
  // the group.
  #baseError: unknown = null;
  #onCompleted: Future<boolean> | null = null;
  // `await using` entries seen (the function form counts as one).
  #entries = 0;

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
    // Its tasks are awaited by the task that entered it (the call graph).
    awaitedThrough(this.#onTaskDone, task);
    this.#parentCancelling = task.cancelling();
    this.#lastCancelErrorAtEnter = task[kLastCancelError];
  }

  /** Starts a task owned by the group (a coroutine function or object). */
  createTask<T>(
    coroutine: CoroutineFunction<T> | Coroutine<T>,
    options: Omit<TaskOptions, "loop"> = {},
  ): Task<T> {
    if (this.#finished || (this.#exiting && this.#tasks.size === 0)) {
      throw new Error(
        `TaskGroup ${this} is finished: create a new TaskGroup to start more tasks`,
      );
    }
    if (this.#aborting) {
      throw new Error(`TaskGroup ${this} is shutting down`);
    }
    const task = this.#loop.createTask(coroutine, options);
    if (task.done()) {
      this.#onTaskDone(task as Task<unknown>);
    } else {
      this.#tasks.add(task as Task<unknown>);
      task.addDoneCallback(this.#onTaskDone);
    }
    return task;
  }

  /**
   * Leaves an `await using` scope: waits for every task (see the class
   * notes for what it cannot see). Read once by the `await using` that
   * enters the group; a second one is Python's double enter.
   */
  get [Symbol.asyncDispose](): () => Promise<void> {
    if (++this.#entries > 1) {
      throw new Error(`TaskGroup ${this} has already been entered`);
    }
    return this.#dispose;
  }

  /** @ignore The function form entered it: no `await using` may. */
  [kEnteredByBlock](): void {
    this.#entries = 1;
  }

  #dispose = async (): Promise<void> => {
    const parent = this.#parentTask;
    // The block is leaving with the CancelledError of a cancellation
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
  };

  /** @ignore The function form's exit, which knows the block's error. */
  [kExitWith](error: unknown, hasError: boolean): Promise<unknown> {
    return this.#exit(error, hasError);
  }

  // Python 3.13's `__aexit__`, told which error (if `hasError`) is leaving
  // the block: returns what to raise instead, or NOTHING to let it (or the
  // normal exit) proceed.
  async #exit(error: unknown, hasError: boolean): Promise<unknown> {
    if (this.#finished) {
      throw new Error("TaskGroup is finished: it can be left only once");
    }
    this.#exiting = true;
    if (hasError && error instanceof KeyboardInterrupt) {
      this.#baseError ??= error;
    }
    let propagateCancellation: unknown = hasError &&
        error instanceof CancelledError
      ? error
      : null;
    if (hasError && !this.#aborting) {
      // The block failed, or the parent task is being cancelled.
      this.#abort();
    }
    // A loop: the wait can be cancelled again and again while the
    // children finish.
    while (this.#tasks.size > 0) {
      this.#onCompleted ??= this.#loop.createFuture<boolean>();
      try {
        await this.#onCompleted;
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
        if (!this.#aborting) {
          // The parent task is cancelled while the children still run.
          propagateCancellation = e;
          this.#abort();
        }
      }
      this.#onCompleted = null;
    }
    this.#finished = true;
    if (this.#baseError !== null) return this.#baseError;
    if (this.#parentCancelRequested) {
      // Our own cancellation of the parent (a child failed) is consumed
      // here; with none left, no CancelledError propagates (3.13: after
      // the children are done).
      if (this.#parentTask.uncancel() === 0) propagateCancellation = null;
    }
    if (propagateCancellation !== null && this.#errors.length === 0) {
      return propagateCancellation;
    }
    if (hasError && !(error instanceof CancelledError)) {
      this.#errors.push(error);
    }
    if (this.#errors.length > 0) {
      // Cancelled from outside too: uncancel and cancel again, which keeps
      // the count steady (3.13).
      if (this.#parentTask.cancelling() > 0) {
        this.#parentTask.uncancel();
        this.#parentTask.cancel();
      }
      const errors = this.#errors;
      this.#errors = [];
      return new ExceptionGroup("unhandled errors in a TaskGroup", errors);
    }
    return NOTHING;
  }

  /** Python's repr: `<TaskGroup tasks=1 errors=1 cancelling>`. */
  toString(): string {
    const info = [""];
    if (this.#tasks.size) info.push(`tasks=${this.#tasks.size}`);
    if (this.#errors.length) info.push(`errors=${this.#errors.length}`);
    if (this.#aborting) info.push("cancelling");
    else info.push("entered");
    return `<TaskGroup${info.join(" ")}>`;
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
    if (exc instanceof KeyboardInterrupt) this.#baseError ??= exc;
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
      // Siblings are cancelled, and so is the parent, so that the block
      // stops at its next await and the group is left.
      this.#abort();
      this.#parentCancelRequested = true;
      this.#parentTask.cancel();
    }
  };
}

/**
 * Runs `body` with a new {@link TaskGroup}, Python's `async with
 * asyncio.TaskGroup() as tg:`, and resolves to the body's result once every
 * task of the group is done. The first failure (a child's or the body's
 * own) cancels the rest, and all errors are raised together as one
 * {@link ExceptionGroup}.
 *
 * @example Children and the block together
 * ```ts
 * import { ExceptionGroup, run, sleep, taskGroup } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const results = await taskGroup(async (tg) => {
 *     const a = tg.createTask(() => sleep(0.01, "a"));
 *     const b = tg.createTask(() => sleep(0.02, "b"));
 *     return [a, b];
 *   });
 *   console.log(results.map((t) => t.result())); // [ "a", "b" ]
 *   try {
 *     await taskGroup(async (tg) => {
 *       tg.createTask(() => sleep(10)); // cancelled when the block fails
 *       throw new RangeError("the block failed");
 *     });
 *   } catch (e) {
 *     console.log(e instanceof ExceptionGroup, (e as ExceptionGroup).errors.length); // true 1
 *   }
 * });
 * ```
 */
export function taskGroup<T>(
  body: (tg: TaskGroup) => PromiseLike<T>,
): Coroutine<T> {
  checkFunction("taskGroup()", "body", body);
  return new Coroutine(runGroup<T>, null, body, "taskGroup");
}

async function runGroup<T>(
  body: (tg: TaskGroup) => PromiseLike<T>,
): Promise<T> {
  const tg = new TaskGroup();
  tg[kEnteredByBlock]();
  let result: T;
  try {
    result = await body(tg);
  } catch (error) {
    const toRaise = await tg[kExitWith](error, true);
    throw toRaise === NOTHING ? error : toRaise;
  }
  const toRaise = await tg[kExitWith](undefined, false);
  if (toRaise !== NOTHING) throw toRaise;
  return result;
}
