/**
 * The event loop, CPython's `base_events.py`: Python's algorithm (a FIFO
 * ready queue, a heap of timers, one iteration at a time) on top of the
 * host's event loop.
 *
 * How a task's step runs. A handle (a task's first step, a future's
 * wake-up, a `sleep(0)`) resumes a task: the task tells the loop
 * (`[kTaskResumed]`) and the loop stops running handles. The coroutine
 * then runs on microtasks until it awaits again; the task reports that
 * suspension itself (`[kTaskSuspended]`, from `Future.then` or
 * `sleep(0)`, or when the coroutine ends), and the loop goes on with the
 * next handle of the iteration from a later microtask, in its own async
 * context. So output interleaves exactly as in CPython, where a step runs
 * to its next `yield` before the loop goes on. A coroutine that awaits a
 * foreign promise reports nothing: the probe, a host macrotask armed after
 * each resumption, runs only once every microtask has run, and if the
 * loop still waits then, the iteration goes on without the task.
 *
 * Every `src/` module under this one types against `AbstractEventLoop`
 * and `LoopInternal` (events.ts); this is the one that implements them.
 *
 * @module
 */
import {
  clearImmediate as clearHostImmediate,
  setImmediate as hostImmediate,
} from "node:timers";
import { Deque } from "./_deque.ts";
import { formatSourceTraceback, type SourceFrame } from "./_debug.ts";
import { signalName } from "./_signals.ts";
import { envFlag } from "./_env.ts";
import { Heap } from "./_heap.ts";
import { checkFunction, checkSeconds, typeError } from "./_validate.ts";
import {
  type Clock,
  defaultClock,
  setRunningClockSource,
  VirtualClock,
} from "./clock.ts";
import {
  type AbstractEventLoop,
  type EventLoopOptions,
  type ExceptionContext,
  type ExceptionHandler,
  type Executor,
  getEventLoopPolicy,
  Handle,
  kCallSoon,
  kCloseWith,
  kContextFree,
  kHandleContext,
  kInHeap,
  kIoFinished,
  kIoStarted,
  kPooled,
  kReuse,
  kRun,
  kScheduleHandle,
  kSeq,
  kSourceTrace,
  kTaskResumed,
  kTasks,
  kTaskSuspended,
  kTimerCancelled,
  kUnretrieved,
  type LoopInternal,
  type ReadyItem,
  runningLoopOrNull,
  setLoopFactory,
  setRunningLoop,
  TimerHandle,
} from "./events.ts";
import { Coroutine } from "./coroutines.ts";
import { contextVarsInUse, copyContext } from "./contextvars.ts";
import {
  contextFree,
  Future,
  kReportUnretrieved,
  wrapFuture,
} from "./futures.ts";
import {
  type CoroutineFunction,
  Task,
  type TaskFactory,
  type TaskOptions,
  toFuture,
} from "./tasks.ts";
import { ConcurrentFuture } from "./workers/concurrent.ts";
import type { WorkerCallable } from "./workers/functions.ts";
import { ThreadPoolExecutor } from "./workers/pool.ts";

// deno-lint-ignore no-explicit-any
type Callback = (...args: any[]) => unknown;

const NO_ARGS: unknown[] = [];
const NO_TASK_OPTIONS: Omit<TaskOptions, "loop"> = Object.freeze({});

// After this much busy time the loop yields to the host so that host I/O
// and timers are not starved (Python polls I/O on every iteration).
const HOST_YIELD_INTERVAL_MS = 4;
const MAX_HOST_DELAY_MS = 2 ** 31 - 1;

setRunningClockSource(() => runningLoopOrNull()?.clock);

function timerLess(a: TimerHandle, b: TimerHandle): boolean {
  const wa = a.when();
  const wb = b.when();
  return wa < wb || (wa === wb && a[kSeq] < b[kSeq]);
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
export class EventLoop implements AbstractEventLoop {
  /** Callbacks slower than this many seconds are reported in debug mode. */
  slowCallbackDuration = 0.1;

  readonly #ready: Deque<ReadyItem> = new Deque();
  readonly #scheduled: Heap<TimerHandle> = new Heap(timerLess);
  // Pending tasks, held strongly (an array with swap-remove is cheaper than
  // a Set at hundreds of thousands of tasks); tasks.ts adds and removes.
  /** @ignore */
  readonly [kTasks]: Task<unknown>[] = [];
  /** @ignore */
  readonly [kUnretrieved]: Set<Future<unknown>> = new Set();
  #handlePool: Handle[] = [];
  // The task whose step runs now: handles wait until it suspends.
  #steppingTask: object | null = null;
  #inFlight = 0;

  readonly #clock: Clock;
  #timerCancelledCount = 0;
  #running = false;
  #closed = false;
  #stopping = false;
  #debug: boolean;
  #exceptionHandler: ExceptionHandler | null = null;
  #defaultExecutor: Executor | null = null;
  #executorShutdownCalled = false;
  #taskFactory: TaskFactory | null = null;
  // What must not outlive the loop: servers and transports made on it.
  readonly #closers = new Set<() => void>();
  readonly #signalHandlers = new Map<
    Deno.Signal,
    { handle: Handle; listener: () => void }
  >();

  #inIteration = false;
  #ntodo = 0;
  #kickPending = false;
  #idleWake: (() => void) | null = null;
  // Whether loop code now runs in the loop's own (task-less) async context,
  // and the trigger that brings it back there when it does not.
  #inRoot = true;
  #rootResume: (() => void) | null = null;
  #inRootResume = false;
  #nextInRoot = true;
  #hostYieldDue = false;
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
    // As Python's PYTHONASYNCIODEBUG: debug mode for every loop.
    this.#debug = options.debug ?? envFlag("ASYNCIO_DEBUG");
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
    checkFunction("callSoon()", "callback", callback);
    const handle = new Handle(callback as Callback, args, this);
    if (contextVarsInUse()) handle[kHandleContext] = copyContext();
    this.#ready.push(handle);
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
    checkSeconds("callLater()", "delay", delay);
    return this.callAt(this.time() + delay, callback, ...args);
  }

  /** Schedules `callback(...args)` to run at loop time `when`. */
  callAt<A extends unknown[]>(
    when: number,
    callback: (...args: A) => unknown,
    ...args: A
  ): TimerHandle {
    checkSeconds("callAt()", "when", when);
    this.#checkClosed();
    checkFunction("callAt()", "callback", callback);
    const timer = new TimerHandle(when, callback as Callback, args, this);
    if (contextVarsInUse()) timer[kHandleContext] = copyContext();
    this.#scheduled.push(timer);
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
    coroutine: CoroutineFunction<T> | Coroutine<T>,
    options: Omit<TaskOptions, "loop"> = NO_TASK_OPTIONS,
  ): Task<T> {
    this.#checkClosed();
    const factory = this.#taskFactory;
    if (factory === null) return new Task(coroutine, options, this);
    const task = factory(this, coroutine, options) as Task<T>;
    if (options.name !== undefined) task.setName(options.name);
    return task;
  }

  /**
   * Sets what `createTask` uses to make tasks (null: `Task` itself),
   * Python's `loop.set_task_factory`: `factory(loop, coroutine, options)`
   * returns the task.
   */
  setTaskFactory(factory: TaskFactory | null): void {
    if (factory !== null) checkFunction("setTaskFactory()", "factory", factory);
    this.#taskFactory = factory;
  }

  /** The task factory, or null for the default one. */
  getTaskFactory(): TaskFactory | null {
    return this.#taskFactory;
  }

  /**
   * Calls `callback(...args)` on this loop each time the process gets
   * `signal` (a name such as "SIGTERM", or a number), Python's
   * `loop.add_signal_handler`; replaces the signal's previous handler.
   */
  addSignalHandler<A extends unknown[]>(
    signal: Deno.Signal | number,
    callback: (...args: A) => unknown,
    ...args: A
  ): void {
    checkFunction("addSignalHandler()", "callback", callback);
    if (callback.constructor?.name === "AsyncFunction") {
      throw new TypeError(
        "addSignalHandler(): coroutines cannot be used as signal handlers: " +
          "schedule one from a plain callback (() => createTask(...))",
      );
    }
    const name = signalName(signal, "addSignalHandler()");
    this.#checkClosed();
    this.removeSignalHandler(name);
    const handle = new Handle(callback as Callback, args, this);
    const listener = () => {
      if (!this.#closed && !handle.cancelled()) this[kScheduleHandle](handle);
    };
    Deno.addSignalListener(name, listener);
    this.#signalHandlers.set(name, { handle, listener });
  }

  /** Removes the handler of `signal`; whether there was one. */
  removeSignalHandler(signal: Deno.Signal | number): boolean {
    const name = signalName(signal, "removeSignalHandler()");
    const entry = this.#signalHandlers.get(name);
    if (entry === undefined) return false;
    this.#signalHandlers.delete(name);
    Deno.removeSignalListener(name, entry.listener);
    return true;
  }

  /**
   * Runs the loop until `future` is done and returns its result (or
   * throws its error). Takes a future, a task, or a coroutine function,
   * which it wraps in a task.
   */
  async runUntilComplete<T>(
    future: Future<T> | CoroutineFunction<T> | Coroutine<T>,
  ): Promise<T> {
    this.#checkClosed();
    this.#checkNotRunning();
    const fut = toFuture(future, this, "runUntilComplete");
    // Named as CPython's, which a task's repr shows (`cb=[...]`).
    const stopLoop = () => this.stop();
    const stop = contextFree(function _run_until_complete_cb() {
      stopLoop();
    });
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
    setRunningLoop(this);
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
      for (const task of this[kTasks].slice()) {
        this.callExceptionHandler({
          message: "Task was destroyed but it is pending!",
          task,
        });
      }
    }
    for (const fut of this[kUnretrieved]) {
      fut[kReportUnretrieved]();
    }
    this[kUnretrieved].clear();
    for (const signal of [...this.#signalHandlers.keys()]) {
      this.removeSignalHandler(signal);
    }
    // Servers and connections left open would go on accepting and reading
    // for a loop that can no longer run anything: they close with it.
    for (const close of [...this.#closers]) {
      try {
        close();
      } catch (exception) {
        this.callExceptionHandler({
          message: "Error closing a resource with its event loop",
          exception,
        });
      }
    }
    this.#closers.clear();
    this.#closed = true;
    this.#ready.clear();
    this.#scheduled.clear();
    this.#timerCancelledCount = 0;
    this.#clearHostWakeups();
    const executor = this.#defaultExecutor;
    this.#defaultExecutor = null;
    if (executor) void executor.shutdown({ wait: false });
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
      throw typeError(
        "runInExecutor()",
        "executor",
        "an executor with submit() (such as a ThreadPoolExecutor) or null",
        chosen,
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

  /** The default executor, if one was set or created (null if not). */
  getDefaultExecutor(): Executor | null {
    return this.#defaultExecutor;
  }

  /** Shuts the default executor down and waits for its jobs (a coroutine). */
  shutdownDefaultExecutor(): Coroutine<void> {
    return new Coroutine(
      this.#shutdownDefaultExecutor,
      this,
      undefined,
      "shutdownDefaultExecutor",
    );
  }

  async #shutdownDefaultExecutor(): Promise<void> {
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
    const traceback = context.sourceTraceback as SourceFrame[] | undefined;
    if (Array.isArray(traceback)) {
      parts.push(
        "Object created at (most recent call last):\n" +
          formatSourceTraceback(traceback),
      );
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

  /** @ignore Calls `close` when the loop closes, unless unregistered. */
  [kCloseWith](close: () => void): () => void {
    this.#closers.add(close);
    return () => this.#closers.delete(close);
  }

  /** @ignore A timer was cancelled; the heap is compacted when most are. */
  [kTimerCancelled](): void {
    this.#timerCancelledCount++;
  }

  /**
   * @ignore Schedules `callback(arg)` on a recycled handle (it is not
   * returned, so nobody can hold it after it ran).
   */
  [kCallSoon](callback: Callback, arg: unknown, contextFree = false): void {
    if (this.#closed) throw new Error("Event loop is closed");
    const handle = this.#handlePool.pop() ??
      new Handle(callback, NO_ARGS, this);
    handle[kReuse](callback, arg, contextFree);
    this.#ready.push(handle);
    if (!this.#inIteration) this.#kick();
  }

  /** @ignore Schedules a handle the library made (not recycled). */
  [kScheduleHandle](handle: ReadyItem): void {
    if (this.#closed) throw new Error("Event loop is closed");
    this.#ready.push(handle);
    if (!this.#inIteration) this.#kick();
  }

  /** @ignore A handle resumed `task`: wait for its step to end. */
  [kTaskResumed](task: object): void {
    this.#steppingTask = task;
  }

  /**
   * @ignore `task` reached a suspension point (an await of a library
   * future, or its end). The iteration goes on from a microtask, in the
   * loop's own context, so a report made just before the task's `await`
   * suspends it is in time.
   */
  [kTaskSuspended](task: object): void {
    if (this.#steppingTask !== task) return;
    this.#steppingTask = null;
    // From inside the handle that resumed the task (a first step runs
    // synchronously), the iteration simply goes on after that handle.
    if (this.#inHandle) return;
    this.#afterStep();
    // Here we are in the task's async context: handles that do not care
    // run at once; the others wait for the root trigger.
    this.#inRoot = false;
    this.#continueIteration();
  }

  /** @ignore I/O or an executor job started: virtual time must wait. */
  [kIoStarted](): void {
    this.#inFlight++;
  }

  /** @ignore I/O or an executor job finished. */
  [kIoFinished](): void {
    this.#inFlight--;
    // Only virtual time waits for I/O (the real clock's idle loop ignores
    // it), so only there does the last one need to wake the loop.
    if (
      this.#inFlight === 0 && this.#clock.virtual && this.#running &&
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
    if (runningLoopOrNull() !== null) {
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
    // This is a fresh microtask in the loop's context: if the iteration
    // ends here, the next one may start here too, without another hop.
    this.#inRootResume = true;
    this.#continueIteration();
    this.#inRootResume = false;
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
    // Started from the loop's own context, unless a busy iteration that
    // ended in a task's context started this one.
    this.#inRoot = this.#nextInRoot;
    this.#nextInRoot = true;
    const heap = this.#scheduled;
    if (
      this.#timerCancelledCount > 100 &&
      this.#timerCancelledCount * 2 > heap.length
    ) {
      heap.filter((t) => {
        if (t.cancelled()) t[kInHeap] = false;
        return !t.cancelled();
      });
      this.#timerCancelledCount = 0;
    }
    const end = heap.length > 0 ? this.#clock.now() : 0;
    const ready = this.#ready;
    for (;;) {
      const timer = heap.peek();
      if (timer === undefined) break;
      if (timer.cancelled()) {
        heap.pop();
        timer[kInHeap] = false;
        this.#timerCancelledCount--;
        continue;
      }
      if (timer.when() > end) break;
      heap.pop();
      timer[kInHeap] = false;
      ready.push(timer);
    }
    this.#ntodo = ready.length;
    this.#continueIteration();
  };

  #continueIteration = (): void => {
    const ready = this.#ready;
    while (this.#ntodo > 0) {
      const handle = ready.peek()!;
      if (!this.#inRoot && !handle[kContextFree] && !handle.cancelled()) {
        this.#bounceToRoot();
        return;
      }
      ready.shift();
      this.#ntodo--;
      if (handle.cancelled()) continue;
      if (this.#debug) this.#handleStart = this.#clock.now();
      this.#inHandle = true;
      try {
        handle[kRun]();
      } catch (exception) {
        const context: ExceptionContext = {
          message: `Exception in callback ${handle}`,
          exception,
        };
        if (handle instanceof Handle) context.handle = handle;
        const traceback = handle[kSourceTrace];
        if (traceback !== null) context.sourceTraceback = traceback;
        this.callExceptionHandler(context);
      }
      this.#inHandle = false;
      if (handle[kPooled]) this.#recycle(handle as Handle);
      if (this.#steppingTask !== null) {
        // Only a trigger armed from the root context can bring loop code
        // back there; arm one before leaving it.
        if (this.#inRoot && this.#rootResume === null) this.#armRootResume();
        this.#armProbe();
        return;
      }
      this.#afterStep(handle);
    }
    if (!this.#inRoot) {
      if (this.#ready.length > 0 && !this.#stopping && !this.#yieldToHost()) {
        // Busy: the next iteration may start from this context too. Its
        // handles that must run in the loop's context bounce there first;
        // going idle, stopping or yielding to the host bounces here.
        this.#inIteration = false;
        this.#kickPending = true;
        this.#nextInRoot = false;
        queueMicrotask(this.#iterate);
        return;
      }
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

  // Whether a busy loop should let host I/O and timers in now (once it is
  // due, it stays due until the loop does).
  #yieldToHost(): boolean {
    if (this.#hostYieldDue) return true;
    // Reading the clock costs an op: look at it every few iterations.
    if ((++this.#busyIterations & 15) !== 0) return false;
    const due =
      performance.now() - this.#lastHostYield >= HOST_YIELD_INTERVAL_MS;
    this.#hostYieldDue = due;
    return due;
  }

  #recycle(handle: Handle): void {
    handle[kReuse](null, undefined, false);
    if (this.#handlePool.length < 4096) this.#handlePool.push(handle);
  }

  #afterStep(handle?: ReadyItem): void {
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
    const task = this.#steppingTask;
    if (task !== null) this[kTaskSuspended](task);
  };

  #scheduleNext(): void {
    if (this.#ready.length > 0) {
      this.#kickPending = true;
      if (this.#yieldToHost()) {
        // Let host I/O and timers in before going on.
        this.#hostYieldDue = false;
        this.#lastHostYield = performance.now();
        this.#hostImmediate = hostImmediate(this.#iterate);
        return;
      }
      if (this.#inRootResume) {
        this.#inRootResume = false;
        this.#iterate();
      } else queueMicrotask(this.#iterate);
      return;
    }
    // Going idle reads no clock: a loop fed by microtasks only (in-memory
    // I/O) still lets the host in every few milliseconds.
    this.#armIdleWake(); // for callSoon and friends, from any context
    const next = this.#scheduled.peek();
    if (next === undefined) return;
    if (this.#clock.virtual) {
      if (this.#inFlight > 0) return; // the I/O's completion will kick
      // One host turn first, so that foreign work that is already done
      // lands before time jumps.
      this.#hostImmediate = hostImmediate(this.#jumpToNextTimer);
      return;
    }
    const nowMs = this.#clock.now() * 1000;
    const delayMs = Math.min(
      Math.max(Math.ceil(next.when() * 1000 - nowMs), 0),
      MAX_HOST_DELAY_MS,
    );
    if (this.#hostTimer !== undefined) {
      // Armed for this timer or an earlier one (ceil: up to 1 ms after).
      if (this.#hostTimerAt < next.when() * 1000 + 1) return;
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
    if (this.#ready.length === 0 && this.#inFlight === 0) {
      let next = this.#scheduled.peek();
      while (next !== undefined && next.cancelled()) {
        this.#scheduled.pop();
        next[kInHeap] = false;
        this.#timerCancelledCount--;
        next = this.#scheduled.peek();
      }
      if (next === undefined) return;
      // Timers that never fire leave the loop idle.
      if (!Number.isFinite(next.when())) return;
      this.#clock.advance(next.when() - this.#clock.now());
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
    if (runningLoopOrNull() === this) setRunningLoop(null);
    const resolve = this.#stopResolve;
    this.#stopResolve = null;
    resolve?.();
  }
}

/**
 * Creates a new event loop: with options, an `EventLoop` made with them;
 * without, the event loop policy's new loop (an `EventLoop` by default),
 * Python's `asyncio.new_event_loop()`.
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
export function newEventLoop(options?: EventLoopOptions): EventLoop {
  if (options === undefined) {
    return getEventLoopPolicy().newEventLoop() as EventLoop;
  }
  return new EventLoop(options);
}

// The factory's type also checks that EventLoop has the internal face.
setLoopFactory((): LoopInternal => new EventLoop());
