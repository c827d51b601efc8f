/**
 * `run()` and `Runner`: the entry points of an asyncio program.
 *
 * @module
 */
import { startedPromiseError } from "./_validate.ts";
import { Coroutine } from "./coroutines.ts";
import { Context, contextVarsInUse, copyContext } from "./contextvars.ts";
import { newEventLoop } from "./base_events.ts";
import { CancelledError, KeyboardInterrupt } from "./errors.ts";
import {
  type AbstractEventLoop,
  type EventLoopOptions,
  runningLoopOrNull,
  setEventLoop,
} from "./events.ts";
import { Future, kHasException } from "./futures.ts";
import {
  allTasks,
  type CoroutineFunction,
  gather,
  type Task,
} from "./tasks.ts";

/**
 * Options for {@link run} and {@link Runner}.
 *
 * @example Run on the virtual clock
 * ```ts
 * import { getRunningLoop, run, sleep } from "@aio/asyncio";
 *
 * const t = await run(async () => {
 *   await sleep(3600);
 *   return getRunningLoop().time();
 * }, { virtualTime: true });
 * console.log(t); // 3600
 * ```
 */
export interface RunOptions extends EventLoopOptions {
  /** Makes the loop (default: `newEventLoop(options)`). */
  loopFactory?: () => AbstractEventLoop;
  /** Cancels the main task when it aborts (as Ctrl-C does). */
  signal?: AbortSignal;
}

/**
 * Runs coroutine functions on one loop that it creates lazily and closes
 * at the end, Python's `asyncio.Runner`. Ctrl-C (SIGINT) cancels the task
 * running; `run()` then raises {@link KeyboardInterrupt}.
 *
 * @example Two runs on one loop
 * ```ts
 * import { Runner, sleep } from "@aio/asyncio";
 *
 * await using runner = new Runner();
 * await runner.run(() => sleep(0.01));
 * console.log(await runner.run(async () => "second")); // second
 * ```
 */
export class Runner implements AsyncDisposable {
  #options: RunOptions;
  #loop: AbstractEventLoop | null = null;
  #closed = false;
  #interrupts = 0;
  #setEventLoop = false;
  // Every run's main task runs in this one context (as Python's Runner).
  #context: Context | null = null;

  /** Creates a runner; the loop is made on first use. */
  constructor(options: RunOptions = {}) {
    this.#options = options;
  }

  /** The runner's loop (created if needed). */
  getLoop(): AbstractEventLoop {
    return this.#lazyInit();
  }

  /**
   * Runs `main` (a coroutine function or object) as a task to completion
   * and returns its result.
   */
  async run<T>(main: CoroutineFunction<T> | Coroutine<T>): Promise<T> {
    checkMain("Runner.run", main);
    if (runningLoopOrNull() !== null) {
      throw new Error(
        "Runner.run() cannot be called from a running event loop: await the coroutine instead",
      );
    }
    const loop = this.#lazyInit();
    const task = loop.createTask(main, {
      context: this.#context!,
      signal: this.#options.signal,
    });
    const removeSigint = this.#installSigint(task as Task<unknown>);
    try {
      return await loop.runUntilComplete(task);
    } catch (e) {
      if (e instanceof CancelledError && this.#interrupts > 0) {
        // A task factory may make tasks without uncancel (as Python checks).
        const uncancel = (task as Partial<Task<unknown>>).uncancel;
        if (
          typeof uncancel === "function" && uncancel.call(task) === 0
        ) throw new KeyboardInterrupt();
      }
      throw e;
    } finally {
      removeSigint();
    }
  }

  /**
   * Cancels the tasks left over and waits for them, shuts the default
   * executor down, and closes the loop.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const loop = this.#loop;
    if (loop === null) return;
    try {
      await cancelAllTasks(loop);
      // Two steps run as tasks, as in Python (they take task numbers too).
      await loop.runUntilComplete(async function shutdownAsyncgens() {});
      await loop.runUntilComplete(function shutdownDefaultExecutor() {
        return loop.shutdownDefaultExecutor();
      });
    } finally {
      if (this.#setEventLoop) setEventLoop(null);
      loop.close();
    }
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #lazyInit(): AbstractEventLoop {
    if (this.#closed) throw new Error("Runner is closed");
    if (this.#loop === null) {
      const { loopFactory, debug, virtualTime, clock } = this.#options;
      if (loopFactory === undefined) {
        // Python's new_event_loop(), or one on the clock asked for.
        this.#loop = virtualTime === undefined && clock === undefined
          ? newEventLoop()
          : newEventLoop({ virtualTime, clock });
        if (!this.#setEventLoop) {
          setEventLoop(this.#loop);
          this.#setEventLoop = true;
        }
      } else {
        this.#loop = loopFactory();
      }
      if (debug !== undefined) this.#loop.setDebug(debug);
      this.#context = contextVarsInUse() ? copyContext() : new Context();
    }
    return this.#loop;
  }

  #installSigint(task: Task<unknown>): () => void {
    const deno = (globalThis as { Deno?: typeof Deno }).Deno;
    if (!deno?.addSignalListener) return () => {};
    const onSigint = () => {
      this.#interrupts++;
      if (this.#interrupts === 1 && !task.done()) {
        task.cancel();
        return;
      }
      deno.exit(130);
    };
    try {
      deno.addSignalListener("SIGINT", onSigint);
    } catch {
      return () => {};
    }
    return () => deno.removeSignalListener("SIGINT", onSigint);
  }
}

// What run() and Runner.run() run: a coroutine function or object (Python:
// a coroutine); a started promise gets the `() => work()` fix.
function checkMain(call: string, main: unknown): void {
  if (typeof main === "function" || main instanceof Coroutine) return;
  if (main instanceof Future) {
    throw new TypeError(
      `${call}(): a coroutine was expected, got ${main}: await the future ` +
        `inside a coroutine function instead`,
    );
  }
  if (main instanceof Promise) throw startedPromiseError(call, main);
  throw startedPromiseError(call, main);
}

async function cancelAllTasks(loop: AbstractEventLoop): Promise<void> {
  const toCancel = [...allTasks(loop)];
  if (toCancel.length === 0) return;
  for (const task of toCancel) task.cancel();
  await loop.runUntilComplete(gather(...toCancel, { returnExceptions: true }));
  for (const task of toCancel) {
    if (task.cancelled()) continue;
    if (task[kHasException]) {
      loop.callExceptionHandler({
        message: "unhandled exception during asyncio.run() shutdown",
        exception: task.exception(),
        task,
      });
    }
  }
}

/**
 * Runs `main` (a coroutine function) on a new event loop and returns its
 * result, Python's `asyncio.run`: at the end, tasks left over are
 * cancelled and awaited, the default executor is shut down, and the loop
 * is closed. Ctrl-C cancels `main` (its `finally` blocks run) and then
 * exits the process with status 130.
 *
 * @example
 * ```ts
 * import { run, sleep } from "@aio/asyncio";
 *
 * async function main() {
 *   await sleep(0.01);
 *   return "result";
 * }
 *
 * console.log(await run(main)); // result
 * ```
 */
export async function run<T>(
  main: CoroutineFunction<T> | Coroutine<T>,
  options: RunOptions = {},
): Promise<T> {
  if (runningLoopOrNull() !== null) {
    throw new Error(
      "run() cannot be called from a running event loop: await the coroutine (or createTask it) instead",
    );
  }
  checkMain("run", main);
  const runner = new Runner(options);
  try {
    return await runner.run(main);
  } catch (e) {
    if (e instanceof KeyboardInterrupt) {
      await runner.close();
      (globalThis as { Deno?: typeof Deno }).Deno?.exit(130);
    }
    throw e;
  } finally {
    await runner.close();
  }
}
