/**
 * Futures: the result of an operation that has not finished yet.
 *
 * A Future is a thenable, not a Promise: `await fut` works, and when a task
 * awaits it the task knows what it waits on, so cancelling the task
 * cancels the future. This module knows nothing of tasks: `then` hands the
 * await to whatever `Awaiter` runs the calling code (a Task, tasks.ts),
 * and wakes it through the same interface.
 *
 * @module
 */
import { Chain } from "./_chain.ts";
import { taskContext } from "./_context.ts";
import { coroName, pyRepr } from "./_repr.ts";
import { checkFunction, typeError } from "./_validate.ts";
import {
  captureSourceTraceback,
  createdAt,
  type SourceFrame,
} from "./_debug.ts";
import { CancelledError, InvalidStateError } from "./errors.ts";
import { ConcurrentFuture } from "./workers/concurrent.ts";
import { contextVarsInUse, copyContext } from "./contextvars.ts";
import {
  type AbstractEventLoop,
  countIo,
  type ExceptionContext,
  getEventLoop,
  internal,
  isEventLoop,
  kCallSoon,
  kUnretrieved,
  type LoopInternal,
  runningLoopOrNull,
} from "./events.ts";

const PENDING = 0;
const FINISHED = 1;
const CANCELLED = 2;
const FAILED = 3; // finished with an exception
type State = 0 | 1 | 2 | 3;
const STATE_NAMES = ["PENDING", "FINISHED", "CANCELLED", "FINISHED"] as const;

// What tasks.ts and the combinators reach on a future beyond its public
// face; the symbols never leave the library.
export const kHasException: unique symbol = Symbol("hasException");
export const kCancelledError: unique symbol = Symbol("cancelledError");
export const kDeliver: unique symbol = Symbol("deliver");
export const kResuming: unique symbol = Symbol("resuming");
export const kReportUnretrieved: unique symbol = Symbol("reportUnretrieved");
export const kSuspendOn: unique symbol = Symbol("suspendOn");
export const kWake: unique symbol = Symbol("wake");
export const kCancelWith: unique symbol = Symbol("cancelWith");
export const kSourceTraceback: unique symbol = Symbol("sourceTraceback");
export const kLoop: unique symbol = Symbol("loop");
export const kResumed: unique symbol = Symbol("resumed");
export const kAwaitedBy: unique symbol = Symbol("awaitedBy");
export const kRepark: unique symbol = Symbol("repark");

/**
 * A callback run when a future is done; it receives the future.
 *
 * @example A callback typed for a future of strings
 * ```ts
 * import { type DoneCallback, newEventLoop } from "@aio/asyncio";
 *
 * const report: DoneCallback<string> = (f) => console.log(f.result());
 * const loop = newEventLoop();
 * const fut = loop.createFuture<string>();
 * fut.addDoneCallback(report);
 * fut.setResult("done");
 * await loop.runUntilComplete(fut); // prints "done"
 * loop.close();
 * ```
 */
export type DoneCallback<T> = (future: Future<T>) => unknown;

/**
 * Options for the {@link Future} constructor.
 *
 * @example A future on a given loop
 * ```ts
 * import { Future, newEventLoop } from "@aio/asyncio";
 *
 * const loop = newEventLoop();
 * const fut = new Future<number>({ loop });
 * console.log(fut.getLoop() === loop); // true
 * loop.close();
 * ```
 */
export interface FutureOptions {
  /** The loop the future belongs to (default: `getEventLoop()`). */
  loop?: AbstractEventLoop;
}

/**
 * The eventual result of an operation, Python's `asyncio.Future`.
 *
 * Done-callbacks are scheduled with `callSoon` when the future completes,
 * never called inline, so waiters resume in the order they awaited it.
 *
 * @example Set a future's result from a callback
 * ```ts
 * import { getRunningLoop, run } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const fut = loop.createFuture<string>();
 *   loop.callLater(0.01, () => fut.setResult("the result"));
 *   console.log(await fut); // the result
 * });
 * ```
 */
export class Future<T = unknown> implements Promise<T> {
  // Four fields only, so that a task (a Future) stays small: the state,
  // one value slot (the result, the error, or when cancelled the message
  // or the CancelledError to hand out), the callbacks (none, one, or an
  // array of several), and the loop.
  #state: State = PENDING;
  #value: unknown = undefined;
  #callbacks: AnyCallback | Waiter | (AnyCallback | Waiter)[] | null = null;
  /** @ignore The loop, for tasks.ts. */
  readonly [kLoop]: LoopInternal;

  /** Creates a pending future on `options.loop` or `getEventLoop()`. */
  constructor(options?: FutureOptions | AbstractEventLoop) {
    let loop: AbstractEventLoop | undefined;
    if (options === undefined) loop = undefined;
    else if (isEventLoop(options)) loop = options;
    else if (
      options !== null && typeof options === "object" &&
      Object.getPrototypeOf(options) === Object.prototype
    ) loop = options.loop;
    else {
      throw typeError(
        "new Future()",
        "options",
        "an event loop or { loop }",
        options,
      );
    }
    this[kLoop] = internal(loop ?? getEventLoop());
    if (this[kLoop].getDebug()) {
      sourceTracebacks.set(this, captureSourceTraceback());
    }
  }

  /** The loop this future belongs to. */
  getLoop(): AbstractEventLoop {
    return this[kLoop];
  }

  /** Whether the future is done: it has a result, an error, or was cancelled. */
  done(): boolean {
    return this.#state !== PENDING;
  }

  /** Whether the future was cancelled. */
  cancelled(): boolean {
    return this.#state === CANCELLED;
  }

  /**
   * The result. Throws the future's error if it has one, `CancelledError`
   * if it was cancelled, and `InvalidStateError` if it is not done.
   */
  result(): T {
    const state = this.#state;
    if (state === FINISHED) return this.#value as T;
    if (state === CANCELLED) throw this[kCancelledError]();
    if (state === PENDING) throw new InvalidStateError("Result is not set.");
    this.#markRetrieved();
    throw this.#value;
  }

  /**
   * The error the future failed with, or undefined if it succeeded.
   * Throws `CancelledError` if it was cancelled and `InvalidStateError`
   * if it is not done.
   */
  exception(): unknown {
    const state = this.#state;
    if (state === FINISHED) return undefined;
    if (state === CANCELLED) throw this[kCancelledError]();
    if (state === PENDING) {
      throw new InvalidStateError("Exception is not set.");
    }
    this.#markRetrieved();
    return this.#value;
  }

  /** Marks the future done with `result` and schedules its callbacks. */
  setResult(result: T): void {
    if (this.#state !== PENDING) {
      throw new InvalidStateError(`${STATE_NAMES[this.#state]}: ${this}`);
    }
    this.#value = result;
    this.#state = FINISHED;
    this.#scheduleCallbacks();
  }

  /**
   * Marks the future failed with `exception` and schedules its callbacks.
   * An error class is instantiated, as Python does.
   */
  setException(exception: unknown): void {
    if (this.#state !== PENDING) {
      throw new InvalidStateError(`${STATE_NAMES[this.#state]}: ${this}`);
    }
    if (
      typeof exception === "function" &&
      (exception === Error || exception.prototype instanceof Error)
    ) exception = new (exception as ErrorConstructor)();
    this.#value = exception;
    this.#state = FAILED;
    this[kLoop][kUnretrieved].add(this as Future<unknown>);
    this.#scheduleCallbacks();
  }

  /**
   * Cancels the future and schedules its callbacks. Returns false if it
   * was already done.
   */
  cancel(msg?: string): boolean {
    // Even a failed future counts as seen once someone tried to cancel it.
    this.#markRetrieved();
    if (this.#state !== PENDING) return false;
    this.#state = CANCELLED;
    this.#value = msg;
    this.#scheduleCallbacks();
    return true;
  }

  /**
   * Adds a callback run (through `callSoon`) with this future when it is
   * done; if it is done already, the callback is scheduled at once.
   */
  addDoneCallback(callback: (future: this) => unknown): void {
    checkFunction("addDoneCallback()", "callback", callback);
    if (contextVarsInUse()) {
      // Run in a copy of the caller's context, as Python.
      const context = copyContext();
      const original = callback;
      callback = ((f: this) => context.run(original, f)) as typeof callback;
      (callback as { [kOriginal]?: unknown })[kOriginal] = original;
    }
    if (this.#state !== PENDING) {
      this[kLoop][kCallSoon](callback, this);
    } else {
      this.#addCallback(callback as AnyCallback);
    }
  }

  /** Removes every registration of `callback`; returns how many. */
  removeDoneCallback(callback: (future: this) => unknown): number {
    const matches = (cb: unknown) =>
      cb === callback ||
      (cb as { [kOriginal]?: unknown } | null)?.[kOriginal] === callback;
    const callbacks = this.#callbacks;
    if (callbacks === null) return 0;
    if (!Array.isArray(callbacks)) {
      if (!matches(callbacks)) return 0;
      this.#callbacks = null;
      return 1;
    }
    const kept = callbacks.filter((cb) => !matches(cb));
    this.#callbacks = kept.length > 0 ? kept : null;
    return callbacks.length - kept.length;
  }

  /**
   * Makes the future awaitable. Inside a task, `await fut` suspends the
   * task on this future: cancelling the task cancels the future.
   */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    const waiter = new Waiter(
      this as Future<unknown>,
      onFulfilled as ((value: unknown) => unknown) | null | undefined,
      onRejected,
    );
    if (this.#state !== PENDING) {
      // Awaiting a done future does not suspend the task (as in Python).
      queueMicrotask(() => waiter.settle());
      return waiter as Promise<R1 | R2>;
    }
    const loop = this[kLoop];
    if (loop.isClosed()) {
      waiter.fail(closedLoopError());
      return waiter as Promise<R1 | R2>;
    }
    if (this.addDoneCallback === Future.prototype.addDoneCallback) {
      this.#addCallback(waiter);
    } else {
      // A subclass watches its callbacks: it is told of this one too.
      this.addDoneCallback(() => wakeWaiter(waiter));
    }
    // The task running this code (if any) suspends on the future: it may
    // claim the waiter, to be woken instead of the waiter settling.
    taskContext.getStore()?.[kSuspendOn](this as Future<unknown>, waiter);
    return waiter as Promise<R1 | R2>;
  }

  /**
   * Handles the future's error (a Promise's `catch`); inside a task it
   * awaits the future like `then`.
   */
  catch<R = never>(
    onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null,
  ): Promise<T | R> {
    return this.then(undefined, onRejected);
  }

  /** Runs `onFinally` when the future is done (a Promise's `finally`). */
  finally(onFinally?: (() => void) | null): Promise<T> {
    return Promise.resolve(this.then()).finally(onFinally) as Promise<T>;
  }

  /** `"Future"`: a Future fits where a Promise is expected. */
  get [Symbol.toStringTag](): string {
    return "Future";
  }

  /** Python's repr: `<Future finished result='xxx'>`. */
  toString(): string {
    return `<${this.constructor.name} ${this.reprInfo().join(" ")}>`;
  }

  /** The parts of the repr after the class name (Python's `_repr_info`). */
  protected reprInfo(): string[] {
    const info: string[] = [STATE_NAMES[this.#state].toLowerCase()];
    if (this.#state === FAILED) {
      info.push(`exception=${pyRepr(this.#value)}`);
    } else if (this.#state === FINISHED) {
      info.push(`result=${pyRepr(this.#value)}`);
    }
    const callbacks = this.#callbacks;
    if (callbacks !== null) {
      info.push(
        formatCallbacks(Array.isArray(callbacks) ? callbacks : [callbacks]),
      );
    }
    const created = createdAt(sourceTracebacks.get(this) ?? null);
    if (created !== "") info.push(created);
    return info;
  }

  /** @ignore Where the future was made (debug mode), oldest frame first. */
  get [kSourceTraceback](): SourceFrame[] | null {
    return sourceTracebacks.get(this) ?? null;
  }

  /**
   * @ignore Cancels with the CancelledError the task's coroutine raised:
   * the first `result()` or await throws that very error (as CPython).
   */
  [kCancelWith](error: CancelledError): void {
    // Future's own cancel: a Task's would only request a cancellation.
    if (Future.prototype.cancel.call(this, error.message || undefined)) {
      this.#value = error;
    }
  }

  /** @ignore Whether the future failed (and was not cancelled). */
  get [kHasException](): boolean {
    return this.#state === FAILED;
  }

  /** @ignore The error `result()` throws for a cancelled future. */
  [kCancelledError](): CancelledError {
    const value = this.#value;
    if (value instanceof CancelledError) {
      // The coroutine's own error, handed out once; then its message.
      this.#value = value.message || undefined;
      return value;
    }
    return new CancelledError(value as string | undefined);
  }

  // Adds a done-callback or a waiter, without checks.
  #addCallback(callback: AnyCallback | Waiter): void {
    const callbacks = this.#callbacks;
    if (callbacks === null) this.#callbacks = callback;
    else if (Array.isArray(callbacks)) callbacks.push(callback);
    else this.#callbacks = [callbacks, callback];
  }

  /**
   * @ignore The code that awaited this future is about to resume (with
   * an error if `failed`): a hook for the waiter lines' futures.
   */
  [kResuming](_failed: boolean): void {}

  /**
   * @ignore What the awaiting code resumes with, given the result: the
   * result itself, or what a waiter line's future makes of it when its
   * waiter resumes (an item taken, a lock held), or a {@link Repark} to
   * wait again. It may throw instead.
   */
  [kResumed](result: unknown): unknown {
    return result;
  }

  /**
   * @ignore Who awaits this future now (Python's `_asyncio_awaited_by`):
   * the tasks suspended on it, the tasks whose `gather`, `shield`,
   * `wait`, `asCompleted` or task group waits for it (their done-callbacks
   * say so), and what `futureAddToAwaitedBy` added. Computed when asked:
   * the bookkeeping costs nothing while nobody looks.
   */
  [kAwaitedBy](): Future<unknown>[] {
    const found = new Set<Future<unknown>>();
    const callbacks = this.#callbacks;
    const list = callbacks === null
      ? []
      : Array.isArray(callbacks)
      ? callbacks
      : [callbacks];
    for (const cb of list) {
      type Tagged = { [kAwaitedBy]?: Future<unknown>; [kOriginal]?: Tagged };
      const by = typeof cb === "function"
        ? (cb as Tagged)[kAwaitedBy] ?? (cb as Tagged)[kOriginal]?.[kAwaitedBy]
        : cb.awaiter;
      if (by instanceof Future) found.add(by);
    }
    for (const by of explicitAwaitedBy.get(this) ?? []) found.add(by);
    return [...found];
  }

  /**
   * @ignore Moves `waiter` here: the code that awaited another future
   * awaits this one instead (a waiter line's wait that must go on).
   */
  [kRepark](waiter: Waiter): void {
    const awaiter = waiter.awaiter;
    waiter.future = this as Future<unknown>;
    waiter.awaiter = null;
    if (this.#state !== PENDING) {
      this[kLoop][kCallSoon](settleWaiter, waiter);
      return;
    }
    this.#addCallback(waiter);
    awaiter?.[kSuspendOn](this as Future<unknown>, waiter);
  }

  /** @ignore Hands the outcome to `waiter` (marks an error retrieved). */
  [kDeliver](waiter: Waiter): void {
    const state = this.#state;
    if (state === FINISHED) waiter.succeed(this.#value);
    else if (state === CANCELLED) waiter.fail(this[kCancelledError]());
    else {
      this.#markRetrieved();
      waiter.fail(this.#value);
    }
  }

  /** @ignore Called by the loop at close for an exception nobody saw. */
  [kReportUnretrieved](): void {
    const isTask = this.constructor.name !== "Future" && "getName" in this;
    const context: ExceptionContext = {
      message: `${isTask ? "Task" : "Future"} exception was never retrieved`,
      exception: this.#value,
      future: this as Future<unknown>,
    };
    const traceback = sourceTracebacks.get(this);
    if (traceback) context.sourceTraceback = traceback;
    this[kLoop].callExceptionHandler(context);
  }

  // The exception was seen by someone: it is not reported at close.
  #markRetrieved(): void {
    if (this.#state === FAILED) {
      this[kLoop][kUnretrieved].delete(this as Future<unknown>);
    }
  }

  #scheduleCallbacks(): void {
    const callbacks = this.#callbacks;
    if (callbacks === null) return;
    this.#callbacks = null;
    const loop = this[kLoop];
    if (!Array.isArray(callbacks)) {
      scheduleCallback(loop, callbacks, this as Future<unknown>);
      return;
    }
    for (let i = 0; i < callbacks.length; i++) {
      scheduleCallback(loop, callbacks[i], this as Future<unknown>);
    }
  }
}

// Where futures were made, in debug mode only (a field would cost every
// future its slot).
const sourceTracebacks = new WeakMap<object, SourceFrame[]>();

// What futureAddToAwaitedBy recorded (rare: code that waits through its
// own done-callbacks).
const explicitAwaitedBy = new WeakMap<Future<unknown>, Set<Future<unknown>>>();

/**
 * Marks a done-callback as the way `awaiter` (a task) waits for the future
 * it is added to, so that the call graph shows the edge while it is
 * registered (gather, shield, wait, asCompleted, task groups).
 */
export function awaitedThrough<F extends (...args: never[]) => unknown>(
  callback: F,
  awaiter: Future<unknown> | null,
): F {
  if (awaiter !== null) {
    (callback as { [kAwaitedBy]?: Future<unknown> })[kAwaitedBy] = awaiter;
  }
  return callback;
}

/**
 * Records that `future` is awaited by `waiter` (both futures or tasks;
 * anything else is ignored), for the call graph: code that waits for a
 * future through its own done-callback, where the library cannot see it,
 * says so. Python 3.14's `asyncio.future_add_to_awaited_by`.
 *
 * @example A task that waits through a done-callback
 * ```ts
 * import {
 *   captureCallGraph,
 *   currentTask,
 *   futureAddToAwaitedBy,
 *   futureDiscardFromAwaitedBy,
 *   getRunningLoop,
 *   run,
 * } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const fut = getRunningLoop().createFuture<number>();
 *   const me = currentTask()!;
 *   futureAddToAwaitedBy(fut, me);
 *   console.log(captureCallGraph(fut)!.awaitedBy[0].future === me); // true
 *   futureDiscardFromAwaitedBy(fut, me);
 *   console.log(captureCallGraph(fut)!.awaitedBy.length); // 0
 * });
 * ```
 */
export function futureAddToAwaitedBy(
  future: Future<unknown>,
  waiter: Future<unknown>,
): void {
  if (!(future instanceof Future) || !(waiter instanceof Future)) return;
  let set = explicitAwaitedBy.get(future);
  if (set === undefined) explicitAwaitedBy.set(future, set = new Set());
  set.add(waiter);
}

/**
 * Forgets what {@link futureAddToAwaitedBy} recorded. Python 3.14's
 * `asyncio.future_discard_from_awaited_by`.
 *
 * @example
 * ```ts
 * import {
 *   futureAddToAwaitedBy,
 *   futureDiscardFromAwaitedBy,
 *   newEventLoop,
 * } from "@aio/asyncio";
 *
 * const loop = newEventLoop();
 * const [a, b] = [loop.createFuture(), loop.createFuture()];
 * futureAddToAwaitedBy(a, b);
 * futureDiscardFromAwaitedBy(a, b);
 * loop.close();
 * ```
 */
export function futureDiscardFromAwaitedBy(
  future: Future<unknown>,
  waiter: Future<unknown>,
): void {
  if (!(future instanceof Future) || !(waiter instanceof Future)) return;
  const set = explicitAwaitedBy.get(future);
  if (set === undefined) return;
  set.delete(waiter);
  if (set.size === 0) explicitAwaitedBy.delete(future);
}

/**
 * What runs the code that awaits a future: a Task (tasks.ts). `then`
 * offers it each await; it claims the waiter (sets `waiter.awaiter`) to be
 * woken through `[kWake]` instead of the waiter settling by itself.
 */
export interface Awaiter {
  /** `await future` from the code this awaiter runs. */
  [kSuspendOn](future: Future<unknown>, waiter: Waiter): void;
  /** `future` is done: resume the code that awaited it. */
  [kWake](waiter: Waiter): void;
}

/**
 * What a waiter line's future returns from `[kResumed]` when its waiter
 * must wait again (the item it was woken for was taken meanwhile): the
 * future to wait on now.
 */
export class Repark {
  constructor(readonly future: Future<unknown>) {}
}

/** One `then` call on a future (see `Chain`), delivering its outcome. */
export class Waiter extends Chain {
  /** The task that claimed this waiter, woken in its place. */
  awaiter: Awaiter | null = null;

  constructor(
    public future: Future<unknown>,
    onFulfilled: ((value: unknown) => unknown) | null | undefined,
    onRejected: ((reason: unknown) => unknown) | null | undefined,
  ) {
    super(onFulfilled, onRejected);
  }

  /** Delivers the future's outcome. */
  settle(): void {
    if (!this.settled) this.future[kDeliver](this);
  }

  /** Delivers a result, as the future makes it for the resuming code. */
  override succeed(value: unknown): void {
    if (this.settled) return;
    const future = this.future;
    future[kResuming](false);
    let resumed: unknown;
    try {
      resumed = future[kResumed](value);
    } catch (error) {
      this.callRejected(error);
      return;
    }
    if (resumed instanceof Repark) resumed.future[kRepark](this);
    else this.callFulfilled(resumed);
  }

  /** Delivers an error. */
  override fail(error: unknown): void {
    if (this.settled) return;
    this.future[kResuming](true);
    this.callRejected(error);
  }
}

// deno-lint-ignore no-explicit-any
type AnyCallback = DoneCallback<any>;

const CONTEXT_FREE = Symbol("context-free callback");
// The user's callback inside the wrapper that runs it in its context.
const kOriginal = Symbol("original callback");

/**
 * Marks a library done-callback that runs no user code, so the loop may
 * run it in any async context (it saves a hop to the loop's own).
 */
export function contextFree<F extends (...args: never[]) => unknown>(
  callback: F,
): F {
  (callback as { [CONTEXT_FREE]?: boolean })[CONTEXT_FREE] = true;
  return callback;
}

function scheduleCallback(
  loop: LoopInternal,
  cb: AnyCallback | Waiter,
  fut: Future<unknown>,
): void {
  if (typeof cb === "function") {
    loop[kCallSoon](
      cb,
      fut,
      (cb as { [CONTEXT_FREE]?: boolean })[CONTEXT_FREE] === true,
    );
  } else if (cb.awaiter === null) {
    loop[kCallSoon](settleWaiter, cb);
  } else {
    // A task's await: waking it runs library code only (the future's
    // hooks, the await's resolving function), so the loop need not go
    // back to its own async context first.
    loop[kCallSoon](wakeAwaiter, cb, true);
  }
}

function settleWaiter(waiter: Waiter): void {
  waiter.settle();
}

function wakeAwaiter(waiter: Waiter): void {
  waiter.awaiter![kWake](waiter);
}

function wakeWaiter(waiter: Waiter): void {
  if (waiter.awaiter === null) waiter.settle();
  else waiter.awaiter[kWake](waiter);
}

// Python's `cb=[...]` of a future's repr: the first, the last, and how
// many between.
function formatCallbacks(callbacks: (AnyCallback | Waiter)[]): string {
  // A function by its name (or what an arrow function calls); a callable
  // object by its own toString, as Python by its repr.
  const format = (cb: AnyCallback | Waiter) =>
    typeof cb !== "function"
      ? cb.awaiter === null ? "<await>()" : "Task.taskWakeup()"
      : `${
        cb.name ||
        (Object.hasOwn(cb, "toString") ? String(cb) : coroName(cb))
      }()`;
  const n = callbacks.length;
  const shown = n <= 2
    ? callbacks.map(format).join(", ")
    : `${format(callbacks[0])}, <${n - 2} more>, ${format(callbacks[n - 1])}`;
  return `cb=[${shown}]`;
}

/**
 * Copies `source`'s outcome to `dest` (Python's `_copy_future_state`),
 * unless `dest` was cancelled meanwhile.
 */
export function copyFutureState<T>(source: Future<T>, dest: Future<T>): void {
  if (dest.cancelled()) return;
  if (source.cancelled()) dest.cancel();
  else if (source[kHasException]) dest.setException(source.exception());
  else dest.setResult(source.result());
}

/** Sets `fut`'s result unless it was cancelled (Python's helper). */
export function setResultUnlessCancelled<T>(fut: Future<T>, result: T): void {
  if (!fut.cancelled()) fut.setResult(result);
}

function closedLoopError(): InvalidStateError {
  return new InvalidStateError(
    "this future belongs to an event loop that is closed, so it can never " +
      "complete; create futures on the running loop (getRunningLoop().createFuture())",
  );
}

/**
 * Whether `value` is a Future (or Task) of this module.
 *
 * @example
 * ```ts
 * import { isFuture, newEventLoop } from "@aio/asyncio";
 *
 * const loop = newEventLoop();
 * console.log(isFuture(loop.createFuture()), isFuture(Promise.resolve())); // true false
 * loop.close();
 * ```
 */
export function isFuture(value: unknown): value is Future<unknown> {
  return value instanceof Future;
}

/**
 * Wraps a promise (or any thenable) in a Future of the loop, Python's
 * `wrap_future`. Cancelling the future aborts `options.abort` if given,
 * and cancels a wrapped `ConcurrentFuture` (a running executor job stops).
 * While the promise is pending, a virtual clock does not jump ahead.
 *
 * @example Await a host promise as a future
 * ```ts
 * import { run, wrapFuture } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const fut = wrapFuture(new Promise((r) => setTimeout(() => r(42), 1)));
 *   console.log(await fut); // 42
 * });
 * ```
 */
export function wrapFuture<T>(
  promise: PromiseLike<T> | Future<T>,
  options: { loop?: AbstractEventLoop; abort?: AbortController } = {},
): Future<T> {
  if (promise instanceof Future) return promise;
  if (
    promise === null || typeof promise !== "object" ||
    typeof promise.then !== "function"
  ) {
    throw new TypeError(
      `wrapFuture() takes a promise or thenable, got ${String(promise)}`,
    );
  }
  const loop = internal(
    options.loop ?? runningLoopOrNull() ?? getEventLoop(),
  );
  if (promise instanceof ConcurrentFuture) {
    return wrapConcurrentFuture(promise as ConcurrentFuture<T>, loop);
  }
  const fut = new Future<T>({ loop });
  // The loop counts the promise as I/O in flight until it settles (and
  // the outcome is scheduled first, so virtual time cannot pass it).
  countIo(
    loop,
    Promise.resolve(promise).then(
      (value) => deliver(loop, fut, () => fut.setResult(value)),
      (error) => deliver(loop, fut, () => fut.setException(error)),
    ),
  );
  if (options.abort) {
    const abort = options.abort;
    fut.addDoneCallback((f) => {
      if (f.cancelled()) abort.abort(f[kCancelledError]());
    });
  }
  return fut;
}

// Schedules a host outcome for `fut` onto its loop, unless the loop closed
// meanwhile; a future cancelled before the outcome arrives keeps that.
function deliver(
  loop: AbstractEventLoop,
  fut: Future<unknown>,
  apply: () => void,
): void {
  if (loop.isClosed()) return;
  loop.callSoonThreadsafe(() => {
    if (!fut.done()) apply();
  });
}

function wrapConcurrentFuture<T>(
  source: ConcurrentFuture<T>,
  loop: AbstractEventLoop,
): Future<T> {
  const fut = new Future<T>({ loop });
  countIo(loop, source);
  source.addDoneCallback(() =>
    deliver(loop, fut, () => copyState(source, fut))
  );
  fut.addDoneCallback(cancelSource.bind(null, source));
  return fut;
}

function copyState<T>(source: ConcurrentFuture<T>, dest: Future<T>): void {
  if (source.cancelled()) {
    dest.cancel();
    return;
  }
  let value: T;
  try {
    value = source.result();
  } catch (error) {
    dest.setException(error);
    return;
  }
  dest.setResult(value);
}

function cancelSource(
  source: ConcurrentFuture<unknown>,
  fut: Future<unknown>,
): void {
  if (fut.cancelled()) source.cancel();
}
