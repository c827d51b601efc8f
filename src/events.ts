/**
 * The event loop: Python's algorithm (a FIFO ready queue, a heap of timers,
 * one iteration at a time) on top of the host's event loop.
 *
 * @module
 */
import {
  clearImmediate as clearHostImmediate,
  setImmediate as hostImmediate,
} from "node:timers";
import { Deque } from "./_deque.ts";
import { taskContext } from "./_context.ts";
import { Heap } from "./_heap.ts";
import { pyRepr } from "./_repr.ts";
import {
  _setRunningClockSource,
  type Clock,
  defaultClock,
  VirtualClock,
} from "./clock.ts";
import { _contextFree, Future, wrapFuture } from "./futures.ts";
import { ConcurrentFuture } from "./executor/concurrent.ts";
import { Task, type TaskOptions, toFuture } from "./tasks.ts";
import { InvalidStateError } from "./errors.ts";
import { ThreadPoolExecutor } from "./executor/pool.ts";
import type { WorkerCallable } from "./executor/functions.ts";

// deno-lint-ignore no-explicit-any
type Callback = (...args: any[]) => unknown;

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
  /** @internal */ _callback: Callback | null;
  /** @internal */ _args: unknown[];
  /** @internal */ _cancelled = false;
  /** @internal */ readonly _loop: EventLoop;

  /** @internal Use `loop.callSoon()`. */
  constructor(callback: Callback, args: unknown[], loop: EventLoop) {
    this._callback = callback;
    this._args = args;
    this._loop = loop;
  }

  /** Keeps the callback from running, if it has not run yet. */
  cancel(): void {
    if (!this._cancelled) {
      this._cancelled = true;
      this._callback = null;
      this._args = NO_ARGS;
      this._arg = undefined;
    }
  }

  /** Whether `cancel()` was called. */
  cancelled(): boolean {
    return this._cancelled;
  }

  /** Python's repr: `<Handle callback(args)>`. */
  toString(): string {
    const name = this.constructor.name;
    if (this._cancelled) return `<${name} cancelled>`;
    const fn = this._callback?.name || "<anonymous>";
    return `<${name} ${fn}(${this._args.map(pyRepr).join(", ")})>`;
  }

  /** @internal The single argument of an internal handle (no array). */
  _arg: unknown = undefined;
  /** @internal An internal handle, recycled after it runs. */
  _pooled = false;
  /**
   * @internal The callback runs no user code, so it may run in whatever
   * async context the loop is in (see `EventLoop.#continueIteration`).
   */
  _contextFree = false;

  /** @internal */
  _run(): void {
    const args = this._args;
    const cb = this._callback!;
    switch (args.length) {
      case 0:
        cb(this._arg);
        break;
      case 1:
        cb(args[0]);
        break;
      default:
        cb(...args);
    }
  }
}

let timerSeq = 0;
const NO_ARGS: unknown[] = [];

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
  /** @internal */ readonly _when: number;
  /** @internal */ readonly _seq: number = timerSeq++;
  /** @internal */ _scheduled = true;

  /** @internal Use `loop.callLater()` or `loop.callAt()`. */
  constructor(
    when: number,
    callback: Callback,
    args: unknown[],
    loop: EventLoop,
  ) {
    super(callback, args, loop);
    this._when = when;
  }

  /** The loop time at which the callback is due. */
  when(): number {
    return this._when;
  }

  /** Keeps the callback from running, if it has not run yet. */
  override cancel(): void {
    if (!this._cancelled && this._scheduled) this._loop._timerCancelled();
    super.cancel();
  }
}

// The pending `sleep(0)` of a task: one loop iteration, like Python's bare
// `yield`. It is its own handle in the ready queue, and a native promise
// costs less to await than a thenable.
class YieldHandle extends Handle {
  constructor(
    loop: EventLoop,
    readonly task: Task<unknown> | null,
    readonly value: unknown,
    readonly resolve: (value: unknown) => void,
    readonly reject: (reason: unknown) => void,
  ) {
    super(wakeYield as Callback, NO_ARGS, loop);
    this._arg = this;
    this._contextFree = true;
  }
}

function wakeYield(w: YieldHandle): void {
  const task = w.task;
  if (task === null) {
    w.resolve(w.value);
    return;
  }
  if (task.done()) return;
  if (task._mustCancel) {
    task._mustCancel = false;
    w.reject(task._throwCancel(task._makeCancelledError()));
  } else {
    w.resolve(w.value);
  }
  task._loop._resumeTask(task);
}

/** @internal `sleep(0)`: a promise settled one loop iteration later. */
export function _yield<T>(loop: EventLoop, value: T): Promise<T> {
  const found = taskContext.getStore();
  const task = found !== undefined && found._loop === loop ? found : null;
  const promise = new Promise<T>((resolve, reject) => {
    loop._scheduleHandle(
      new YieldHandle(
        loop,
        task,
        value,
        resolve as (v: unknown) => void,
        reject,
      ),
    );
  });
  // The task suspends on the promise as soon as its synchronous code ends,
  // before the loop resumes (the loop goes on from a later microtask).
  if (task !== null) loop._taskSuspended(task);
  return promise;
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
  loop: EventLoop,
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

// After this much busy time the loop yields to the host so that host I/O
// and timers are not starved (Python polls I/O on every iteration).
const HOST_YIELD_INTERVAL_MS = 4;
const MAX_HOST_DELAY_MS = 2 ** 31 - 1;

let runningLoop: EventLoop | null = null;
let currentLoop: EventLoop | null = null;

_setRunningClockSource(() => runningLoop?.clock);

function timerLess(a: TimerHandle, b: TimerHandle): boolean {
  return a._when < b._when || (a._when === b._when && a._seq < b._seq);
}

function checkDelay(name: string, value: unknown): number {
  if (typeof value !== "number") {
    throw new TypeError(
      `${name} must be a number of seconds, got ${typeof value}`,
    );
  }
  if (Number.isNaN(value)) throw new RangeError(`${name} must not be NaN`);
  return value;
}

function checkCallback(method: string, callback: unknown): void {
  if (typeof callback !== "function") {
    throw new TypeError(
      `${method}() takes a function as its callback, got ${typeof callback}`,
    );
  }
}

/**
 * An asyncio event loop. Get one with {@link getRunningLoop} inside
 * asynchronous code, or {@link newEventLoop} / {@link getEventLoop}
 * outside; most programs never touch it and call `run(main)`.
 *
 * Handles run in the root async context (`currentTask()` is null inside
 * callbacks); when a handle resumes a task, the task runs to its next
 * suspension before the loop runs the next handle, as in CPython.
 *
 * @example Schedule callbacks in order
 * ```ts
 * import { newEventLoop } from "@aio/asyncio";
 *
 * const loop = newEventLoop({ virtualTime: true });
 * loop.callLater(0.2, () => console.log("call_later 0.2s"));
 * loop.callLater(0.1, () => console.log("call_later 0.1s"));
 * loop.callSoon(() => console.log("call_soon"));
 * loop.callLater(0.3, () => loop.stop());
 * await loop.runForever();
 * loop.close();
 * ```
 */
export class EventLoop {
  /** Callbacks slower than this many seconds are reported in debug mode. */
  slowCallbackDuration = 0.1;

  /** @internal */ readonly _ready: Deque<Handle> = new Deque();
  /** @internal */ readonly _scheduled: Heap<TimerHandle> = new Heap(timerLess);
  // Pending tasks, held strongly (an array with swap-remove is cheaper than
  // a Set at hundreds of thousands of tasks).
  /** @internal */ readonly _tasks: Task<unknown>[] = [];
  #handlePool: Handle[] = [];
  /** @internal */ readonly _unretrieved: Set<Future<unknown>> = new Set();
  /** @internal */ _waitingTask: Task<unknown> | null = null;
  /** @internal */ _inFlight = 0;

  readonly #clock: Clock;
  #timerCancelledCount = 0;
  #running = false;
  #closed = false;
  #stopping = false;
  #debug: boolean;
  #exceptionHandler: ExceptionHandler | null = null;
  #defaultExecutor: Executor | null = null;
  #executorShutdownCalled = false;

  #inIteration = false;
  #ntodo = 0;
  #kickPending = false;
  #idleWake: (() => void) | null = null;
  // Whether loop code now runs in the loop's own (task-less) async context,
  // and the trigger that brings it back there when it does not.
  #inRoot = true;
  #rootResume: (() => void) | null = null;
  #inHandle = false;
  #hostTimer: ReturnType<typeof setTimeout> | undefined;
  #hostTimerAt = 0; // when it fires, in ms of the loop's clock
  #hostImmediate: ReturnType<typeof hostImmediate> | undefined;
  #lastHostYield = 0;
  #busyIterations = 0;
  #probe: ReturnType<typeof hostImmediate> | undefined;
  #handleStart = 0;
  #stopResolve: (() => void) | null = null;

  /** Creates a loop; prefer {@link newEventLoop}. */
  constructor(options: EventLoopOptions = {}) {
    this.#clock = options.clock ??
      (options.virtualTime ? new VirtualClock() : defaultClock());
    this.#debug = options.debug ?? false;
  }

  /** The clock this loop runs on. */
  get clock(): Clock {
    return this.#clock;
  }

  /** The loop's time in seconds, on its monotonic (or virtual) clock. */
  time(): number {
    return this.#clock.now();
  }

  /** Whether the loop is running. */
  isRunning(): boolean {
    return this.#running;
  }

  /** Whether the loop was closed. */
  isClosed(): boolean {
    return this.#closed;
  }

  /** Turns debug mode on or off. */
  setDebug(enabled: boolean): void {
    this.#debug = enabled;
  }

  /** Whether debug mode is on. */
  getDebug(): boolean {
    return this.#debug;
  }

  /**
   * Schedules `callback(...args)` for the next loop iteration, after the
   * callbacks already scheduled.
   */
  callSoon<A extends unknown[]>(
    callback: (...args: A) => unknown,
    ...args: A
  ): Handle {
    this.#checkClosed();
    checkCallback("callSoon", callback);
    const handle = new Handle(callback as Callback, args, this);
    this._ready.push(handle);
    if (!this.#inIteration) this.#kick();
    return handle;
  }

  /**
   * Like `callSoon`; safe to call from code the loop does not control
   * (host callbacks, foreign promises). Also wakes an idle loop.
   */
  callSoonThreadsafe<A extends unknown[]>(
    callback: (...args: A) => unknown,
    ...args: A
  ): Handle {
    return this.callSoon(callback, ...args);
  }

  /** Schedules `callback(...args)` to run after `delay` seconds. */
  callLater<A extends unknown[]>(
    delay: number,
    callback: (...args: A) => unknown,
    ...args: A
  ): TimerHandle {
    checkDelay("callLater() delay", delay);
    return this.callAt(this.time() + delay, callback, ...args);
  }

  /** Schedules `callback(...args)` to run at loop time `when`. */
  callAt<A extends unknown[]>(
    when: number,
    callback: (...args: A) => unknown,
    ...args: A
  ): TimerHandle {
    checkDelay("callAt() when", when);
    this.#checkClosed();
    checkCallback("callAt", callback);
    const timer = new TimerHandle(when, callback as Callback, args, this);
    this._scheduled.push(timer);
    if (!this.#inIteration) this.#kick();
    return timer;
  }

  /** Creates a future attached to this loop. */
  createFuture<T = unknown>(): Future<T> {
    return new Future<T>({ loop: this });
  }

  /**
   * Wraps a coroutine function in a task and schedules its first step.
   * Pass the function, not its promise: `createTask(() => work(1))`.
   */
  createTask<T>(
    coroutine: () => PromiseLike<T>,
    options: Omit<TaskOptions, "loop"> = {},
  ): Task<T> {
    this.#checkClosed();
    return new Task(coroutine, options, this);
  }

  /**
   * Runs the loop until `future` is done and returns its result (or
   * throws its error). Takes a future, a task, or a coroutine function,
   * which it wraps in a task.
   */
  async runUntilComplete<T>(
    future: Future<T> | (() => PromiseLike<T>),
  ): Promise<T> {
    this.#checkClosed();
    this.#checkNotRunning();
    if (future instanceof Promise) {
      throw startedPromiseError("runUntilComplete", future);
    }
    const fut = toFuture(future, this, "runUntilComplete");
    const stop = _contextFree(() => this.stop());
    fut.addDoneCallback(stop);
    try {
      await this.runForever();
    } finally {
      fut.removeDoneCallback(stop);
    }
    if (!fut.done()) {
      throw new Error("Event loop stopped before Future completed.");
    }
    return fut.result();
  }

  /** Runs the loop until `stop()` is called. */
  runForever(): Promise<void> {
    this.#checkClosed();
    this.#checkNotRunning();
    this.#running = true;
    runningLoop = this;
    this.#lastHostYield = performance.now();
    return new Promise<void>((resolve) => {
      this.#stopResolve = resolve;
      this.#start();
    });
  }

  #start = (): void => {
    this.#kickPending = true;
    queueMicrotask(this.#iterate);
  };

  /**
   * Stops the loop after the current iteration: every callback that was
   * ready when it began still runs.
   */
  stop(): void {
    this.#stopping = true;
    if (this.#running && !this.#inIteration) this.#kick();
  }

  /**
   * Closes the loop: drops pending callbacks, reports task exceptions that
   * were never retrieved, and shuts the default executor down without
   * waiting. A closed loop cannot run again.
   */
  close(): void {
    if (this.#running) throw new Error("Cannot close a running event loop");
    if (this.#closed) return;
    if (this.#debug) {
      for (const task of this._tasks.slice()) {
        this.callExceptionHandler({
          message: "Task was destroyed but it is pending!",
          task,
        });
      }
    }
    for (const fut of this._unretrieved) {
      fut._reportUnretrieved();
    }
    this._unretrieved.clear();
    this.#closed = true;
    this._ready.clear();
    this._scheduled.clear();
    this.#timerCancelledCount = 0;
    this.#clearHostWakeups();
    const executor = this.#defaultExecutor;
    this.#defaultExecutor = null;
    if (executor) void executor.shutdown({ wait: false });
    if (currentLoop === this) currentLoop = null;
  }

  /**
   * Runs `fn(...args)` in `executor` (null: the default executor, a
   * `ThreadPoolExecutor` made on first use) and returns a future of the
   * result. `fn` is a `WorkerFunction` (by reference) or a self-contained
   * function (sent by source). Cancelling the future cancels the job: one
   * already running has its Worker terminated.
   */
  runInExecutor<A extends unknown[], R>(
    executor: Executor | null,
    fn: WorkerCallable<A, R>,
    ...args: A
  ): Future<Awaited<R>> {
    this.#checkClosed();
    let chosen = executor;
    if (chosen === null || chosen === undefined) {
      chosen = this.#defaultExecutor;
      if (chosen === null) {
        if (this.#executorShutdownCalled) {
          throw new Error("Executor shutdown has been called");
        }
        chosen = this.#defaultExecutor = new ThreadPoolExecutor({
          threadNamePrefix: "asyncio",
        });
      }
    } else if (typeof chosen.submit !== "function") {
      throw new TypeError(
        `runInExecutor() takes an executor with submit() (such as a ThreadPoolExecutor) or null, got ${
          String(chosen)
        }`,
      );
    }
    const job = chosen.submit(fn, ...args);
    const fut = wrapFuture(job, { loop: this });
    const cancel = (job as { cancel?: () => unknown }).cancel;
    if (!(job instanceof ConcurrentFuture) && typeof cancel === "function") {
      fut.addDoneCallback((f) => {
        if (f.cancelled()) cancel.call(job);
      });
    }
    return fut;
  }

  /** Sets the executor `runInExecutor(null, ...)` uses. */
  setDefaultExecutor(executor: Executor | null): void {
    this.#defaultExecutor = executor;
  }

  /** @internal The default executor, if one was set or created. */
  get _defaultExecutor(): Executor | null {
    return this.#defaultExecutor;
  }

  /** Shuts the default executor down and waits for its jobs. */
  async shutdownDefaultExecutor(): Promise<void> {
    this.#executorShutdownCalled = true;
    const executor = this.#defaultExecutor;
    this.#defaultExecutor = null;
    if (executor) await executor.shutdown({ wait: true });
  }

  /** Sets the handler for errors nobody else can receive (null: default). */
  setExceptionHandler(handler: ExceptionHandler | null): void {
    if (handler !== null && typeof handler !== "function") {
      throw new TypeError(
        `A callable object or null is expected, got ${String(handler)}`,
      );
    }
    this.#exceptionHandler = handler;
  }

  /** The handler set with `setExceptionHandler`, or null. */
  getExceptionHandler(): ExceptionHandler | null {
    return this.#exceptionHandler;
  }

  /** Logs `context` the default way: its message and error on stderr. */
  defaultExceptionHandler(context: ExceptionContext): void {
    const parts = [context.message || "Unhandled exception in event loop"];
    for (const key of ["future", "task", "handle"] as const) {
      if (context[key] !== undefined) parts.push(`${key}: ${context[key]}`);
    }
    const exc = context.exception;
    if (exc !== undefined) {
      parts.push(
        exc instanceof Error ? (exc.stack ?? String(exc)) : String(exc),
      );
    }
    console.error(parts.join("\n"));
  }

  /** Passes `context` to the exception handler. */
  callExceptionHandler(context: ExceptionContext): void {
    const handler = this.#exceptionHandler;
    if (handler === null) {
      this.defaultExceptionHandler(context);
      return;
    }
    try {
      handler(this, context);
    } catch (e) {
      this.defaultExceptionHandler({
        message: "Unhandled error in exception handler",
        exception: e,
        context,
      });
    }
  }

  /** @internal A timer was cancelled; compact the heap when most are. */
  _timerCancelled(): void {
    this.#timerCancelledCount++;
  }

  /**
   * @internal Schedules `callback(arg)`. The handle is not returned, so it
   * is recycled after it runs.
   */
  _callSoonInternal(
    callback: Callback,
    arg: unknown,
    contextFree = false,
  ): void {
    if (this.#closed) throw new Error("Event loop is closed");
    const handle = this.#handlePool.pop() ??
      new Handle(callback, NO_ARGS, this);
    handle._callback = callback;
    handle._arg = arg;
    handle._pooled = true;
    handle._contextFree = contextFree;
    this._ready.push(handle);
    if (!this.#inIteration) this.#kick();
  }

  /** @internal Schedules a handle the library made (not recycled). */
  _scheduleHandle(handle: Handle): void {
    if (this.#closed) throw new Error("Event loop is closed");
    this._ready.push(handle);
    if (!this.#inIteration) this.#kick();
  }

  /** @internal */
  _addTask(task: Task<unknown>): void {
    task._index = this._tasks.length;
    this._tasks.push(task);
  }

  /** @internal */
  _removeTask(task: Task<unknown>): void {
    const i = task._index;
    if (i < 0) return;
    const tasks = this._tasks;
    const last = tasks.pop()!;
    if (last !== task) {
      tasks[i] = last;
      last._index = i;
    }
    task._index = -1;
  }

  /** @internal A handle resumed `task`: wait for its step to end. */
  _resumeTask(task: Task<unknown>): void {
    this._waitingTask = task;
  }

  /**
   * @internal `task` reached a suspension point (an await of a library
   * future, or its end). The iteration goes on from a microtask, in the
   * loop's own context, so a report made just before the task's `await`
   * suspends it is in time.
   */
  _taskSuspended(task: Task<unknown>): void {
    if (this._waitingTask !== task) return;
    this._waitingTask = null;
    // From inside the handle that resumed the task (a first step runs
    // synchronously), the iteration simply goes on after that handle.
    if (this.#inHandle) return;
    this.#afterStep();
    // Here we are in the task's async context: handles that do not care
    // run at once; the others wait for the root trigger.
    this.#inRoot = false;
    this.#continueIteration();
  }

  /** @internal I/O or an executor job started: virtual time must wait. */
  _ioStarted(): void {
    this._inFlight++;
  }

  /** @internal I/O or an executor job finished. */
  _ioFinished(): void {
    this._inFlight--;
    // Only virtual time waits for I/O (the real clock's idle loop ignores
    // it), so only there does the last one need to wake the loop.
    if (
      this._inFlight === 0 && this.#clock.virtual && this.#running &&
      !this.#inIteration
    ) {
      this.#kick();
    }
  }

  /** Python's repr. */
  toString(): string {
    return `<EventLoop running=${this.#running ? "True" : "False"} closed=${
      this.#closed ? "True" : "False"
    } debug=${this.#debug ? "True" : "False"}>`;
  }

  #checkClosed(): void {
    if (this.#closed) throw new Error("Event loop is closed");
  }

  #checkNotRunning(): void {
    if (this.#running) throw new Error("This event loop is already running");
    if (runningLoop !== null) {
      throw new Error(
        "Cannot run the event loop while another loop is running",
      );
    }
  }

  // Makes sure an iteration runs soon. Called when something is scheduled
  // while the loop is between iterations, from any context: the iteration
  // runs through a trigger armed in the loop's own (task-less) context.
  #kick(): void {
    if (!this.#running || this.#kickPending || this.#inIteration) return;
    const wake = this.#idleWake;
    if (wake === null) return; // an iteration is already on its way
    this.#idleWake = null;
    this.#kickPending = true;
    this.#clearHostImmediate();
    wake();
  }

  // Host callbacks and promise reactions run in the async context they were
  // scheduled from. The loop's own code runs in a context without a task;
  // these triggers, armed from it, bring a later call back into it.
  #armIdleWake(): void {
    if (this.#idleWake !== null) return;
    const { promise, resolve } = Promise.withResolvers<void>();
    promise.then(this.#iterate);
    this.#idleWake = resolve;
  }

  #armRootResume(): void {
    const { promise, resolve } = Promise.withResolvers<void>();
    promise.then(this.#resumeInRoot);
    this.#rootResume = resolve;
  }

  #resumeInRoot = (): void => {
    this.#inRoot = true;
    this.#continueIteration();
  };

  #bounceToRoot(): void {
    const resume = this.#rootResume!;
    this.#rootResume = null;
    resume();
  }

  #clearHostWakeups(): void {
    if (this.#hostTimer !== undefined) {
      clearTimeout(this.#hostTimer);
      this.#hostTimer = undefined;
    }
    this.#clearHostImmediate();
  }

  // The host timer stays armed across wake-ups: re-arming it for the same
  // timer each time the loop goes idle costs more than a spurious wake-up.
  #clearHostImmediate(): void {
    if (this.#hostImmediate !== undefined) {
      clearHostImmediate(this.#hostImmediate);
      this.#hostImmediate = undefined;
    }
  }

  // Entry point from the host (microtask, immediate or timer): run one
  // iteration in the root async context, whatever context woke us.
  #iterate = (): void => {
    this.#kickPending = false;
    this.#clearHostImmediate();
    if (!this.#running || this.#inIteration) return;
    this.#idleWake = null;
    this.#inIteration = true;
    this.#inRoot = true;
    const heap = this._scheduled;
    if (
      this.#timerCancelledCount > 100 &&
      this.#timerCancelledCount * 2 > heap.length
    ) {
      heap.filter((t) => {
        if (t._cancelled) t._scheduled = false;
        return !t._cancelled;
      });
      this.#timerCancelledCount = 0;
    }
    const end = heap.length > 0 ? this.#clock.now() : 0;
    const ready = this._ready;
    for (;;) {
      const timer = heap.peek();
      if (timer === undefined) break;
      if (timer._cancelled) {
        heap.pop();
        timer._scheduled = false;
        this.#timerCancelledCount--;
        continue;
      }
      if (timer._when > end) break;
      heap.pop();
      timer._scheduled = false;
      ready.push(timer);
    }
    this.#ntodo = ready.length;
    this.#continueIteration();
  };

  #continueIteration = (): void => {
    const ready = this._ready;
    while (this.#ntodo > 0) {
      const handle = ready.peek()!;
      if (!this.#inRoot && !handle._contextFree && !handle._cancelled) {
        this.#bounceToRoot();
        return;
      }
      ready.shift();
      this.#ntodo--;
      if (handle._cancelled) continue;
      if (this.#debug) this.#handleStart = this.#clock.now();
      this.#inHandle = true;
      try {
        handle._run();
      } catch (exception) {
        this.callExceptionHandler({
          message: `Exception in callback ${handle}`,
          exception,
          handle,
        });
      }
      this.#inHandle = false;
      if (handle._pooled) this.#recycle(handle);
      if (this._waitingTask !== null) {
        // Only a trigger armed from the root context can bring loop code
        // back there; arm one before leaving it.
        if (this.#inRoot && this.#rootResume === null) this.#armRootResume();
        this.#armProbe();
        return;
      }
      this.#afterStep(handle);
    }
    if (!this.#inRoot) {
      this.#bounceToRoot();
      return;
    }
    this.#inIteration = false;
    if (this.#stopping) {
      this.#finishRun();
      return;
    }
    this.#scheduleNext();
  };

  #recycle(handle: Handle): void {
    handle._contextFree = false;
    handle._callback = null;
    handle._arg = undefined;
    if (this.#handlePool.length < 4096) this.#handlePool.push(handle);
  }

  #afterStep(handle?: Handle): void {
    if (!this.#debug) return;
    const dt = this.#clock.now() - this.#handleStart;
    if (dt >= this.slowCallbackDuration) {
      console.warn(
        `Executing ${handle ?? "a task step"} took ${dt.toFixed(3)} seconds`,
      );
    }
  }

  // The woken task has not reported a suspension yet. A host macrotask
  // runs only once every microtask has: if the loop still waits then, the
  // task waits on a foreign promise, and the iteration goes on without it.
  #armProbe(): void {
    if (this.#probe === undefined) this.#probe = hostImmediate(this.#onProbe);
  }

  #onProbe = (): void => {
    this.#probe = undefined;
    const task = this._waitingTask;
    if (task !== null) this._taskSuspended(task);
  };

  #scheduleNext(): void {
    if (this._ready.length > 0) {
      this.#kickPending = true;
      // Reading the clock costs an op: look at it every few iterations.
      if ((++this.#busyIterations & 15) === 0) {
        const now = performance.now();
        if (now - this.#lastHostYield >= HOST_YIELD_INTERVAL_MS) {
          // Let host I/O and timers in before going on.
          this.#lastHostYield = now;
          this.#hostImmediate = hostImmediate(this.#iterate);
          return;
        }
      }
      queueMicrotask(this.#iterate);
      return;
    }
    this.#lastHostYield = performance.now();
    this.#armIdleWake(); // for callSoon and friends, from any context
    const next = this._scheduled.peek();
    if (next === undefined) return;
    if (this.#clock.virtual) {
      if (this._inFlight > 0) return; // the I/O's completion will kick
      // One host turn first, so that foreign work that is already done
      // lands before time jumps.
      this.#hostImmediate = hostImmediate(this.#jumpToNextTimer);
      return;
    }
    const nowMs = this.#clock.now() * 1000;
    const delayMs = Math.min(
      Math.max(Math.ceil(next._when * 1000 - nowMs), 0),
      MAX_HOST_DELAY_MS,
    );
    if (this.#hostTimer !== undefined) {
      // Armed for this timer or an earlier one (ceil: up to 1 ms after).
      if (this.#hostTimerAt < next._when * 1000 + 1) return;
      clearTimeout(this.#hostTimer);
    }
    this.#hostTimerAt = nowMs + delayMs;
    this.#hostTimer = setTimeout(this.#onHostTimer, delayMs);
  }

  #onHostTimer = (): void => {
    this.#hostTimer = undefined;
    this.#iterate();
  };

  #jumpToNextTimer = (): void => {
    this.#hostImmediate = undefined;
    if (!this.#running || this.#inIteration || this.#kickPending) return;
    if (this._ready.length === 0 && this._inFlight === 0) {
      let next = this._scheduled.peek();
      while (next !== undefined && next._cancelled) {
        this._scheduled.pop();
        next._scheduled = false;
        this.#timerCancelledCount--;
        next = this._scheduled.peek();
      }
      if (next === undefined) return;
      // Timers that never fire leave the loop idle.
      if (!Number.isFinite(next._when)) return;
      this.#clock.advance(next._when - this.#clock.now());
    }
    this.#iterate();
  };

  #finishRun(): void {
    this.#stopping = false;
    this.#running = false;
    this.#idleWake = null;
    this.#rootResume = null;
    if (this.#probe !== undefined) {
      clearHostImmediate(this.#probe);
      this.#probe = undefined;
    }
    this.#clearHostWakeups();
    if (runningLoop === this) runningLoop = null;
    const resolve = this.#stopResolve;
    this.#stopResolve = null;
    resolve?.();
  }
}

/** @internal The error for a started promise where a coroutine function belongs. */
export function startedPromiseError(caller: string, value: unknown): TypeError {
  if (
    value !== null && typeof value === "object" &&
    typeof (value as PromiseLike<unknown>).then === "function"
  ) {
    return new TypeError(
      `${caller}() takes a coroutine function, not a promise that is already ` +
        `running: write ${caller}(() => work()) instead of ${caller}(work())`,
    );
  }
  return new TypeError(
    `${caller}() takes a coroutine function (a function returning a promise), ` +
      `got ${value === null ? "null" : typeof value}`,
  );
}

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
export function getRunningLoop(): EventLoop {
  if (runningLoop === null) throw new Error("no running event loop");
  return runningLoop;
}

/** @internal The running loop or null. */
export function _getRunningLoop(): EventLoop | null {
  return runningLoop;
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
export function getEventLoop(): EventLoop {
  if (runningLoop !== null) return runningLoop;
  if (currentLoop === null) currentLoop = new EventLoop();
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
export function setEventLoop(loop: EventLoop | null): void {
  if (loop !== null && !(loop instanceof EventLoop)) {
    throw new TypeError(
      `setEventLoop() takes an EventLoop or null, got ${String(loop)}`,
    );
  }
  currentLoop = loop;
}

/**
 * Creates a new event loop.
 *
 * @example A loop on the virtual clock
 * ```ts
 * import { newEventLoop, sleep } from "@aio/asyncio";
 *
 * const loop = newEventLoop({ virtualTime: true });
 * await loop.runUntilComplete(() => sleep(3600));
 * console.log(loop.time()); // 3600
 * loop.close();
 * ```
 */
export function newEventLoop(options: EventLoopOptions = {}): EventLoop {
  return new EventLoop(options);
}

/** @internal Used by futures to complain about a closed loop. */
export function _closedLoopError(): InvalidStateError {
  return new InvalidStateError(
    "this future belongs to an event loop that is closed, so it can never " +
      "complete; create futures on the running loop (getRunningLoop().createFuture())",
  );
}
