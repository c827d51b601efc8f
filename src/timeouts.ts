/**
 * `timeout()` and `timeoutAt()`: a deadline for a block of code, Python's
 * `asyncio.timeout`, written with `await using`; and `waitFor`, which is
 * built on it (as in CPython 3.12+).
 *
 * @module
 */
import { replaceError } from "./_replace_error.ts";
import { checkOptionalSeconds } from "./_validate.ts";
import { CancelledError, TimeoutError } from "./errors.ts";
import {
  type AbstractEventLoop,
  getRunningLoop,
  type Handle,
} from "./events.ts";
import type { Future } from "./futures.ts";
import {
  type AwaitableLike,
  currentTask,
  kLastCancelError,
  type Task,
  toFuture,
} from "./tasks.ts";

// Python's __aexit__, for waitFor, which knows the error leaving its scope.
const kExit: unique symbol = Symbol("exit");

type State = "entered" | "expiring" | "expired" | "exited";

/**
 * A deadline for the code of the scope it is declared in. When it passes,
 * the task is cancelled, and the `CancelledError` leaving the scope becomes
 * a `TimeoutError`. Created (and started) by {@link timeout} and
 * {@link timeoutAt}.
 *
 * @example Extend a deadline
 * ```ts
 * import { run, sleep, timeout } from "@aio/asyncio";
 *
 * await run(async () => {
 *   await using t = timeout(0.01);
 *   t.reschedule(t.when()! + 1);
 *   await sleep(0.02);
 *   console.log(t.expired()); // false
 * });
 * ```
 */
export class Timeout implements AsyncDisposable {
  #state: State = "entered";
  #when: number | null;
  #handle: Handle | null = null;
  #task: Task<unknown>;
  #loop: AbstractEventLoop;
  #cancelling: number;

  /** Made by {@link timeout} or {@link timeoutAt}, in the current task. */
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
    if (this.#state !== "entered") {
      throw new Error(
        this.#state === "exited"
          ? "Timeout has already been exited"
          : "Cannot change state of expiring Timeout",
      );
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
   * Ends the scope: if the deadline cancelled the task, the
   * `CancelledError` it threw becomes a `TimeoutError`.
   */
  [Symbol.asyncDispose](): Promise<void> {
    // `await using` does not tell the disposer which error is leaving the
    // scope; the CancelledError that the expiry caused is known, though,
    // and is turned into the TimeoutError in place.
    const error = this.#state === "expiring"
      ? this.#task[kLastCancelError]
      : null;
    const timedOut = this[kExit](error, error !== null, true);
    if (timedOut && error !== null) {
      replaceError(
        error,
        new TimeoutError("", { cause: new CancelledError(error.message) }),
      );
    }
    return Promise.resolve();
  }

  /**
   * @ignore Python's `__aexit__`: returns true when the error leaving the
   * scope is the cancellation the expiry caused (and, unless `inPlace`,
   * throws the TimeoutError for it).
   */
  [kExit](error: unknown, hasError: boolean, inPlace = false): boolean {
    this.#handle?.cancel();
    this.#handle = null;
    if (this.#state === "expiring") {
      this.#state = "expired";
      if (
        this.#task.uncancel() <= this.#cancelling && hasError &&
        error instanceof CancelledError
      ) {
        if (!inPlace) throw new TimeoutError("", { cause: error });
        return true;
      }
    } else if (this.#state === "entered") {
      this.#state = "exited";
    }
    return false;
  }

  /** Python's repr. */
  toString(): string {
    const when = this.#state === "entered" ? ` when=${this.#when}` : "";
    return `<Timeout [${this.#state}]${when}>`;
  }

  #onTimeout = (): void => {
    this.#handle = null;
    if (this.#state !== "entered") return;
    this.#task[kLastCancelError] = null;
    this.#task.cancel();
    this.#state = "expiring";
  };
}

/**
 * A deadline `delay` seconds from now for the rest of the scope
 * (null: none), Python's `asyncio.timeout`. The clock starts when
 * `timeout()` is called.
 *
 * @example
 * ```ts
 * import { run, sleep, timeout, TimeoutError } from "@aio/asyncio";
 *
 * await run(async () => {
 *   try {
 *     await using _t = timeout(0.01);
 *     await sleep(10);
 *   } catch (e) {
 *     console.log(e instanceof TimeoutError); // true
 *   }
 * });
 * ```
 */
export function timeout(delay: number | null): Timeout {
  const loop = getRunningLoop();
  const seconds = checkOptionalSeconds("timeout()", "delay", delay);
  return new Timeout(seconds === null ? null : loop.time() + seconds, loop);
}

/**
 * A deadline at loop time `when` (null: none), Python's
 * `asyncio.timeout_at`.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, sleep, timeoutAt } from "@aio/asyncio";
 *
 * await run(async () => {
 *   await using t = timeoutAt(getRunningLoop().time() + 1);
 *   await sleep(0.01);
 *   console.log(t.expired()); // false
 * });
 * ```
 */
export function timeoutAt(when: number | null): Timeout {
  checkOptionalSeconds("timeoutAt()", "when", when);
  return new Timeout(when, getRunningLoop());
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
  const seconds = checkOptionalSeconds("waitFor()", "timeout", timeout);
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
    scope[kExit](undefined, false);
    return result;
  } catch (error) {
    scope[kExit](error, true);
    throw error;
  }
}
