/**
 * Synchronization primitives with Python's semantics: `Lock`, `Event`,
 * `Condition`, `Semaphore`, `BoundedSemaphore`, `Barrier`. All are FIFO-fair
 * and safe under cancellation: a cancelled waiter never swallows a wakeup or
 * a permit, and one woken and cancelled at once passes the wakeup on.
 *
 * Python's `async with lock:` is `using _held = await lock.acquire();`:
 * `acquire()` resolves to a {@link Releaser}.
 *
 * @module
 */
import {
  checkFunction,
  checkInteger,
  describe,
  typeError,
} from "./_validate.ts";
import { LoopBinding, WaiterQueue } from "./_waiters.ts";
import type { Future } from "./futures.ts";
import { Coroutine } from "./coroutines.ts";
import { BrokenBarrierError, CancelledError } from "./errors.ts";

/**
 * What `acquire()` resolves to: releases what was acquired, once, when
 * called or when its `using` scope ends.
 *
 * @example Hold a lock for a block
 * ```ts
 * import { Lock, run } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const lock = new Lock();
 *   {
 *     using _held = await lock.acquire();
 *     console.log(lock.locked()); // true
 *   }
 *   console.log(lock.locked()); // false
 * });
 * ```
 */
export class Releaser implements Disposable, AsyncDisposable {
  #held: (() => void) | { release(): void } | null;

  /**
   * Made by `acquire()`: `held` is the function that releases, or the
   * lock or semaphore whose `release()` does.
   */
  constructor(held: (() => void) | { release(): void }) {
    this.#held = held;
  }

  /** Releases what was acquired; a second call throws. */
  release(): void {
    const held = this.#held;
    if (held === null) throw new Error("already released");
    this.#held = null;
    if (typeof held === "function") held();
    else held.release();
  }

  /** Releases, unless `release()` was called already. */
  [Symbol.dispose](): void {
    if (this.#held !== null) this.release();
  }

  /** Same as `[Symbol.dispose]`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    this[Symbol.dispose]();
    return Promise.resolve();
  }
}

/**
 * What {@link Lock.statistics} returns (Trio's `statistics()`).
 *
 * @example
 * ```ts
 * import { Lock, type LockStatistics } from "@aio/asyncio";
 *
 * const stats: LockStatistics = new Lock().statistics();
 * console.log(stats); // { locked: false, waiting: 0 }
 * ```
 */
export interface LockStatistics {
  /** Whether the lock is held. */
  locked: boolean;
  /** Tasks in line for it (a woken one counts until it runs). */
  waiting: number;
}

/**
 * What the `statistics()` of an {@link Event} or a {@link Condition}
 * returns.
 *
 * @example
 * ```ts
 * import { Event, type WaitingStatistics } from "@aio/asyncio";
 *
 * const stats: WaitingStatistics = new Event().statistics();
 * console.log(stats.waiting); // 0
 * ```
 */
export interface WaitingStatistics {
  /** Tasks waiting (a woken one counts until it runs). */
  waiting: number;
}

/**
 * What {@link Semaphore.statistics} returns.
 *
 * @example
 * ```ts
 * import { Semaphore, type SemaphoreStatistics } from "@aio/asyncio";
 *
 * const stats: SemaphoreStatistics = new Semaphore(2).statistics();
 * console.log(stats); // { value: 2, waiting: 0 }
 * ```
 */
export interface SemaphoreStatistics {
  /** Permits free now. */
  value: number;
  /** Tasks in line for a permit (a woken one counts until it runs). */
  waiting: number;
}

// Python 3.10 dropped the primitives' `loop` argument (they bind to the
// loop they are first used on): an options object or any extra argument
// is refused rather than ignored.
function refuseExtra(name: string, args: IArguments, expected: number): void {
  if (args.length <= expected) return;
  const extra = args[expected];
  const hint = extra !== null && typeof extra === "object" && "loop" in extra
    ? ": there is no loop option, a primitive binds to the loop it is first used on"
    : "";
  throw new TypeError(
    `new ${name}() got an unexpected argument ${describe(extra)}${hint}`,
  );
}

/**
 * A mutual-exclusion lock, Python's `asyncio.Lock`.
 *
 * @example The seed's two coroutines waiting for one lock
 * ```ts
 * import { Lock, run, gather } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const lock = new Lock();
 *   const worker = async (name: string) => {
 *     using _held = await lock.acquire();
 *     console.log(`${name} holds the lock`);
 *   };
 *   await gather(() => worker("coro1"), () => worker("coro2"));
 * });
 * ```
 */
export class Lock {
  #locked = false;
  #waiters = new WaiterQueue<boolean>(new LoopBinding(this));

  /** A free lock. It binds to the loop it is first waited on. */
  constructor() {
    refuseExtra("Lock", arguments, 0);
  }

  /** Whether the lock is held. */
  locked(): boolean {
    return this.#locked;
  }

  /**
   * Waits until the lock is free and takes it (first come, first served);
   * resolves to a {@link Releaser}. A coroutine: nothing waits until it
   * is awaited (or run by `waitFor`, `createTask`, ...).
   */
  acquire(): Coroutine<Releaser> {
    return new Coroutine(this.#acquire, this, undefined, "Lock.acquire");
  }

  #acquire(): Releaser | Future<Releaser> {
    if (!this.#locked && !this.#waiters.hasLiveWaiter()) {
      this.#locked = true;
      return new Releaser(this);
    }
    return this.#waiters.park(this.#abandoned, this.#resumed);
  }

  #resumed = (): Releaser => {
    this.#locked = true;
    return new Releaser(this);
  };

  // Cancelled (perhaps just after being woken): if the lock is free, the
  // waiter now at the head gets its chance.
  #abandoned = (): void => {
    if (!this.#locked) this.#waiters.wakeHead(true);
  };

  /** Releases the lock; throws if it is not held. */
  release(): void {
    if (!this.#locked) throw new Error("Lock is not acquired.");
    this.#locked = false;
    this.#waiters.wakeHead(true);
  }

  /** Whether the lock is held and how many tasks are in line for it. */
  statistics(): LockStatistics {
    return { locked: this.#locked, waiting: this.#waiters.size };
  }

  /** Python's repr: `<Lock [unlocked]>`, `<Lock [locked, waiters:2]>`. */
  toString(): string {
    const waiters = this.#waiters.size;
    return `<Lock [${this.#locked ? "locked" : "unlocked"}${
      waiters ? `, waiters:${waiters}` : ""
    }]>`;
  }
}

/**
 * A flag tasks can wait for, Python's `asyncio.Event`.
 *
 * @example
 * ```ts
 * import { Event, createTask, run, sleep } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const event = new Event();
 *   const waiter = createTask(async () => {
 *     await event.wait();
 *     console.log("event is set:", event.isSet());
 *   });
 *   await sleep(0.01);
 *   event.set();
 *   await waiter;
 * });
 * ```
 */
export class Event {
  #value = false;
  #waiters = new WaiterQueue<boolean>(new LoopBinding(this));

  /** An event not set. It binds to the loop it is first waited on. */
  constructor() {
    refuseExtra("Event", arguments, 0);
  }

  /** Whether the flag is set. */
  isSet(): boolean {
    return this.#value;
  }

  /** Sets the flag and wakes every waiter. */
  set(): void {
    if (this.#value) return;
    this.#value = true;
    this.#waiters.wakeAll(true);
  }

  /** Clears the flag. */
  clear(): void {
    this.#value = false;
  }

  /** How many tasks wait for the flag. */
  statistics(): WaitingStatistics {
    return { waiting: this.#waiters.size };
  }

  /** Waits until the flag is set; resolves to true (a coroutine). */
  wait(): Coroutine<true> {
    return new Coroutine(this.#wait, this, undefined, "Event.wait");
  }

  #wait(): true | Future<true> {
    if (this.#value) return true;
    return this.#waiters.park() as Future<true>;
  }

  /** Python's repr: `<Event [unset, waiters:1]>`. */
  toString(): string {
    const waiters = this.#waiters.size;
    return `<Event [${this.#value ? "set" : "unset"}${
      waiters ? `, waiters:${waiters}` : ""
    }]>`;
  }
}

/**
 * A condition variable, Python's `asyncio.Condition`: a lock plus a way to
 * wait until another task notifies.
 *
 * @example Wait for a predicate
 * ```ts
 * import { Condition, createTask, run, sleep } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const cond = new Condition();
 *   let ready = false;
 *   const consumer = createTask(async () => {
 *     using _held = await cond.acquire();
 *     await cond.waitFor(() => ready);
 *     console.log("ready");
 *   });
 *   await sleep(0.01);
 *   {
 *     using _held = await cond.acquire();
 *     ready = true;
 *     cond.notifyAll();
 *   }
 *   await consumer;
 * });
 * ```
 */
export class Condition {
  #lock: Lock;
  #waiters = new WaiterQueue<boolean>(new LoopBinding(this));

  /** A condition on `lock`, or on a new Lock. */
  constructor(lock?: Lock) {
    refuseExtra("Condition", arguments, 1);
    if (lock !== undefined && !(lock instanceof Lock)) {
      throw typeError("new Condition()", "lock", "a Lock or undefined", lock);
    }
    this.#lock = lock ?? new Lock();
  }

  /** Whether the underlying lock is held. */
  locked(): boolean {
    return this.#lock.locked();
  }

  /** Acquires the underlying lock; resolves to a {@link Releaser}. */
  acquire(): Coroutine<Releaser> {
    return this.#lock.acquire();
  }

  /** Releases the underlying lock. */
  release(): void {
    this.#lock.release();
  }

  /**
   * Releases the lock, waits until notified, and takes the lock again
   * (even when cancelled) before returning true. The lock must be held.
   * A coroutine: nothing happens until it is awaited.
   */
  wait(): Coroutine<true> {
    return new Coroutine(this.#wait, this, undefined, "Condition.wait");
  }

  async #wait(): Promise<true> {
    if (!this.locked()) throw new Error("cannot wait on un-acquired lock");
    // In line (and bound to this loop) before the lock is let go: a wrong
    // loop fails here with the lock still held.
    const notified = this.#waiters.park();
    this.release();
    try {
      try {
        await notified;
        return true;
      } finally {
        // The lock is taken again whatever happened; a cancellation during
        // that is raised afterwards.
        let error: unknown = null;
        for (;;) {
          try {
            await this.acquire();
            break;
          } catch (e) {
            // Only a cancellation is retried (as Python); anything else
            // replaces the outcome at once.
            // deno-lint-ignore no-unsafe-finally
            if (!(e instanceof CancelledError)) throw e;
            error = e;
          }
        }
        // Deliberate, as in Python: the cancellation replaces the outcome.
        // deno-lint-ignore no-unsafe-finally
        if (error !== null) throw error;
      }
    } catch (e) {
      // The error may have come after this task was notified: notify
      // another, so that the notification is not lost (a spurious wakeup
      // is allowed by the protocol).
      this.#notify(1);
      throw e;
    }
  }

  /** Waits until `predicate()` is truthy; resolves to its value. */
  waitFor<R>(predicate: () => R): Coroutine<R> {
    checkFunction("Condition.waitFor()", "predicate", predicate);
    return new Coroutine(
      this.#waitFor<R>,
      this,
      predicate,
      "Condition.waitFor",
    );
  }

  async #waitFor<R>(predicate: () => R): Promise<R> {
    let result = predicate();
    while (!result) {
      await this.wait();
      result = predicate();
    }
    return result;
  }

  /** Wakes up to `n` waiters. The lock must be held. */
  notify(n = 1): void {
    if (!this.locked()) throw new Error("cannot notify on un-acquired lock");
    this.#notify(n);
  }

  /** Wakes every waiter. The lock must be held. */
  notifyAll(): void {
    this.notify(this.#waiters.size);
  }

  /** How many tasks wait to be notified. */
  statistics(): WaitingStatistics {
    return { waiting: this.#waiters.size };
  }

  #notify(n: number): void {
    this.#waiters.wakeUpTo(n, false);
  }

  /** Python's repr: `<Condition [locked, waiters:1]>`. */
  toString(): string {
    const waiters = this.#waiters.size;
    return `<Condition [${this.locked() ? "locked" : "unlocked"}${
      waiters ? `, waiters:${waiters}` : ""
    }]>`;
  }
}

/**
 * A counter of permits, Python's `asyncio.Semaphore`: `acquire()` takes one
 * (waiting while there are none), `release()` gives one back.
 *
 * @example At most two at a time
 * ```ts
 * import { gather, run, Semaphore, sleep } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const sem = new Semaphore(2);
 *   let inside = 0;
 *   const job = async () => {
 *     using _permit = await sem.acquire();
 *     inside++;
 *     console.log("inside:", inside); // never more than 2
 *     await sleep(0.01);
 *     inside--;
 *   };
 *   await gather(job, job, job);
 * });
 * ```
 */
export class Semaphore {
  #value: number;
  #waiters = new WaiterQueue<boolean>(new LoopBinding(this));

  /** A semaphore with `value` permits (a non-negative integer). */
  constructor(value = 1) {
    refuseExtra(new.target.name, arguments, 1);
    this.#value = checkInteger("new Semaphore()", "value", value, 0);
  }

  /** The permits free now (Python's `_value`). */
  protected get value(): number {
    return this.#value;
  }

  /** Whether `acquire()` would wait. */
  locked(): boolean {
    return this.#value === 0 || this.#waiters.hasLiveWaiter();
  }

  /**
   * Takes a permit, waiting (first come, first served) while there is
   * none; resolves to a {@link Releaser}. A coroutine.
   */
  acquire(): Coroutine<Releaser> {
    return new Coroutine(
      this.#acquire,
      this,
      undefined,
      `${this.constructor.name}.acquire`,
    );
  }

  #acquire(): Releaser | Future<Releaser> {
    if (!this.locked()) {
      this.#value--;
      return new Releaser(this);
    }
    return this.#waiters.park(this.#abandoned, this.#resumed);
  }

  #resumed = (): Releaser => {
    this.#wakeWhilePermits();
    return new Releaser(this);
  };

  #abandoned = (woken: boolean): void => {
    // Woken (a permit was taken for us) and cancelled at once: give the
    // permit back.
    if (woken) this.#value++;
    this.#wakeWhilePermits();
  };

  // Waiters that arrived while one was woken had to queue behind it: wake
  // as many as there are permits.
  #wakeWhilePermits(): void {
    while (this.#value > 0) {
      if (!this.#wakeUpNext()) break;
    }
  }

  /** Gives a permit back and wakes the next waiter. */
  release(): void {
    this.#value++;
    this.#wakeUpNext();
  }

  /** The permits free and how many tasks are in line for one. */
  statistics(): SemaphoreStatistics {
    return { value: this.#value, waiting: this.#waiters.size };
  }

  #wakeUpNext(): boolean {
    // The permit is taken on the waiter's behalf when it is woken.
    if (this.#waiters.size === 0) return false;
    this.#value--;
    if (this.#waiters.wakeNext(true)) return true;
    this.#value++;
    return false;
  }

  /** Python's repr: `<Semaphore [unlocked, value:2]>`. */
  toString(): string {
    const waiters = this.#waiters.size;
    return `<${this.constructor.name} [${
      this.locked() ? "locked" : `unlocked, value:${this.#value}`
    }${waiters ? `, waiters:${waiters}` : ""}]>`;
  }
}

/**
 * A semaphore that refuses to be released more times than it was
 * acquired, Python's `asyncio.BoundedSemaphore`.
 *
 * @example
 * ```ts
 * import { BoundedSemaphore } from "@aio/asyncio";
 *
 * const sem = new BoundedSemaphore(1);
 * try {
 *   sem.release();
 * } catch (e) {
 *   console.log(e instanceof RangeError); // true
 * }
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  #bound: number;

  /** A bounded semaphore with `value` permits. */
  constructor(value = 1) {
    refuseExtra("BoundedSemaphore", arguments, 1);
    super(value);
    this.#bound = value;
  }

  /** Gives a permit back; throws `RangeError` if that exceeds the bound. */
  override release(): void {
    if (this.value >= this.#bound) {
      throw new RangeError("BoundedSemaphore released too many times");
    }
    super.release();
  }
}

type BarrierState = "filling" | "draining" | "resetting" | "broken";

/**
 * A barrier for a fixed number of tasks, Python's `asyncio.Barrier`: each
 * `wait()` blocks until `parties` tasks wait, then all go on together.
 *
 * @example
 * ```ts
 * import { Barrier, gather, run } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const barrier = new Barrier(3);
 *   const indexes = await gather(
 *     () => barrier.wait(),
 *     () => barrier.wait(),
 *     () => barrier.wait(),
 *   );
 *   console.log(indexes); // [ 0, 1, 2 ]
 * });
 * ```
 */
export class Barrier {
  #cond = new Condition();
  #parties: number;
  #state: BarrierState = "filling";
  #count = 0;

  /** A barrier for `parties` tasks (a positive integer). */
  constructor(parties: number) {
    this.#parties = checkInteger("new Barrier()", "parties", parties, 1);
  }

  /** How many tasks must wait for the barrier to open. */
  get parties(): number {
    return this.#parties;
  }

  /** How many tasks wait now. */
  get nWaiting(): number {
    return this.#state === "filling" ? this.#count : 0;
  }

  /** Whether the barrier is broken. */
  get broken(): boolean {
    return this.#state === "broken";
  }

  /**
   * Waits until `parties` tasks wait; resolves to this task's index
   * (0 .. parties-1). Throws `BrokenBarrierError` if the barrier is broken
   * or reset meanwhile. A coroutine.
   */
  wait(): Coroutine<number> {
    return new Coroutine(this.#wait, this, undefined, "Barrier.wait");
  }

  async #wait(): Promise<number> {
    using _held = await this.#cond.acquire();
    await this.#block();
    const index = this.#count;
    this.#count++;
    try {
      if (index + 1 === this.#parties) {
        this.#state = "draining";
        this.#cond.notifyAll();
      } else {
        await this.#cond.waitFor(() => this.#state !== "filling");
        if (this.#state === "broken" || this.#state === "resetting") {
          throw new BrokenBarrierError("Abort or reset of barrier");
        }
      }
      return index;
    } finally {
      this.#count--;
      this.#exit();
    }
  }

  /** Resets the barrier; tasks waiting get `BrokenBarrierError`. */
  reset(): Coroutine<void> {
    return new Coroutine(this.#reset, this, undefined, "Barrier.reset");
  }

  async #reset(): Promise<void> {
    using _held = await this.#cond.acquire();
    if (this.#count > 0) {
      if (this.#state !== "resetting") this.#state = "resetting";
    } else {
      this.#state = "filling";
    }
    this.#cond.notifyAll();
  }

  /** Breaks the barrier: waiting and future `wait()`s throw. */
  abort(): Coroutine<void> {
    return new Coroutine(this.#abort, this, undefined, "Barrier.abort");
  }

  async #abort(): Promise<void> {
    using _held = await this.#cond.acquire();
    this.#state = "broken";
    this.#cond.notifyAll();
  }

  /** Python's repr: `<Barrier [filling, waiters:1/3]>`. */
  toString(): string {
    const waiting = this.#state === "filling"
      ? `, waiters:${this.nWaiting}/${this.#parties}`
      : "";
    return `<Barrier [${this.#state}${waiting}]>`;
  }

  // Blocks while the barrier drains or resets; throws if it is broken.
  async #block(): Promise<void> {
    await this.#cond.waitFor(() =>
      this.#state !== "draining" && this.#state !== "resetting"
    );
    if (this.#state === "broken") {
      throw new BrokenBarrierError("Barrier aborted");
    }
  }

  // The last task out lets the next round in.
  #exit(): void {
    if (this.#count === 0) {
      if (this.#state === "resetting" || this.#state === "draining") {
        this.#state = "filling";
      }
      this.#cond.notifyAll();
    }
  }
}
