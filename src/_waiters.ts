// The one waiting mechanism under every lock, queue, transport and server
// (Trio's parking lot): a FIFO line of waiters, one future each. `park()`
// is the await itself and always takes its waiter out of the line when it
// returns or throws, so no primitive removes waiters by hand. The wake
// methods say which waiters they wake and whether those leave the line at
// once or stay in it until they resume (CPython's Lock and Semaphore keep
// a woken waiter in line, so that nobody barges in before it runs).
import { Deque } from "./_deque.ts";
import { type AbstractEventLoop, getRunningLoop } from "./events.ts";
import { Future, kResumed, kResuming, Repark } from "./futures.ts";

// Python's _LoopBoundMixin: a primitive belongs to the loop it first waits
// on; its waiter lines share one binding.
export class LoopBinding {
  #loop: AbstractEventLoop | null;

  /** Binds on first use, or to `loop` from the start. */
  constructor(readonly owner: object, loop: AbstractEventLoop | null = null) {
    this.#loop = loop;
  }

  get(): AbstractEventLoop {
    const running = getRunningLoop();
    if (this.#loop === null) this.#loop = running;
    else if (running !== this.#loop) {
      throw new Error(`${this.owner} is bound to a different event loop`);
    }
    return running;
  }
}

/**
 * What a waiter that leaves the line with an error (it was cancelled) owes
 * the others: `woken` says whether a wakeup had been given to it, which it
 * may have to pass on.
 */
export type OnAbandon = (woken: boolean) => void;

/**
 * What a woken waiter does as it resumes, given the value it was woken
 * with: returns what the wait resolves to (the item it takes, the lock's
 * releaser), throws, or returns `park()`'s future again to wait on.
 */
export type OnResume<T> = (value: T) => unknown;

export class WaiterQueue<T = unknown> {
  #waiters: Deque<ParkedFuture<T>> | null = null;

  constructor(readonly binding: LoopBinding) {}

  /** How many waiters are in line (woken ones still count until they run). */
  get size(): number {
    return this.#waiters === null ? 0 : this.#waiters.length;
  }

  /**
   * Waits at the end of the line until woken; resolves to the value the
   * waker gave, or to what `onResume` makes of it. Whatever happens, the
   * waiter is out of the line when the await returns or throws; on an
   * error (a cancellation) `onAbandon` runs first. Await it once, at once:
   * `await queue.park()`, or return it from a library wait's body (see
   * `coroutines.ts`), which then costs no async frame.
   */
  park<R = T>(
    onAbandon?: OnAbandon,
    onResume?: OnResume<T>,
  ): Future<R> {
    const fut = new ParkedFuture<T>(
      this.binding.get(),
      this,
      onAbandon,
      onResume,
    );
    (this.#waiters ??= new Deque()).push(fut);
    return fut as Future<unknown> as Future<R>;
  }

  /** From an `onResume`: wait again, at the end of the line. */
  parkAgain(onAbandon?: OnAbandon, onResume?: OnResume<T>): Repark {
    return new Repark(this.park(onAbandon, onResume));
  }

  /** `fut` resumes: it leaves the line (if `takeNext` did not take it). */
  leave(fut: ParkedFuture<T>): void {
    if (!fut.inLine) return;
    fut.inLine = false;
    this.#waiters!.remove(fut);
  }

  /**
   * Wakes the waiter at the head of the line if it is still waiting (it
   * stays in line until it runs). A cancelled head wakes nobody: it passes
   * the wakeup on itself when it leaves (Python's Lock._wake_up_first).
   */
  wakeHead(value: T): void {
    const fut = this.#waiters?.peek();
    if (fut !== undefined && !fut.done()) fut.setResult(value);
  }

  /** Wakes the first waiter still waiting (it stays in line); whether any. */
  wakeNext(value: T): boolean {
    return this.wakeUpTo(1, value) === 1;
  }

  /** Wakes up to `n` waiters still waiting (they stay in line); how many. */
  wakeUpTo(n: number, value: T): number {
    const waiters = this.#waiters;
    if (waiters === null) return 0;
    let woken = 0;
    for (let i = 0; i < waiters.length && woken < n; i++) {
      const fut = waiters.at(i)!;
      if (!fut.done()) {
        fut.setResult(value);
        woken++;
      }
    }
    return woken;
  }

  /** Wakes every waiter still waiting; how many. */
  wakeAll(value: T): number {
    return this.wakeUpTo(Infinity, value);
  }

  /** Makes every waiter still waiting throw `error`; how many. */
  failAll(error: unknown): number {
    const waiters = this.#waiters;
    if (waiters === null) return 0;
    let failed = 0;
    for (let i = 0; i < waiters.length; i++) {
      const fut = waiters.at(i)!;
      if (!fut.done()) {
        fut.setException(error);
        fut.exception(); // the waiter throws it: not an unretrieved error
        failed++;
      }
    }
    return failed;
  }

  /**
   * Takes waiters off the front of the line until one that is still
   * waiting is found, and wakes it (Python's Queue._wakeup_next); whether
   * one was woken.
   */
  takeNext(value: T): boolean {
    const waiters = this.#waiters;
    if (waiters === null) return false;
    while (waiters.length > 0) {
      const fut = waiters.shift()!;
      fut.inLine = false;
      if (!fut.done()) {
        fut.setResult(value);
        return true;
      }
    }
    return false;
  }

  /** Whether any waiter in line is not cancelled. */
  hasLiveWaiter(): boolean {
    const waiters = this.#waiters;
    if (waiters === null) return false;
    for (let i = 0; i < waiters.length; i++) {
      if (!waiters.at(i)!.cancelled()) return true;
    }
    return false;
  }
}

// A waiter's future. Awaiting it (the one await `park()` is for) takes it
// out of the line just before the awaiting code resumes, whether it was
// woken or cancelled: no async frame around the wait, no removal by hand.
// (A second `then` on it would find it out of the line already.)
class ParkedFuture<T> extends Future<T> {
  /** False once `takeNext` took it out of the line. */
  inLine = true;
  readonly #line: WaiterQueue<T>;
  readonly #onAbandon: OnAbandon | undefined;
  readonly #onResume: OnResume<T> | undefined;

  constructor(
    loop: AbstractEventLoop,
    line: WaiterQueue<T>,
    onAbandon: OnAbandon | undefined,
    onResume: OnResume<T> | undefined,
  ) {
    super(loop);
    this.#line = line;
    this.#onAbandon = onAbandon;
    this.#onResume = onResume;
  }

  /** A `Future` to the user, as CPython's primitives make. */
  override toString(): string {
    return `<Future ${this.reprInfo().join(" ")}>`;
  }

  /** @ignore The await is about to return or throw: leave the line. */
  override [kResuming](failed: boolean): void {
    this.#line.leave(this);
    if (failed) this.#onAbandon?.(this.done() && !this.cancelled());
  }

  /** @ignore The waiter resumes: what it resumes with. */
  override [kResumed](value: unknown): unknown {
    const onResume = this.#onResume;
    return onResume === undefined ? value : onResume(value as T);
  }
}
