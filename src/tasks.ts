/**
 * Tasks and the functions that wait on them: `createTask`, `sleep`,
 * `gather`, `wait`, `asCompleted`, `shield`.
 *
 * Every decision about a task lives here: how `await future` suspends it
 * (`Task[kSuspendOn]`), how it resumes with a value or with its pending
 * cancellation (`Task#resume`, shared by future wake-ups and `sleep(0)`),
 * and which task is current.
 *
 * @module
 */
import { taskContext } from "./_context.ts";
import { Chain } from "./_chain.ts";
import { coroName, pyRepr } from "./_repr.ts";
import {
  checkOptionalSeconds,
  checkSeconds,
  rangeError,
  startedPromiseError,
  typeError,
} from "./_validate.ts";
import { Coroutine, kMarkStarted, kTakeBody } from "./coroutines.ts";
import {
  Context,
  contextVarsInUse,
  copyContext,
  kContextOf,
} from "./contextvars.ts";
import { CancelledError, InvalidStateError, TimeoutError } from "./errors.ts";
import {
  type AbstractEventLoop,
  getEventLoop,
  getRunningLoop,
  internal,
  kCallSoon,
  kContextFree,
  kPooled,
  kRun,
  kScheduleHandle,
  kSourceTrace,
  kTaskResumed,
  kTasks,
  kTaskSuspended,
  type LoopInternal,
  type ReadyItem,
  runningLoopOrNull,
  type TimerHandle,
} from "./events.ts";
import {
  awaitedThrough,
  contextFree,
  Future,
  kCancelledError,
  kCancelWith,
  kHasException,
  kLoop,
  kSuspendOn,
  kWake,
  type Waiter,
  wrapFuture,
} from "./futures.ts";
import { Queue } from "./queues.ts";

// What the scopes (timeouts.ts, taskgroups.ts) read of a task: the
// CancelledError last thrown into its coroutine.
export const kLastCancelError: unique symbol = Symbol("lastCancelError");
// What introspection (graph.ts, the task tree) reads of a task.
export const kAwaiting: unique symbol = Symbol("awaiting");
export const kSuspension: unique symbol = Symbol("suspension");
export const kStarted: unique symbol = Symbol("started");
const kYield: unique symbol = Symbol("yield");

// An abort reason as a cancellation message.
function abortMessage(reason: unknown): string | undefined {
  if (reason === undefined) return undefined;
  return reason instanceof Error ? reason.message : String(reason);
}

/**
 * A coroutine function: what starts a task.
 *
 * @example What starts a task
 * ```ts
 * import { type CoroutineFunction, run } from "@aio/asyncio";
 *
 * const main: CoroutineFunction<string> = async () => "result";
 * console.log(await run(main)); // result
 * ```
 */
export type CoroutineFunction<T> = () => PromiseLike<T>;

/**
 * Anything the waiting functions accept: a Future or Task, a coroutine
 * object (a library method's result, or a `coroutine()` function's), a
 * coroutine function (run in a task), or another thenable. A native
 * promise that is already running is refused: pass `() => work()`.
 *
 * @example Accept anything gather accepts
 * ```ts
 * import { type AwaitableLike, gather, run, sleep } from "@aio/asyncio";
 *
 * async function both(a: AwaitableLike<number>, b: AwaitableLike<number>) {
 *   const [x, y] = await gather(a, b);
 *   return x + y;
 * }
 * console.log(await run(() => both(() => sleep(0, 1), sleep(0, 2)))); // 3
 * ```
 */
export type AwaitableLike<T> = PromiseLike<T> | CoroutineFunction<T>;

/**
 * The value an {@link AwaitableLike} produces.
 *
 * @example The value of a coroutine function
 * ```ts
 * import type { AwaitedOf } from "@aio/asyncio";
 *
 * type Value = AwaitedOf<() => Promise<number>>; // number
 * const v: Value = 1;
 * console.log(v);
 * ```
 */
export type AwaitedOf<A> = A extends () => infer R ? Awaited<R> : Awaited<A>;

/**
 * Options for creating a task.
 *
 * @example A named task
 * ```ts
 * import { createTask, run } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const task = createTask(async () => 1, { name: "worker-1" });
 *   console.log(task.getName(), await task); // worker-1 1
 * });
 * ```
 */
export interface TaskOptions {
  /** The task's name (default `Task-N`). */
  name?: string;
  /** The loop to run on (default: the running loop). */
  loop?: AbstractEventLoop;
  /**
   * Run the first step now, inside `createTask`, instead of on the next
   * loop iteration (Python 3.12's eager tasks).
   */
  eagerStart?: boolean;
  /**
   * The context the task runs in (default: a copy of the creator's),
   * Python's `context=`: its context variables' values.
   */
  context?: Context;
  /**
   * Cancels the task when it aborts, with the abort reason as the
   * cancellation message; already aborted, the task never starts.
   */
  signal?: AbortSignal;
}

/**
 * What `loop.setTaskFactory` takes: makes the task for `createTask`
 * (Python's task factory, `(loop, coro, **kwargs)`).
 *
 * @example Count the tasks a loop makes
 * ```ts
 * import { run, Task, type TaskFactory, getRunningLoop } from "@aio/asyncio";
 *
 * let made = 0;
 * const counting: TaskFactory = (loop, coro, options) => {
 *   made++;
 *   return new Task(coro, options, loop);
 * };
 * await run(async () => {
 *   getRunningLoop().setTaskFactory(counting);
 *   await getRunningLoop().createTask(async () => 1);
 * });
 * console.log(made); // 1
 * ```
 */
export type TaskFactory = (
  loop: AbstractEventLoop,
  coroutine: CoroutineFunction<unknown> | Coroutine<unknown>,
  options: Omit<TaskOptions, "loop">,
) => Task<unknown>;

let taskCounter = 0;
// Task's own #resume, for a `sleep(0)` step (set by the class).
let resumeFromYield: (task: Task<unknown>, step: YieldStep) => void;
let recordYield: (task: Task<unknown>) => void;
const STARTED = 1;
const MUST_CANCEL = 2;

/** Where and when a task last suspended (debug mode). */
export interface Suspension {
  /** `new Error().stack` at the suspension. */
  stack: string;
  /** The loop's time then. */
  at: number;
}
const suspensions = new WeakMap<Task<unknown>, Suspension>();

// What a task rarely needs, made on first use.
interface TaskExtra {
  // The name of a coroutine object's function (a function's own otherwise).
  coroName: string | null;
  // Its context variables (made when first used, if not given).
  context: Context | null;
  abort: AbortController | null;
  cancelMessage: string | undefined;
  lastCancelError: CancelledError | null;
}
const NO_OPTIONS: TaskOptions = Object.freeze({});

// How a task resumes: with the awaited outcome, or with an error thrown in
// at the await instead (its pending cancellation).
interface Resumption {
  settle(): void;
  fail(error: unknown): void;
}

/**
 * A coroutine function running on the event loop, Python's `asyncio.Task`.
 * A Task is a Future: await it, cancel it, add done-callbacks.
 *
 * Cancellation follows Python: `cancel()` throws exactly one
 * `CancelledError` into the coroutine at the library await it is suspended
 * on (or its next one), and the coroutine may catch it, clean up, and
 * re-raise. `signal` aborts on cancel, for foreign APIs like `fetch`.
 *
 * @example Create, cancel and await a task
 * ```ts
 * import { CancelledError, createTask, run, sleep } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const task = createTask(() => sleep(1), { name: "sleeper" });
 *   await sleep(0);
 *   task.cancel();
 *   try {
 *     await task;
 *   } catch (e) {
 *     console.log(e instanceof CancelledError, task.cancelled()); // true true
 *   }
 * });
 * ```
 */
export class Task<T = unknown> extends Future<T> {
  // Few fields (with Future's, eleven): a hundred thousand tasks are
  // common, and what most never use waits in `#extra`.
  // The future the coroutine awaits now (Python's _fut_waiter).
  #futWaiter: Future<unknown> | null = null;
  // STARTED, and MUST_CANCEL: a cancellation requested while awaiting
  // nothing of the library, thrown in at the next library await.
  #flags = 0;
  #numCancelsRequested = 0;
  // Position in the loop's list of pending tasks (-1 once done).
  #index = -1;
  #coro: CoroutineFunction<T>;
  #name: string | number;
  #extra: TaskExtra | null = null;

  /** Creates and schedules a task; prefer {@link createTask}. */
  constructor(
    coroutine: CoroutineFunction<T> | Coroutine<T>,
    options: TaskOptions = NO_OPTIONS,
    loop?: AbstractEventLoop,
  ) {
    let coro: CoroutineFunction<T>;
    let name: string | null = null;
    if (coroutine instanceof Coroutine) {
      coro = takeBody(coroutine, "createTask");
      name = coroutine.name;
    } else coro = coroutine;
    if (typeof coro !== "function") {
      throw startedPromiseError("createTask", coro);
    }
    const l = internal(loop ?? options.loop ?? getRunningLoop());
    super(l);
    this.#coro = coro;
    if (name !== null) this.#extras().coroName = name;
    if (
      options.context !== undefined && !(options.context instanceof Context)
    ) {
      throw typeError(
        "createTask()",
        "options.context",
        "a Context",
        options.context,
      );
    }
    const context = options.context ??
      (contextVarsInUse() ? copyContext() : null);
    if (context !== null) this.#extras().context = context;
    this.#name = options.name !== undefined
      ? String(options.name)
      : ++taskCounter;
    const tasks = l[kTasks];
    this.#index = tasks.length;
    tasks.push(this as Task<unknown>);
    if (options.signal !== undefined) this.#follow(options.signal);
    if (options.eagerStart) this.#step();
    else l[kCallSoon](Task.#firstStep, this, true);
  }

  /** The task's name: `Task-1` unless one was given. */
  getName(): string {
    const name = this.#name;
    return typeof name === "number" ? `Task-${name}` : name;
  }

  /** Renames the task. */
  setName(name: string): void {
    this.#name = String(name);
  }

  /**
   * The coroutine function the task runs. An anonymous arrow function such
   * as `() => work(1)` is given the name of the function it calls (`work`),
   * as Python names a coroutine after its function.
   */
  getCoro(): CoroutineFunction<T> {
    const coro = this.#coro;
    if (coro.name === "") {
      Object.defineProperty(coro, "name", {
        value: this.#extra?.coroName ?? coroName(coro),
      });
    }
    return coro;
  }

  // An outside AbortSignal cancels the task (the reason as message).
  #follow(signal: AbortSignal): void {
    if (!(signal instanceof AbortSignal)) {
      throw typeError(
        "createTask()",
        "options.signal",
        "an AbortSignal",
        signal,
      );
    }
    const cancel = () => this.cancel(abortMessage(signal.reason));
    if (signal.aborted) {
      cancel();
      return;
    }
    signal.addEventListener("abort", cancel, { once: true });
    this.addDoneCallback(() => signal.removeEventListener("abort", cancel));
  }

  /** The context the task runs in, Python's `Task.get_context()`. */
  getContext(): Context {
    return this.#extras().context ??= new Context();
  }

  /** @ignore The context its code runs in (contextvars.ts asks). */
  [kContextOf](): Context {
    return this.#extras().context ??= new Context();
  }

  /** @ignore The future the task is suspended on now, if any. */
  get [kAwaiting](): Future<unknown> | null {
    return this.#futWaiter;
  }

  /** @ignore Whether its first step ran. */
  get [kStarted](): boolean {
    return (this.#flags & STARTED) !== 0;
  }

  /**
   * @ignore Debug mode: the async stack and loop time of its suspension,
   * while it is suspended (on a future or in `sleep(0)`).
   */
  get [kSuspension](): Suspension | null {
    return suspensions.get(this) ?? null;
  }

  #recordSuspension(): void {
    suspensions.set(this, {
      stack: new Error().stack ?? "",
      at: this[kLoop].time(),
    });
  }

  /** @ignore The CancelledError last thrown into the coroutine. */
  get [kLastCancelError](): CancelledError | null {
    return this.#extra?.lastCancelError ?? null;
  }

  /** @ignore */
  set [kLastCancelError](error: CancelledError | null) {
    if (error !== null || this.#extra !== null) {
      this.#extras().lastCancelError = error;
    }
  }

  #extras(): TaskExtra {
    return this.#extra ??= {
      coroName: null,
      context: null,
      abort: null,
      cancelMessage: undefined,
      lastCancelError: null,
    };
  }

  /** How many cancellation requests are pending (not uncancelled). */
  cancelling(): number {
    return this.#numCancelsRequested;
  }

  /**
   * Takes back one cancellation request; returns how many remain. When
   * none remain, a cancellation not yet delivered is dropped too.
   */
  uncancel(): number {
    if (this.#numCancelsRequested > 0) this.#numCancelsRequested--;
    if (this.#numCancelsRequested === 0) {
      this.#flags &= ~MUST_CANCEL;
      // The cancellation was taken back (a timeout caught it): the next
      // read of `signal` gives a fresh one, so that the task's next fetch
      // is not aborted before it starts.
      const extra = this.#extra;
      if (extra !== null && extra.abort?.signal.aborted) extra.abort = null;
    }
    return this.#numCancelsRequested;
  }

  /**
   * An AbortSignal that aborts when the task is cancelled, so foreign I/O
   * (`fetch`, Deno APIs) stops with it.
   */
  get signal(): AbortSignal {
    const extra = this.#extras();
    if (extra.abort === null) {
      extra.abort = new AbortController();
      if (this.#numCancelsRequested > 0 || this.cancelled()) {
        extra.abort.abort(new CancelledError(extra.cancelMessage));
      }
    }
    return extra.abort.signal;
  }

  /**
   * Requests cancellation: the future the task awaits is cancelled, so a
   * `CancelledError` is thrown into the coroutine there; if it awaits
   * nothing of this library, its next library await throws. Returns false
   * if the task is already done.
   */
  override cancel(msg?: string): boolean {
    if (this.done()) {
      // A failed task counts as seen once someone tried to cancel it.
      if (!this.cancelled() && this[kHasException]) this.exception();
      return false;
    }
    this.#numCancelsRequested++;
    const abort = this.#extra?.abort;
    if (abort) {
      // Foreign I/O given the signal rejects with this very error.
      const reason = new CancelledError(msg);
      this[kLastCancelError] = reason;
      abort.abort(reason);
    }
    if (this.#futWaiter !== null && this.#futWaiter.cancel(msg)) return true;
    this.#flags |= MUST_CANCEL;
    if (msg !== undefined || this.#extra !== null) {
      this.#extras().cancelMessage = msg;
    }
    return true;
  }

  /** Python's repr: `<Task pending name='Task-1' coro=<main()>>`. */
  override toString(): string {
    const info = this.reprInfo();
    if (this.#numCancelsRequested > 0 && !this.done()) info[0] = "cancelling";
    const extra = [
      `name=${pyRepr(this.getName())}`,
      `coro=<${this.#extra?.coroName ?? coroName(this.#coro)}()>`,
    ];
    if (this.#futWaiter !== null) extra.push(`wait_for=${this.#futWaiter}`);
    info.splice(1, 0, ...extra);
    return `<Task ${info.join(" ")}>`;
  }

  /** Tasks finish by running; use `cancel()` to stop one. */
  override setResult(_result: T): never {
    throw new Error("Task does not support setResult() operation");
  }

  /** Tasks finish by running; use `cancel()` to stop one. */
  override setException(_exception: unknown): never {
    throw new Error("Task does not support setException() operation");
  }

  /**
   * @ignore `await future` in this task's coroutine: the task suspends on
   * it (cancelling the task cancels it) and is woken when it is done.
   */
  [kSuspendOn](future: Future<unknown>, waiter: Waiter): void {
    // Code that runs on after its task ended awaits like plain code.
    if (this.done()) return;
    if (future.getLoop() !== this[kLoop]) {
      waiter.fail(
        new Error(
          `Task ${this} got Future ${future} attached to a different loop: ` +
            `create futures with the running loop (getRunningLoop().createFuture())`,
        ),
      );
      return;
    }
    if (future === (this as Future<unknown>)) {
      waiter.fail(new Error(`Task cannot await on itself: ${this}`));
      return;
    }
    waiter.awaiter = this;
    this.#futWaiter = future;
    // Debug mode keeps where and when each task last suspended (V8's
    // async stack trace runs through the awaits up to the task's
    // coroutine): the call graph's frames and the task tree's times.
    const loop = this[kLoop];
    if (loop.getDebug()) this.#recordSuspension();
    if (
      (this.#flags & MUST_CANCEL) !== 0 &&
      future.cancel(this.#extra?.cancelMessage)
    ) {
      this.#flags &= ~MUST_CANCEL;
    }
    loop[kTaskSuspended](this);
  }

  /** @ignore The future this task awaited is done: resume the coroutine. */
  [kWake](waiter: Waiter): void {
    const future = waiter.future;
    if (this.#futWaiter === future) this.#futWaiter = null;
    this.#resume(waiter, future);
  }

  /**
   * Resumes the coroutine at its await: with the pending cancellation if
   * there is one, with a CancelledError if the awaited future was
   * cancelled, else with the awaited outcome. The loop then waits for the
   * step to end before it runs its next handle.
   */
  #resume(at: Resumption, awaited: Future<unknown> | null): void {
    if (this.done()) {
      // Its future was settled from outside (setResult on the Future
      // prototype): the coroutine can never finish it. The loop reports
      // this handle's error, as CPython reports `__step()`'s.
      throw new InvalidStateError(`__step(): already done: ${this}`);
    }
    // Resumed before the outcome is delivered: a wait that must go on
    // suspends the task again at once (`[kRepark]`).
    const loop = this[kLoop];
    loop[kTaskResumed](this);
    if (loop.getDebug()) suspensions.delete(this);
    if ((this.#flags & MUST_CANCEL) !== 0) {
      this.#flags &= ~MUST_CANCEL;
      at.fail(this.#throwCancel(this.#cancelledError()));
    } else if (awaited !== null && awaited.cancelled()) {
      at.fail(this.#throwCancel(awaited[kCancelledError]()));
    } else {
      if (
        this.#numCancelsRequested > 0 && awaited !== null &&
        awaited[kHasException]
      ) {
        // A cancellation reaching the coroutine as an awaited future's
        // error (a gather cancelled with the task, say): a scope that
        // cannot see errors (`await using` timeouts) still recognises it.
        const error = awaited.exception();
        if (error instanceof CancelledError) this[kLastCancelError] = error;
      }
      at.settle();
    }
  }

  #throwCancel(error: CancelledError): CancelledError {
    this[kLastCancelError] = error;
    return error;
  }

  #cancelledError(): CancelledError {
    return new CancelledError(this.#extra?.cancelMessage);
  }

  // The handle that starts a task: like every step, it runs until the
  // task first suspends before the loop runs its next handle.
  static #firstStep(task: Task<unknown>): void {
    if (task.done() && (task.#flags & STARTED) === 0) {
      // Settled from outside before it ran (setResult on the Future
      // prototype): reported by the loop, as CPython's `__step()`.
      task.#unlist();
      throw new InvalidStateError(`__step(): already done: ${task}, None`);
    }
    task[kLoop][kTaskResumed](task);
    task.#step();
  }

  #step(): void {
    if ((this.#flags & STARTED) !== 0 || this.done()) {
      this[kLoop][kTaskSuspended](this);
      return;
    }
    this.#flags |= STARTED;
    if ((this.#flags & MUST_CANCEL) !== 0) {
      // Cancelled before its first step: the body never runs (Python throws
      // CancelledError into the coroutine before its first line).
      this.#flags &= ~MUST_CANCEL;
      this.#finishCancelled(this.#cancelledError());
      this[kLoop][kTaskSuspended](this);
      return;
    }
    taskContext.run(this, Task.#startCoroutine, this.#coro);
  }

  // Starts a task's coroutine inside the task's async context. The
  // handlers run in that context too, so they find their task without a
  // closure.
  static #startCoroutine(coro: CoroutineFunction<unknown>): void {
    let promise;
    try {
      promise = coro();
    } catch (error) {
      Task.#failed(error);
      return;
    }
    if (
      promise === null || typeof promise !== "object" ||
      typeof promise.then !== "function"
    ) {
      Task.#failed(
        new TypeError(
          `a coroutine was expected: ${coroName(coro)}() returned ${
            pyRepr(promise)
          }, not a promise; declare it async`,
        ),
      );
      return;
    }
    // A native promise's handlers run in the context `then` was called in
    // (this task's); a library awaitable is adopted by one first, so that
    // the task is what awaits it.
    (promise instanceof Promise ? promise : Promise.resolve(promise)).then(
      Task.#succeeded,
      Task.#failed,
    );
  }

  static #succeeded(value: unknown): void {
    const task = taskContext.getStore() as Task<unknown>;
    task.#futWaiter = null;
    if (task.done()) return task.#endedTwice(value, false);
    if ((task.#flags & MUST_CANCEL) !== 0) {
      // Cancelled while finishing without another await: Python cancels it.
      task.#flags &= ~MUST_CANCEL;
      task.#finishCancelled(task.#cancelledError());
    } else {
      task.#unlist();
      Future.prototype.setResult.call(task, value);
    }
    task[kLoop][kTaskSuspended](task);
  }

  static #failed(error: unknown): void {
    const task = taskContext.getStore() as Task<unknown>;
    task.#futWaiter = null;
    if (task.done()) return task.#endedTwice(error, true);
    if (error instanceof CancelledError) {
      task.#finishCancelled(error);
    } else {
      task.#unlist();
      Future.prototype.setException.call(task, error);
    }
    task[kLoop][kTaskSuspended](task);
  }

  // The coroutine ended after the task's future was settled from outside:
  // reported, as CPython's next `__step()` raises InvalidStateError.
  #endedTwice(outcome: unknown, failed: boolean): void {
    this[kLoop].callExceptionHandler({
      message: `Exception in callback Task.__step()`,
      exception: new InvalidStateError(
        `__step(): already done: ${this}, ${failed ? pyRepr(outcome) : "None"}`,
      ),
      task: this as Task<unknown>,
    });
    this[kLoop][kTaskSuspended](this);
  }

  #finishCancelled(error: CancelledError): void {
    this.#unlist();
    if (error.message || this.#extra !== null) {
      this.#extras().cancelMessage = error.message || undefined;
    }
    this[kCancelWith](error);
  }

  // Takes the task off its loop's list of pending tasks.
  #unlist(): void {
    const i = this.#index;
    if (i < 0) return;
    const tasks = this[kLoop][kTasks];
    const last = tasks.pop()!;
    if (last !== (this as Task<unknown>)) {
      tasks[i] = last;
      last.#index = i;
    }
    this.#index = -1;
  }

  /**
   * @ignore `sleep(0)` from `task` (or from code outside any task): a
   * promise the loop settles one iteration later, resuming the task as a
   * future's wake-up does.
   */
  static [kYield](
    loop: LoopInternal,
    task: Task<unknown> | null,
    value: unknown,
    onFulfilled?: ((value: unknown) => unknown) | null,
    onRejected?: ((reason: unknown) => unknown) | null,
  ): Chain {
    const step = new YieldStep(task, value, onFulfilled, onRejected);
    loop[kScheduleHandle](step);
    if (task !== null && loop.getDebug()) recordYield(task);
    // The task suspends on it as soon as its synchronous code ends, before
    // the loop goes on (from a later microtask).
    if (task !== null) loop[kTaskSuspended](task);
    return step;
  }

  static {
    resumeFromYield = (task, step) => task.#resume(step, null);
    recordYield = (task) => task.#recordSuspension();
  }
}

// The pending `sleep(0)` of a task: one loop iteration, like Python's bare
// `yield`. It is both the item in the ready queue and what the await's
// `then` returned (one object per yield).
class YieldStep extends Chain implements ReadyItem, Resumption {
  constructor(
    readonly task: Task<unknown> | null,
    readonly value: unknown,
    onFulfilled: ((value: unknown) => unknown) | null | undefined,
    onRejected: ((reason: unknown) => unknown) | null | undefined,
  ) {
    super(onFulfilled, onRejected);
  }

  // It runs no user code: it may run in any async context.
  get [kContextFree](): boolean {
    return true;
  }

  get [kPooled](): boolean {
    return false;
  }

  get [kSourceTrace](): null {
    return null;
  }

  cancelled(): boolean {
    return false;
  }

  [kRun](): void {
    if (this.task === null) this.settle();
    else resumeFromYield(this.task, this);
  }

  settle(): void {
    this.succeed(this.value);
  }

  override toString(): string {
    return this.task === null
      ? "<Handle sleep()>"
      : `<Handle ${this.task.getName()}.__wakeup()>`;
  }
}

// `sleep(0)`: a coroutine (lazy, and run in a task by gather and the
// others), awaited without an async frame: `then` schedules the yield for
// the awaiting task and hands the await's own handlers to it.
class YieldCoroutine<T> extends Coroutine<T> {
  readonly #loop: LoopInternal;
  readonly #result: T;

  constructor(loop: LoopInternal, result: T) {
    super(
      yieldOnce as (this: LoopInternal, r: T) => PromiseLike<T>,
      loop,
      result,
      "sleep",
    );
    this.#loop = loop;
    this.#result = result;
  }

  override then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    // Started already (awaited, or handed to a task): Coroutine's then
    // explains.
    if (!this[kMarkStarted]()) return super.then(onFulfilled, onRejected);
    return Task[kYield](
      this.#loop,
      currentTask(this.#loop),
      this.#result,
      onFulfilled as (value: unknown) => unknown,
      onRejected,
    ) as Promise<R1 | R2>;
  }
}

// The body of `sleep(0)` when a task runs it.
function yieldOnce(this: LoopInternal, result: unknown): PromiseLike<unknown> {
  return Task[kYield](this, currentTask(this), result);
}

/**
 * Wraps a coroutine function in a task on the running loop and schedules
 * it. Pass the function, not its promise: `createTask(() => work(1))`.
 *
 * @example Run two coroutines concurrently
 * ```ts
 * import { createTask, run, sleep } from "@aio/asyncio";
 *
 * async function a() { await sleep(0.01); return "a"; }
 * async function b() { await sleep(0.02); return "b"; }
 *
 * await run(async () => {
 *   const task1 = createTask(a);
 *   const task2 = createTask(b);
 *   console.log(await task1, await task2); // a b
 * });
 * ```
 */
export function createTask<T>(
  coroutine: CoroutineFunction<T> | Coroutine<T>,
  options: Omit<TaskOptions, "loop"> = NO_OPTIONS,
): Task<T> {
  if (typeof coroutine !== "function" && !(coroutine instanceof Coroutine)) {
    throw startedPromiseError("createTask", coroutine);
  }
  return getRunningLoop().createTask(coroutine, options);
}

/** The task running the calling code on `loop`, or null (never throws). */
export function taskOf(loop: AbstractEventLoop): Task<unknown> | null {
  const task = taskContext.getStore();
  return task instanceof Task && task.getLoop() === loop ? task : null;
}

/**
 * Returns the task the calling code runs in on `loop` (default: the
 * running loop), or null: in callbacks, outside the loop, or in a task of
 * another loop.
 *
 * @example
 * ```ts
 * import { currentTask, run } from "@aio/asyncio";
 *
 * await run(async function main() {
 *   console.log(currentTask()?.getName()); // Task-1 (or the next number)
 * });
 * ```
 */
export function currentTask(loop?: AbstractEventLoop): Task<unknown> | null {
  // Python keeps a current task per loop: only the given loop's counts
  // (and with none given, the running one, which must exist).
  const l = loop ?? getRunningLoop();
  const task = taskContext.getStore() as Task<unknown> | undefined;
  return task !== undefined && task.getLoop() === l ? task : null;
}

/**
 * The tasks of the running loop (or `loop`) that are not done yet.
 *
 * @example
 * ```ts
 * import { allTasks, createTask, run, sleep } from "@aio/asyncio";
 *
 * await run(async () => {
 *   createTask(() => sleep(0.01), { name: "worker" });
 *   console.log([...allTasks()].map((t) => t.getName()).sort()); // [ "Task-1", "worker" ] or similar
 * });
 * ```
 */
export function allTasks(loop?: AbstractEventLoop): Set<Task<unknown>> {
  return new Set(internal(loop ?? getRunningLoop())[kTasks]);
}

/**
 * Returns a Future for `value`: a Future or Task as it is, a coroutine
 * function wrapped in a task, any other thenable wrapped in a task that
 * awaits it. A promise that is already running is a TypeError: pass a
 * coroutine function instead.
 *
 * @example
 * ```ts
 * import { ensureFuture, run } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const task = ensureFuture(async () => 1);
 *   console.log(await task); // 1
 * });
 * ```
 */
export function ensureFuture<F extends Future<unknown>>(
  value: F,
  options?: { loop?: AbstractEventLoop },
): F;
/** `ensureFuture` of a coroutine (function or object) or thenable: a task. */
export function ensureFuture<T>(
  value: CoroutineFunction<T> | PromiseLike<T>,
  options?: { loop?: AbstractEventLoop },
): Task<T>;
export function ensureFuture<T>(
  value: Future<T> | CoroutineFunction<T> | PromiseLike<T>,
  options: { loop?: AbstractEventLoop } = {},
): Future<T> {
  return toFuture(value, options.loop, "ensureFuture");
}

/**
 * What the functions that run or wait take, as a future: a Future as it
 * is, a coroutine (function or object) in a new task, a ConcurrentFuture
 * or another foreign thenable wrapped. A started native promise is
 * refused with the `() => work()` fix, everywhere alike: nothing could
 * cancel it, and its awaits would belong to the caller's task.
 */
export function toFuture<T>(
  value: AwaitableLike<T> | Future<T>,
  loop: AbstractEventLoop | undefined,
  caller: string,
): Future<T> {
  if (value instanceof Future) {
    if (loop !== undefined && value.getLoop() !== loop) {
      // CPython's words (its tests compare them).
      throw new RangeError(
        "The future belongs to a different loop than the one specified as the loop argument",
      );
    }
    return value;
  }
  if (value instanceof Promise) throw startedPromiseError(caller, value);
  const isThenable = value !== null && typeof value === "object" &&
    typeof (value as PromiseLike<T>).then === "function";
  if (typeof value !== "function" && !isThenable) {
    throw typeError(
      `${caller}()`,
      "the awaitable",
      "a Future, a Task, a coroutine or a coroutine function",
      value,
    );
  }
  const l = loop ?? runningLoopOrNull() ?? getEventLoop();
  if (typeof value === "function") return l.createTask(value);
  if (value instanceof Coroutine) return l.createTask(takeBody(value, caller));
  // A ConcurrentFuture or a foreign thenable, awaited in a task through a
  // future of this loop: cancelling the task cancels at once (the outcome
  // is dropped when it comes; a ConcurrentFuture's job is cancelled too).
  const awaitable = value as PromiseLike<T>;
  return l.createTask(function awaitable_wrapper() {
    return wrapFuture(awaitable, { loop: l });
  });
}

/** The body of a coroutine object not started yet, for a task to run. */
export function takeBody<T>(
  coro: Coroutine<T>,
  caller: string,
): CoroutineFunction<T> {
  const body = coro[kTakeBody]();
  if (body === null) {
    throw new TypeError(
      `${caller}(): ${coro} has already started (it was awaited or handed to a task); ` +
        `pass a new one, or the task it runs in`,
    );
  }
  return body;
}

/**
 * Suspends the calling task for `delay` seconds, then resolves to
 * `result`. `sleep(0)` yields to the loop for exactly one iteration.
 *
 * @example
 * ```ts
 * import { run, sleep } from "@aio/asyncio";
 *
 * await run(async () => {
 *   console.log(await sleep(0.01, "done")); // done
 * });
 * ```
 */
export function sleep(delay: number): Future<void> | Coroutine<void>;
/** `sleep` that resolves to `result`. */
export function sleep<T>(delay: number, result: T): Future<T> | Coroutine<T>;
export function sleep<T>(delay: number, result?: T): Future<T> | Coroutine<T> {
  checkSeconds("sleep()", "delay", delay);
  const loop = internal(getRunningLoop());
  if (delay <= 0) return new YieldCoroutine(loop, result as T);
  return new SleepFuture(loop, delay, result as T);
}

class SleepFuture<T> extends Future<T> {
  #timer: TimerHandle | null;
  /** A `Future` to the user, as CPython's sleep makes. */
  override toString(): string {
    return `<Future ${this.reprInfo().join(" ")}>`;
  }
  constructor(loop: AbstractEventLoop, delay: number, result: T) {
    super({ loop });
    this.#timer = loop.callLater(delay, this.#fire, result);
  }
  #fire = (result: T): void => {
    this.#timer = null;
    if (!this.done()) this.setResult(result);
  };
  override cancel(msg?: string): boolean {
    this.#timer?.cancel();
    this.#timer = null;
    return super.cancel(msg);
  }
}

/**
 * Options for {@link gather}.
 *
 * @example Collect errors with the results
 * ```ts
 * import { gather, run } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const results = await gather(
 *     async () => 1,
 *     async () => { throw new RangeError("bad"); },
 *     { returnExceptions: true },
 *   );
 *   console.log(results[0], results[1] instanceof RangeError); // 1 true
 * });
 * ```
 */
export interface GatherOptions {
  /** Put errors in the results instead of raising the first one. */
  returnExceptions?: boolean;
}

/**
 * The results of `gather(...awaitables)`, in order.
 *
 * @example The tuple gather resolves to
 * ```ts
 * import type { GatherResults } from "@aio/asyncio";
 *
 * type R = GatherResults<[() => Promise<number>, Promise<string>]>; // [number, string]
 * const r: R = [1, "a"];
 * console.log(r);
 * ```
 */
export type GatherResults<A extends readonly unknown[]> = {
  -readonly [K in keyof A]: AwaitedOf<A[K]>;
};
/**
 * The results of `gather(...awaitables, { returnExceptions: true })`.
 *
 * @example The tuple gather resolves to with returnExceptions
 * ```ts
 * import type { GatherResultsOrErrors } from "@aio/asyncio";
 *
 * type R = GatherResultsOrErrors<[() => Promise<number>]>; // [number | Error]
 * const r: R = [new Error("failed")];
 * console.log(r[0] instanceof Error); // true
 * ```
 */
export type GatherResultsOrErrors<A extends readonly unknown[]> = {
  -readonly [K in keyof A]: AwaitedOf<A[K]> | Error;
};

function isOptionsObject(value: unknown): value is GatherOptions {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) &&
    typeof (value as { then?: unknown }).then !== "function";
}

// Children arrays gather() made of distinct futures (new tasks, or
// coroutine objects each run once): no need to look for repeats.
const distinctChildren = new WeakSet<Future<unknown>[]>();

/**
 * The future `gather` returns. Cancelling it cancels every child that is
 * not done.
 *
 * @example
 * ```ts
 * import { gather, run, sleep } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const all = gather(() => sleep(10), () => sleep(10));
 *   await sleep(0);
 *   console.log(all.cancel()); // true
 *   await all.then(undefined, () => {});
 * });
 * ```
 */
export class GatheringFuture<T> extends Future<T> {
  readonly #children: Future<unknown>[];
  readonly #returnExceptions: boolean;
  #pending: number;
  #cancelRequested = false;

  /** Made by {@link gather}: `children` in order, each distinct one once. */
  constructor(
    children: Future<unknown>[],
    loop: AbstractEventLoop,
    returnExceptions = false,
  ) {
    super({ loop });
    this.#children = children;
    this.#returnExceptions = returnExceptions;
    // gather() knows when every child is a new task; others are checked.
    const unique = distinctChildren.has(children)
      ? children
      : [...new Set(children)];
    this.#pending = unique.length;
    if (children.length === 0) {
      this.setResult([] as T);
      return;
    }
    // The children are awaited by the task that called gather (Python
    // 3.14's call graph).
    const onChildDone = awaitedThrough(
      contextFree((child: Future<unknown>) => this.#onChildDone(child)),
      taskOf(loop),
    );
    const done: Future<unknown>[] = [];
    for (const child of unique) {
      if (child.done()) done.push(child);
      else child.addDoneCallback(onChildDone);
    }
    // As CPython: children done already count at once.
    for (const child of done) this.#onChildDone(child);
  }

  /** Cancels every child that is not done; true if any was. */
  override cancel(msg?: string): boolean {
    if (this.done()) {
      // A failed task counts as seen once someone tried to cancel it.
      if (!this.cancelled() && this[kHasException]) this.exception();
      return false;
    }
    let ret = false;
    for (const child of this.#children) {
      if (child.cancel(msg)) ret = true;
    }
    if (ret) this.#cancelRequested = true;
    return ret;
  }

  #onChildDone(child: Future<unknown>): void {
    this.#pending--;
    if (this.done()) {
      if (!child.cancelled()) child.exception(); // retrieved: not reported
      return;
    }
    if (!this.#returnExceptions) {
      if (child.cancelled()) {
        this.setException(child[kCancelledError]());
        return;
      }
      if (child[kHasException]) {
        this.setException(child.exception());
        return;
      }
    }
    if (this.#pending > 0) return;
    const children = this.#children;
    const results = new Array(children.length);
    for (let i = 0; i < children.length; i++) {
      const c = children[i];
      if (c.cancelled()) results[i] = c[kCancelledError]();
      else if (c[kHasException]) results[i] = c.exception();
      else results[i] = c.result();
    }
    // Cancelled through gather: the cancellation (and its message) of the
    // child that finished last, as CPython.
    if (this.#cancelRequested) this.setException(child[kCancelledError]());
    else this.setResult(results as T);
  }
}

/**
 * Runs awaitables concurrently and resolves to their results, in the order
 * given (a typed tuple). Coroutine functions are wrapped in tasks. The
 * first error is raised unless `returnExceptions` puts errors in the
 * results. Cancelling the gather cancels the children; a cancelled child
 * makes the gather raise `CancelledError`.
 *
 * @example
 * ```ts
 * import { gather, run, sleep } from "@aio/asyncio";
 *
 * async function taskFunc(n: number) {
 *   await sleep(0.01);
 *   return `task${n}`;
 * }
 *
 * await run(async () => {
 *   const [a, b] = await gather(() => taskFunc(1), () => taskFunc(2));
 *   console.log(a, b); // task1 task2
 * });
 * ```
 */
export function gather<A extends readonly AwaitableLike<unknown>[]>(
  ...args: [...A, GatherOptions & { returnExceptions: true }]
): GatheringFuture<GatherResultsOrErrors<A>>;
/** `gather` with an options object whose `returnExceptions` is not known to be true. */
export function gather<A extends readonly AwaitableLike<unknown>[]>(
  ...args: [...A, GatherOptions]
): GatheringFuture<GatherResults<A>>;
/** `gather` without options: the first error is raised. */
export function gather<A extends readonly AwaitableLike<unknown>[]>(
  ...args: A
): GatheringFuture<GatherResults<A>>;
export function gather(
  ...args: unknown[]
): GatheringFuture<unknown[]> {
  let returnExceptions = false;
  if (args.length > 0 && isOptionsObject(args[args.length - 1])) {
    returnExceptions = !!(args.pop() as GatherOptions).returnExceptions;
  }
  if (args.length === 1 && Array.isArray(args[0])) {
    throw new TypeError(
      "gather() takes awaitables as separate arguments: write gather(...list), not gather(list)",
    );
  }
  const seen = new Map<unknown, Future<unknown>>();
  const children: Future<unknown>[] = new Array(args.length);
  let loop: AbstractEventLoop | undefined;
  let distinct = true;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    // The same future (or coroutine object) given twice is awaited once, as
    // in Python; a coroutine function given twice runs twice.
    let fut = typeof arg === "function" ? undefined : seen.get(arg);
    if (fut === undefined) {
      fut = toFuture(arg as AwaitableLike<unknown>, loop, "gather");
      loop ??= fut.getLoop();
      if (typeof arg !== "function") seen.set(arg, fut);
    } else distinct = false;
    children[i] = fut;
  }
  if (distinct) distinctChildren.add(children);
  return new GatheringFuture<unknown[]>(
    children,
    loop ?? runningLoopOrNull() ?? getEventLoop(),
    returnExceptions,
  );
}

/**
 * Return when any future finishes or is cancelled.
 *
 * @example Return as soon as one finishes
 * ```ts
 * import { FIRST_COMPLETED, run, sleep, wait } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const [done, pending] = await wait([() => sleep(0.01), () => sleep(0.05)], {
 *     returnWhen: FIRST_COMPLETED,
 *   });
 *   console.log(done.size, pending.size); // 1 1
 *   await wait(pending);
 * });
 * ```
 */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/**
 * Return when any future fails (or all finish).
 *
 * @example Return at the first failure
 * ```ts
 * import { FIRST_EXCEPTION, run, sleep, wait } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const [done, pending] = await wait([
 *     async () => { throw new Error("fails"); },
 *     () => sleep(0.05),
 *   ], { returnWhen: FIRST_EXCEPTION });
 *   console.log(done.size, pending.size); // 1 1
 *   for (const f of done) console.log((f.exception() as Error).message); // fails
 *   await wait(pending);
 * });
 * ```
 */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/**
 * Return when all futures finish.
 *
 * @example Wait for everything (the default)
 * ```ts
 * import { ALL_COMPLETED, run, sleep, wait } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const [done] = await wait([() => sleep(0.01), () => sleep(0.02)], {
 *     returnWhen: ALL_COMPLETED,
 *   });
 *   console.log(done.size); // 2
 * });
 * ```
 */
export const ALL_COMPLETED = "ALL_COMPLETED";

/**
 * When {@link wait} returns.
 *
 * @example A variable choice of when to return
 * ```ts
 * import { FIRST_COMPLETED, type ReturnWhen, run, sleep, wait } from "@aio/asyncio";
 *
 * const when: ReturnWhen = FIRST_COMPLETED;
 * await run(async () => {
 *   const [done, pending] = await wait([() => sleep(0.01)], { returnWhen: when });
 *   console.log(done.size, pending.size); // 1 0
 * });
 * ```
 */
export type ReturnWhen =
  | typeof FIRST_COMPLETED
  | typeof FIRST_EXCEPTION
  | typeof ALL_COMPLETED;

/**
 * Options for {@link wait}.
 *
 * @example Wait at most a moment
 * ```ts
 * import { run, sleep, wait } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const slow = [() => sleep(0.05)];
 *   const [done, pending] = await wait(slow, { timeout: 0.01 });
 *   console.log(done.size, pending.size); // 0 1
 *   await wait(pending);
 * });
 * ```
 */
export interface WaitOptions {
  /** Seconds to wait at most (null: no limit). */
  timeout?: number | null;
  /** When to return (default `ALL_COMPLETED`). */
  returnWhen?: ReturnWhen;
}

/**
 * Waits for futures until `returnWhen` is met or `timeout` passes, and
 * returns `[done, pending]` sets. Nothing is cancelled on timeout.
 * Coroutine functions are wrapped in tasks.
 *
 * @example
 * ```ts
 * import { createTask, FIRST_COMPLETED, run, sleep, wait } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const fast = createTask(() => sleep(0.01, "fast"));
 *   const slow = createTask(() => sleep(1, "slow"));
 *   const [done, pending] = await wait([fast, slow], { returnWhen: FIRST_COMPLETED });
 *   console.log(done.size, pending.size); // 1 1
 *   slow.cancel();
 * });
 * ```
 */
export function wait<F extends Future<unknown>>(
  fs: Iterable<F>,
  options?: WaitOptions,
): Coroutine<[Set<F>, Set<F>]>;
/** `wait` on awaitables that are not all futures (coroutine functions are wrapped in tasks). */
export function wait<T>(
  fs: Iterable<Future<T> | AwaitableLike<T>>,
  options?: WaitOptions,
): Coroutine<[Set<Future<T>>, Set<Future<T>>]>;
export function wait<T>(
  fs: Iterable<Future<T> | AwaitableLike<T>>,
  options: WaitOptions = {},
): Coroutine<[Set<Future<T>>, Set<Future<T>>]> {
  const timeout = checkOptionalSeconds("wait()", "timeout", options.timeout);
  const returnWhen = options.returnWhen ?? ALL_COMPLETED;
  if (
    returnWhen !== FIRST_COMPLETED && returnWhen !== FIRST_EXCEPTION &&
    returnWhen !== ALL_COMPLETED
  ) {
    throw rangeError(
      "wait()",
      "returnWhen",
      "FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED",
      returnWhen,
    );
  }
  if (
    fs === null || typeof fs !== "object" || !(Symbol.iterator in fs) ||
    isThenable(fs)
  ) {
    throw typeError("wait()", "fs", "an iterable of futures or tasks", fs);
  }
  const items = [...new Set(fs)];
  for (const f of items) {
    if (f instanceof Coroutine) {
      // As Python's wait(): the task it would run in would be out of reach.
      throw new TypeError(
        `wait(): passing coroutine objects is forbidden, as in Python: ` +
          `pass createTask(${f}) instead`,
      );
    }
    if (f instanceof Promise) throw startedPromiseError("wait", f);
  }
  if (items.length === 0) {
    throw new RangeError(
      "wait(): the set of futures is empty: pass at least one awaitable",
    );
  }
  return new Coroutine(waitBody<T>, null, [items, timeout, returnWhen], "wait");
}

async function waitBody<T>(
  [items, timeout, returnWhen]: [
    (Future<T> | AwaitableLike<T>)[],
    number | null,
    ReturnWhen,
  ],
): Promise<[Set<Future<T>>, Set<Future<T>>]> {
  const loop = getRunningLoop();
  const futures = new Set<Future<T>>();
  for (const f of items) futures.add(toFuture(f, undefined, "wait"));
  const waiter = loop.createFuture<void>();
  let timer: TimerHandle | null = null;
  if (timeout !== null) {
    timer = loop.callLater(timeout, () => {
      if (!waiter.done()) waiter.setResult(undefined);
    });
  }
  let counter = futures.size;
  const onCompletion = awaitedThrough(
    contextFree((f: Future<T>): void => {
      counter--;
      if (
        counter <= 0 || returnWhen === FIRST_COMPLETED ||
        (returnWhen === FIRST_EXCEPTION && !f.cancelled() && f[kHasException])
      ) {
        timer?.cancel();
        if (!waiter.done()) waiter.setResult(undefined);
      }
    }),
    taskOf(loop),
  );
  for (const f of futures) f.addDoneCallback(onCompletion);
  try {
    await waiter;
  } finally {
    timer?.cancel();
    for (const f of futures) f.removeDoneCallback(onCompletion);
  }
  const done = new Set<Future<T>>();
  const pending = new Set<Future<T>>();
  for (const f of futures) (f.done() ? done : pending).add(f);
  return [done, pending];
}

function isThenable(value: unknown): boolean {
  return value !== null && typeof value === "object" &&
    typeof (value as PromiseLike<unknown>).then === "function";
}

/**
 * Runs awaitables concurrently and hands back their results in completion
 * order, Python's `as_completed`. As a plain iterator (`for (const next of
 * asCompleted(xs)) await next`) it yields coroutines, each resolving with
 * the result (or raising the error) of the next awaitable to finish when
 * it is awaited. As an async iterator (`for await (const result of
 * asCompleted(xs))`) it yields the results. (Python 3.13's async iteration
 * yields the futures; a future is a thenable, which `for await` would
 * unwrap, so here it yields what awaiting them gives.) With a `timeout`,
 * `TimeoutError` is raised once it has passed; nothing is cancelled.
 *
 * @example
 * ```ts
 * import { asCompleted, run, sleep } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const xs = [() => sleep(0.02, "b"), () => sleep(0.01, "a")];
 *   for (const next of asCompleted(xs)) console.log(await next); // a, then b
 *   for await (const r of asCompleted(xs)) console.log(r); // a, then b
 * });
 * ```
 */
export function asCompleted<T>(
  fs: Iterable<Future<T> | AwaitableLike<T>>,
  options: { timeout?: number | null } = {},
): AsCompleted<T> {
  return new AsCompleted(fs, options.timeout);
}

/**
 * What {@link asCompleted} returns: an iterable of coroutines (the k-th
 * awaited resolves with the next result) and an async iterable of the
 * results as they come.
 *
 * @example
 * ```ts
 * import { asCompleted, run, sleep } from "@aio/asyncio";
 *
 * await run(async () => {
 *   for (const next of asCompleted([() => sleep(0.01, 1)])) {
 *     console.log(await next); // 1
 *   }
 * });
 * ```
 */
export class AsCompleted<T>
  implements Iterable<Coroutine<T>>, AsyncIterable<T> {
  // Finished futures, boxed (an await would unwrap a future to its
  // result), and null for the timeout (Python's _done queue).
  readonly #done = new Queue<{ future: Future<T> } | null>();
  readonly #todo: Set<Future<T>>;
  #timer: TimerHandle | null = null;
  #left: number;

  /** Made by {@link asCompleted}. */
  constructor(
    fs: Iterable<Future<T> | AwaitableLike<T>>,
    timeout: number | null | undefined,
  ) {
    const seconds = checkOptionalSeconds("asCompleted()", "timeout", timeout);
    if (
      fs === null || typeof fs !== "object" || !(Symbol.iterator in fs) ||
      isThenable(fs)
    ) {
      throw typeError(
        "asCompleted()",
        "fs",
        "an iterable of awaitables",
        fs,
      );
    }
    const items = [...new Set(fs)];
    for (const f of items) {
      if (f instanceof Promise) throw startedPromiseError("asCompleted", f);
    }
    const loop = runningLoopOrNull() ?? getEventLoop();
    this.#todo = new Set();
    for (const f of items) this.#todo.add(toFuture(f, loop, "asCompleted"));
    this.#left = this.#todo.size;
    awaitedThrough(this.#onCompletion, taskOf(loop));
    for (const f of this.#todo) f.addDoneCallback(this.#onCompletion);
    if (seconds !== null && this.#todo.size > 0) {
      this.#timer = loop.callLater(seconds, this.#onTimeout);
    }
  }

  #onCompletion = contextFree((f: Future<T>): void => {
    if (!this.#todo.delete(f)) return; // the timeout was here first
    this.#done.putNowait({ future: f });
    if (this.#todo.size === 0) this.#timer?.cancel();
  });

  #onTimeout = (): void => {
    for (const f of this.#todo) {
      f.removeDoneCallback(this.#onCompletion);
      this.#done.putNowait(null);
    }
    this.#todo.clear();
  };

  async #waitForOne(): Promise<{ future: Future<T> }> {
    const box = await this.#done.get();
    if (box === null) throw new TimeoutError();
    return box;
  }

  async #resultOfNext(): Promise<T> {
    return (await this.#waitForOne()).future.result();
  }

  /** One coroutine per input; the k-th awaited gives the next result. */
  *[Symbol.iterator](): Iterator<Coroutine<T>> {
    while (this.#left > 0) {
      this.#left--;
      yield new Coroutine(this.#resultOfNext, this, undefined, "waitForOne");
    }
  }

  /** The results, as they come. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (this.#left > 0) {
      this.#left--;
      yield (await this.#waitForOne()).future.result();
    }
  }
}

/**
 * Protects an awaitable from cancellation: cancelling the caller (or the
 * returned future) does not cancel the inner task, which keeps running.
 *
 * @example
 * ```ts
 * import { createTask, run, shield, sleep } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const task = createTask(() => sleep(0.01, "inner result"));
 *   const shielded = shield(task);
 *   shielded.cancel();
 *   console.log(await task); // inner result
 * });
 * ```
 */
export function shield<T>(aw: Future<T> | AwaitableLike<T>): Future<T> {
  const inner = toFuture(aw, undefined, "shield");
  if (inner.done()) return inner;
  const outer = new Future<T>({ loop: inner.getLoop() });
  const onInnerDone = awaitedThrough((f: Future<T>): void => {
    if (outer.cancelled()) {
      if (!f.cancelled()) f.exception(); // retrieved: not reported
      return;
    }
    if (f.cancelled()) outer.cancel();
    else if (f[kHasException]) outer.setException(f.exception());
    else outer.setResult(f.result());
  }, taskOf(inner.getLoop()));
  inner.addDoneCallback(onInnerDone);
  outer.addDoneCallback(() => {
    if (!inner.done()) inner.removeDoneCallback(onInnerDone);
  });
  return outer;
}
