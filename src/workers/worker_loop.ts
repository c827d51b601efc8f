/**
 * `WorkerLoop`: an event loop that runs forever in a Worker and takes work
 * from other threads (seed 004's `loop.run_forever()` in a thread).
 *
 * @module
 */
import { checkDuration } from "../_validate.ts";
import { type AbstractEventLoop, runningLoopOrNull } from "../events.ts";
import { WorkerCrashedError } from "../errors.ts";
import type { ConcurrentFuture } from "./concurrent.ts";
import type { WorkerCallable } from "./functions.ts";
import { Channel, LOOP_CRASHED, READY, STOP, STOPPED } from "./_channel.ts";
import { deserializeError, type SerializedError } from "./_protocol.ts";

const workerUrl = new URL("./worker_loop_entry.ts", import.meta.url);

// The task tree (tools.ts) asks a WorkerLoop for its Worker's tree:
// [TREE, id] there, [TREE_REPLY, id, tree] back.
export const TREE = "tree";
export const TREE_REPLY = "tree-reply";
/** @ignore */
export const kTaskTree: unique symbol = Symbol("task tree");

// The WorkerLoops this thread started that still run, with the loop that
// was running when each started (null if none), for the task tree.
const liveWorkerLoops = new Map<WorkerLoop, AbstractEventLoop | null>();

/** The WorkerLoops this thread started that still run, and their homes. */
export function workerLoops(): [WorkerLoop, AbstractEventLoop | null][] {
  return [...liveWorkerLoops];
}

/**
 * A loop on another thread, as seen from this one: schedule coroutine
 * functions and callbacks on it. A {@link WorkerLoop} is one (seen from the
 * thread that started it); {@link parentLoop} gives the other direction.
 *
 * Functions are named as for `toThread`: a `WorkerFunction` (by
 * reference) or a self-contained function (by source).
 *
 * @example
 * ```ts ignore
 * import { type ThreadLoop, WorkerLoop } from "@aio/asyncio";
 *
 * const loop: ThreadLoop = await WorkerLoop.start();
 * console.log(await loop.runCoroutineThreadsafe(async (x: number) => x * 2, 21)); // 42
 * ```
 */
export interface ThreadLoop {
  /**
   * Runs `fn(...args)` as a task on that loop (Python's
   * `asyncio.run_coroutine_threadsafe`) and returns the future of its
   * result. Cancelling the future cancels the task.
   */
  runCoroutineThreadsafe<A extends unknown[], R>(
    fn: WorkerCallable<A, R>,
    ...args: A
  ): ConcurrentFuture<Awaited<R>>;
  /** Schedules `fn(...args)` as a callback on that loop. */
  callSoonThreadsafe<A extends unknown[]>(
    fn: WorkerCallable<A, unknown>,
    ...args: A
  ): void;
}

/**
 * An event loop running forever in its own Worker, fed from this thread:
 * the analogue of `threading.Thread(target=loop.run_forever)` with
 * `run_coroutine_threadsafe` and `call_soon_threadsafe`. Inside the
 * Worker, the functions can schedule work back onto this thread's loop
 * with {@link parentLoop}.
 *
 * `stop()` (or `await using`) cancels the tasks left on that loop, closes
 * it and terminates the Worker.
 *
 * @example
 * ```ts
 * import { WorkerLoop } from "@aio/asyncio";
 *
 * await using newLoop = await WorkerLoop.start();
 * const doubled = newLoop.runCoroutineThreadsafe(async (x: number) => {
 *   await new Promise((r) => setTimeout(r, 10));
 *   return x * 2;
 * }, 21);
 * console.log(await doubled); // 42
 * ```
 */
export class WorkerLoop implements ThreadLoop {
  readonly #worker: Worker;
  readonly #channel: Channel;
  readonly #stopped = Promise.withResolvers<void>();
  #state: "running" | "stopping" | "stopped" = "running";
  readonly #name: string;
  readonly #treeRequests = new Map<number, (tree: unknown) => void>();
  #nextTreeRequest = 0;

  private constructor(
    worker: Worker,
    home: AbstractEventLoop | null,
    name: string,
  ) {
    this.#worker = worker;
    this.#name = name;
    liveWorkerLoops.set(this, home);
    this.#channel = new Channel(
      (message, transfer) => worker.postMessage(message, transfer),
      () => runningLoopOrNull() ?? (home?.isClosed() ? null : home),
      "the thread that started the WorkerLoop",
      "the WorkerLoop's Worker",
    );
  }

  /**
   * Starts a Worker whose event loop runs forever; resolves once it runs.
   * Work it sends back runs on the loop running here now (or the one
   * running when it arrives).
   */
  static start(options: { name?: string } = {}): Promise<WorkerLoop> {
    const name = options.name ?? "WorkerLoop";
    const worker = new Worker(workerUrl, { type: "module", name });
    const loop = new WorkerLoop(worker, runningLoopOrNull(), name);
    const ready = Promise.withResolvers<WorkerLoop>();
    worker.onmessage = (event) => {
      const message = event.data as unknown[];
      if (message[0] === READY) ready.resolve(loop);
      else if (message[0] === STOPPED) loop.#finish(null);
      else if (message[0] === TREE_REPLY) {
        loop.#treeRequests.get(message[1] as number)?.(message[2]);
      } else if (message[0] === LOOP_CRASHED) {
        const cause = deserializeError(message[1] as SerializedError);
        const error = new WorkerCrashedError(
          `the WorkerLoop's Worker crashed: uncaught ${
            cause instanceof Error ? `${cause.name}: ${cause.message}` : cause
          }`,
          { cause },
        );
        ready.reject(error);
        loop.#finish(error);
      } else loop.#channel.receive(message);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      const error = new WorkerCrashedError(
        `the WorkerLoop's Worker crashed: ${event.message}`,
      );
      ready.reject(error);
      loop.#finish(error);
    };
    return ready.promise;
  }

  /** True until `stop()` is called. */
  isRunning(): boolean {
    return this.#state === "running";
  }

  runCoroutineThreadsafe<A extends unknown[], R>(
    fn: WorkerCallable<A, R>,
    ...args: A
  ): ConcurrentFuture<Awaited<R>> {
    this.#checkRunning("runCoroutineThreadsafe");
    return this.#channel.call("runCoroutineThreadsafe()", fn, args);
  }

  callSoonThreadsafe<A extends unknown[]>(
    fn: WorkerCallable<A, unknown>,
    ...args: A
  ): void {
    this.#checkRunning("callSoonThreadsafe");
    this.#channel.soon("callSoonThreadsafe()", fn, args);
  }

  /**
   * Stops the loop: its tasks are cancelled and awaited, the loop is
   * closed, and the Worker is terminated. Futures of calls still pending
   * end cancelled. A task that ignores its cancellation (awaiting a
   * promise that never settles, say) holds this up, as in Python; with
   * `timeout` (seconds) the Worker is terminated once it has passed.
   */
  stop(options: { timeout?: number } = {}): Promise<void> {
    const timeout = checkDuration(
      "WorkerLoop.stop()",
      "options.timeout",
      options.timeout,
      { nullable: true },
    ) ?? undefined;
    if (this.#state === "running") {
      this.#state = "stopping";
      this.#worker.postMessage([STOP]);
    }
    if (timeout !== undefined && this.#state !== "stopped") {
      const timer = setTimeout(() => this.#finish(null), timeout * 1000);
      this.#stopped.promise.then(() => clearTimeout(timer));
    }
    return this.#stopped.promise;
  }

  /**
   * @ignore Its name and its Worker's task tree (tools.ts), or null if it
   * does not answer within `timeout` seconds (blocked, or stopping).
   */
  async [kTaskTree](timeout: number): Promise<[string, unknown]> {
    if (this.#state !== "running") return [this.#name, null];
    const id = this.#nextTreeRequest++;
    const { promise, resolve } = Promise.withResolvers<unknown>();
    const timer = setTimeout(() => resolve(null), timeout * 1000);
    Deno.unrefTimer(timer);
    this.#treeRequests.set(id, resolve);
    this.#worker.postMessage([TREE, id, this.#name, timeout]);
    try {
      return [this.#name, await promise];
    } finally {
      clearTimeout(timer);
      this.#treeRequests.delete(id);
    }
  }

  /** `await using loop = await WorkerLoop.start()`: stops it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  #checkRunning(method: string): void {
    if (this.#state !== "running") {
      throw new Error(`${method}() on a WorkerLoop that was stopped`);
    }
  }

  #finish(error: unknown): void {
    if (this.#state === "stopped") return;
    this.#state = "stopped";
    liveWorkerLoops.delete(this);
    for (const resolve of this.#treeRequests.values()) resolve(null);
    this.#worker.terminate();
    this.#channel.close(error);
    this.#stopped.resolve();
  }
}

let parent: ThreadLoop | null = null;

/** Set by the WorkerLoop's Worker entry. */
export function setParentLoop(loop: ThreadLoop): void {
  parent = loop;
}

/**
 * Inside a {@link WorkerLoop}'s Worker: the loop of the thread that
 * started it, to schedule work back onto (by-reference functions are
 * imported there, so they share that thread's module state).
 *
 * @example
 * ```ts ignore
 * // jobs.ts, run on a WorkerLoop
 * import { parentLoop, sleep, workerModule } from "@aio/asyncio";
 * import type * as Main from "./main.ts";
 *
 * const main = workerModule<typeof Main>(new URL("./main.ts", import.meta.url));
 * export async function doSleep(x: number, msg: string) {
 *   await sleep(x);
 *   parentLoop().callSoonThreadsafe(main.report, msg);
 * }
 * ```
 */
export function parentLoop(): ThreadLoop {
  if (parent === null) {
    throw new Error(
      "parentLoop() is for code running on a WorkerLoop's Worker; this thread has none",
    );
  }
  return parent;
}
