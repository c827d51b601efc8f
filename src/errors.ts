/**
 * The error classes of asyncio, with Python's names.
 *
 * Where Python raises a built-in error, the module raises JavaScript's
 * nearest one: `ValueError` becomes `RangeError`, `TypeError` stays
 * `TypeError`, and `RuntimeError` becomes `Error` with Python's message.
 *
 * @module
 */

/**
 * Raised inside a task (and by `result()` of a cancelled future) when the
 * task or future is cancelled. Python's `asyncio.CancelledError`.
 *
 * @example Catch the cancellation of a task
 * ```ts
 * import { CancelledError, createTask, run, sleep } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const task = createTask(() => sleep(10));
 *   await sleep(0);
 *   task.cancel();
 *   try {
 *     await task;
 *   } catch (e) {
 *     console.log(e instanceof CancelledError); // true
 *   }
 * });
 * ```
 */
export class CancelledError extends Error {
  /** Creates the error; `message` is the one given to `cancel(msg)`. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "", options);
    this.name = "CancelledError";
  }
}

/**
 * Raised when an operation exceeds its deadline: `waitFor`, `timeout`,
 * `asCompleted` with a timeout. Python's `TimeoutError`.
 *
 * @example Give up on a slow operation
 * ```ts
 * import { run, sleep, TimeoutError, waitFor } from "@aio/asyncio";
 *
 * await run(async () => {
 *   try {
 *     await waitFor(sleep(10), 0.01);
 *   } catch (e) {
 *     console.log(e instanceof TimeoutError); // true
 *   }
 * });
 * ```
 */
export class TimeoutError extends Error {
  /** Creates the error. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "", options);
    this.name = "TimeoutError";
  }
}

/**
 * Raised when a future is used in a state that does not allow it: reading
 * the result of a pending future, setting the result of a done one.
 *
 * @example Setting a result twice
 * ```ts
 * import { InvalidStateError, newEventLoop } from "@aio/asyncio";
 *
 * const loop = newEventLoop();
 * const fut = loop.createFuture<string>();
 * fut.setResult("xxx");
 * try {
 *   fut.setResult("yyy");
 * } catch (e) {
 *   console.log(e instanceof InvalidStateError); // true
 * }
 * loop.close();
 * ```
 */
export class InvalidStateError extends Error {
  /** Creates the error. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "", options);
    this.name = "InvalidStateError";
  }
}

/**
 * Raised by `Runner.run()` when the main task was cancelled by Ctrl-C
 * (SIGINT). `run()` exits the process with status 130 instead, as Python
 * does for an uncaught `KeyboardInterrupt`.
 *
 * @example Handle Ctrl-C yourself with a Runner
 * ```ts
 * import { KeyboardInterrupt, Runner, sleep } from "@aio/asyncio";
 *
 * await using runner = new Runner();
 * try {
 *   await runner.run(() => sleep(0.01));
 * } catch (e) {
 *   if (!(e instanceof KeyboardInterrupt)) throw e;
 *   console.log("interrupted");
 * }
 * ```
 */
export class KeyboardInterrupt extends Error {
  /** Creates the error. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "", options);
    this.name = "KeyboardInterrupt";
  }
}

/**
 * The error a `TaskGroup` raises when children failed: an `AggregateError`
 * whose `errors` (also `exceptions`, as in Python) holds every child's
 * error. The message is Python's: `unhandled errors in a TaskGroup (2
 * sub-exceptions)`.
 *
 * @example Inspect every failure of a task group
 * ```ts
 * import { ExceptionGroup, run, TaskGroup } from "@aio/asyncio";
 *
 * await run(async () => {
 *   try {
 *     await using tg = new TaskGroup();
 *     tg.createTask(async () => { throw new RangeError("a"); });
 *     tg.createTask(async () => { throw new TypeError("b"); });
 *   } catch (e) {
 *     if (!(e instanceof ExceptionGroup)) throw e;
 *     console.log(e.errors.length); // 2
 *   }
 * });
 * ```
 */
export class ExceptionGroup extends AggregateError {
  /** Creates the group; `message` is followed by the count, as in Python. */
  constructor(message: string, errors: unknown[]) {
    const n = errors.length;
    super(errors, `${message} (${n} sub-exception${n === 1 ? "" : "s"})`);
    this.name = "ExceptionGroup";
  }

  /** Python's name for `errors`. */
  get exceptions(): unknown[] {
    return this.errors;
  }
}

/**
 * Raised by `Barrier.wait()` when the barrier is broken (aborted or reset
 * while tasks wait). Python's `asyncio.BrokenBarrierError`.
 *
 * @example
 * ```ts
 * import { Barrier, BrokenBarrierError, createTask, run, sleep } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const barrier = new Barrier(2);
 *   const waiter = createTask(() => barrier.wait());
 *   await sleep(0);
 *   await barrier.abort();
 *   try {
 *     await waiter;
 *   } catch (e) {
 *     console.log(e instanceof BrokenBarrierError); // true
 *   }
 * });
 * ```
 */
export class BrokenBarrierError extends Error {
  /** Creates the error. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "", options);
    this.name = "BrokenBarrierError";
  }
}

/**
 * Raised by `Queue.getNowait()` when the queue is empty.
 *
 * @example
 * ```ts
 * import { Queue, QueueEmpty } from "@aio/asyncio";
 *
 * try {
 *   new Queue().getNowait();
 * } catch (e) {
 *   console.log(e instanceof QueueEmpty); // true
 * }
 * ```
 */
export class QueueEmpty extends Error {
  /** Creates the error. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "", options);
    this.name = "QueueEmpty";
  }
}

/**
 * Raised by `Queue.putNowait()` when the queue is full.
 *
 * @example
 * ```ts
 * import { Queue, QueueFull } from "@aio/asyncio";
 *
 * const q = new Queue<number>(1);
 * q.putNowait(1);
 * try {
 *   q.putNowait(2);
 * } catch (e) {
 *   console.log(e instanceof QueueFull); // true
 * }
 * ```
 */
export class QueueFull extends Error {
  /** Creates the error. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "", options);
    this.name = "QueueFull";
  }
}

/**
 * Raised by `put` and `get` on a queue that was shut down (Python 3.13's
 * `asyncio.QueueShutDown`); `get` drains the items left first, unless the
 * shutdown was immediate.
 *
 * @example
 * ```ts
 * import { Queue, QueueShutDown } from "@aio/asyncio";
 *
 * const q = new Queue<number>();
 * q.shutdown();
 * try {
 *   q.putNowait(1);
 * } catch (e) {
 *   console.log(e instanceof QueueShutDown); // true
 * }
 * ```
 */
export class QueueShutDown extends Error {
  /** Creates the error. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "", options);
    this.name = "QueueShutDown";
  }
}

/**
 * The Worker running a job died (an uncaught error, `self.close()`, or an
 * unhandled rejection in the Worker): only that job fails with this error,
 * and the pool starts a new Worker for the jobs after it.
 *
 * @example
 * ```ts ignore
 * import { run, toThread, WorkerCrashedError } from "@aio/asyncio";
 *
 * await run(async () => {
 *   try {
 *     await toThread(() => {
 *       setTimeout(() => {
 *         throw new Error("boom");
 *       });
 *       return new Promise(() => {});
 *     });
 *   } catch (e) {
 *     console.log(e instanceof WorkerCrashedError); // true
 *   }
 * });
 * ```
 */
export class WorkerCrashedError extends Error {
  /** Creates the error. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "", options);
    this.name = "WorkerCrashedError";
  }
}

/**
 * Raised by `readexactly` and `readuntil` when the stream ends first:
 * `partial` holds the bytes read before the end, `expected` the number
 * wanted (null for `readuntil`). Python's `asyncio.IncompleteReadError`.
 *
 * @example
 * ```ts
 * import { IncompleteReadError, run, StreamReader } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const reader = new StreamReader();
 *   reader.feedData(new TextEncoder().encode("abc"));
 *   reader.feedEof();
 *   try {
 *     await reader.readexactly(5);
 *   } catch (e) {
 *     if (e instanceof IncompleteReadError) {
 *       console.log(e.partial.length, e.expected); // 3 5
 *     }
 *   }
 * });
 * ```
 */
export class IncompleteReadError extends Error {
  /** The bytes read before the end of the stream. */
  readonly partial: Uint8Array;
  /** How many bytes were wanted (null: up to a separator). */
  readonly expected: number | null;
  /** Creates the error, with Python's message. */
  constructor(partial: Uint8Array, expected: number | null) {
    super(
      `${partial.length} bytes read on a total of ${
        expected === null ? "undefined" : expected
      } expected bytes`,
    );
    this.name = "IncompleteReadError";
    this.partial = partial;
    this.expected = expected;
  }
}

/**
 * Raised by `readuntil` (and `readline`, where Python raises a
 * `ValueError`: this class is a `RangeError`) when no separator is found
 * within the reader's `limit`. `consumed` is how many bytes can be
 * dropped to move on. Python's `asyncio.LimitOverrunError`.
 *
 * @example
 * ```ts
 * import { LimitOverrunError, run, StreamReader } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const reader = new StreamReader({ limit: 4 });
 *   reader.feedData(new TextEncoder().encode("a long line\n"));
 *   try {
 *     await reader.readuntil("\n");
 *   } catch (e) {
 *     console.log(e instanceof LimitOverrunError); // true
 *   }
 * });
 * ```
 */
export class LimitOverrunError extends RangeError {
  /** How many bytes to drop to get past the overrun. */
  readonly consumed: number;
  /** Creates the error. */
  constructor(message: string, consumed: number) {
    super(message);
    this.name = "LimitOverrunError";
    this.consumed = consumed;
  }
}
