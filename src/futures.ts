/**
 * Futures: the result of an operation that has not finished yet.
 *
 * A Future is a thenable, not a Promise: `await fut` works, and when a task
 * awaits it the task knows what it waits on, so cancelling the task
 * cancels the future.
 *
 * @module
 */
import { taskContext } from "./_context.ts";
import { pyRepr } from "./_repr.ts";
import { CancelledError, InvalidStateError } from "./errors.ts";
import { ConcurrentFuture } from "./executor/concurrent.ts";
import {
  _closedLoopError,
  _getRunningLoop,
  type EventLoop,
  getEventLoop,
} from "./events.ts";
import type { Task } from "./tasks.ts";

const PENDING = 0;
const FINISHED = 1;
const CANCELLED = 2;
const STATE_NAMES = ["PENDING", "FINISHED", "CANCELLED"] as const;

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
  loop?: EventLoop;
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
export class Future<T = unknown> implements PromiseLike<T> {
  /** @internal */ _state: 0 | 1 | 2 = PENDING;
  /** @internal */ _result: T | undefined = undefined;
  /** @internal */ _exception: unknown = undefined;
  /** @internal */ _hasException = false;
  /** @internal */ _cancelMessage: string | undefined = undefined;
  // deno-lint-ignore no-explicit-any
  /** @internal */ _callback: DoneCallback<any> | Waiter<any> | null = null;
  // deno-lint-ignore no-explicit-any
  /** @internal */ _callbacks: (DoneCallback<any> | Waiter<any>)[] | null =
    null;
  /** @internal */ _loop: EventLoop;

  /** Creates a pending future on `options.loop` or `getEventLoop()`. */
  constructor(options?: FutureOptions | EventLoop) {
    this._loop = options === undefined
      ? getEventLoop()
      : isLoop(options)
      ? options
      : options.loop ?? getEventLoop();
  }

  /** The loop this future belongs to. */
  getLoop(): EventLoop {
    return this._loop;
  }

  /** Whether the future is done: it has a result, an error, or was cancelled. */
  done(): boolean {
    return this._state !== PENDING;
  }

  /** Whether the future was cancelled. */
  cancelled(): boolean {
    return this._state === CANCELLED;
  }

  /**
   * The result. Throws the future's error if it has one, `CancelledError`
   * if it was cancelled, and `InvalidStateError` if it is not done.
   */
  result(): T {
    if (this._state === CANCELLED) throw this._makeCancelledError();
    if (this._state === PENDING) {
      throw new InvalidStateError("Result is not set.");
    }
    if (this._hasException) {
      this._markRetrieved();
      throw this._exception;
    }
    return this._result as T;
  }

  /**
   * The error the future failed with, or undefined if it succeeded.
   * Throws `CancelledError` if it was cancelled and `InvalidStateError`
   * if it is not done.
   */
  exception(): unknown {
    if (this._state === CANCELLED) throw this._makeCancelledError();
    if (this._state === PENDING) {
      throw new InvalidStateError("Exception is not set.");
    }
    this._markRetrieved();
    return this._exception;
  }

  /** Marks the future done with `result` and schedules its callbacks. */
  setResult(result: T): void {
    if (this._state !== PENDING) {
      throw new InvalidStateError(`${STATE_NAMES[this._state]}: ${this}`);
    }
    this._result = result;
    this._state = FINISHED;
    this._scheduleCallbacks();
  }

  /** Marks the future failed with `exception` and schedules its callbacks. */
  setException(exception: unknown): void {
    if (this._state !== PENDING) {
      throw new InvalidStateError(`${STATE_NAMES[this._state]}: ${this}`);
    }
    this._exception = exception;
    this._hasException = true;
    this._state = FINISHED;
    this._loop._unretrieved.add(this as Future<unknown>);
    this._scheduleCallbacks();
  }

  /**
   * Cancels the future and schedules its callbacks. Returns false if it
   * was already done.
   */
  cancel(msg?: string): boolean {
    if (this._state !== PENDING) return false;
    this._state = CANCELLED;
    this._cancelMessage = msg;
    this._scheduleCallbacks();
    return true;
  }

  /**
   * Adds a callback run (through `callSoon`) with this future when it is
   * done; if it is done already, the callback is scheduled at once.
   */
  addDoneCallback(callback: (future: this) => unknown): void {
    if (typeof callback !== "function") {
      throw new TypeError(
        `addDoneCallback() takes a function, got ${typeof callback}`,
      );
    }
    if (this._state !== PENDING) {
      this._loop._callSoonInternal(callback, this);
    } else {
      this._addCallback(callback as DoneCallback<T>);
    }
  }

  /** @internal */
  // deno-lint-ignore no-explicit-any
  _addCallback(callback: DoneCallback<any> | Waiter<any>): void {
    // Most futures get one callback: keep it without an array.
    if (this._callback === null && this._callbacks === null) {
      this._callback = callback;
    } else if (this._callbacks === null) {
      this._callbacks = [this._callback!, callback];
      this._callback = null;
    } else {
      this._callbacks.push(callback);
    }
  }

  /** Removes every registration of `callback`; returns how many. */
  removeDoneCallback(callback: (future: this) => unknown): number {
    if (this._callback !== null) {
      if (this._callback !== callback) return 0;
      this._callback = null;
      return 1;
    }
    const callbacks = this._callbacks;
    if (callbacks === null) return 0;
    const kept = callbacks.filter((cb) => cb !== (callback as unknown));
    this._callbacks = kept.length > 0 ? kept : null;
    return callbacks.length - kept.length;
  }

  /**
   * Makes the future awaitable. Inside a task, `await fut` suspends the
   * task on this future: cancelling the task cancels the future.
   */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): PromiseLike<R1 | R2> {
    const waiter = new Waiter<T>(this, onFulfilled, onRejected);
    if (this._state !== PENDING) {
      // Awaiting a done future does not suspend the task (as in Python).
      queueMicrotask(() => waiter.settle());
      return waiter as PromiseLike<R1 | R2>;
    }
    if (this._loop.isClosed()) {
      waiter.fail(_closedLoopError());
      return waiter as PromiseLike<R1 | R2>;
    }
    const task = taskContext.getStore();
    if (task === undefined || task.done()) {
      this._addCallback(waiter);
      return waiter as PromiseLike<R1 | R2>;
    }
    if (task._loop !== this._loop) {
      waiter.fail(
        new Error(
          `Task ${task} got Future ${this} attached to a different loop: ` +
            `create futures with the running loop (getRunningLoop().createFuture())`,
        ),
      );
      return waiter as PromiseLike<R1 | R2>;
    }
    if (task === (this as unknown)) {
      waiter.fail(new Error(`Task cannot await on itself: ${task}`));
      return waiter as PromiseLike<R1 | R2>;
    }
    waiter.task = task;
    task._futWaiter = this as Future<unknown>;
    this._addCallback(waiter);
    if (task._mustCancel && this.cancel(task._cancelMessage)) {
      task._mustCancel = false;
    }
    this._loop._taskSuspended(task);
    return waiter as PromiseLike<R1 | R2>;
  }

  /** Python's repr: `<Future finished result='xxx'>`. */
  toString(): string {
    return `<${this.constructor.name} ${this._reprInfo().join(" ")}>`;
  }

  /** @internal */
  _reprInfo(): string[] {
    const info: string[] = [STATE_NAMES[this._state].toLowerCase()];
    if (this._state === FINISHED) {
      if (this._hasException) {
        info.push(`exception=${pyRepr(this._exception)}`);
      } else {
        info.push(`result=${pyRepr(this._result)}`);
      }
    }
    return info;
  }

  /** @internal `setException` that subclasses (Task) cannot override. */
  _setExceptionRaw(exception: unknown): void {
    Future.prototype.setException.call(this, exception);
  }

  /** @internal */
  _makeCancelledError(): CancelledError {
    return new CancelledError(this._cancelMessage);
  }

  /** @internal The exception was seen by someone: do not report it. */
  _markRetrieved(): void {
    if (this._hasException) {
      this._loop._unretrieved.delete(this as Future<unknown>);
    }
  }

  /** @internal Called by the loop at close for exceptions nobody saw. */
  _reportUnretrieved(): void {
    const isTask = this.constructor.name !== "Future" && "getName" in this;
    this._loop.callExceptionHandler({
      message: `${isTask ? "Task" : "Future"} exception was never retrieved`,
      exception: this._exception,
      future: this as Future<unknown>,
    });
  }

  /** @internal */
  _scheduleCallbacks(): void {
    const loop = this._loop;
    const single = this._callback;
    if (single !== null) {
      this._callback = null;
      scheduleCallback(loop, single, this);
      return;
    }
    const callbacks = this._callbacks;
    if (callbacks === null) return;
    this._callbacks = null;
    for (let i = 0; i < callbacks.length; i++) {
      scheduleCallback(loop, callbacks[i], this);
    }
  }
}

// One `then` call. It delivers the future's outcome to the callbacks given
// to `then`, and it is itself what `then` returns: a PromiseLike whose
// promise is only made if someone chains on it (an `await` never does).
class Waiter<T> implements PromiseLike<unknown> {
  task: Task<unknown> | null = null;
  // deno-lint-ignore no-explicit-any
  chained: PromiseWithResolvers<any> | null = null;
  outcome: 0 | 1 | 2 = 0; // pending, resolved with value, rejected
  value: unknown = undefined;

  constructor(
    readonly future: Future<T>,
    readonly onFulfilled: ((value: T) => unknown) | null | undefined,
    readonly onRejected: ((reason: unknown) => unknown) | null | undefined,
  ) {}

  then<R1, R2>(
    onFulfilled?: ((value: unknown) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    if (this.chained === null) {
      this.chained = Promise.withResolvers();
      if (this.outcome === 1) this.chained.resolve(this.value);
      else if (this.outcome === 2) this.chained.reject(this.value);
    }
    return this.chained.promise.then(onFulfilled, onRejected);
  }

  resolve(value: unknown): void {
    this.outcome = 1;
    this.value = value;
    this.chained?.resolve(value);
  }

  reject(reason: unknown): void {
    this.outcome = 2;
    this.value = reason;
    this.chained?.reject(reason);
  }

  succeed(value: T): void {
    const onFulfilled = this.onFulfilled;
    if (typeof onFulfilled !== "function") {
      this.resolve(value);
      return;
    }
    try {
      this.resolve(onFulfilled(value));
    } catch (e) {
      this.reject(e);
    }
  }

  fail(error: unknown): void {
    const onRejected = this.onRejected;
    if (typeof onRejected !== "function") {
      this.reject(error);
      return;
    }
    try {
      this.resolve(onRejected(error));
    } catch (e) {
      this.reject(e);
    }
  }

  settle(): void {
    const fut = this.future;
    if (fut._state === CANCELLED) this.fail(fut._makeCancelledError());
    else if (fut._hasException) {
      fut._markRetrieved();
      this.fail(fut._exception);
    } else this.succeed(fut._result as T);
  }
}

const CONTEXT_FREE = Symbol("context-free callback");

/**
 * @internal Marks a library done-callback that runs no user code, so the
 * loop may run it in any async context (it saves a hop to the loop's own).
 */
export function _contextFree<F extends (...args: never[]) => unknown>(
  callback: F,
): F {
  (callback as { [CONTEXT_FREE]?: boolean })[CONTEXT_FREE] = true;
  return callback;
}

function isLoop(x: FutureOptions | EventLoop): x is EventLoop {
  return typeof (x as EventLoop).callSoon === "function";
}

function scheduleCallback<T>(
  loop: EventLoop,
  cb: DoneCallback<T> | Waiter<T>,
  fut: Future<T>,
): void {
  if (typeof cb === "function") {
    loop._callSoonInternal(
      cb,
      fut,
      (cb as { [CONTEXT_FREE]?: boolean })[CONTEXT_FREE] === true,
    );
  } else {
    loop._callSoonInternal(cb.task === null ? wakePlain : wakeTask, cb);
  }
}

function wakePlain(waiter: Waiter<unknown>): void {
  waiter.settle();
}

// Resumes the awaiting task; the loop then waits for the task's step to end
// before it runs its next handle.
function wakeTask(waiter: Waiter<unknown>): void {
  const task = waiter.task!;
  const fut = waiter.future;
  if (task._futWaiter === fut) task._futWaiter = null;
  if (task.done()) return;
  if (task._mustCancel) {
    task._mustCancel = false;
    waiter.fail(task._throwCancel(task._makeCancelledError()));
  } else if (fut._state === CANCELLED) {
    waiter.fail(task._throwCancel(fut._makeCancelledError()));
  } else {
    waiter.settle();
  }
  task._loop._resumeTask(task);
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
  options: { loop?: EventLoop; abort?: AbortController } = {},
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
  const loop = options.loop ?? _getRunningLoop() ?? getEventLoop();
  if (promise instanceof ConcurrentFuture) {
    return wrapConcurrentFuture(promise as ConcurrentFuture<T>, loop);
  }
  const fut = new Future<T>({ loop });
  loop._ioStarted();
  let settled = false;
  const finish = (apply: () => void) => {
    if (settled) return;
    settled = true;
    if (!loop.isClosed()) {
      loop.callSoonThreadsafe(() => {
        if (!fut.done()) apply();
      });
      loop._ioFinished();
    }
  };
  promise.then(
    (value) => finish(() => fut.setResult(value)),
    (error) => finish(() => fut.setException(error)),
  );
  if (options.abort) {
    const abort = options.abort;
    fut.addDoneCallback((f) => {
      if (f.cancelled()) abort.abort(f._makeCancelledError());
    });
  }
  return fut;
}

function wrapConcurrentFuture<T>(
  source: ConcurrentFuture<T>,
  loop: EventLoop,
): Future<T> {
  const fut = new Future<T>({ loop });
  loop._ioStarted();
  source.addDoneCallback(() => {
    if (loop.isClosed()) return;
    loop.callSoonThreadsafe(copyState, source, fut);
    loop._ioFinished();
  });
  fut.addDoneCallback(cancelSource.bind(null, source));
  return fut;
}

function copyState<T>(source: ConcurrentFuture<T>, dest: Future<T>): void {
  if (dest.done()) return;
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
