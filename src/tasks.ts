/**
 * Tasks and the functions that wait on them: `createTask`, `sleep`,
 * `gather`, `wait`, `waitFor`, `asCompleted`, `shield`.
 *
 * @module
 */
import { taskContext } from "./_context.ts";
import { coroName, pyRepr } from "./_repr.ts";
import { CancelledError, TimeoutError } from "./errors.ts";
import {
  _getRunningLoop,
  _yield,
  type EventLoop,
  getEventLoop,
  getRunningLoop,
  startedPromiseError,
  type TimerHandle,
} from "./events.ts";
import { _contextFree, Future } from "./futures.ts";
import { Timeout } from "./timeouts.ts";

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
  loop?: EventLoop;
  /**
   * Run the first step now, inside `createTask`, instead of on the next
   * loop iteration (Python 3.12's eager tasks).
   */
  eagerStart?: boolean;
}

let taskCounter = 0;
const NO_OPTIONS: TaskOptions = {};

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
  /** @internal */ _futWaiter: Future<unknown> | null = null;
  /** @internal */ _mustCancel = false;
  /** @internal */ _numCancelsRequested = 0;
  /** @internal */ _lastCancelError: CancelledError | null = null;
  /** @internal Position in the loop's task list (-1 when done). */
  _index = -1;
  #coro: CoroutineFunction<T>;
  #name: string | number;
  #abort: AbortController | null = null;
  #started = false;

  /** Creates and schedules a task; prefer {@link createTask}. */
  constructor(
    coroutine: CoroutineFunction<T>,
    options: TaskOptions = NO_OPTIONS,
    loop?: EventLoop,
  ) {
    if (typeof coroutine !== "function") {
      throw startedPromiseError("createTask", coroutine);
    }
    super(loop ?? options.loop ?? getRunningLoop());
    this.#coro = coroutine;
    this.#name = options.name ?? ++taskCounter;
    this._loop._addTask(this as Task<unknown>);
    if (options.eagerStart) this._step();
    else this._loop._callSoonInternal(stepTask, this, true);
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
    return this._numCancelsRequested;
  }

  /**
   * Takes back one cancellation request; returns how many remain. When
   * none remain, a cancellation not yet delivered is dropped too.
   */
  uncancel(): number {
    if (this._numCancelsRequested > 0) this._numCancelsRequested--;
    if (this._numCancelsRequested === 0) this._mustCancel = false;
    return this._numCancelsRequested;
  }

  /**
   * An AbortSignal that aborts when the task is cancelled, so foreign I/O
   * (`fetch`, Deno APIs) stops with it.
   */
  get signal(): AbortSignal {
    if (this.#abort === null) {
      this.#abort = new AbortController();
      if (this._numCancelsRequested > 0 || this.cancelled()) {
        this.#abort.abort(new CancelledError(this._cancelMessage));
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
    this._numCancelsRequested++;
    this.#abort?.abort(new CancelledError(msg));
    if (this._futWaiter !== null && this._futWaiter.cancel(msg)) return true;
    this._mustCancel = true;
    this._cancelMessage = msg;
    return true;
  }

  /** Python's repr: `<Task pending name='Task-1' coro=<main()>>`. */
  override toString(): string {
    const info = this._reprInfo();
    if (this._numCancelsRequested > 0 && !this.done()) info[0] = "cancelling";
    info.splice(
      1,
      0,
      `name=${pyRepr(this.getName())}`,
      `coro=<${coroName(this.#coro)}()>`,
    );
    return `<Task ${info.join(" ")}>`;
  }

  /** @internal Records the CancelledError thrown into the coroutine. */
  _throwCancel(error: CancelledError): CancelledError {
    this._lastCancelError = error;
    return error;
  }

  /** @internal The first (and only explicit) step: start the coroutine. */
  _step(): void {
    if (this.#started || this.done()) {
      this._loop._taskSuspended(this as Task<unknown>);
      return;
    }
    this.#started = true;
    if (this._mustCancel) {
      // Cancelled before its first step: the body never runs (Python throws
      // CancelledError into the coroutine before its first line).
      this._mustCancel = false;
      this.#finishCancelled(this._makeCancelledError());
      this._loop._taskSuspended(this as Task<unknown>);
      return;
    }
    taskContext.run(this as Task<unknown>, startCoroutine, this.#coro);
  }

  /** @internal */
  _onFulfilled(value: T): void {
    this._futWaiter = null;
    if (this._mustCancel) {
      // Cancelled while finishing without another await: Python cancels it.
      this._mustCancel = false;
      this.#finishCancelled(this._makeCancelledError());
    } else {
      this._loop._removeTask(this as Task<unknown>);
      super.setResult(value);
    }
    this._loop._taskSuspended(this as Task<unknown>);
  }

  /** @internal */
  _onRejected(error: unknown): void {
    this._futWaiter = null;
    if (error instanceof CancelledError) {
      this.#finishCancelled(error);
    } else {
      this._loop._removeTask(this as Task<unknown>);
      super.setException(error);
    }
    this._loop._taskSuspended(this as Task<unknown>);
  }

  #finishCancelled(error: CancelledError): void {
    this._loop._removeTask(this as Task<unknown>);
    this._cancelMessage = error.message || undefined;
    super.cancel(this._cancelMessage);
  }

  /** Tasks finish by running; use `cancel()` to stop one. */
  override setResult(_result: T): never {
    throw new Error("Task does not support setResult() operation");
  }

  /** Tasks finish by running; use `cancel()` to stop one. */
  override setException(_exception: unknown): never {
    throw new Error("Task does not support setException() operation");
  }
}

// Starts a task's coroutine inside the task's async context. The handlers
// run in that context too, so they find their task without a closure.
function startCoroutine(coro: CoroutineFunction<unknown>): void {
  let promise;
  try {
    promise = coro();
  } catch (error) {
    taskFailed(error);
    return;
  }
  if (
    promise === null || typeof promise !== "object" ||
    typeof promise.then !== "function"
  ) {
    taskFailed(
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
    taskSucceeded,
    taskFailed,
  );
}

function taskSucceeded(value: unknown): void {
  taskContext.getStore()!._onFulfilled(value);
}

function taskFailed(error: unknown): void {
  taskContext.getStore()!._onRejected(error);
}

// The handle that starts a task: like every step, it runs until the task
// first suspends before the loop runs its next handle.
function stepTask(task: Task<unknown>): void {
  task._loop._resumeTask(task);
  task._step();
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
 * Returns the task the calling code runs in, or null (in callbacks and
 * outside the loop).
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
export function currentTask(): Task<unknown> | null {
  const task = taskContext.getStore();
  // Python keeps a current task per loop: only the running loop's counts.
  return task !== undefined && task._loop === _getRunningLoop() ? task : null;
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
export function allTasks(loop?: EventLoop): Set<Task<unknown>> {
  const l = loop ?? getRunningLoop();
  return new Set(l._tasks);
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
  options?: { loop?: EventLoop },
): F;
/** `ensureFuture` of a coroutine function or thenable: a new task. */
export function ensureFuture<T>(
  value: CoroutineFunction<T> | PromiseLike<T>,
  options?: { loop?: EventLoop },
): Task<T>;
export function ensureFuture<T>(
  value: Future<T> | CoroutineFunction<T> | PromiseLike<T>,
  options: { loop?: EventLoop } = {},
): Future<T> {
  if (value instanceof Promise) {
    throw startedPromiseError("ensureFuture", value);
  }
  return toFuture(value, options.loop, "ensureFuture");
}

/**
 * @internal Like ensureFuture, but also accepts promises (the waiting
 * functions do); `caller` names the function in errors.
 */
export function toFuture<T>(
  value: AwaitableLike<T> | Future<T>,
  loop: EventLoop | undefined,
  caller: string,
): Future<T> {
  if (value instanceof Future) {
    if (loop !== undefined && value._loop !== loop) {
      throw new RangeError(
        `${caller}(): the future belongs to a different loop than the one given`,
      );
    }
    return value;
  }
  const l = loop ?? _getRunningLoop() ?? getEventLoop();
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
  throw new TypeError(
    `${caller}(): an awaitable (Future, Task, promise) or a coroutine function is required, got ${
      pyRepr(value)
    }`,
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
  if (typeof delay !== "number") {
    throw new TypeError(
      `sleep() takes a number of seconds, got ${pyRepr(delay)}`,
    );
  }
  if (Number.isNaN(delay)) {
    throw new RangeError("sleep() length must not be NaN");
  }
  const loop = getRunningLoop();
  if (delay <= 0) return _yield(loop, result as T);
  return new SleepFuture(loop, delay, result as T);
}

class SleepFuture<T> extends Future<T> {
  #timer: TimerHandle | null;
  constructor(loop: EventLoop, delay: number, result: T) {
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
  /** @internal */ _children: Future<unknown>[];
  /** @internal */ _cancelRequested = false;

  /** @internal Use {@link gather}. */
  constructor(children: Future<unknown>[], loop: EventLoop) {
    super({ loop });
    this._children = children;
  }

  /** Cancels every child that is not done; true if any was. */
  override cancel(msg?: string): boolean {
    if (this.done()) return false;
    let ret = false;
    for (const child of this._children) {
      if (child.cancel(msg)) ret = true;
    }
    if (ret) this._cancelRequested = true;
    return ret;
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
  const loop = _getRunningLoop() ?? getEventLoop();
  const seen = new Map<unknown, Future<unknown>>();
  const children: Future<unknown>[] = [];
  let duplicates = 0;
  for (const arg of args) {
    // The same future (or promise) given twice is awaited once, as in
    // Python; a coroutine function given twice runs twice.
    let fut = typeof arg === "function" ? undefined : seen.get(arg);
    if (fut === undefined) {
      fut = toFuture(arg as AwaitableLike<unknown>, undefined, "gather");
      if (typeof arg !== "function") seen.set(arg, fut);
    } else {
      duplicates++;
    }
    children.push(fut);
  }
  const outer = new GatheringFuture<unknown[]>(
    children,
    children.length > 0 ? children[0]._loop : loop,
  );
  if (children.length === 0) {
    outer.setResult([]);
    return outer;
  }
  const uniqueCount = children.length - duplicates;
  let finished = 0;
  const onChildDone = _contextFree((fut: Future<unknown>): void => {
    finished++;
    if (outer.done()) {
      if (!fut.cancelled()) fut._markRetrieved();
      return;
    }
    if (!returnExceptions) {
      if (fut.cancelled()) {
        outer._setExceptionRaw(fut._makeCancelledError());
        return;
      }
      if (fut._hasException) {
        fut._markRetrieved();
        outer._setExceptionRaw(fut._exception);
        return;
      }
    }
    if (finished === uniqueCount) {
      const results = new Array(children.length);
      for (let i = 0; i < children.length; i++) {
        const child = children[i];
        if (child.cancelled()) {
          results[i] = child._makeCancelledError();
        } else if (child._hasException) {
          child._markRetrieved();
          results[i] = child._exception;
        } else {
          results[i] = child._result;
        }
      }
      if (outer._cancelRequested) {
        outer._setExceptionRaw(new CancelledError());
      } else {
        outer.setResult(results);
      }
    }
  });
  for (const fut of duplicates === 0 ? children : new Set(children)) {
    fut.addDoneCallback(onChildDone);
  }
  return outer;
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

function checkTimeout(name: string, timeout: unknown): number | null {
  if (timeout === null || timeout === undefined) return null;
  if (typeof timeout !== "number" || Number.isNaN(timeout)) {
    throw new TypeError(
      `${name}: timeout must be a number of seconds or null, got ${
        pyRepr(timeout)
      }`,
    );
  }
  return timeout;
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
  const timeout = checkTimeout("wait()", options.timeout);
  const returnWhen = options.returnWhen ?? ALL_COMPLETED;
  if (
    returnWhen !== FIRST_COMPLETED && returnWhen !== FIRST_EXCEPTION &&
    returnWhen !== ALL_COMPLETED
  ) {
    throw new RangeError(`Invalid return_when value: ${pyRepr(returnWhen)}`);
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
  const onCompletion = _contextFree((f: Future<T>): void => {
    counter--;
    if (
      counter <= 0 || returnWhen === FIRST_COMPLETED ||
      (returnWhen === FIRST_EXCEPTION && !f.cancelled() && f._hasException)
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
 * Waits for one awaitable with a time limit. On timeout the awaitable is
 * cancelled (and waited for) and `TimeoutError` is raised; `null` waits
 * without limit.
 *
 * @example
 * ```ts
 * import { run, sleep, TimeoutError, waitFor } from "@aio/asyncio";
 *
 * await run(async () => {
 *   try {
 *     await waitFor(() => sleep(1), 0.01);
 *   } catch (e) {
 *     console.log(e instanceof TimeoutError); // true
 *   }
 * });
 * ```
 */
export async function waitFor<T>(
  aw: Future<T> | AwaitableLike<T>,
  timeout: number | null,
): Promise<T> {
  const seconds = checkTimeout("waitFor()", timeout);
  const loop = getRunningLoop();
  const fut = toFuture(aw, undefined, "waitFor");
  if (seconds === null) return await fut;
  if (seconds <= 0) {
    // No time at all: as CPython, cancel it before it runs (and wait for
    // the cancellation to finish) instead of letting its first step happen.
    if (fut.done()) return fut.result();
    fut.cancel();
    try {
      await fut;
    } catch (e) {
      if (!(e instanceof CancelledError)) throw e;
      throw new TimeoutError("", { cause: e });
    }
    return fut.result();
  }
  const scope = new Timeout(loop.time() + seconds, loop);
  try {
    const result = await fut;
    scope._exit(undefined, false);
    return result;
  } catch (error) {
    scope._exit(error, true);
    throw error;
  }
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

  /** @internal Use {@link asCompleted}. */
  constructor(
    fs: Iterable<Future<T> | AwaitableLike<T>>,
    timeout: number | null | undefined,
  ) {
    const seconds = checkTimeout("asCompleted()", timeout);
    if (fs === null || typeof fs !== "object" || !(Symbol.iterator in fs)) {
      throw new TypeError(
        `asCompleted() expects an iterable of awaitables, got ${pyRepr(fs)}`,
      );
    }
    const loop = _getRunningLoop() ?? getEventLoop();
    this.#todo = new Set();
    for (const f of fs) this.#todo.add(toFuture(f, undefined, "asCompleted"));
    this.#remaining = this.#todo.size;
    for (const f of this.#todo) f.addDoneCallback(this.#onCompletion);
    if (seconds !== null && this.#todo.size > 0) {
      this.#timer = loop.callLater(seconds, this.#onTimeout);
    }
  }

  #onCompletion = _contextFree((f: Future<T>): void => {
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
  const outer = new Future<T>({ loop: inner._loop });
  const onInnerDone = (f: Future<T>): void => {
    if (outer.cancelled()) {
      if (!f.cancelled()) f._markRetrieved();
      return;
    }
    if (f.cancelled()) outer.cancel();
    else if (f._hasException) {
      f._markRetrieved();
      outer.setException(f._exception);
    } else outer.setResult(f._result as T);
  };
  inner.addDoneCallback(onInnerDone);
  outer.addDoneCallback(() => {
    if (!inner.done()) inner.removeDoneCallback(onInnerDone);
  });
  return outer;
}
