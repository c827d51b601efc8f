/**
 * `serveExecutor`: the consumer's side of the Redis executor. It takes
 * jobs from the queue with a `RedisTaskSource` (the reliable-queue
 * pattern: each job in this consumer's processing list until it is
 * settled, heartbeats, recovery of dead consumers' jobs, lost replies
 * found again, `concurrency` checked in Redis), runs each as a task on
 * its event loop or on a local `ThreadPoolExecutor`, and stores the
 * result on the producer's reply stream in the same script that
 * acknowledges the job.
 *
 * @module
 */
import { checkDuration, checkInteger, typeError } from "./_validate.ts";
import { Coroutine } from "./coroutines.ts";
import { CancelledError, TimeoutError } from "./errors.ts";
import { type AbstractEventLoop, getRunningLoop } from "./events.ts";
import type { Task } from "./tasks.ts";
import { decodeValue, encodeValue } from "./_codec.ts";
import {
  cancelChannel,
  cancelledSet,
  DEFAULT_MAX_SIZE,
  type JobMessage,
  parseJob,
  producerOf,
  replyEntry,
  replyStream,
} from "./_redis_wire.ts";
import { RespConnection } from "./_resp.ts";
import {
  kSettle,
  RedisTaskSource,
  type RedisTaskSourceStatistics,
  type SettleableMessage,
} from "./redis_tasks.ts";
import type { ConcurrentFuture } from "./workers/concurrent.ts";
import { WorkerFunction } from "./workers/functions.ts";
import { resolvedFunction, resolveFunction } from "./workers/_protocol.ts";
import { ThreadPoolExecutor } from "./workers/pool.ts";

/**
 * Options of {@link serveExecutor}.
 *
 * @example
 * ```ts ignore
 * const options: ServeExecutorOptions = {
 *   url: "redis://127.0.0.1:6379",
 *   queue: "jobs",
 *   threads: 4, // CPU work: on 4 Workers
 *   concurrency: 4, // hold at most 4 jobs
 * };
 * await using server = await serveExecutor(options);
 * ```
 */
export interface ServeExecutorOptions {
  /** The Redis server (default `"redis://127.0.0.1:6379"`). */
  url?: string | URL;
  /** The queue to serve (default `"jobs"`). */
  queue?: string;
  /**
   * The most jobs this consumer holds at once, running or about to
   * (default: `threads`, or 16 without them). Other consumers take the
   * rest of a backlog.
   */
  concurrency?: number;
  /**
   * Run the jobs on a local `ThreadPoolExecutor` of this many Workers
   * (for CPU work: a job that blocks the loop would also hold up this
   * consumer's heartbeat); null or 0 (the default) runs them as tasks on
   * the event loop `serveExecutor` was called on.
   */
  threads?: number | null;
  /**
   * The modules whose functions this consumer runs, as URL prefixes
   * (default: the `file:` URL of the current directory, i.e. the code
   * base it was started in). Anyone who can push to the queue can run an
   * exported function of these modules; `["file:", "https:", "jsr:"]`
   * allows any.
   */
  allow?: readonly (string | URL)[];
  /** This consumer's name (default: host, pid and a random part). */
  consumer?: string;
  /** Seconds between heartbeats (default 1). */
  heartbeat?: number;
  /**
   * Seconds without a heartbeat after which another consumer takes this
   * one's jobs (default 5).
   */
  deadAfter?: number;
  /** Seconds one blocking `BLMOVE` waits before it is sent again (default 1). */
  blockTimeout?: number;
  /** The most bytes a serialized result may take (default 16 MiB). */
  maxSize?: number;
  /**
   * The list a job goes to after its last failed attempt (default
   * `"<queue>:dead"`); null drops it. The producer gets the error either
   * way.
   */
  deadLetter?: string | null;
}

/**
 * Counters of an {@link ExecutorServer}.
 *
 * @example
 * ```ts ignore
 * const { running, completed, failed } = server.statistics();
 * ```
 */
export interface ExecutorServerStatistics {
  /** Jobs running now. */
  running: number;
  /** Jobs done, their results stored. */
  completed: number;
  /** Jobs whose last attempt failed (the producer got the error). */
  failed: number;
  /** Failed runs sent back to wait for their backoff. */
  retried: number;
  /** Runs stopped by their timeout (counted in failed or retried too). */
  timedOut: number;
  /** Jobs cancelled by their producer (stopped, or dropped unstarted). */
  cancelled: number;
  /** Jobs put back on the queue by this consumer's shutdown. */
  requeued: number;
  /** The counters of the `RedisTaskSource` underneath. */
  source: RedisTaskSourceStatistics;
}

const CALL = "serveExecutor()";

// Why a job's task was stopped from here.
const STOP_CANCEL = 1;
const STOP_SHUTDOWN = 2;
const STOP_TIMEOUT = 3;

interface Running {
  readonly job: JobMessage;
  readonly message: SettleableMessage;
  stop: number;
  cancel: (() => void) | null;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const kStart: unique symbol = Symbol("start");

/**
 * A consumer of a Redis executor's queue, from {@link serveExecutor}:
 * Python's `asyncio.Server` shape (`close`, `serveForever`, `await
 * using`).
 *
 * @example
 * ```ts ignore
 * await run(async () => {
 *   const server = await serveExecutor({ queue: "jobs", threads: 4 });
 *   await server.serveForever(); // until cancelled (Ctrl-C), or close()
 * });
 * ```
 */
export class ExecutorServer {
  /** The queue it serves. */
  readonly queue: string;
  /** Its name among the queue's consumers. */
  readonly consumer: string;
  readonly #loop: AbstractEventLoop;
  readonly #commands: RespConnection;
  readonly #blocking: RespConnection;
  readonly #subscriber: RespConnection;
  readonly #source: RedisTaskSource;
  readonly #pool: ThreadPoolExecutor | null;
  readonly #allow: string[];
  readonly #maxSize: number;
  readonly #running = new Map<string, Running>();
  // Ids of cancelled jobs (from the cancelled set and the channel) -> when.
  readonly #cancelled = new Map<string, number>();
  #serving: Promise<void> | null = null;
  #subscribing: Promise<void> | null = null;
  #lost: PromiseWithResolvers<void> | null = null;
  #wake: (() => void) | null = null;
  #closing: Promise<void> | null = null;
  readonly #closed = Promise.withResolvers<void>();
  readonly #stats = {
    completed: 0,
    failed: 0,
    retried: 0,
    timedOut: 0,
    cancelled: 0,
    requeued: 0,
  };

  /** @ignore Made by {@link serveExecutor}. */
  constructor(
    loop: AbstractEventLoop,
    options: ServeExecutorOptions,
    key: typeof kStart,
  ) {
    if (key !== kStart) {
      throw new TypeError("an ExecutorServer is made by serveExecutor()");
    }
    this.#loop = loop;
    const url = options.url ?? "redis://127.0.0.1:6379";
    this.queue = options.queue ?? "jobs";
    if (typeof this.queue !== "string" || this.queue === "") {
      throw typeError(CALL, "options.queue", "a non-empty string", this.queue);
    }
    const threads = options.threads ?? 0;
    if (threads !== 0) checkInteger(CALL, "options.threads", threads, 1);
    const concurrency = checkInteger(
      CALL,
      "options.concurrency",
      options.concurrency ?? (threads || 16),
      1,
    );
    this.#maxSize = checkInteger(
      CALL,
      "options.maxSize",
      options.maxSize ?? DEFAULT_MAX_SIZE,
      1,
    );
    this.#allow = allowList(options.allow);
    this.#commands = new RespConnection(url, CALL);
    this.#blocking = new RespConnection(this.#commands.address, CALL);
    this.#subscriber = new RespConnection(this.#commands.address, CALL);
    this.#source = new RedisTaskSource({
      redis: this.#commands,
      blockingRedis: this.#blocking,
      queue: this.queue,
      consumer: options.consumer,
      heartbeat: options.heartbeat,
      deadAfter: options.deadAfter,
      blockTimeout: options.blockTimeout,
      concurrency,
      deadLetter: options.deadLetter,
    });
    this.consumer = this.#source.consumer;
    this.#pool = threads === 0 ? null : new ThreadPoolExecutor({
      maxWorkers: threads,
      threadNamePrefix: `serveExecutor-${this.queue}`,
      idleTimeout: null,
    });
    for (const name of ["heartbeat", "deadAfter", "blockTimeout"] as const) {
      if (options[name] !== undefined) {
        checkDuration(CALL, `options.${name}`, options[name], {
          positive: true,
        });
      }
    }
  }

  /** Counters: jobs running, completed, failed, retried, cancelled, ... */
  statistics(): ExecutorServerStatistics {
    return {
      running: this.#running.size,
      ...this.#stats,
      source: this.#source.statistics(),
    };
  }

  /**
   * Waits until the server is closed (a coroutine); cancelling the task
   * that waits closes it, as Python's `Server.serve_forever()` does.
   */
  serveForever(): Coroutine<void> {
    return new Coroutine(this.#serveForever, this, undefined, "serveForever");
  }

  async #serveForever(): Promise<void> {
    // A future of the loop, so that cancelling the waiting task reaches it.
    const closed = getRunningLoop().createFuture<void>();
    this.#closed.promise.then(() => {
      if (!closed.done()) closed.setResult(undefined);
    });
    try {
      await closed;
    } finally {
      await this.close();
    }
  }

  /**
   * Stops taking jobs, cancels the running ones and puts them back on the
   * queue (with the jobs taken and not started) for another consumer,
   * then closes the connections (and the Workers, with `threads`).
   */
  close(): Promise<void> {
    return this.#closing ??= this.#close();
  }

  /** `await using server = await serveExecutor(...)`: `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Python's repr. */
  toString(): string {
    return `<ExecutorServer queue=${this.queue} consumer=${this.consumer} running=${this.#running.size}>`;
  }

  /** @ignore Connects and starts taking jobs. */
  async [kStart](): Promise<void> {
    this.#subscriber.setPushHandler((_channel, id) => this.#onCancel(id));
    this.#subscriber.onDisconnect = () => this.#lost?.resolve();
    try {
      await this.#subscribe();
      await this.#source.start();
    } catch (error) {
      await this.close();
      throw new Error(
        `${CALL}: cannot serve ${
          JSON.stringify(this.queue)
        } at ${this.#commands.address.hostname}:${this.#commands.address.port}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      );
    }
    this.#subscribing = this.#keepSubscribed();
    this.#serving = this.#serve();
  }

  /**
   * Subscribes to the cancellations, then reads the ids cancelled so far
   * (in that order, so that none falls between the two).
   */
  async #subscribe(): Promise<void> {
    this.#lost = Promise.withResolvers<void>();
    await this.#subscriber.command(["SUBSCRIBE", cancelChannel(this.queue)]);
    const ids = await this.#commands.command([
      "ZRANGE",
      cancelledSet(this.queue),
      "0",
      "-1",
    ]) as string[];
    for (const id of ids ?? []) this.#onCancel(id);
  }

  /** Subscribes again whenever the subscriber's connection is lost. */
  async #keepSubscribed(): Promise<void> {
    let backoff = 0.05;
    while (this.#closing === null) {
      await this.#lost?.promise;
      while (this.#closing === null) {
        await this.#sleep(backoff);
        if (this.#closing !== null) return;
        try {
          await this.#subscribe();
          backoff = 0.05;
          break;
        } catch {
          backoff = Math.min(backoff * 2, 1);
        }
      }
    }
  }

  #sleep(s: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        resolve();
      }, s * 1000);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
    });
  }

  async #serve(): Promise<void> {
    try {
      for await (const message of this.#source.messages()) {
        this.#start(message as SettleableMessage);
      }
    } catch (error) {
      console.error(`${CALL}: stopped taking jobs:`, error);
    }
  }

  #onCancel(id: string): void {
    const now = performance.now();
    if (!this.#cancelled.has(id)) {
      this.#cancelled.set(id, now);
      if (this.#cancelled.size > 10_000) {
        // Forget the oldest half (Redis keeps them for the consumers that
        // start later; here they only matter for a while).
        let n = this.#cancelled.size >> 1;
        for (const key of this.#cancelled.keys()) {
          if (n-- <= 0) break;
          this.#cancelled.delete(key);
        }
      }
    }
    const run = this.#running.get(id);
    if (run !== undefined && run.stop === 0) {
      run.stop = STOP_CANCEL;
      run.cancel?.();
    }
  }

  #start(message: SettleableMessage): void {
    let job: JobMessage;
    try {
      job = parseJob(message.body);
    } catch (error) {
      // Not ours to run: to the dead-letter list, nobody to tell.
      console.error(
        `${CALL}: ${error instanceof Error ? error.message : error}`,
      );
      void message[kSettle]("d", error);
      this.#stats.failed++;
      return;
    }
    if (this.#cancelled.has(job.id) || this.#running.has(job.id)) {
      // Cancelled before it started (or a copy of a job running here).
      if (this.#cancelled.has(job.id)) this.#stats.cancelled++;
      void message[kSettle]("a");
      return;
    }
    const run: Running = {
      job,
      message,
      stop: 0,
      cancel: null,
      timer: undefined,
    };
    this.#running.set(job.id, run);
    if (job.timeoutMs > 0) {
      run.timer = setTimeout(() => {
        run.timer = undefined;
        if (run.stop !== 0) return;
        run.stop = STOP_TIMEOUT;
        run.cancel?.();
      }, job.timeoutMs);
    }
    let args: unknown[];
    try {
      if (!this.#allowed(job.module)) {
        throw new TypeError(
          `${job.module} is not allowed on consumer ${this.consumer}: it runs functions of modules under ${
            this.#allow.join(", ")
          } only (serveExecutor's option allow, --allow-module)`,
        );
      }
      args = decodeValue(job.args) as unknown[];
    } catch (error) {
      this.#finish(run, false, error);
      return;
    }
    if (this.#pool !== null) {
      let fut: ConcurrentFuture<unknown>;
      try {
        fut = this.#pool.submit(
          new WorkerFunction<unknown[], unknown>(job.module, job.name),
          ...args,
        );
      } catch (error) {
        this.#finish(run, false, error);
        return;
      }
      run.cancel = () => fut.cancel();
      fut.addDoneCallback((f) => {
        if (f.cancelled()) this.#finish(run, false, new CancelledError());
        else if (f.exception() !== null) {
          this.#finish(run, false, f.exception());
        } else this.#finish(run, true, f.result());
      });
      if (run.stop !== 0) fut.cancel();
      return;
    }
    const spec = { module: job.module, name: job.name };
    const known = resolvedFunction(spec);
    let task: Task<unknown>;
    try {
      task = this.#loop.createTask(async () => {
        const fn = known ?? await resolveFunction(spec);
        return await fn(...args);
      }, { name: `${job.name} ${job.id}` });
    } catch (error) {
      this.#finish(run, false, error);
      return;
    }
    run.cancel = () => task.cancel();
    task.addDoneCallback(() => {
      if (task.cancelled()) {
        this.#finish(run, false, new CancelledError());
        return;
      }
      let result: unknown;
      try {
        result = task.result();
      } catch (error) {
        this.#finish(run, false, error);
        return;
      }
      this.#finish(run, true, result);
    });
    if (run.stop !== 0) task.cancel();
  }

  /** A run's outcome: store the result (or error) and settle the job. */
  #finish(run: Running, ok: boolean, value: unknown): void {
    if (run.timer !== undefined) clearTimeout(run.timer);
    this.#running.delete(run.job.id);
    const { job, message } = run;
    const stream = replyStream(this.queue, producerOf(job.id));
    if (run.stop === STOP_CANCEL) {
      // The producer gave up on it: nothing to store.
      this.#stats.cancelled++;
      void message[kSettle]("a");
      return;
    }
    if (run.stop === STOP_SHUTDOWN && !ok) {
      this.#stats.requeued++;
      void message[kSettle]("q");
      return;
    }
    if (run.stop === STOP_TIMEOUT && !ok) {
      this.#stats.timedOut++;
      value = new TimeoutError(
        `${job.name}() ran longer than its timeout of ${
          job.timeoutMs / 1000
        } s on consumer ${this.consumer}`,
      );
    } else if (!ok && value instanceof CancelledError && run.stop === 0) {
      // Cancelled by no one here (its loop is closing): run it elsewhere.
      this.#stats.requeued++;
      void message[kSettle]("q");
      return;
    }
    if (ok) {
      let encoded: string;
      try {
        encoded = encodeValue(
          value,
          `the result of ${job.name}()`,
          this.#maxSize,
        );
      } catch (error) {
        ok = false;
        value = error;
      }
      if (ok) {
        this.#stats.completed++;
        void message[kSettle]("a", null, {
          reply: [stream, job.resultTtlMs, replyEntry(job.id, true, encoded!)],
        });
        return;
      }
    }
    if (message.attempt < job.attempts) {
      this.#stats.retried++;
      void message[kSettle]("r", value, {
        delayMs: job.backoffMs * 2 ** (message.attempt - 1),
      });
      return;
    }
    this.#stats.failed++;
    void message[kSettle]("d", value, {
      reply: [
        stream,
        job.resultTtlMs,
        replyEntry(job.id, false, encodeError(value, this.#maxSize)),
      ],
    });
  }

  #allowed(module: string): boolean {
    return this.#allow.some((prefix) => module.startsWith(prefix));
  }

  async #close(): Promise<void> {
    // Take no more (a BLMOVE in flight fails at once; whatever it may
    // have moved is found again and put back by the source's close).
    const closing = this.#source.close();
    await this.#blocking.close();
    for (const run of this.#running.values()) {
      if (run.stop !== 0) continue;
      run.stop = STOP_SHUTDOWN;
      run.cancel?.();
    }
    await closing;
    await this.#serving;
    await this.#source.drained();
    this.#wake?.();
    this.#lost?.resolve();
    await this.#subscribing;
    await this.#pool?.shutdown({ wait: true, cancelFutures: true });
    await Promise.all([this.#commands.close(), this.#subscriber.close()]);
    this.#closed.resolve();
  }
}

function encodeError(error: unknown, maxSize: number): string {
  try {
    return encodeValue(error, "the error", maxSize);
  } catch {
    return encodeValue(
      new Error(
        error instanceof Error
          ? `${error.name}: ${error.message}`
          : String(error),
      ),
      "the error",
      maxSize,
    );
  }
}

function allowList(allow: readonly (string | URL)[] | undefined): string[] {
  if (allow === undefined) {
    let cwd: string;
    try {
      cwd = Deno.cwd();
    } catch {
      throw new TypeError(
        `${CALL}: without read access to the current directory, name the modules to allow (option allow)`,
      );
    }
    const url = new URL(`file://${cwd.endsWith("/") ? cwd : cwd + "/"}`);
    return [url.href];
  }
  if (!Array.isArray(allow)) {
    throw typeError(CALL, "options.allow", "an array of URL prefixes", allow);
  }
  return allow.map((prefix) => {
    if (prefix instanceof URL) return prefix.href;
    if (typeof prefix !== "string" || prefix === "") {
      throw typeError(CALL, "options.allow[]", "a URL prefix", prefix);
    }
    return prefix;
  });
}

/**
 * Serves a Redis executor's queue: takes jobs (at most `concurrency` at a
 * time), runs each as a task on the running event loop (or on a local
 * `ThreadPoolExecutor` of `threads` Workers, for CPU work), and stores
 * its result or error for its producer. Many consumers, on any number of
 * machines, share one queue. Resolves to the server once it takes jobs.
 *
 * Delivery is at-least-once, built on `RedisTaskSource`: a job stays in
 * this consumer's processing list until its result is stored; if the
 * consumer dies, another one runs it again once this one's heartbeat has
 * expired (`deadAfter`). A failed run is retried after its backoff while
 * it has attempts left (set by the producer), then goes to the
 * dead-letter list and its producer gets the error. A job cancelled by
 * its producer is cancelled here; `close()` puts back what is not done.
 *
 * `deno task serve-executor --queue jobs` (or `deno run -A
 * jsr:@aio/asyncio/serve-executor --queue jobs`) starts one from a
 * shell.
 *
 * @example
 * ```ts ignore
 * import { run } from "@aio/asyncio";
 * import { serveExecutor } from "@aio/asyncio/redis";
 *
 * await run(async () => {
 *   await using server = await serveExecutor({
 *     url: "redis://127.0.0.1:6379",
 *     queue: "jobs",
 *     threads: 2,
 *   });
 *   await server.serveForever();
 * });
 * ```
 */
export function serveExecutor(
  options: ServeExecutorOptions = {},
): Coroutine<ExecutorServer> {
  if (options === null || typeof options !== "object") {
    throw typeError(CALL, "options", "an object", options);
  }
  const server = new ExecutorServer(getRunningLoop(), options, kStart);
  return new Coroutine(
    async function serveExecutor() {
      await server[kStart]();
      return server;
    },
    undefined,
    undefined,
    "serveExecutor",
  );
}
