/**
 * The loop's public face (`AbstractEventLoop`), the handles it schedules,
 * and the registry of the running and current loop: CPython's
 * `events.py`. The loop itself is in `base_events.ts`. This module imports
 * no futures and no tasks at run time, so everything under the loop can
 * type against it.
 *
 * @module
 */
import { pyRepr } from "./_repr.ts";
import type { Clock } from "./clock.ts";
import type { Coroutine } from "./coroutines.ts";
import type { Future } from "./futures.ts";
import type { CoroutineFunction, Task, TaskOptions } from "./tasks.ts";
import type { WorkerCallable } from "./workers/functions.ts";

// deno-lint-ignore no-explicit-any
type Callback = (...args: any[]) => unknown;

const NO_ARGS: unknown[] = [];

// What the rest of the library reaches on a loop and on a handle beyond
// their public face. The symbols never leave the library (mod.ts does not
// export them), so users' editors do not complete them.
export const kCallSoon: unique symbol = Symbol("callSoon (pooled)");
export const kScheduleHandle: unique symbol = Symbol("scheduleHandle");
export const kTaskResumed: unique symbol = Symbol("taskResumed");
export const kTaskSuspended: unique symbol = Symbol("taskSuspended");
export const kTasks: unique symbol = Symbol("pending tasks");
export const kUnretrieved: unique symbol = Symbol("unretrieved futures");
export const kIoStarted: unique symbol = Symbol("ioStarted");
export const kIoFinished: unique symbol = Symbol("ioFinished");
export const kTimerCancelled: unique symbol = Symbol("timerCancelled");
export const kRun: unique symbol = Symbol("run handle");
export const kArg: unique symbol = Symbol("single argument");
export const kPooled: unique symbol = Symbol("pooled handle");
export const kContextFree: unique symbol = Symbol("context-free handle");
export const kReuse: unique symbol = Symbol("reuse pooled handle");
export const kOwner: unique symbol = Symbol("owning loop");
export const kSeq: unique symbol = Symbol("timer sequence");
export const kInHeap: unique symbol = Symbol("timer in heap");

/**
 * A callback scheduled by `callSoon`; `cancel()` keeps it from running.
 *
 * @example Cancel a scheduled callback
 * ```ts
 * import { run, getRunningLoop, sleep } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const handle = getRunningLoop().callSoon(() => console.log("never"));
 *   handle.cancel();
 *   console.log(handle.cancelled()); // true
 *   await sleep(0);
 * });
 * ```
 */
export class Handle {
  #callback: Callback | null;
  #args: unknown[];
  #cancelled = false;
  /** @ignore The loop the handle belongs to. */
  readonly [kOwner]: AbstractEventLoop;
  /** @ignore The single argument of a library handle (no array). */
  [kArg]: unknown = undefined;
  /** @ignore A library handle, recycled after it runs. */
  [kPooled] = false;
  /**
   * @ignore The callback runs no user code, so it may run in whatever
   * async context the loop is in (see base_events.ts).
   */
  [kContextFree] = false;

  /** Made by `loop.callSoon()`; subclasses pass their own callback. */
  constructor(callback: Callback, args: unknown[], loop: AbstractEventLoop) {
    this.#callback = callback;
    this.#args = args;
    this[kOwner] = loop;
  }

  /** Keeps the callback from running, if it has not run yet. */
  cancel(): void {
    if (!this.#cancelled) {
      this.#cancelled = true;
      this.#callback = null;
      this.#args = NO_ARGS;
      this[kArg] = undefined;
    }
  }

  /** Whether `cancel()` was called. */
  cancelled(): boolean {
    return this.#cancelled;
  }

  /** Python's repr: `<Handle callback(args)>`. */
  toString(): string {
    const name = this.constructor.name;
    if (this.#cancelled) return `<${name} cancelled>`;
    const fn = this.#callback?.name || "<anonymous>";
    return `<${name} ${fn}(${this.#args.map(pyRepr).join(", ")})>`;
  }

  /** @ignore Runs the callback (the loop catches what it throws). */
  [kRun](): void {
    const args = this.#args;
    const cb = this.#callback!;
    switch (args.length) {
      case 0:
        cb(this[kArg]);
        break;
      case 1:
        cb(args[0]);
        break;
      default:
        cb(...args);
    }
  }

  /** @ignore Points a pooled handle at its next callback (null: idle). */
  [kReuse](
    callback: Callback | null,
    arg: unknown,
    contextFree: boolean,
  ): void {
    this.#callback = callback;
    this[kArg] = arg;
    this[kContextFree] = contextFree;
  }
}

let timerSeq = 0;

/**
 * A callback scheduled by `callLater` or `callAt`.
 *
 * @example Read when a timer is due
 * ```ts
 * import { newEventLoop } from "@aio/asyncio";
 *
 * const loop = newEventLoop({ virtualTime: true });
 * const timer = loop.callAt(5, () => {});
 * console.log(timer.when()); // 5
 * timer.cancel();
 * loop.close();
 * ```
 */
export class TimerHandle extends Handle {
  readonly #when: number;
  /** @ignore Ties between equal deadlines go to the earlier timer. */
  readonly [kSeq]: number = timerSeq++;
  /** @ignore Whether the timer is still in its loop's heap. */
  [kInHeap] = true;

  /** Made by `loop.callLater()` or `loop.callAt()`. */
  constructor(
    when: number,
    callback: Callback,
    args: unknown[],
    loop: AbstractEventLoop,
  ) {
    super(callback, args, loop);
    this.#when = when;
  }

  /** The loop time at which the callback is due. */
  when(): number {
    return this.#when;
  }

  /** Keeps the callback from running, if it has not run yet. */
  override cancel(): void {
    if (!this.cancelled() && this[kInHeap]) {
      (this[kOwner] as LoopInternal)[kTimerCancelled]();
    }
    super.cancel();
  }
}

/**
 * What the loop's exception handler receives.
 *
 * @example Report an error to the loop
 * ```ts
 * import { newEventLoop } from "@aio/asyncio";
 *
 * const loop = newEventLoop();
 * loop.setExceptionHandler((_loop, context) => console.log(context.message));
 * loop.callExceptionHandler({ message: "something broke", exception: new Error("x") });
 * loop.close();
 * ```
 */
export interface ExceptionContext {
  /** What went wrong. */
  message: string;
  /** The error, if there is one. */
  exception?: unknown;
  /** The future or task concerned. */
  future?: Future<unknown>;
  /** The task concerned. */
  task?: Task<unknown>;
  /** The callback handle concerned. */
  handle?: Handle;
  /** Anything else. */
  [key: string]: unknown;
}

/**
 * A function the loop calls with errors nobody else can receive.
 *
 * @example Count errors instead of logging them
 * ```ts
 * import { type ExceptionHandler, run, getRunningLoop, sleep } from "@aio/asyncio";
 *
 * let errors = 0;
 * const handler: ExceptionHandler = () => { errors++; };
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   loop.setExceptionHandler(handler);
 *   loop.callSoon(() => { throw new Error("boom"); });
 *   await sleep(0);
 * });
 * console.log(errors); // 1
 * ```
 */
export type ExceptionHandler = (
  loop: AbstractEventLoop,
  context: ExceptionContext,
) => void;

/**
 * What `runInExecutor` and `run()` need of an executor: `submit` returns
 * a thenable of the result (cancelled with it if it has `cancel()`), and
 * `shutdown` stops it. `ThreadPoolExecutor` is the one this module has.
 *
 * @example An executor that runs jobs on the calling thread
 * ```ts
 * import {
 *   type Executor,
 *   getRunningLoop,
 *   run,
 *   type WorkerCallable,
 * } from "@aio/asyncio";
 *
 * const inline: Executor = {
 *   submit<A extends unknown[], R>(fn: WorkerCallable<A, R>, ...args: A) {
 *     if (typeof fn !== "function") throw new TypeError("plain functions only");
 *     return Promise.resolve(fn(...args)) as Promise<Awaited<R>>;
 *   },
 *   shutdown: () => console.log("shut down"),
 * };
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   console.log(await loop.runInExecutor(inline, (a: number) => a + 1, 1)); // 2
 *   loop.setDefaultExecutor(inline);
 * }); // run() shuts the default executor down: prints "shut down"
 * ```
 */
export interface Executor {
  /** Starts `fn(...args)`; the result's thenable. */
  submit<A extends unknown[], R>(
    fn: WorkerCallable<A, R>,
    ...args: A
  ): PromiseLike<Awaited<R>>;
  /** Stops the executor; `wait` waits for running jobs. */
  shutdown(options?: { wait?: boolean }): void | Promise<void>;
}

/**
 * Options for {@link newEventLoop}.
 *
 * @example A loop in debug mode on the virtual clock
 * ```ts
 * import { newEventLoop } from "@aio/asyncio";
 *
 * const loop = newEventLoop({ virtualTime: true, debug: true });
 * console.log(loop.getDebug(), loop.clock.virtual); // true true
 * loop.close();
 * ```
 */
export interface EventLoopOptions {
  /** Run on a virtual clock (see the `clock` module). */
  virtualTime?: boolean;
  /** Run on this clock (overrides `virtualTime`). */
  clock?: Clock;
  /** Debug mode: warn about slow callbacks and tasks left pending. */
  debug?: boolean;
}

/**
 * What an event loop offers, Python's `AbstractEventLoop`: type loop
 * parameters with it (`loop: AbstractEventLoop`). `EventLoop` is the one
 * implementation; get it from {@link getRunningLoop} inside asynchronous
 * code, or from `newEventLoop()` / {@link getEventLoop} outside.
 *
 * @example A function that takes any loop
 * ```ts
 * import { type AbstractEventLoop, newEventLoop } from "@aio/asyncio";
 *
 * function later(loop: AbstractEventLoop, what: string) {
 *   loop.callLater(1, () => console.log(what));
 * }
 * const loop = newEventLoop({ virtualTime: true });
 * later(loop, "a second later");
 * loop.callLater(2, () => loop.stop());
 * await loop.runForever();
 * loop.close();
 * ```
 */
export interface AbstractEventLoop {
  /** Callbacks slower than this many seconds are reported in debug mode. */
  slowCallbackDuration: number;
  /** The clock this loop runs on. */
  readonly clock: Clock;
  /** The loop's time in seconds, on its monotonic (or virtual) clock. */
  time(): number;
  /** Whether the loop is running. */
  isRunning(): boolean;
  /** Whether the loop was closed. */
  isClosed(): boolean;
  /** Turns debug mode on or off. */
  setDebug(enabled: boolean): void;
  /** Whether debug mode is on. */
  getDebug(): boolean;
  /** Schedules `callback(...args)` for the next iteration. */
  callSoon<A extends unknown[]>(
    callback: (...args: A) => unknown,
    ...args: A
  ): Handle;
  /** Like `callSoon`, from code the loop does not control. */
  callSoonThreadsafe<A extends unknown[]>(
    callback: (...args: A) => unknown,
    ...args: A
  ): Handle;
  /** Schedules `callback(...args)` to run after `delay` seconds. */
  callLater<A extends unknown[]>(
    delay: number,
    callback: (...args: A) => unknown,
    ...args: A
  ): TimerHandle;
  /** Schedules `callback(...args)` to run at loop time `when`. */
  callAt<A extends unknown[]>(
    when: number,
    callback: (...args: A) => unknown,
    ...args: A
  ): TimerHandle;
  /** Creates a future attached to this loop. */
  createFuture<T = unknown>(): Future<T>;
  /** Wraps a coroutine in a task and schedules its first step. */
  createTask<T>(
    coroutine: CoroutineFunction<T> | Coroutine<T>,
    options?: Omit<TaskOptions, "loop">,
  ): Task<T>;
  /** Runs the loop until `future` is done; its result. */
  runUntilComplete<T>(
    future: Future<T> | CoroutineFunction<T> | Coroutine<T>,
  ): Promise<T>;
  /** Runs the loop until `stop()` is called. */
  runForever(): Promise<void>;
  /** Stops the loop after the current iteration. */
  stop(): void;
  /** Closes the loop. */
  close(): void;
  /** Runs `fn(...args)` in `executor` (null: the default one). */
  runInExecutor<A extends unknown[], R>(
    executor: Executor | null,
    fn: WorkerCallable<A, R>,
    ...args: A
  ): Future<Awaited<R>>;
  /** Sets the executor `runInExecutor(null, ...)` uses. */
  setDefaultExecutor(executor: Executor | null): void;
  /** The default executor, if one was set or created. */
  getDefaultExecutor(): Executor | null;
  /** Shuts the default executor down and waits for its jobs. */
  shutdownDefaultExecutor(): Coroutine<void>;
  /** Sets the handler for errors nobody else can receive. */
  setExceptionHandler(handler: ExceptionHandler | null): void;
  /** The handler set with `setExceptionHandler`, or null. */
  getExceptionHandler(): ExceptionHandler | null;
  /** Logs `context` the default way. */
  defaultExceptionHandler(context: ExceptionContext): void;
  /** Passes `context` to the exception handler. */
  callExceptionHandler(context: ExceptionContext): void;
}

/**
 * What futures, tasks and I/O reach on a loop beyond its public face; the
 * loop of `base_events.ts` implements it. Never exported from mod.ts.
 */
export interface LoopInternal extends AbstractEventLoop {
  /** Schedules `callback(arg)` on a recycled handle. */
  [kCallSoon](callback: Callback, arg: unknown, contextFree?: boolean): void;
  /** Schedules a handle the library made (not recycled). */
  [kScheduleHandle](handle: Handle): void;
  /** A handle resumed `task`: the iteration waits for its step to end. */
  [kTaskResumed](task: object): void;
  /** `task` reached a suspension point: the iteration goes on. */
  [kTaskSuspended](task: object): void;
  /** The pending tasks, held strongly (tasks.ts adds and removes them). */
  readonly [kTasks]: Task<unknown>[];
  /** Futures whose exception nobody retrieved yet, reported at close. */
  readonly [kUnretrieved]: Set<Future<unknown>>;
  /** Host I/O or an executor job started: virtual time must wait. */
  [kIoStarted](): void;
  /** It finished. */
  [kIoFinished](): void;
  /** A timer in the heap was cancelled. */
  [kTimerCancelled](): void;
}

/** The loop's internal face (every loop of this library has it). */
export function internal(loop: AbstractEventLoop): LoopInternal {
  return loop as LoopInternal;
}

/**
 * Counts `promise` as host I/O in flight on `loop` until it settles, so
 * that a loop on the virtual clock does not jump ahead of it. Returns the
 * promise.
 */
export function countIo<P extends PromiseLike<unknown>>(
  loop: AbstractEventLoop,
  promise: P,
): P {
  const l = loop as LoopInternal;
  l[kIoStarted]();
  const done = () => l[kIoFinished]();
  promise.then(done, done);
  return promise;
}

// ------------------------------------------------------------ registry

let runningLoop: AbstractEventLoop | null = null;
let currentLoop: AbstractEventLoop | null = null;
let loopFactory: (() => LoopInternal) | null = null;

/**
 * Returns the running event loop. Throws `Error("no running event loop")`
 * outside of one, as Python raises RuntimeError.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   loop.callSoon(() => console.log("hello from a callback"));
 * });
 * ```
 */
export function getRunningLoop(): AbstractEventLoop {
  if (runningLoop === null) throw new Error("no running event loop");
  return runningLoop;
}

/** The running loop or null (Python's `_get_running_loop`). */
export function runningLoopOrNull(): AbstractEventLoop | null {
  return runningLoop;
}

/** The loop that starts or stops running on this thread. */
export function setRunningLoop(loop: AbstractEventLoop | null): void {
  runningLoop = loop;
}

/** How `getEventLoop()` makes a loop (set by base_events.ts). */
export function setLoopFactory(factory: () => LoopInternal): void {
  loopFactory = factory;
}

/**
 * Returns the running loop, or this thread's current loop, creating and
 * setting one if there is none (Python 3.11's `get_event_loop()`).
 *
 * @example
 * ```ts
 * import { getEventLoop } from "@aio/asyncio";
 *
 * const loop = getEventLoop();
 * console.log(await loop.runUntilComplete(async () => "result")); // result
 * loop.close();
 * ```
 */
export function getEventLoop(): AbstractEventLoop {
  if (runningLoop !== null) return runningLoop;
  if (currentLoop === null) {
    if (loopFactory === null) {
      throw new Error(
        "getEventLoop(): no event loop implementation is loaded; import the library from mod.ts",
      );
    }
    currentLoop = loopFactory();
  }
  return currentLoop;
}

/**
 * Sets this thread's current loop (what {@link getEventLoop} returns when
 * no loop is running); null clears it.
 *
 * @example
 * ```ts
 * import { getEventLoop, newEventLoop, setEventLoop } from "@aio/asyncio";
 *
 * const loop = newEventLoop();
 * setEventLoop(loop);
 * console.log(getEventLoop() === loop); // true
 * setEventLoop(null);
 * loop.close();
 * ```
 */
export function setEventLoop(loop: AbstractEventLoop | null): void {
  if (
    loop !== null &&
    (typeof loop !== "object" || typeof loop.callSoon !== "function")
  ) {
    throw new TypeError(
      `setEventLoop(): loop must be an event loop or null, got ${String(loop)}`,
    );
  }
  currentLoop = loop;
}

/** Forgets `loop` as this thread's current loop (it was closed). */
export function forgetCurrentLoop(loop: AbstractEventLoop): void {
  if (currentLoop === loop) currentLoop = null;
}

/** Whether `value` is an event loop of this library. */
export function isEventLoop(value: unknown): value is AbstractEventLoop {
  return value !== null && typeof value === "object" &&
    kCallSoon in value;
}
