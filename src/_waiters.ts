// The one waiting mechanism under every lock and queue (Trio's parking
// lot): a FIFO of futures, one per waiting task. A waiter parks, awaits its
// future and removes it again when done, whatever happened; wakers set the
// result of the first futures that are not done yet. A cancelled waiter's
// future is cancelled, so it is skipped, and the primitives pass a wakeup
// on when a woken waiter is cancelled before it could use it.
import { Deque } from "./_deque.ts";
import { type EventLoop, getRunningLoop } from "./events.ts";
import type { Future } from "./futures.ts";

// Python's _LoopBoundMixin: a primitive belongs to the loop it first waits
// on; its waiter queues share one binding.
export class LoopBinding {
  #loop: EventLoop | null = null;

  constructor(readonly owner: object) {}

  get(): EventLoop {
    const loop = getRunningLoop();
    if (this.#loop === null) this.#loop = loop;
    if (loop !== this.#loop) {
      throw new Error(`${this.owner} is bound to a different event loop`);
    }
    return loop;
  }
}

export class WaiterQueue<T = unknown> {
  #waiters: Deque<Future<T>> | null = null;

  constructor(readonly binding: LoopBinding) {}

  get size(): number {
    return this.#waiters === null ? 0 : this.#waiters.length;
  }

  /** Adds a waiter at the end; the caller awaits the future it returns. */
  park(): Future<T> {
    const fut = this.binding.get().createFuture<T>();
    (this.#waiters ??= new Deque()).push(fut);
    return fut;
  }

  /** Takes `fut` out of the queue, if it is still in it. */
  remove(fut: Future<T>): void {
    this.#waiters?.remove(fut);
  }

  /**
   * Wakes the waiter at the head if it is not done (it stays queued). A
   * cancelled head wakes nobody: its own cancellation handling passes the
   * wakeup on once it has left the queue (Python's Lock._wake_up_first).
   */
  wakeHead(value: T): void {
    const fut = this.#waiters?.peek();
    if (fut !== undefined && !fut.done()) fut.setResult(value);
  }

  /** Wakes the first waiter that is not done (it stays queued). */
  wakeFirst(value: T): boolean {
    const waiters = this.#waiters;
    if (waiters === null) return false;
    for (let i = 0; i < waiters.length; i++) {
      const fut = waiters.at(i)!;
      if (!fut.done()) {
        fut.setResult(value);
        return true;
      }
    }
    return false;
  }

  /** Wakes up to `n` waiters that are not done; returns how many. */
  wake(n: number, value: T): number {
    let woken = 0;
    const waiters = this.#waiters;
    if (waiters === null) return 0;
    for (let i = 0; i < waiters.length; i++) {
      const fut = waiters.at(i)!;
      if (woken >= n) break;
      if (!fut.done()) {
        fut.setResult(value);
        woken++;
      }
    }
    return woken;
  }

  /** Takes waiters off the front until one that is not done is woken. */
  popWake(value: T): boolean {
    const waiters = this.#waiters;
    if (waiters === null) return false;
    while (waiters.length > 0) {
      const fut = waiters.shift()!;
      if (!fut.done()) {
        fut.setResult(value);
        return true;
      }
    }
    return false;
  }

  /** Whether any waiter is not cancelled. */
  anyLive(): boolean {
    const waiters = this.#waiters;
    if (waiters === null) return false;
    for (let i = 0; i < waiters.length; i++) {
      if (!waiters.at(i)!.cancelled()) return true;
    }
    return false;
  }

  /** Whether every waiter is cancelled (true when there are none). */
  allCancelled(): boolean {
    return !this.anyLive();
  }
}
