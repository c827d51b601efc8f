/**
 * The loop's public face (`AbstractEventLoop`), the handles it schedules,
 * and the registry of the running and current loop: CPython's
 * `events.py`. The loop itself is in `base_events.ts`. This module imports
 * no futures and no tasks at run time, so everything under the loop can
 * type against it.
 *
 * @module
 */
import {
  captureSourceTraceback,
  createdAt,
  type SourceFrame,
} from "./_debug.ts";
import { coroName, pyRepr } from "./_repr.ts";
import type { Clock } from "./clock.ts";
import type { Coroutine } from "./coroutines.ts";
import type { Context } from "./contextvars.ts";
import type { Future } from "./futures.ts";
import type {
  CoroutineFunction,
  Task,
  TaskFactory,
  TaskOptions,
} from "./tasks.ts";
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
export const kCloseWith: unique symbol = Symbol("closeWith");
export const kTimerCancelled: unique symbol = Symbol("timerCancelled");
export const kRun: unique symbol = Symbol("run handle");
export const kArg: unique symbol = Symbol("single argument");
export const kPooled: unique symbol = Symbol("pooled handle");
export const kContextFree: unique symbol = Symbol("context-free handle");
export const kReuse: unique symbol = Symbol("reuse pooled handle");
export const kOwner: unique symbol = Symbol("owning loop");
export const kHandleContext: unique symbol = Symbol("handle context");
export const kSourceTrace: unique symbol = Symbol("source traceback");
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
  // CANCELLED, POOLED, CONTEXT_FREE (see their accessors).
  #flags = 0;
  /** @ignore The loop the handle belongs to. */
  readonly [kOwner]: AbstractEventLoop;
  /** @ignore The single argument of a library handle (no array). */
  [kArg]: unknown = undefined;
  /** @ignore The context a user callback runs in (a copy of its scheduler's). */
  [kHandleContext]: Context | null = null;

  /** Made by `loop.callSoon()`; subclasses pass their own callback. */
  constructor(callback: Callback, args: unknown[], loop: AbstractEventLoop) {
    this.#callback = callback;
    this.#args = args;
    this[kOwner] = loop;
    if (loop.getDebug()) handleDebug.set(this, captureSourceTraceback());
  }

  /** @ignore A library handle, recycled after it runs. */
  get [kPooled](): boolean {
    return (this.#flags & POOLED) !== 0;
  }

  /**
   * @ignore The callback runs no user code, so it may run in whatever
   * async context the loop is in (see base_events.ts).
   */
  get [kContextFree](): boolean {
    return (this.#flags & CONTEXT_FREE) !== 0;
  }

  /** @ignore Where it was made (debug mode), oldest frame first. */
  get [kSourceTrace](): SourceFrame[] | null {
    const debug = handleDebug.get(this);
    return Array.isArray(debug) ? debug : null;
  }

  /** Keeps the callback from running, if it has not run yet. */
  cancel(): void {
    if ((this.#flags & CANCELLED) === 0) {
      this.#flags |= CANCELLED;
      // Debug mode keeps the repr: the callback is let go now.
      if (this[kOwner].getDebug()) handleDebug.set(this, this.toString());
      this.#callback = null;
      this.#args = NO_ARGS;
      this[kArg] = undefined;
    }
  }

  /** Whether `cancel()` was called. */
  cancelled(): boolean {
    return (this.#flags & CANCELLED) !== 0;
  }

  /**
   * Python's repr: `<Handle callback()>`; in debug mode with the arguments
   * and where it was made: `<Handle callback(1, 2) created at file:line>`.
   */
  toString(): string {
    const debug = handleDebug.get(this);
    if (typeof debug === "string") return debug;
    return `<${this.reprInfo().join(" ")}>`;
  }

  /** The parts of the repr (Python's `_repr_info`). */
  protected reprInfo(): string[] {
    const info = [this.constructor.name];
    if (this.cancelled()) info.push("cancelled");
    if (this.#callback !== null) {
      info.push(
        formatCallback(
          this.#callback,
          this.#args.length > 0 || this[kArg] === undefined
            ? this.#args
            : [this[kArg]],
          this[kOwner].getDebug(),
        ),
      );
    }
    const created = createdAt(this[kSourceTrace]);
    if (created !== "") info.push(created);
    return info;
  }

  /** @ignore Runs the callback (the loop catches what it throws). */
  [kRun](): void {
    const args = this.#args;
    const cb = this.#callback!;
    const context = this[kHandleContext];
    if (context !== null) {
      context.run(cb, ...(args.length === 0 ? [this[kArg]] : args));
      return;
    }
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
    this.#flags = callback === null
      ? 0
      : contextFree
      ? POOLED | CONTEXT_FREE
      : POOLED;
  }
}

const CANCELLED = 1;
const POOLED = 2;
const CONTEXT_FREE = 4;

// Debug mode only (a field would cost every handle its slot): where a
// handle was made, then, once it is cancelled, its repr.
const handleDebug = new WeakMap<Handle, SourceFrame[] | string>();

/**
 * What the loop's ready queue runs: a {@link Handle}, or a library step
 * that is its own item (a task's `sleep(0)`, tasks.ts).
 */
export interface ReadyItem {
  /** Whether it was cancelled (it is skipped). */
  cancelled(): boolean;
  /** Runs it; the loop reports what it throws. */
  [kRun](): void;
  /** It runs no user code, so any async context will do. */
  readonly [kContextFree]: boolean;
  /** The loop recycles it after it ran. */
  readonly [kPooled]: boolean;
  /** Where it was made (debug mode). */
  readonly [kSourceTrace]: SourceFrame[] | null;
}

// Python's `_format_callback`: the callback's name (what an arrow function
// calls, as for tasks), its arguments in debug mode only (they may hold
// secrets), and `()` again for a bound function (Python's partial).
function formatCallback(
  callback: Callback,
  args: unknown[],
  debug: boolean,
): string {
  const bound = callback.name.startsWith("bound ");
  const name = bound
    ? callback.name.slice(6) || "<anonymous>"
    : coroName(callback);
  const shown = debug ? `(${args.map(pyRepr).join(", ")})` : "()";
  return bound ? `${name}()${shown}` : `${name}${shown}`;
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

  /** Python's repr parts: the deadline after the state. */
  protected override reprInfo(): string[] {
    const info = super.reprInfo();
    info.splice(this.cancelled() ? 2 : 1, 0, `when=${this.#when}`);
    return info;
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
  /** Sets what `createTask` uses to make tasks (null: `Task`). */
  setTaskFactory(factory: TaskFactory | null): void;
  /** The task factory, or null for the default one. */
  getTaskFactory(): TaskFactory | null;
  /** Calls `callback(...args)` on this loop when the process gets `signal`. */
  addSignalHandler<A extends unknown[]>(
    signal: Deno.Signal | number,
    callback: (...args: A) => unknown,
    ...args: A
  ): void;
  /** Removes the handler of `signal`; whether there was one. */
  removeSignalHandler(signal: Deno.Signal | number): boolean;
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
  [kScheduleHandle](handle: ReadyItem): void;
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
  /**
   * Calls `close` when the loop closes (servers, transports), unless the
   * returned function is called first.
   */
  [kCloseWith](close: () => void): () => void;
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

/** How the default policy makes a loop (set by base_events.ts). */
export function setLoopFactory(factory: () => LoopInternal): void {
  loopFactory = factory;
}

// A Worker is another thread: like Python's non-main threads, it gets no
// loop made for it implicitly.
function threadName(): string {
  const scope = globalThis as { WorkerGlobalScope?: unknown; name?: string };
  return scope.WorkerGlobalScope === undefined
    ? "MainThread"
    : scope.name || "Worker";
}

/**
 * What decides the current loop of this thread and how new loops are
 * made, Python's `asyncio.AbstractEventLoopPolicy` (deprecated in Python
 * 3.14, kept for 3.13's programs). Subclass {@link DefaultEventLoopPolicy}
 * rather than this.
 *
 * @example A policy whose loops run on the virtual clock
 * ```ts
 * import { DefaultEventLoopPolicy, getEventLoop, newEventLoop, setEventLoopPolicy } from "@aio/asyncio";
 *
 * class VirtualPolicy extends DefaultEventLoopPolicy {
 *   override newEventLoop() {
 *     return newEventLoop({ virtualTime: true });
 *   }
 * }
 * setEventLoopPolicy(new VirtualPolicy());
 * const loop = getEventLoop();
 * console.log(loop.clock.virtual); // true
 * loop.close();
 * setEventLoopPolicy(null);
 * ```
 */
export abstract class AbstractEventLoopPolicy {
  /** This thread's current loop; throws if there is none. */
  abstract getEventLoop(): AbstractEventLoop;
  /** Sets this thread's current loop (null: none). */
  abstract setEventLoop(loop: AbstractEventLoop | null): void;
  /** Makes a new loop (not set as current). */
  abstract newEventLoop(): AbstractEventLoop;
}

/**
 * Python 3.13's default policy: one current loop per thread; the main
 * thread gets one made on its first `getEventLoop()`, unless
 * `setEventLoop` was called before (then there is no current loop until
 * one is set); a Worker gets none.
 *
 * @example
 * ```ts
 * import { DefaultEventLoopPolicy } from "@aio/asyncio";
 *
 * const policy = new DefaultEventLoopPolicy();
 * const loop = policy.newEventLoop();
 * policy.setEventLoop(loop);
 * console.log(policy.getEventLoop() === loop); // true
 * loop.close();
 * ```
 */
export class DefaultEventLoopPolicy extends AbstractEventLoopPolicy {
  #loop: AbstractEventLoop | null = null;
  #setCalled = false;

  /** This thread's current loop, made on first use in the main thread. */
  getEventLoop(): AbstractEventLoop {
    if (
      this.#loop === null && !this.#setCalled && threadName() === "MainThread"
    ) {
      this.setEventLoop(this.newEventLoop());
    }
    if (this.#loop === null) {
      throw new Error(
        `There is no current event loop in thread '${threadName()}'.`,
      );
    }
    return this.#loop;
  }

  /** Sets this thread's current loop (null: none). */
  setEventLoop(loop: AbstractEventLoop | null): void {
    this.#setCalled = true;
    if (loop !== null && !isEventLoopLike(loop)) {
      throw new TypeError(
        `setEventLoop(): loop must be an event loop or null, got ${
          loop === undefined ? "undefined" : typeof loop
        }`,
      );
    }
    this.#loop = loop;
  }

  /** A new `EventLoop`. */
  newEventLoop(): AbstractEventLoop {
    if (loopFactory === null) {
      throw new Error(
        "newEventLoop(): no event loop implementation is loaded; import the library from mod.ts",
      );
    }
    return loopFactory();
  }
}

let policy: AbstractEventLoopPolicy | null = null;

/**
 * The current event loop policy (a {@link DefaultEventLoopPolicy} until
 * another is set), Python's `asyncio.get_event_loop_policy`.
 *
 * @example
 * ```ts
 * import { DefaultEventLoopPolicy, getEventLoopPolicy } from "@aio/asyncio";
 *
 * console.log(getEventLoopPolicy() instanceof DefaultEventLoopPolicy); // true
 * ```
 */
export function getEventLoopPolicy(): AbstractEventLoopPolicy {
  return policy ??= new DefaultEventLoopPolicy();
}

/**
 * Sets the event loop policy (null: a new default one), Python's
 * `asyncio.set_event_loop_policy`.
 *
 * @example
 * ```ts
 * import { DefaultEventLoopPolicy, getEventLoopPolicy, setEventLoopPolicy } from "@aio/asyncio";
 *
 * const mine = new DefaultEventLoopPolicy();
 * setEventLoopPolicy(mine);
 * console.log(getEventLoopPolicy() === mine); // true
 * setEventLoopPolicy(null);
 * ```
 */
export function setEventLoopPolicy(
  newPolicy: AbstractEventLoopPolicy | null,
): void {
  if (newPolicy !== null && !(newPolicy instanceof AbstractEventLoopPolicy)) {
    throw new TypeError(
      `setEventLoopPolicy(): policy must be an AbstractEventLoopPolicy or null, got ${typeof newPolicy}`,
    );
  }
  policy = newPolicy;
}

/**
 * Returns the running loop, or else the policy's current loop: Python
 * 3.13's `get_event_loop()`. In the main thread a loop is made and set on
 * first use, unless `setEventLoop` was called before (as `run()` does when
 * it ends): then, with no loop set, it throws.
 *
 * @example
 * ```ts
 * import { getEventLoop, newEventLoop, setEventLoop } from "@aio/asyncio";
 *
 * const loop = newEventLoop();
 * setEventLoop(loop);
 * console.log(getEventLoop() === loop); // true
 * console.log(await loop.runUntilComplete(async () => "result")); // result
 * setEventLoop(null);
 * loop.close();
 * ```
 */
export function getEventLoop(): AbstractEventLoop {
  if (runningLoop !== null) return runningLoop;
  return getEventLoopPolicy().getEventLoop();
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
  getEventLoopPolicy().setEventLoop(loop);
}

function isEventLoopLike(value: unknown): boolean {
  return value !== null && typeof value === "object" &&
    typeof (value as AbstractEventLoop).callSoon === "function" &&
    typeof (value as AbstractEventLoop).runForever === "function";
}

/** Whether `value` is an event loop of this library. */
export function isEventLoop(value: unknown): value is AbstractEventLoop {
  return value !== null && typeof value === "object" &&
    kCallSoon in value;
}
