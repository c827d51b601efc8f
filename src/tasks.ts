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
import { coroName, pyRepr } from "./_repr.ts";
import {
  checkOptionalSeconds,
  checkSeconds,
  rangeError,
  startedPromiseError,
  typeError,
} from "./_validate.ts";
import { CancelledError, TimeoutError } from "./errors.ts";
import {
  type AbstractEventLoop,
  getEventLoop,
  getRunningLoop,
  Handle,
  internal,
  kArg,
  kCallSoon,
  kContextFree,
  kScheduleHandle,
  kTaskResumed,
  kTasks,
  kTaskSuspended,
  type LoopInternal,
  runningLoopOrNull,
  type TimerHandle,
} from "./events.ts";
import {
  contextFree,
  Future,
  kCancelledError,
  kHasException,
  kSuspendOn,
  kWake,
  type Waiter,
} from "./futures.ts";

// What the scopes (timeouts.ts, taskgroups.ts) read of a task: the
// CancelledError last thrown into its coroutine.
export const kLastCancelError: unique symbol = Symbol("lastCancelError");
const kYield: unique symbol = Symbol("yield");

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
 * Anything the waiting functions accept: a Future or Task, a promise or
 * thenable, or a coroutine function (wrapped in a task).
 *
 * @example Accept anything gather accepts
 * ```ts
 * import { type AwaitableLike, gather, run, sleep } from "@aio/asyncio";
 *
 * async function both(a: AwaitableLike<number>, b: AwaitableLike<number>) {
 *   const [x, y] = await gather(a, b);
 *   return x + y;
 * }
 * console.log(await run(() => both(() => sleep(0, 1), Promise.resolve(2)))); // 3
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
}

let taskCounter = 0;
const NO_OPTIONS: TaskOptions = {};

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
  readonly #loop: LoopInternal;
  // The future the coroutine awaits now (Python's _fut_waiter).
  #futWaiter: Future<unknown> | null = null;
  // A cancellation requested while awaiting nothing of the library: thrown
  // in at the next library await.
  #mustCancel = false;
  #cancelMessage: string | undefined = undefined;
  #numCancelsRequested = 0;
  // Position in the loop's list of pending tasks (-1 once done).
  #index = -1;
  #coro: CoroutineFunction<T>;
  #name: string | number;
  #abort: AbortController | null = null;
  #started = false;
  /** @ignore The CancelledError last thrown into the coroutine. */
  [kLastCancelError]: CancelledError | null = null;

  /** Creates and schedules a task; prefer {@link createTask}. */
  constructor(
    coroutine: CoroutineFunction<T>,
    options: TaskOptions = NO_OPTIONS,
    loop?: AbstractEventLoop,
  ) {
    if (typeof coroutine !== "function") {
      throw startedPromiseError("createTask", coroutine);
    }
    const l = internal(loop ?? options.loop ?? getRunningLoop());
    super(l);
    this.#loop = l;
    this.#coro = coroutine;
    this.#name = options.name ?? ++taskCounter;
    const tasks = l[kTasks];
    this.#index = tasks.length;
    tasks.push(this as Task<unknown>);
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
      Object.defineProperty(coro, "name", { value: coroName(coro) });
    }
    return coro;
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
    if (this.#numCancelsRequested === 0) this.#mustCancel = false;
    return this.#numCancelsRequested;
  }

  /**
   * An AbortSignal that aborts when the task is cancelled, so foreign I/O
   * (`fetch`, Deno APIs) stops with it.
   */
  get signal(): AbortSignal {
    if (this.#abort === null) {
      this.#abort = new AbortController();
      if (this.#numCancelsRequested > 0 || this.cancelled()) {
        this.#abort.abort(new CancelledError(this.#cancelMessage));
      }
    }
    return this.#abort.signal;
  }

  /**
   * Requests cancellation: the future the task awaits is cancelled, so a
   * `CancelledError` is thrown into the coroutine there; if it awaits
   * nothing of this library, its next library await throws. Returns false
   * if the task is already done.
   */
  override cancel(msg?: string): boolean {
    if (this.done()) return false;
    this.#numCancelsRequested++;
    this.#abort?.abort(new CancelledError(msg));
    if (this.#futWaiter !== null && this.#futWaiter.cancel(msg)) return true;
    this.#mustCancel = true;
    this.#cancelMessage = msg;
    return true;
  }

  /** Python's repr: `<Task pending name='Task-1' coro=<main()>>`. */
  override toString(): string {
    const info = this.reprInfo();
    if (this.#numCancelsRequested > 0 && !this.done()) info[0] = "cancelling";
    info.splice(
      1,
      0,
      `name=${pyRepr(this.getName())}`,
      `coro=<${coroName(this.#coro)}()>`,
    );
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
    if (future.getLoop() !== this.#loop) {
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
    if (this.#mustCancel && future.cancel(this.#cancelMessage)) {
      this.#mustCancel = false;
    }
    this.#loop[kTaskSuspended](this);
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
    if (this.done()) return;
    if (this.#mustCancel) {
      this.#mustCancel = false;
      at.fail(this.#throwCancel(this.#cancelledError()));
    } else if (awaited !== null && awaited.cancelled()) {
      at.fail(this.#throwCancel(awaited[kCancelledError]()));
    } else {
      at.settle();
    }
    this.#loop[kTaskResumed](this);
  }

  #throwCancel(error: CancelledError): CancelledError {
    this[kLastCancelError] = error;
    return error;
  }

  #cancelledError(): CancelledError {
    return new CancelledError(this.#cancelMessage);
  }

  // The handle that starts a task: like every step, it runs until the
  // task first suspends before the loop runs its next handle.
  static #firstStep(task: Task<unknown>): void {
    task.#loop[kTaskResumed](task);
    task.#step();
  }

  #step(): void {
    if (this.#started || this.done()) {
      this.#loop[kTaskSuspended](this);
      return;
    }
    this.#started = true;
    if (this.#mustCancel) {
      // Cancelled before its first step: the body never runs (Python throws
      // CancelledError into the coroutine before its first line).
      this.#mustCancel = false;
      this.#finishCancelled(this.#cancelledError());
      this.#loop[kTaskSuspended](this);
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
          `a coroutine function must return a promise, ${
            coroName(coro)
          }() returned ${pyRepr(promise)}; declare it async`,
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
    if (task.#mustCancel) {
      // Cancelled while finishing without another await: Python cancels it.
      task.#mustCancel = false;
      task.#finishCancelled(task.#cancelledError());
    } else {
      task.#unlist();
      Future.prototype.setResult.call(task, value);
    }
    task.#loop[kTaskSuspended](task);
  }

  static #failed(error: unknown): void {
    const task = taskContext.getStore() as Task<unknown>;
    task.#futWaiter = null;
    if (error instanceof CancelledError) {
      task.#finishCancelled(error);
    } else {
      task.#unlist();
      Future.prototype.setException.call(task, error);
    }
    task.#loop[kTaskSuspended](task);
  }

  #finishCancelled(error: CancelledError): void {
    this.#unlist();
    this.#cancelMessage = error.message || undefined;
    Future.prototype.cancel.call(this, this.#cancelMessage);
  }

  // Takes the task off its loop's list of pending tasks.
  #unlist(): void {
    const i = this.#index;
    if (i < 0) return;
    const tasks = this.#loop[kTasks];
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
  static [kYield]<V>(
    loop: LoopInternal,
    task: Task<unknown> | null,
    value: V,
  ): Promise<V> {
    const promise = new Promise<V>((resolve, reject) => {
      loop[kScheduleHandle](
        new YieldHandle(
          loop,
          Task.#wakeFromYield,
          task,
          value,
          resolve as (v: unknown) => void,
          reject,
        ),
      );
    });
    // The task suspends on the promise as soon as its synchronous code
    // ends, before the loop goes on (from a later microtask).
    if (task !== null) loop[kTaskSuspended](task);
    return promise;
  }

  static #wakeFromYield(handle: YieldHandle): void {
    if (handle.task === null) handle.settle();
    else handle.task.#resume(handle, null);
  }
}

// The pending `sleep(0)` of a task: one loop iteration, like Python's bare
// `yield`. It is its own handle in the ready queue, and a native promise
// costs less to await than a thenable.
class YieldHandle extends Handle implements Resumption {
  constructor(
    loop: LoopInternal,
    wake: (handle: YieldHandle) => void,
    readonly task: Task<unknown> | null,
    readonly value: unknown,
    readonly resolve: (value: unknown) => void,
    readonly reject: (reason: unknown) => void,
  ) {
    super(wake, [], loop);
    this[kArg] = this;
    this[kContextFree] = true;
  }

  settle(): void {
    this.resolve(this.value);
  }

  fail(error: unknown): void {
    this.reject(error);
  }
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
  coroutine: CoroutineFunction<T>,
  options: Omit<TaskOptions, "loop"> = {},
): Task<T> {
  if (typeof coroutine !== "function") {
    throw startedPromiseError("createTask", coroutine);
  }
  return new Task(coroutine, options, getRunningLoop());
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
  const task = taskContext.getStore() as Task<unknown> | undefined;
  // Python keeps a current task per loop: only the given loop's counts.
  return task !== undefined && task.getLoop() === (loop ?? runningLoopOrNull())
    ? task
    : null;
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
/** `ensureFuture` of a coroutine function or thenable: a new task. */
export function ensureFuture<T>(
  value: CoroutineFunction<T> | PromiseLike<T>,
  options?: { loop?: AbstractEventLoop },
): Task<T>;
export function ensureFuture<T>(
  value: Future<T> | CoroutineFunction<T> | PromiseLike<T>,
  options: { loop?: AbstractEventLoop } = {},
): Future<T> {
  if (value instanceof Promise) {
    throw startedPromiseError("ensureFuture", value);
  }
  return toFuture(value, options.loop, "ensureFuture");
}

/**
 * Like ensureFuture, but also accepts promises (the waiting functions do);
 * `caller` names the function in errors.
 */
export function toFuture<T>(
  value: AwaitableLike<T> | Future<T>,
  loop: AbstractEventLoop | undefined,
  caller: string,
): Future<T> {
  if (value instanceof Future) {
    if (loop !== undefined && value.getLoop() !== loop) {
      throw new RangeError(
        `${caller}(): the future belongs to a different loop than the one given`,
      );
    }
    return value;
  }
  const l = loop ?? runningLoopOrNull() ?? getEventLoop();
  if (typeof value === "function") return l.createTask(value);
  if (
    value !== null && typeof value === "object" &&
    typeof (value as PromiseLike<T>).then === "function"
  ) {
    const awaitable = value as PromiseLike<T>;
    return l.createTask(async function awaitable_wrapper() {
      return await awaitable;
    });
  }
  throw typeError(
    `${caller}()`,
    "the awaitable",
    "a Future, a Task, a promise or a coroutine function",
    value,
  );
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
export function sleep(delay: number): PromiseLike<void>;
/** `sleep` that resolves to `result`. */
export function sleep<T>(delay: number, result: T): PromiseLike<T>;
export function sleep<T>(delay: number, result?: T): PromiseLike<T> {
  checkSeconds("sleep()", "delay", delay);
  const loop = internal(getRunningLoop());
  if (delay <= 0) return Task[kYield](loop, currentTask(loop), result as T);
  return new SleepFuture(loop, delay, result as T);
}

class SleepFuture<T> extends Future<T> {
  #timer: TimerHandle | null;
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

  /** Made by {@link gather}. */
  constructor(
    children: Future<unknown>[],
    loop: AbstractEventLoop,
    returnExceptions = false,
  ) {
    super({ loop });
    this.#children = children;
    this.#returnExceptions = returnExceptions;
    const unique = new Set(children);
    this.#pending = unique.size;
    if (children.length === 0) {
      this.setResult([] as T);
      return;
    }
    const onChildDone = contextFree((child: Future<unknown>) =>
      this.#onChildDone(child)
    );
    for (const child of unique.size === children.length ? children : unique) {
      child.addDoneCallback(onChildDone);
    }
  }

  /** Cancels every child that is not done; true if any was. */
  override cancel(msg?: string): boolean {
    if (this.done()) return false;
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
    if (this.#cancelRequested) this.setException(new CancelledError());
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
  const loop = runningLoopOrNull() ?? getEventLoop();
  const seen = new Map<unknown, Future<unknown>>();
  const children: Future<unknown>[] = [];
  for (const arg of args) {
    // The same future (or promise) given twice is awaited once, as in
    // Python; a coroutine function given twice runs twice.
    let fut = typeof arg === "function" ? undefined : seen.get(arg);
    if (fut === undefined) {
      fut = toFuture(arg as AwaitableLike<unknown>, undefined, "gather");
      if (typeof arg !== "function") seen.set(arg, fut);
    }
    children.push(fut);
  }
  return new GatheringFuture<unknown[]>(
    children,
    children.length > 0 ? children[0].getLoop() : loop,
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
): Promise<[Set<F>, Set<F>]>;
/** `wait` on awaitables that are not all futures (coroutine functions are wrapped in tasks). */
export function wait<T>(
  fs: Iterable<Future<T> | AwaitableLike<T>>,
  options?: WaitOptions,
): Promise<[Set<Future<T>>, Set<Future<T>>]>;
export async function wait<T>(
  fs: Iterable<Future<T> | AwaitableLike<T>>,
  options: WaitOptions = {},
): Promise<[Set<Future<T>>, Set<Future<T>>]> {
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
  if (fs === null || typeof fs !== "object" || !(Symbol.iterator in fs)) {
    throw new TypeError(
      `wait() expects an iterable of futures, got ${pyRepr(fs)}`,
    );
  }
  const loop = getRunningLoop();
  const futures = new Set<Future<T>>();
  for (const f of fs) futures.add(toFuture(f, undefined, "wait"));
  if (futures.size === 0) {
    throw new RangeError(
      "Set of Tasks/Futures is empty: wait() needs at least one awaitable",
    );
  }
  const waiter = loop.createFuture<void>();
  let timer: TimerHandle | null = null;
  if (timeout !== null) {
    timer = loop.callLater(timeout, () => {
      if (!waiter.done()) waiter.setResult(undefined);
    });
  }
  let counter = futures.size;
  const onCompletion = contextFree((f: Future<T>): void => {
    counter--;
    if (
      counter <= 0 || returnWhen === FIRST_COMPLETED ||
      (returnWhen === FIRST_EXCEPTION && !f.cancelled() && f[kHasException])
    ) {
      timer?.cancel();
      if (!waiter.done()) waiter.setResult(undefined);
    }
  });
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

/**
 * Yields awaitables in completion order, Python's `as_completed`. Use it
 * with `for (const next of asCompleted(xs)) { await next }` like Python,
 * or directly with `for await (const result of asCompleted(xs))`. With a
 * `timeout`, an await raises `TimeoutError` once it has passed.
 *
 * @example
 * ```ts
 * import { asCompleted, run, sleep } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const xs = [() => sleep(0.02, "b"), () => sleep(0.01, "a")];
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
 * What {@link asCompleted} returns: an iterable of awaitables (one per
 * input, resolving in completion order) and an async iterable of results.
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
export class AsCompleted<T> implements Iterable<Promise<T>>, AsyncIterable<T> {
  #todo: Set<Future<T>>;
  #done: Future<T>[] = [];
  // A box, because awaiting a future whose result is a future would unwrap it.
  #waiters: Future<{ done: Future<T> } | null>[] = [];
  #timer: TimerHandle | null = null;
  #remaining: number;

  /** Made by {@link asCompleted}. */
  constructor(
    fs: Iterable<Future<T> | AwaitableLike<T>>,
    timeout: number | null | undefined,
  ) {
    const seconds = checkOptionalSeconds("asCompleted()", "timeout", timeout);
    if (fs === null || typeof fs !== "object" || !(Symbol.iterator in fs)) {
      throw new TypeError(
        `asCompleted() expects an iterable of awaitables, got ${pyRepr(fs)}`,
      );
    }
    const loop = runningLoopOrNull() ?? getEventLoop();
    this.#todo = new Set();
    for (const f of fs) this.#todo.add(toFuture(f, undefined, "asCompleted"));
    this.#remaining = this.#todo.size;
    for (const f of this.#todo) f.addDoneCallback(this.#onCompletion);
    if (seconds !== null && this.#todo.size > 0) {
      this.#timer = loop.callLater(seconds, this.#onTimeout);
    }
  }

  #onCompletion = contextFree((f: Future<T>): void => {
    if (!this.#todo.delete(f)) return;
    const waiter = this.#waiters.shift();
    if (waiter) waiter.setResult({ done: f });
    else this.#done.push(f);
    if (this.#todo.size === 0) this.#timer?.cancel();
  });

  #onTimeout = (): void => {
    for (const f of this.#todo) f.removeDoneCallback(this.#onCompletion);
    this.#todo.clear();
    for (const waiter of this.#waiters.splice(0)) {
      if (!waiter.done()) waiter.setResult(null);
    }
    this.#timedOut = true;
  };
  #timedOut = false;

  async #waitForOne(): Promise<T> {
    let f = this.#done.shift() ?? null;
    if (f === null) {
      if (this.#timedOut) throw new TimeoutError();
      const waiter = getRunningLoop().createFuture<
        { done: Future<T> } | null
      >();
      this.#waiters.push(waiter);
      const box = await waiter;
      if (box === null) throw new TimeoutError();
      f = box.done;
    }
    return f.result();
  }

  /** One awaitable per input; the k-th resolves with the k-th to finish. */
  *[Symbol.iterator](): Iterator<Promise<T>> {
    while (this.#remaining > 0) {
      this.#remaining--;
      yield this.#waitForOne();
    }
  }

  /** The results in completion order. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (this.#remaining > 0) {
      this.#remaining--;
      yield await this.#waitForOne();
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
  const onInnerDone = (f: Future<T>): void => {
    if (outer.cancelled()) {
      if (!f.cancelled()) f.exception(); // retrieved: not reported
      return;
    }
    if (f.cancelled()) outer.cancel();
    else if (f[kHasException]) outer.setException(f.exception());
    else outer.setResult(f.result());
  };
  inner.addDoneCallback(onInnerDone);
  outer.addDoneCallback(() => {
    if (!inner.done()) inner.removeDoneCallback(onInnerDone);
  });
  return outer;
}
