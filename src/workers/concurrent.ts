/**
 * `ConcurrentFuture`: Python's `concurrent.futures.Future`, the result of
 * work done on another thread. It belongs to no event loop.
 *
 * @module
 */
import { CancelledError, InvalidStateError } from "../errors.ts";

const PENDING = 0;
const CANCELLED = 1;
const FINISHED = 2;
const FAILED = 3;

/**
 * The future of a job run on another thread, returned by
 * `ThreadPoolExecutor.submit` and `WorkerLoop.runCoroutineThreadsafe`
 * (Python's `concurrent.futures.Future`). It belongs to no event loop:
 * `await` it anywhere, or turn it into an asyncio future with
 * `wrapFuture` (cancelling that one cancels this one).
 *
 * Done-callbacks run at once, on the thread that completes the future.
 *
 * @example
 * ```ts
 * import { ConcurrentFuture } from "@aio/asyncio";
 *
 * const fut = new ConcurrentFuture<number>();
 * fut.addDoneCallback((f) => console.log("done:", f.result()));
 * fut.setResult(42); // done: 42
 * console.log(await fut); // 42
 * ```
 */
export class ConcurrentFuture<T> implements PromiseLike<T> {
  #state = PENDING;
  #value: unknown = undefined;
  #callbacks: ((future: never) => unknown)[] | null = null;
  #promise: Promise<unknown> | undefined;

  /** True if the future was cancelled. */
  cancelled(): boolean {
    return this.#state === CANCELLED;
  }

  /** True if the job is running now and can no longer be dropped. */
  running(): boolean {
    return this.#state === PENDING && this.isRunning();
  }

  /** True if the future has a result, an error, or was cancelled. */
  done(): boolean {
    return this.#state !== PENDING;
  }

  /**
   * Cancels the job: a job that has not started is dropped; what a
   * running job does depends on who runs it (a `ThreadPoolExecutor`
   * terminates its Worker). Returns false if the future has a result or
   * an error, true if it is (now) cancelled.
   */
  cancel(): boolean {
    if (this.#state === CANCELLED) return true;
    if (this.#state !== PENDING) return false;
    if (!this.cancelJob()) return false;
    if (this.#state === PENDING) this.#settle(CANCELLED, undefined);
    return true;
  }

  /**
   * The result; throws the job's error, `CancelledError`, or
   * `InvalidStateError` while the future is pending (where Python's
   * would block: `await` the future instead).
   */
  result(): T {
    if (this.#state === FINISHED) return this.#value as T;
    if (this.#state === FAILED) throw this.#value;
    if (this.#state === CANCELLED) throw new CancelledError();
    throw new InvalidStateError("Result is not ready.");
  }

  /** The job's error, or null; throws like `result()` if not done. */
  exception(): unknown {
    if (this.#state === FAILED) return this.#value;
    if (this.#state === FINISHED) return null;
    if (this.#state === CANCELLED) throw new CancelledError();
    throw new InvalidStateError("Exception is not set.");
  }

  /** Calls `callback(future)` when done (at once if it is done). */
  addDoneCallback(callback: (future: this) => unknown): void {
    if (typeof callback !== "function") {
      throw new TypeError(
        `addDoneCallback() takes a function, got ${typeof callback}`,
      );
    }
    if (this.#state !== PENDING) runCallback(callback, this);
    else (this.#callbacks ??= []).push(callback);
  }

  /** Completes the future with `value` (for executors). */
  setResult(value: T): void {
    this.#checkPending("setResult");
    this.#settle(FINISHED, value);
  }

  /** Completes the future with `error` (for executors). */
  setException(error: unknown): void {
    this.#checkPending("setException");
    this.#settle(FAILED, error);
  }

  /** Promise interface: `await future`. */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this.#promise ??= new Promise<unknown>((resolve, reject) => {
      this.addDoneCallback((f) => {
        if (f.#state === FINISHED) resolve(f.#value as T);
        else if (f.#state === FAILED) reject(f.#value);
        else reject(new CancelledError());
      });
    });
    return (this.#promise as Promise<T>).then(onFulfilled, onRejected);
  }

  /** Python's repr. */
  toString(): string {
    const state = this.#state === PENDING
      ? (this.running() ? "running" : "pending")
      : this.#state === CANCELLED
      ? "cancelled"
      : "finished";
    return `<ConcurrentFuture state=${state}>`;
  }

  /** For subclasses that run the job: is it running now? */
  protected isRunning(): boolean {
    return false;
  }

  /** For subclasses that run the job: drop or stop it; false if it can't. */
  protected cancelJob(): boolean {
    return true;
  }

  /** For subclasses: the job's outcome, unless the future is done. */
  protected settle(error: boolean, value: unknown): void {
    if (this.#state === PENDING) this.#settle(error ? FAILED : FINISHED, value);
  }

  /** For subclasses: the job is gone; the future is cancelled. */
  protected setCancelled(): void {
    if (this.#state === PENDING) this.#settle(CANCELLED, undefined);
  }

  #checkPending(method: string): void {
    if (this.#state !== PENDING) {
      throw new InvalidStateError(`${method}() on a done future: ${this}`);
    }
  }

  #settle(state: number, value: unknown): void {
    this.#state = state;
    this.#value = value;
    const callbacks = this.#callbacks;
    this.#callbacks = null;
    if (callbacks !== null) {
      for (const cb of callbacks) {
        runCallback(cb, this as ConcurrentFuture<unknown>);
      }
    }
  }
}

function runCallback(
  callback: (future: never) => unknown,
  future: ConcurrentFuture<unknown>,
): void {
  try {
    (callback as (future: ConcurrentFuture<unknown>) => unknown)(future);
  } catch (error) {
    // As concurrent.futures does: log it, and go on with the others.
    console.error(`exception calling callback for ${future}`, error);
  }
}

/**
 * The argument lists of an executor's `map(fn, ...iterables)`: the
 * iterables taken in step, until the shortest ends.
 */
export function zipArgs(iterables: readonly Iterable<unknown>[]): unknown[][] {
  const iterators = iterables.map((it) => it[Symbol.iterator]());
  const lists: unknown[][] = [];
  if (iterators.length === 0) return lists;
  for (;;) {
    const args: unknown[] = [];
    for (const it of iterators) {
      const step = it.next();
      if (step.done) return lists;
      args.push(step.value);
    }
    lists.push(args);
  }
}

/**
 * An executor's `map()` results: the futures' results in order. Leaving
 * the loop early (or a failure) hands each future to `abandon` (which
 * cancels what has not started).
 */
export async function* resultsInOrder<R>(
  futures: readonly ConcurrentFuture<R>[],
  abandon: (future: ConcurrentFuture<R>) => void,
): AsyncGenerator<R, void, undefined> {
  try {
    for (const fut of futures) yield await fut;
  } finally {
    for (const fut of futures) abandon(fut);
  }
}
