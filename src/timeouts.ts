/**
 * `timeout()` and `timeoutAt()`: a deadline for a block of code, Python's
 * `asyncio.timeout`, written with `await using`.
 *
 * @module
 */
import { CancelledError, TimeoutError } from "./errors.ts";
import { type EventLoop, getRunningLoop, type Handle } from "./events.ts";
import { currentTaskOf } from "./_current.ts";
import { replaceError } from "./_replace_error.ts";
import type { Task } from "./tasks.ts";

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
  #loop: EventLoop;
  #cancelling: number;

  /** @internal Use {@link timeout} or {@link timeoutAt}. */
  constructor(when: number | null, loop: EventLoop = getRunningLoop()) {
    const task = currentTaskOf(loop);
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
    if (when !== null && (typeof when !== "number" || Number.isNaN(when))) {
      throw new TypeError(`the deadline must be a number or null, got ${when}`);
    }
    this.#when = when;
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
      ? this.#task._lastCancelError
      : null;
    const timedOut = this._exit(error, error !== null, true);
    if (timedOut && error !== null) {
      replaceError(
        error,
        new TimeoutError("", { cause: new CancelledError(error.message) }),
      );
    }
    return Promise.resolve();
  }

  /**
   * @internal Python's `__aexit__`: returns true when the error leaving
   * the scope is the cancellation the expiry caused (and, unless `inPlace`,
   * throws the TimeoutError for it).
   */
  _exit(error: unknown, hasError: boolean, inPlace = false): boolean {
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
    this.#task._lastCancelError = null;
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
  if (delay !== null && (typeof delay !== "number" || Number.isNaN(delay))) {
    throw new TypeError(
      `timeout() takes a number of seconds or null, got ${String(delay)}`,
    );
  }
  return new Timeout(delay === null ? null : loop.time() + delay, loop);
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
  return new Timeout(when, getRunningLoop());
}
