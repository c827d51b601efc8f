/**
 * `timeout()` and `timeoutAt()`: a deadline for a block of code, Python's
 * `asyncio.timeout`, in two forms: `await timeout(1, async () => { ... })`
 * sees the error leaving the block and has Python's exact semantics;
 * `await using _ = timeout(1)` cannot see it (JavaScript does not tell a
 * disposer) and turns the cancellations the deadline caused into
 * `TimeoutError` in place. And `waitFor`, built on the first (as in
 * CPython 3.12+).
 *
 * @module
 */
import { replaceError } from "./_replace_error.ts";
import {
  checkFunction,
  checkOptionalSeconds,
  startedPromiseError,
  typeError,
} from "./_validate.ts";
import { Coroutine } from "./coroutines.ts";
import { CancelledError, ExceptionGroup, TimeoutError } from "./errors.ts";
import {
  type AbstractEventLoop,
  getRunningLoop,
  type Handle,
  runningLoopOrNull,
} from "./events.ts";
import type { Future } from "./futures.ts";
import {
  type AwaitableLike,
  currentTask,
  kLastCancelError,
  takeBody,
  type Task,
  toFuture,
} from "./tasks.ts";

// Python's __aexit__, for the function form, which knows the error leaving
// the block; and how it marks the Timeout entered.
const kExit: unique symbol = Symbol("exit");
const kEnteredByBlock: unique symbol = Symbol("entered by block");

// Python 3.13's state names (`created` never shows: a Timeout is entered
// when it is made).
type State = "active" | "expiring" | "expired" | "finished";

/**
 * A deadline for a block of code, Python's `asyncio.Timeout`: when it
 * passes, the task running the block is cancelled, and the cancellation
 * leaving the block becomes a `TimeoutError`. Made (and entered, in the
 * current task) by {@link timeout} and {@link timeoutAt}; the function form
 * passes it to the block.
 *
 * @example Extend a deadline from inside the block
 * ```ts
 * import { run, sleep, timeout } from "@aio/asyncio";
 *
 * await run(async () => {
 *   await timeout(0.01, async (cm) => {
 *     cm.reschedule(cm.when()! + 1);
 *     await sleep(0.02);
 *     console.log(cm.expired()); // false
 *   });
 * });
 * ```
 */
export class Timeout implements AsyncDisposable {
  #state: State = "active";
  // `await using` entries seen (the function form counts as one).
  #entries = 0;
  #when: number | null;
  #handle: Handle | null = null;
  #task: Task<unknown>;
  #loop: AbstractEventLoop;
  #cancelling: number;

  /** Made by {@link timeout} or {@link timeoutAt}: enters in the current task. */
  constructor(
    when: number | null,
    loop: AbstractEventLoop = getRunningLoop(),
  ) {
    const task = currentTask(loop);
    if (task === null) throw new Error("Timeout should be used inside a task");
    this.#loop = loop;
    this.#task = task;
    this.#cancelling = task.cancelling();
    this.#when = null;
    this.reschedule(when);
  }

  /** The deadline in loop time, or null for none. */
  when(): number | null {
    return this.#when;
  }

  /** Moves the deadline (null: no deadline). */
  reschedule(when: number | null): void {
    if (this.#state !== "active") {
      throw new Error(`Cannot change state of ${this.#state} Timeout`);
    }
    this.#when = checkOptionalSeconds("reschedule()", "when", when);
    this.#handle?.cancel();
    this.#handle = null;
    if (when === null) return;
    if (when <= this.#loop.time()) {
      this.#handle = this.#loop.callSoon(this.#onTimeout);
    } else {
      this.#handle = this.#loop.callAt(when, this.#onTimeout);
    }
  }

  /** Whether the deadline has passed (and cancelled the task). */
  expired(): boolean {
    return this.#state === "expiring" || this.#state === "expired";
  }

  /**
   * Ends an `await using` scope. JavaScript does not say which error is
   * leaving it, so every cancellation the deadline caused (the
   * `CancelledError`s its task received since) is turned into a
   * `TimeoutError` in place; the function form needs no such guess.
   */
  get [Symbol.asyncDispose](): () => Promise<void> {
    // Read once by the `await using` that enters it; a second scope (or
    // one around the function form's Timeout) is Python's double enter.
    if (++this.#entries > 1) {
      throw new Error(`Timeout ${this} has already been entered`);
    }
    return this.#dispose;
  }

  /** @ignore The function form entered it: no `await using` may. */
  [kEnteredByBlock](): void {
    this.#entries = 1;
  }

  #dispose = (): Promise<void> => {
    const expiring = this.#state === "expiring";
    const caused = expiring ? this.#task[kLastCancelError] : null;
    const replacement = this[kExit](caused ?? undefined, caused !== null);
    if (caused !== null && replacement instanceof TimeoutError) {
      replaceError(caused, replacement);
    }
    return Promise.resolve();
  };

  /**
   * @ignore Python's `__aexit__`, told which error (if `hasError`) is
   * leaving the block: returns the error to raise instead (a TimeoutError
   * for a cancellation the deadline caused), or null. Another error whose
   * cause chain holds that cancellation gets a TimeoutError inserted in the
   * chain (CPython 3.13's `_insert_timeout_error`).
   */
  [kExit](error: unknown, hasError: boolean): Error | null {
    this.#handle?.cancel();
    this.#handle = null;
    if (this.#state === "expiring") {
      this.#state = "expired";
      if (this.#task.uncancel() <= this.#cancelling && hasError) {
        if (error instanceof CancelledError) {
          return new TimeoutError("", { cause: error });
        }
        if (error instanceof Error) {
          insertTimeoutError(error);
          if (error instanceof ExceptionGroup) {
            for (const e of error.errors) {
              if (e instanceof Error) insertTimeoutError(e);
            }
          }
        }
      }
    } else if (this.#state === "active") {
      this.#state = "finished";
    }
    return null;
  }

  /** Python's repr: `<Timeout [active] when=1.5>`. */
  toString(): string {
    if (this.#state !== "active") return `<Timeout [${this.#state}]>`;
    const when = this.#when === null
      ? "None"
      : String(Math.round(this.#when * 1000) / 1000);
    return `<Timeout [active] when=${when}>`;
  }

  #onTimeout = (): void => {
    this.#handle = null;
    if (this.#state !== "active") return;
    this.#task[kLastCancelError] = null;
    this.#task.cancel();
    this.#state = "expiring";
  };
}

// Where an error was raised while handling the cancellation (its cause
// chain holds it), a TimeoutError goes between them, as CPython 3.13 does
// with `__context__`.
function insertTimeoutError(error: Error): void {
  const seen = new Set<unknown>();
  let e: Error = error;
  while (e.cause instanceof Error && !seen.has(e)) {
    seen.add(e);
    if (e.cause instanceof CancelledError) {
      e.cause = new TimeoutError("", { cause: e.cause });
      return;
    }
    e = e.cause;
  }
}

// The function form: the block runs in the calling task under a Timeout
// that sees the error leaving it.
async function underDeadline<T>(
  when: number | null,
  body: (cm: Timeout) => PromiseLike<T>,
): Promise<T> {
  const cm = new Timeout(when);
  cm[kEnteredByBlock]();
  let result: T;
  try {
    result = await body(cm);
  } catch (error) {
    throw cm[kExit](error, true) ?? error;
  }
  cm[kExit](undefined, false);
  return result;
}

/**
 * A deadline `delay` seconds from now (null: none), Python's
 * `asyncio.timeout`. With a `body`, runs it in the calling task under the
 * deadline and resolves to its result; when the deadline passes, the body
 * is cancelled and `TimeoutError` is raised. Without one, returns the
 * {@link Timeout} for `await using _ = timeout(delay)` (see its notes).
 *
 * @example Both forms
 * ```ts
 * import { run, sleep, timeout, TimeoutError } from "@aio/asyncio";
 *
 * await run(async () => {
 *   console.log(await timeout(1, () => sleep(0.01, "in time"))); // in time
 *   try {
 *     await timeout(0.01, () => sleep(10));
 *   } catch (e) {
 *     console.log(e instanceof TimeoutError); // true
 *   }
 *   try {
 *     await using _t = timeout(0.01);
 *     await sleep(10);
 *   } catch (e) {
 *     console.log(e instanceof TimeoutError); // true
 *   }
 * });
 * ```
 */
export function timeout(delay: number | null): Timeout;
/** `timeout` around a block: resolves to the block's result. */
export function timeout<T>(
  delay: number | null,
  body: (cm: Timeout) => PromiseLike<T>,
): Coroutine<T>;
export function timeout<T>(
  delay: number | null,
  body?: (cm: Timeout) => PromiseLike<T>,
): Timeout | Coroutine<T> {
  const seconds = checkOptionalSeconds("timeout()", "delay", delay);
  if (body === undefined) {
    const loop = getRunningLoop();
    return new Timeout(seconds === null ? null : loop.time() + seconds, loop);
  }
  checkFunction("timeout()", "body", body);
  // The clock starts at the call (as Python's), or when the block starts
  // if no loop runs yet.
  const loop = runningLoopOrNull();
  const when = seconds === null || loop === null ? null : loop.time() + seconds;
  return new Coroutine(
    function timeoutBlock(): Promise<T> {
      const deadline = seconds === null
        ? null
        : when ?? getRunningLoop().time() + seconds;
      return underDeadline(deadline, body);
    },
    null,
    undefined,
    "timeout",
  );
}

/**
 * A deadline at loop time `when` (null: none), Python's
 * `asyncio.timeout_at`; with a `body`, runs it under the deadline (see
 * {@link timeout}).
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, sleep, timeoutAt } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const when = getRunningLoop().time() + 1;
 *   console.log(await timeoutAt(when, () => sleep(0.01, "done"))); // done
 *   await using t = timeoutAt(when);
 *   await sleep(0.01);
 *   console.log(t.expired()); // false
 * });
 * ```
 */
export function timeoutAt(when: number | null): Timeout;
/** `timeoutAt` around a block: resolves to the block's result. */
export function timeoutAt<T>(
  when: number | null,
  body: (cm: Timeout) => PromiseLike<T>,
): Coroutine<T>;
export function timeoutAt<T>(
  when: number | null,
  body?: (cm: Timeout) => PromiseLike<T>,
): Timeout | Coroutine<T> {
  checkOptionalSeconds("timeoutAt()", "when", when);
  if (body === undefined) return new Timeout(when, getRunningLoop());
  checkFunction("timeoutAt()", "body", body);
  return new Coroutine(
    function timeoutBlock(): Promise<T> {
      return underDeadline(when, body);
    },
    null,
    undefined,
    "timeoutAt",
  );
}

/**
 * Waits for one awaitable with a time limit, Python 3.12+'s `wait_for`: a
 * coroutine (object or function) runs in the calling task under
 * `timeout(t)`, a future is awaited under it; when the time is up it is
 * cancelled (and waited for) and `TimeoutError` is raised. `null` waits
 * without limit; 0 or less cancels it before it starts.
 *
 * @example
 * ```ts
 * import { Queue, run, sleep, TimeoutError, waitFor } from "@aio/asyncio";
 *
 * await run(async () => {
 *   try {
 *     await waitFor(() => sleep(1), 0.01);
 *   } catch (e) {
 *     console.log(e instanceof TimeoutError); // true
 *   }
 *   const queue = new Queue<number>();
 *   try {
 *     await waitFor(queue.get(), 0.01);
 *   } catch (e) {
 *     console.log(e instanceof TimeoutError, queue.statistics().gettersWaiting); // true 0
 *   }
 * });
 * ```
 */
export function waitFor<T>(
  aw: Future<T> | AwaitableLike<T>,
  timeout: number | null,
): Coroutine<T> {
  const seconds = checkOptionalSeconds("waitFor()", "timeout", timeout);
  // A coroutine runs in the calling task; anything else is a future.
  let run: () => PromiseLike<T>;
  let fut: Future<T> | null = null;
  if (aw instanceof Coroutine) run = takeBody(aw, "waitFor");
  else if (typeof aw === "function") run = aw;
  else if (aw instanceof Promise) throw startedPromiseError("waitFor", aw);
  else if (
    aw !== null && typeof aw === "object" && typeof aw.then === "function"
  ) {
    const f = fut = toFuture(aw, undefined, "waitFor");
    run = () => f;
  } else {
    throw typeError(
      "waitFor()",
      "aw",
      "a Future, a Task, a coroutine or a coroutine function",
      aw,
    );
  }
  return new Coroutine(
    function waitFor(): Promise<T> {
      if (seconds !== null && seconds <= 0) {
        return cancelledAtOnce(fut ?? toFuture(run, undefined, "waitFor"));
      }
      const deadline = seconds === null
        ? null
        : getRunningLoop().time() + seconds;
      return underDeadline(deadline, run);
    },
    null,
    undefined,
    "waitFor",
  );
}

// No time at all: as CPython, the awaitable is cancelled before it runs
// (a coroutine never starts), and waited for.
async function cancelledAtOnce<T>(fut: Future<T>): Promise<T> {
  if (fut.done()) return fut.result();
  const loop = getRunningLoop();
  const waiter = loop.createFuture<void>();
  const release = () => {
    if (!waiter.done()) waiter.setResult();
  };
  fut.addDoneCallback(release);
  try {
    fut.cancel();
    await waiter;
  } finally {
    fut.removeDoneCallback(release);
  }
  try {
    return fut.result();
  } catch (e) {
    if (e instanceof CancelledError) throw new TimeoutError("", { cause: e });
    throw e;
  }
}
