/**
 * `Coroutine`: the lazy awaitable every waiting method of the library
 * returns, Python's coroutine object. Nothing runs until it is awaited (in
 * the awaiting task) or handed to a function that runs it: `createTask`,
 * `gather`, `wait`, `waitFor`, `shield`, `asCompleted`, `ensureFuture`. So
 * `await waitFor(queue.get(), 1)` times out, leaves no waiter behind and
 * loses no item, as in Python. `coroutine(fn)` gives your own async
 * functions the same shape.
 *
 * @module
 */
import { coroName } from "./_repr.ts";
import { Future } from "./futures.ts";

// What a coroutine runs: an async function, or a library wait's body,
// which returns at once with the value, or with the future it waits on
// (so that waiting costs no async frame).
// deno-lint-ignore no-explicit-any
type Body<T> = (this: any, arg?: any) => T | PromiseLike<T>;

// How the functions that run coroutines take the body out (once).
export const kTakeBody: unique symbol = Symbol("take coroutine body");
export const kMarkStarted: unique symbol = Symbol("mark started");

/**
 * A coroutine object: a call that has not started. `await` it (it runs in
 * the awaiting task, as Python's `await coro` does), or hand it to
 * `createTask`, `gather`, `waitFor`, ... which run it. It runs once:
 * awaiting it again, or handing it on after it started, is a `TypeError`,
 * as reusing an awaited coroutine is in Python (to share an outcome, run
 * it in a task and await the task). It is typed as a `Promise`, so it
 * fits where one is expected; `then`, `catch` and `finally` start it, once.
 *
 * @example A queue's get() waits only when awaited
 * ```ts
 * import { Coroutine, Queue, run, TimeoutError, waitFor } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const queue = new Queue<string>();
 *   const get = queue.get();
 *   console.log(get instanceof Coroutine); // true: nothing waits yet
 *   try {
 *     await waitFor(get, 0.01);
 *   } catch (e) {
 *     console.log(e instanceof TimeoutError, queue.statistics().gettersWaiting); // true 0
 *   }
 * });
 * ```
 */
export class Coroutine<T> implements Promise<T> {
  #body: Body<T> | null;
  #self: unknown;
  #arg: unknown;
  #name: string | null;
  // Null until the first `then`.
  #started: PromiseLike<T> | null = null;

  /**
   * A coroutine that runs `body.call(self, arg)` when started; `name`
   * is what its repr and its task's coroutine are called.
   */
  constructor(
    body: Body<T>,
    self?: unknown,
    arg?: unknown,
    name: string | null = null,
  ) {
    this.#body = body;
    this.#self = self;
    this.#arg = arg;
    this.#name = name;
  }

  /** Whether it started (was awaited, or handed to a task). */
  get started(): boolean {
    return this.#body === null;
  }

  /** Starts the coroutine in the calling task (once) and chains on it. */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    // Awaited once, as in Python (a waiter line's future takes the item or
    // the lock as the await resumes: a second await cannot have it).
    const started = this.#started === null ? this.#start() : REUSED;
    this.#started = REUSED;
    return started.then(onFulfilled, onRejected) as Promise<R1 | R2>;
  }

  /** Starts it and handles its error. */
  catch<R = never>(
    onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null,
  ): Promise<T | R> {
    return this.then(undefined, onRejected);
  }

  /** Starts it and runs `onFinally` when it ends. */
  finally(onFinally?: (() => void) | null): Promise<T> {
    return Promise.resolve(this.then()).finally(onFinally);
  }

  /** `"Coroutine"`. */
  get [Symbol.toStringTag](): string {
    return "Coroutine";
  }

  /** Python's repr: `<coroutine object Queue.get>`. */
  toString(): string {
    return `<coroutine object ${this.name}>`;
  }

  /** The coroutine's name, as its repr and its task show it. */
  get name(): string {
    return this.#name ?? coroName(this.#body);
  }

  /**
   * @ignore The function that runs the coroutine, for a task to call in
   * its own context; null if it started already.
   */
  [kTakeBody](): (() => PromiseLike<T>) | null {
    const body = this.#body;
    if (body === null) return null;
    this.#name ??= coroName(body);
    const self = this.#self;
    const arg = this.#arg;
    this.#body = null;
    this.#self = this.#arg = undefined;
    return () => {
      const result = body.call(self, arg);
      return isThenable(result) ? result : Promise.resolve(result);
    };
  }

  /** @ignore Marks it started by a subclass's own `then`; false if it was. */
  [kMarkStarted](): boolean {
    if (this.#body === null) return false;
    this.#name ??= coroName(this.#body);
    this.#body = null;
    this.#self = this.#arg = undefined;
    this.#started = REUSED;
    return true;
  }

  // Runs the body (once): a native promise, a library future, or a
  // promise for anything else it returned or threw.
  #start(): PromiseLike<T> {
    const body = this.#body;
    if (body === null) {
      // Handed to a task before: its outcome is the task's business.
      throw new TypeError(
        `${this} was already handed to a task: await the task instead`,
      );
    }
    this.#name ??= coroName(body);
    this.#body = null;
    let result: T | PromiseLike<T>;
    try {
      result = body.call(this.#self, this.#arg);
    } catch (error) {
      result = Promise.reject(error);
    }
    this.#self = this.#arg = undefined;
    // A library future is awaited directly, without a promise around it.
    return result instanceof Promise || result instanceof Future
      ? result
      : Promise.resolve(result);
  }
}

// A coroutine after its one `then`.
const REUSED: PromiseLike<never> = {
  then(_onFulfilled, onRejected) {
    return Promise.reject(
      new TypeError(
        "cannot reuse already awaited coroutine: a coroutine is awaited " +
          "once; to share its outcome, run it in a task (createTask(coro)) " +
          "and await the task",
      ),
    ).then(undefined, onRejected);
  },
};

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as PromiseLike<unknown>).then === "function";
}

/**
 * Whether `value` is a coroutine object of this library.
 *
 * @example
 * ```ts
 * import { coroutine, isCoroutine } from "@aio/asyncio";
 *
 * const work = coroutine(async () => 1);
 * console.log(isCoroutine(work()), isCoroutine(Promise.resolve(1))); // true false
 * ```
 */
export function isCoroutine(value: unknown): value is Coroutine<unknown> {
  return value instanceof Coroutine;
}

/**
 * Makes `fn` return coroutine objects: calling it runs nothing until the
 * result is awaited or handed to `createTask`, `gather`, `waitFor`, ...
 * (Python's `async def`). Use it for functions that callers pass to
 * `waitFor` or `gather` the Python way: `waitFor(fetchPage(url), 5)`.
 *
 * @example
 * ```ts
 * import { coroutine, gather, run, sleep, waitFor } from "@aio/asyncio";
 *
 * const work = coroutine(async (n: number) => {
 *   await sleep(n / 100);
 *   return n * 2;
 * });
 * await run(async () => {
 *   console.log(await gather(work(1), work(2))); // [ 2, 4 ]
 *   console.log(await waitFor(work(3), 1)); // 6
 * });
 * ```
 */
export function coroutine<A extends unknown[], T>(
  fn: (...args: A) => PromiseLike<T>,
): (...args: A) => Coroutine<T> {
  if (typeof fn !== "function") {
    throw new TypeError(
      `coroutine(): fn must be an async function, got ${typeof fn}`,
    );
  }
  const name = fn.name || "<anonymous>";
  const wrapped = (...args: A): Coroutine<T> =>
    new Coroutine<T>(callWith as Body<T>, fn, args, name);
  Object.defineProperty(wrapped, "name", { value: name });
  return wrapped;
}

function callWith<T>(
  this: (...args: unknown[]) => PromiseLike<T>,
  args: unknown[],
): PromiseLike<T> {
  return this(...args);
}
