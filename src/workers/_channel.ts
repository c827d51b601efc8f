/**
 * One side of the message channel between a thread and a loop running in
 * another thread: it sends calls to the other side's loop and runs the
 * calls the other side sends on its own loop.
 *
 * @module
 */
import type { AbstractEventLoop } from "../events.ts";
import type { Task } from "../tasks.ts";
import { ConcurrentFuture } from "./concurrent.ts";
import {
  checkSendable,
  describeSpec,
  type FunctionSpec,
  functionSpec,
  transferablesOf,
  type WorkerCallable,
} from "./functions.ts";
import {
  deserializeError,
  explainJobError,
  resolvedFunction,
  resolveFunction,
  type SerializedError,
  serializeError,
} from "./_protocol.ts";

export const CALL = "call";
export const SOON = "soon";
export const CANCEL = "cancel";
export const RESULT = "result";
export const STOP = "stop";
export const STOPPED = "stopped";
export const READY = "ready";
export const LOOP_CRASHED = "crashed";

export type Post = (message: unknown[], transfer: Transferable[]) => void;

class RemoteCall<T> extends ConcurrentFuture<T> {
  constructor(readonly channel: Channel, readonly id: number) {
    super();
  }
  protected override cancelJob(): boolean {
    this.channel.cancelCall(this.id);
    return true;
  }
  /** The other side's answer. */
  finish(error: boolean, value: unknown): void {
    this.settle(error, value);
  }
  /** The call was cancelled on the other side (or never ran). */
  markCancelled(): void {
    this.setCancelled();
  }
}

/**
 * The channel; `local()` is the loop that runs what the other
 * side sends (null when this thread has no running loop).
 */
export class Channel {
  #nextId = 0;
  readonly #calls = new Map<number, RemoteCall<unknown>>();
  readonly #tasks = new Map<number, Task<unknown>>();
  #resolving: Promise<unknown> = Promise.resolve();
  #waiting = 0;
  readonly #cancelledEarly = new Set<number>();
  #closedError: unknown = null;

  /**
   * `here` names this side's thread and `there` the other's, for
   * messages.
   */
  constructor(
    readonly post: Post,
    readonly local: () => AbstractEventLoop | null,
    readonly here: string,
    readonly there: string,
  ) {}

  /** Runs coroutine function `fn(...args)` as a task on the other loop. */
  call<A extends unknown[], R>(
    caller: string,
    fn: WorkerCallable<A, R>,
    args: A,
  ): ConcurrentFuture<Awaited<R>> {
    const spec = functionSpec(fn, caller);
    checkSendable(args, caller);
    this.#checkOpen();
    const id = this.#nextId++;
    const fut = new RemoteCall<Awaited<R>>(this, id);
    this.#calls.set(id, fut as RemoteCall<unknown>);
    this.#send([CALL, id, spec, args], args, fut);
    return fut;
  }

  /** Schedules `fn(...args)` as a callback on the other loop. */
  soon<A extends unknown[]>(
    caller: string,
    fn: WorkerCallable<A, unknown>,
    args: A,
  ): void {
    const spec = functionSpec(fn, caller);
    checkSendable(args, caller);
    this.#checkOpen();
    this.#send([SOON, spec, args], args, null);
  }

  /** Handles a message from the other side; false if it is not ours. */
  receive(message: unknown[]): boolean {
    switch (message[0]) {
      case CALL:
        this.#runCall(
          message[1] as number,
          message[2] as FunctionSpec,
          message[3] as unknown[],
        );
        return true;
      case SOON:
        this.#runSoon(message[1] as FunctionSpec, message[2] as unknown[]);
        return true;
      case CANCEL: {
        const task = this.#tasks.get(message[1] as number);
        if (task !== undefined) task.cancel();
        else this.#cancelledEarly.add(message[1] as number);
        return true;
      }
      case RESULT: {
        const fut = this.#calls.get(message[1] as number);
        if (fut === undefined) return true;
        this.#calls.delete(message[1] as number);
        const outcome = message[2] as number;
        if (outcome === 2) fut.markCancelled();
        else {
          fut.finish(
            outcome === 1,
            outcome === 1
              ? deserializeError(message[3] as SerializedError)
              : message[3],
          );
        }
        return true;
      }
    }
    return false;
  }

  /**
   * The other side is gone: what it was running for us fails with
   * `error`, or ends cancelled if it stopped in order (`error` null).
   */
  close(error: unknown): void {
    this.#closedError = error ??
      new Error(`${this.there} has stopped its event loop`);
    for (const fut of this.#calls.values()) {
      if (error === null) fut.markCancelled();
      else fut.finish(true, error);
    }
    this.#calls.clear();
  }

  /** Cancels the tasks this side runs for the other side. */
  cancelLocalTasks(): Task<unknown>[] {
    const tasks = [...this.#tasks.values()];
    for (const task of tasks) task.cancel();
    return tasks;
  }

  cancelCall(id: number): void {
    if (this.#calls.delete(id) && this.#closedError === null) {
      this.post([CANCEL, id], []);
    }
  }

  #checkOpen(): void {
    if (this.#closedError !== null) throw this.#closedError;
  }

  #send(
    message: unknown[],
    args: unknown[],
    fut: RemoteCall<unknown> | null,
  ): void {
    try {
      this.post(message, transferablesOf(args));
    } catch (error) {
      if (fut !== null) this.#calls.delete(fut.id);
      throw new TypeError(
        `the arguments of ${
          describeSpec(message[message.length - 2] as FunctionSpec)
        } cannot be sent to ${this.there} (they are structured-cloned): ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      );
    }
  }

  /**
   * Runs `then(fn)` once the function `spec` names is found, in the order
   * the messages came: a call whose module is still being imported holds
   * up the ones after it, as call_soon_threadsafe keeps them in order.
   */
  #inOrder(
    spec: FunctionSpec,
    then: (fn: (...args: unknown[]) => unknown) => void,
    failed: (error: unknown) => void,
  ): void {
    const known = resolvedFunction(spec);
    if (known !== undefined && this.#waiting === 0) {
      then(known);
      return;
    }
    this.#waiting++;
    this.#resolving = this.#resolving
      .then(() => known ?? resolveFunction(spec))
      .then(then, failed)
      .finally(() => this.#waiting--);
  }

  #runCall(id: number, spec: FunctionSpec, args: unknown[]): void {
    this.#inOrder(
      spec,
      (fn) => this.#startTask(id, spec, fn, args),
      (error) => this.#reply(id, 1, error),
    );
  }

  #startTask(
    id: number,
    spec: FunctionSpec,
    fn: (...args: unknown[]) => unknown,
    args: unknown[],
  ): void {
    if (this.#cancelledEarly.delete(id)) {
      this.#reply(id, 2, undefined);
      return;
    }
    const loop = this.local();
    if (loop === null || loop.isClosed()) {
      this.#reply(id, 1, new Error(`no running event loop in ${this.here}`));
      return;
    }
    const body = async () => await fn(...args);
    // Named after the function, as the task tree shows it.
    Object.defineProperty(body, "name", { value: fn.name || "<anonymous>" });
    const task = loop.createTask(body);
    this.#tasks.set(id, task);
    task.addDoneCallback(() => {
      this.#tasks.delete(id);
      if (task.cancelled()) {
        this.#reply(id, 2, undefined);
        return;
      }
      let value: unknown;
      try {
        value = task.result();
      } catch (error) {
        this.#reply(id, 1, explainJobError(spec, error));
        return;
      }
      this.#reply(id, 0, value);
    });
  }

  #runSoon(spec: FunctionSpec, args: unknown[]): void {
    this.#inOrder(
      spec,
      (fn) => this.#schedule(fn, args),
      (error) => this.#report(error, spec),
    );
  }

  #schedule(fn: (...args: unknown[]) => unknown, args: unknown[]): void {
    const loop = this.local();
    if (loop === null || loop.isClosed()) {
      console.error(
        `callSoonThreadsafe: no running event loop in ${this.here} to run ${
          fn.name || "a callback"
        }()`,
      );
      return;
    }
    loop.callSoonThreadsafe(fn, ...args);
  }

  #report(error: unknown, spec: FunctionSpec): void {
    const loop = this.local();
    const context = {
      message: `callSoonThreadsafe could not find ${describeSpec(spec)}`,
      exception: error,
    };
    if (loop !== null && !loop.isClosed()) loop.callExceptionHandler(context);
    else console.error(context.message, error);
  }

  #reply(id: number, outcome: number, value: unknown): void {
    if (outcome === 1) {
      this.post([RESULT, id, 1, serializeError(value)], []);
      return;
    }
    try {
      checkSendable([value], "the result");
      this.post([RESULT, id, outcome, value], transferablesOf([value]));
    } catch (error) {
      this.post([
        RESULT,
        id,
        1,
        serializeError(
          new TypeError(
            `the result cannot be sent back from ${this.here}: ${
              error instanceof Error ? error.message : String(error)
            }`,
          ),
        ),
      ], []);
    }
  }
}
