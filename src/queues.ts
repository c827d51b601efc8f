/**
 * Queues for tasks, with Python's semantics (including 3.13's `shutdown`):
 * `Queue` (first in, first out), `PriorityQueue` (smallest first) and
 * `LifoQueue` (last in, first out). Unlike asyncio's, they are async
 * iterables: `for await (const item of queue)` ends when the queue is shut
 * down and drained.
 *
 * @module
 */
import { Deque } from "./_deque.ts";
import { Heap } from "./_heap.ts";
import { pyRepr } from "./_repr.ts";
import { rangeError, typeError } from "./_validate.ts";
import { LoopBinding, WaiterQueue } from "./_waiters.ts";
import { Coroutine } from "./coroutines.ts";
import type { Future, Repark } from "./futures.ts";
import { QueueEmpty, QueueFull, QueueShutDown } from "./errors.ts";
import { Event } from "./locks.ts";

/**
 * What {@link Queue.statistics} returns.
 *
 * @example
 * ```ts
 * import { Queue, type QueueStatistics } from "@aio/asyncio";
 *
 * const q = new Queue<number>(2);
 * q.putNowait(1);
 * const stats: QueueStatistics = q.statistics();
 * console.log(stats.size, stats.unfinishedTasks); // 1 1
 * ```
 */
export interface QueueStatistics {
  /** Items in the queue. */
  size: number;
  /** The most items it holds (0 or less: no limit). */
  maxsize: number;
  /** Items put and not yet marked with `taskDone()`. */
  unfinishedTasks: number;
  /** Tasks waiting in `get()` (a woken one counts until it runs). */
  gettersWaiting: number;
  /** Tasks waiting in `put()` (a woken one counts until it runs). */
  puttersWaiting: number;
  /** Whether `shutdown()` was called. */
  isShutdown: boolean;
}

/**
 * A first-in, first-out queue, Python's `asyncio.Queue`. With `maxsize`
 * above 0, `put` waits while the queue is full.
 *
 * @example Producer and consumer
 * ```ts
 * import { createTask, Queue, run } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const queue = new Queue<number>(2);
 *   const consumer = createTask(async () => {
 *     for await (const item of queue) {
 *       console.log("got", item);
 *       queue.taskDone();
 *     }
 *   });
 *   for (let i = 1; i <= 3; i++) await queue.put(i);
 *   await queue.join();
 *   queue.shutdown();
 *   await consumer;
 * });
 * ```
 */
export class Queue<T> implements AsyncIterable<T> {
  #maxsize: number;
  #binding = new LoopBinding(this);
  #getters = new WaiterQueue<null>(this.#binding);
  #putters = new WaiterQueue<null>(this.#binding);
  #unfinishedTasks = 0;
  #finished = new Event();
  #isShutdown = false;

  /** A queue holding at most `maxsize` items (0 or less: no limit). */
  constructor(maxsize = 0) {
    // Any number, as Python (a fractional maxsize fills at its ceiling).
    if (typeof maxsize !== "number") {
      throw typeError(
        `new ${new.target.name}()`,
        "maxsize",
        "a number (0 or less for no limit)",
        maxsize,
      );
    }
    if (Number.isNaN(maxsize)) {
      throw rangeError(
        `new ${new.target.name}()`,
        "maxsize",
        "a number (0 or less for no limit)",
        maxsize,
      );
    }
    this.#maxsize = maxsize;
    this.#finished.set();
  }

  /** The most items the queue holds (0 or less: no limit). */
  get maxsize(): number {
    return this.#maxsize;
  }

  /** How many items the queue holds. */
  qsize(): number {
    return this.size();
  }

  /** Whether the queue is empty. */
  empty(): boolean {
    return this.size() === 0;
  }

  /** Whether the queue holds `maxsize` items. */
  full(): boolean {
    return this.#maxsize > 0 && this.size() >= this.#maxsize;
  }

  /** What the queue holds and who waits on it. */
  statistics(): QueueStatistics {
    return {
      size: this.size(),
      maxsize: this.#maxsize,
      unfinishedTasks: this.#unfinishedTasks,
      gettersWaiting: this.#getters.size,
      puttersWaiting: this.#putters.size,
      isShutdown: this.#isShutdown,
    };
  }

  /** Puts `item` in, waiting while the queue is full (a coroutine). */
  put(item: T): Coroutine<void> {
    return new Coroutine(this.#put, this, item, "Queue.put");
  }

  // Python's `while self.full(): await putter`, without an async frame:
  // the body returns the wait, and the putter resumes through
  // `#putterResumed`, which puts the item or waits again.
  #put(item: T): void | Future<void> {
    if (!this.full()) return this.putNowait(item);
    if (this.#isShutdown) throw new QueueShutDown();
    return this.#putters.park(
      this.#putterAbandoned,
      () => this.#putWoken(item),
    );
  }

  #putWoken(item: T): void | Repark {
    if (!this.full()) return this.putNowait(item);
    if (this.#isShutdown) throw new QueueShutDown();
    return this.#putters.parkAgain(
      this.#putterAbandoned,
      () => this.#putWoken(item),
    );
  }

  /** Puts `item` in at once; throws `QueueFull` if there is no room. */
  putNowait(item: T): void {
    if (this.#isShutdown) throw new QueueShutDown();
    if (this.full()) throw new QueueFull();
    this.putItem(item);
    this.#unfinishedTasks++;
    this.#finished.clear();
    this.#getters.takeNext(null);
  }

  /** Takes an item out, waiting while the queue is empty (a coroutine). */
  get(): Coroutine<T> {
    return new Coroutine(this.#get, this, undefined, "Queue.get");
  }

  // Python's `while self.empty(): await getter`, without an async frame.
  #get(): T | Future<T> {
    if (!this.empty()) return this.getNowait();
    if (this.#isShutdown) throw new QueueShutDown();
    return this.#getters.park(this.#getterAbandoned, this.#getterResumed);
  }

  #getterResumed = (): T | Repark => {
    if (!this.empty()) return this.getNowait();
    if (this.#isShutdown) throw new QueueShutDown();
    return this.#getters.parkAgain(this.#getterAbandoned, this.#getterResumed);
  };

  // Woken by a get but cancelled before using the room: pass it on.
  #putterAbandoned = (woken: boolean): void => {
    if (woken && !this.full()) this.#putters.takeNext(null);
  };

  // Woken by a put but cancelled before taking the item: pass it on.
  #getterAbandoned = (woken: boolean): void => {
    if (woken && !this.empty()) this.#getters.takeNext(null);
  };

  /** Takes an item out at once; throws `QueueEmpty` if there is none. */
  getNowait(): T {
    if (this.empty()) {
      if (this.#isShutdown) throw new QueueShutDown();
      throw new QueueEmpty();
    }
    const item = this.getItem();
    this.#putters.takeNext(null);
    return item;
  }

  /**
   * Marks one item taken with `get` as processed, for `join`. Throws
   * `RangeError` when called more times than items were put.
   */
  taskDone(): void {
    if (this.#unfinishedTasks <= 0) {
      throw new RangeError(
        "taskDone() called too many times: call it once per item taken with get()",
      );
    }
    this.#unfinishedTasks--;
    if (this.#unfinishedTasks === 0) this.#finished.set();
  }

  /** Waits until every item put has been marked with `taskDone` (a coroutine). */
  join(): Coroutine<void> {
    return new Coroutine(this.#join, this, undefined, "Queue.join");
  }

  async #join(): Promise<void> {
    if (this.#unfinishedTasks > 0) await this.#finished.wait();
  }

  /**
   * Shuts the queue down: `put` throws `QueueShutDown` from now on, and so
   * does `get` once the queue is empty. With `immediate`, the items left
   * are dropped (and count as done for `join`). Waiting putters and
   * getters are woken to see it.
   */
  shutdown(immediate = false): void {
    this.#isShutdown = true;
    if (immediate) {
      while (!this.empty()) {
        this.getItem();
        if (this.#unfinishedTasks > 0) this.#unfinishedTasks--;
      }
      if (this.#unfinishedTasks === 0) this.#finished.set();
    }
    while (this.#getters.takeNext(null));
    while (this.#putters.takeNext(null));
  }

  /**
   * The items, as `get()` would take them, until the queue is shut down
   * and drained. Call `taskDone()` for each, as with `get()`.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      let item: T;
      try {
        item = await this.get();
      } catch (e) {
        if (e instanceof QueueShutDown) return;
        throw e;
      }
      yield item;
    }
  }

  /** Python's repr: `<Queue maxsize=0 _queue=[1, 2] tasks=2>`. */
  toString(): string {
    const parts = [`maxsize=${this.#maxsize}`];
    if (!this.empty()) parts.push(`_queue=${pyRepr(this.items())}`);
    if (this.#getters.size) parts.push(`_getters[${this.#getters.size}]`);
    if (this.#putters.size) parts.push(`_putters[${this.#putters.size}]`);
    if (this.#unfinishedTasks) parts.push(`tasks=${this.#unfinishedTasks}`);
    if (this.#isShutdown) parts.push("shutdown");
    return `<${this.constructor.name} ${parts.join(" ")}>`;
  }

  // Storage, overridden by the other queues (Python's _init/_put/_get).
  #items = new Deque<T>();

  /** How many items the storage holds (Python's `_qsize`). */
  protected size(): number {
    return this.#items.length;
  }

  /** Stores an item (Python's `_put`). */
  protected putItem(item: T): void {
    this.#items.push(item);
  }

  /** Takes the next item out of storage (Python's `_get`). */
  protected getItem(): T {
    return this.#items.shift()!;
  }

  /** The items in storage, for the repr. */
  protected items(): T[] {
    return [...this.#items];
  }
}

// Python's `<` on the values a priority queue holds: numbers, strings,
// booleans, and arrays of them compared element by element (tuples).
function pyLess(a: unknown, b: unknown): boolean {
  return pyCompare(a, b) < 0;
}

function pyCompare(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (a[i] === b[i]) continue;
      const c = pyCompare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  const ta = typeof a;
  const tb = typeof b;
  const numeric = (t: string) =>
    t === "number" || t === "bigint" || t === "boolean";
  if ((numeric(ta) && numeric(tb)) || (ta === "string" && tb === "string")) {
    const x = a as number | string;
    const y = b as number | string;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  throw new TypeError(
    `'<' not supported between ${pyRepr(a)} and ${pyRepr(b)}: PriorityQueue ` +
      `items must be numbers, strings or arrays of them, like [priority, data]`,
  );
}

/**
 * A queue that hands out the smallest item first, Python's
 * `asyncio.PriorityQueue`. Items are compared as Python compares them:
 * numbers and strings, and arrays element by element (use
 * `[priority, data]` pairs as Python uses tuples).
 *
 * @example
 * ```ts
 * import { PriorityQueue } from "@aio/asyncio";
 *
 * const q = new PriorityQueue<[number, string]>();
 * q.putNowait([3, "low"]);
 * q.putNowait([1, "high"]);
 * console.log(q.getNowait()); // [ 1, "high" ]
 * ```
 */
export class PriorityQueue<T> extends Queue<T> {
  #heap = new Heap<T>(pyLess);

  /** How many items the heap holds. */
  protected override size(): number {
    return this.#heap.length;
  }

  /** Puts an item on the heap. */
  protected override putItem(item: T): void {
    if (this.#heap.length > 0) pyCompare(item, this.#heap.peek());
    this.#heap.push(item);
  }

  /** Takes the smallest item. */
  protected override getItem(): T {
    return this.#heap.pop()!;
  }

  /** The items in heap order. */
  protected override items(): T[] {
    return this.#heap.toArray();
  }
}

/**
 * A last-in, first-out queue (a stack), Python's `asyncio.LifoQueue`.
 *
 * @example
 * ```ts
 * import { LifoQueue } from "@aio/asyncio";
 *
 * const q = new LifoQueue<number>();
 * q.putNowait(1);
 * q.putNowait(2);
 * console.log(q.getNowait()); // 2
 * ```
 */
export class LifoQueue<T> extends Queue<T> {
  #stack: T[] = [];

  /** How many items the stack holds. */
  protected override size(): number {
    return this.#stack.length;
  }

  /** Pushes an item. */
  protected override putItem(item: T): void {
    this.#stack.push(item);
  }

  /** Pops the last item. */
  protected override getItem(): T {
    return this.#stack.pop()!;
  }

  /** The items, bottom first. */
  protected override items(): T[] {
    return this.#stack.slice();
  }
}
