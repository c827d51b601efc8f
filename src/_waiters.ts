// The one waiting mechanism under every lock, queue, transport and server
// (Trio's parking lot): a FIFO line of waiters, one future each. `park()`
// is the await itself and always takes its waiter out of the line when it
// returns or throws, so no primitive removes waiters by hand. The wake
// methods say which waiters they wake and whether those leave the line at
// once or stay in it until they resume (CPython's Lock and Semaphore keep
// a woken waiter in line, so that nobody barges in before it runs).
import { Deque } from "./_deque.ts";
import { type AbstractEventLoop, getRunningLoop } from "./events.ts";
import type { Future } from "./futures.ts";

// Python's _LoopBoundMixin: a primitive belongs to the loop it first waits
// on; its waiter lines share one binding.
export class LoopBinding {
  #loop: AbstractEventLoop | null;

  /** Binds on first use, or to `loop` from the start. */
  constructor(readonly owner: object, loop: AbstractEventLoop | null = null) {
    this.#loop = loop;
  }

  get(): AbstractEventLoop {
    const loop = this.#loop ?? getRunningLoop();
    if (this.#loop === null) this.#loop = loop;
    if (loop !== this.#loop) {
      throw new Error(`${this.owner} is bound to a different event loop`);
    }
    return loop;
  }
}

/**
 * What a waiter that leaves the line with an error (it was cancelled) owes
 * the others: `woken` says whether a wakeup had been given to it, which it
 * may have to pass on.
 */
export type OnAbandon = (woken: boolean) => void;

export class WaiterQueue<T = unknown> {
  #waiters: Deque<Future<T>> | null = null;
  // Waiters `takeNext` already took out of the line.
  #taken: Set<Future<T>> | null = null;

  constructor(readonly binding: LoopBinding) {}

  /** How many waiters are in line (woken ones still count until they run). */
  get size(): number {
    return this.#waiters === null ? 0 : this.#waiters.length;
  }

  /**
   * Waits at the end of the line until woken; resolves to the value the
   * waker gave. Whatever happens, the waiter is out of the line when this
   * returns or throws; on an error (a cancellation) `onAbandon` runs first.
   */
  async park(onAbandon?: OnAbandon): Promise<T> {
    const fut = this.binding.get().createFuture<T>();
    (this.#waiters ??= new Deque()).push(fut);
    let value: T;
    try {
      value = await fut;
    } catch (error) {
      this.#leave(fut);
      onAbandon?.(fut.done() && !fut.cancelled());
      throw error;
    }
    this.#leave(fut);
    return value;
  }

  #leave(fut: Future<T>): void {
    if (this.#taken === null || !this.#taken.delete(fut)) {
      this.#waiters!.remove(fut);
    }
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
      (this.#taken ??= new Set()).add(fut);
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
