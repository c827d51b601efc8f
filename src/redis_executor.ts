/**
 * `RedisExecutor`: an executor whose jobs run on other processes and
 * machines, wherever a consumer (`serveExecutor`) serves its queue. The
 * producer's side: jobs go to the queue with `LPUSH` (those of one turn
 * in one command), results come back on a stream of this producer's own,
 * read by one blocking `XREAD` (no polling), and a cancelled job is taken
 * out of the queue or its consumer is told to stop it.
 *
 * @module
 */
import { checkDuration, checkInteger, typeError } from "./_validate.ts";
import { decodeValue, encodeValue } from "./_codec.ts";
import {
  cancelChannel,
  cancelledSet,
  DEFAULT_MAX_SIZE,
  jobBody,
  type JobSettings,
  parseReply,
  replyStream,
} from "./_redis_wire.ts";
import { RespConnection } from "./_resp.ts";
import { evalScript, NOW, Script } from "./redis_tasks.ts";
import type { Executor } from "./events.ts";
import {
  ConcurrentFuture,
  resultsInOrder,
  zipArgs,
} from "./workers/concurrent.ts";
import {
  describeSpec,
  transferablesOf,
  type WorkerCallable,
  WorkerFunction,
} from "./workers/functions.ts";

/**
 * How each job runs on its consumer: the defaults of a
 * {@link RedisExecutor}, or per job through `withOptions()`.
 *
 * @example
 * ```ts ignore
 * const patient: RedisJobOptions = { timeout: 60, attempts: 3, backoff: 2 };
 * await redis.withOptions(patient).submit(jobs.report, "2024-06");
 * ```
 */
export interface RedisJobOptions {
  /**
   * Seconds a run may take on its consumer before it is cancelled (its
   * Worker terminated, with `threads`) and counted as a failed attempt
   * with a `TimeoutError`; null (the default) for no limit.
   */
  timeout?: number | null;
  /**
   * How many times a job runs before its failure is final (default 1).
   * A run that failed before the last waits for the backoff, then runs
   * again on any consumer; a consumer's death does not count as a run.
   */
  attempts?: number;
  /**
   * Seconds before the second run, doubled for each later one (default
   * 1): `backoff * 2 ** (n - 1)` after the n-th failure.
   */
  backoff?: number;
}

/**
 * Options of a {@link RedisExecutor}: where, and the defaults of its jobs.
 *
 * @example
 * ```ts ignore
 * await using redis = new RedisExecutor({
 *   url: "redis://127.0.0.1:6379",
 *   queue: "jobs",
 *   timeout: 30,
 *   attempts: 3,
 * });
 * ```
 */
export interface RedisExecutorOptions extends RedisJobOptions {
  /**
   * The Redis server (default `"redis://127.0.0.1:6379"`):
   * `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS.
   */
  url?: string | URL;
  /** The queue consumers serve (default `"jobs"`). */
  queue?: string;
  /**
   * Seconds the results of this executor's jobs are kept in Redis after
   * the last one came (default 3600), so that nothing is left behind for
   * long by a producer that is gone.
   */
  resultTtl?: number;
  /**
   * The most bytes a job's serialized arguments may take (default 16
   * MiB); past it, `submit` throws a `RangeError`. Consumers apply their
   * own limit to results.
   */
  maxSize?: number;
}

/**
 * Counters of a {@link RedisExecutor}.
 *
 * @example
 * ```ts ignore
 * const { pending, completed, failed } = redis.statistics();
 * console.log(`${pending} waiting, ${completed} done, ${failed} failed`);
 * ```
 */
export interface RedisExecutorStatistics {
  /** Jobs submitted and not done (queued, or running on a consumer). */
  pending: number;
  /** Jobs submitted in all. */
  submitted: number;
  /** Jobs whose result came back. */
  completed: number;
  /** Jobs whose error came back. */
  failed: number;
  /** Jobs cancelled here. */
  cancelled: number;
}

const CALL = "new RedisExecutor()";
const kCancel: unique symbol = Symbol("cancel job");
const kSubmit: unique symbol = Symbol("submit with settings");

/**
 * Takes cancelled jobs out: a job still in the queue is removed (it never
 * runs), one waiting for a retry too; for any other, its id goes to the
 * cancelled set and is announced to the consumers (the one that holds it
 * cancels its task). KEYS: queue, delayed, cancelled. ARGV: channel, ttl
 * (ms), then id and body of each job.
 */
const CANCEL = new Script(
  NOW +
    "local removed = 0 " +
    "local delayed = nil " +
    "for i = 3, #ARGV, 2 do " +
    "  local id, body = ARGV[i], ARGV[i + 1] " +
    "  if redis.call('LREM', KEYS[1], 1, body) > 0 then removed = removed + 1 " +
    "  else " +
    "    local found = false " +
    "    delayed = delayed or redis.call('ZRANGE', KEYS[2], 0, -1) " +
    "    for _, env in ipairs(delayed) do " +
    "      if #env > #body and string.sub(env, -#body) == body and redis.call('ZREM', KEYS[2], env) > 0 then found = true break end " +
    "    end " +
    "    if found then removed = removed + 1 " +
    "    else " +
    "      redis.call('ZADD', KEYS[3], now, id) " +
    "      redis.call('PUBLISH', ARGV[1], id) " +
    "    end " +
    "  end " +
    "end " +
    "redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[2])) " +
    "return removed",
);

class RedisJob<T> extends ConcurrentFuture<T> {
  constructor(
    readonly executor: RedisExecutor,
    readonly id: string,
    readonly body: string,
    readonly what: string,
  ) {
    super();
  }
  protected override cancelJob(): boolean {
    return this.executor[kCancel](this as RedisJob<unknown>);
  }
  finish(error: boolean, value: unknown): void {
    this.settle(error, value);
  }
}

function randomTag(length: number): string {
  let tag = "";
  while (tag.length < length) tag += Math.random().toString(36).slice(2);
  return tag.slice(0, length);
}

const pause = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

/** Waits for `promise`, at most `s` seconds (leaving no timer behind). */
async function within(promise: Promise<unknown>, s: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      promise,
      new Promise((r) => timer = setTimeout(r, s * 1000)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function jobSettings(
  call: string,
  options: RedisJobOptions,
  base: JobSettings,
): JobSettings {
  const timeout = options.timeout === undefined
    ? (base.timeoutMs === 0 ? null : base.timeoutMs / 1000)
    : checkDuration(call, "options.timeout", options.timeout, {
      positive: true,
      nullable: true,
    });
  return {
    timeoutMs: timeout === null ? 0 : Math.max(1, Math.round(timeout * 1000)),
    attempts: options.attempts === undefined
      ? base.attempts
      : checkInteger(call, "options.attempts", options.attempts, 1),
    backoffMs: options.backoff === undefined ? base.backoffMs : Math.round(
      checkDuration(call, "options.backoff", options.backoff)! * 1000,
    ),
    resultTtlMs: base.resultTtlMs,
  };
}

/**
 * Refuses what cannot cross machines: a function that is not named by
 * reference, and `transfer()`.
 */
function checkJob(
  fn: unknown,
  args: readonly unknown[],
  call: string,
): WorkerFunction<unknown[], unknown> {
  if (!(fn instanceof WorkerFunction)) {
    const name = typeof fn === "function" && fn.name ? fn.name : "fn";
    throw new TypeError(
      typeof fn === "function"
        ? `${call}: ${name} is a function, and a job on another machine can only name its function by reference: export ${name} from a module every consumer can import and pass its handle, e.g. const jobs = workerModule<typeof Jobs>(new URL("./jobs.ts", import.meta.url)); ${call}(jobs.${name}, ...args)`
        : `${call} takes a function named by reference (workerModule(url).name), got ${
          fn === null ? "null" : typeof fn
        }`,
    );
  }
  if (fn.module.startsWith("blob:")) {
    throw new TypeError(
      `${call}: ${fn} lives in a blob: URL, which only this process can import: name a module every consumer can import (a file in a shared code base, or an https: or jsr: URL)`,
    );
  }
  if (transferablesOf(args).length > 0) {
    throw new TypeError(
      `${call}: transfer() has no meaning for a job on another machine (its arguments are serialized and copied, whatever is marked): pass the buffer without transfer()`,
    );
  }
  return fn;
}

/**
 * An executor whose jobs run on other processes or machines, wherever a
 * consumer serves its queue (`serveExecutor`, or `deno task
 * serve-executor --queue jobs`): the same interface as
 * `ThreadPoolExecutor` (`submit` returns a `ConcurrentFuture`, `map`,
 * `shutdown`, `await using`), usable with `loop.runInExecutor`, and
 * with `toThread` once it is the loop's default executor.
 *
 * - Functions are named by reference only (`workerModule<typeof
 *   Jobs>(url).fib`), from a module every consumer can import: a file
 *   at the same path in a shared code base, or an `https:` or `jsr:`
 *   URL. A function passed by source is refused at the call.
 * - Arguments and results are serialized keeping what structured clone
 *   keeps (`Date`, `Map`, `Set`, typed arrays, `BigInt`, errors with
 *   name, message, stack, cause and own properties, shared and cyclic
 *   references), up to `maxSize`; `transfer()` is refused.
 * - Delivery is at-least-once: a job runs to completion at least once,
 *   and runs again if its consumer dies (or loses Redis) before its
 *   result is stored; make jobs idempotent. The first result that comes
 *   back settles the future.
 * - Cancelling a future takes its job out of the queue (it never runs),
 *   or cancels its task on the consumer that runs it.
 * - Results come back on a stream of this executor's own, read by one
 *   blocking connection; they expire after `resultTtl` if nobody reads
 *   them.
 *
 * Its two connections are opened on first use and do not keep the
 * process alive while no job is pending.
 *
 * @example
 * ```ts ignore
 * import { getRunningLoop, run, workerModule } from "@aio/asyncio";
 * import { RedisExecutor } from "@aio/asyncio/redis";
 * import type * as Jobs from "./jobs.ts";
 *
 * const jobs = workerModule<typeof Jobs>(new URL("./jobs.ts", import.meta.url));
 * await run(async () => {
 *   await using redis = new RedisExecutor({ url: "redis://127.0.0.1:6379", queue: "jobs" });
 *   const loop = getRunningLoop();
 *   console.log(await loop.runInExecutor(redis, jobs.fib, 30)); // 832040, on a consumer
 * });
 * ```
 */
export class RedisExecutor implements Executor {
  /** The queue its jobs go to. */
  readonly queue: string;
  /** This executor's name in Redis (its jobs' ids start with it). */
  readonly producer: string;
  readonly #settings: JobSettings;
  readonly #maxSize: number;
  readonly #commands: RespConnection;
  readonly #blocking: RespConnection;
  readonly #jobs = new Map<string, RedisJob<unknown>>();
  // Commands in order (pushes and cancellations), each retried until it
  // is applied; jobs of one turn go in one LPUSH.
  #toPush: RedisJob<unknown>[] = [];
  #toCancel: RedisJob<unknown>[] = [];
  #sending: Promise<void> | null = null;
  #sendScheduled = false;
  #reading: Promise<void> | null = null;
  #lastId = "0";
  #seq = 0;
  #shutdown = false;
  #closed = false;
  #closing: Promise<void> | null = null;
  #idle: PromiseWithResolvers<void> | null = null;
  readonly #stats = { submitted: 0, completed: 0, failed: 0, cancelled: 0 };

  /** Creates the executor; it connects on its first job. */
  constructor(options: RedisExecutorOptions = {}) {
    const url = options.url ?? "redis://127.0.0.1:6379";
    this.queue = options.queue ?? "jobs";
    if (typeof this.queue !== "string" || this.queue === "") {
      throw typeError(CALL, "options.queue", "a non-empty string", this.queue);
    }
    const ttl = checkDuration(
      CALL,
      "options.resultTtl",
      options.resultTtl ?? 3600,
      { positive: true },
    )!;
    this.#settings = jobSettings(CALL, options, {
      timeoutMs: 0,
      attempts: 1,
      backoffMs: 1000,
      resultTtlMs: Math.max(1000, Math.round(ttl * 1000)),
    });
    this.#maxSize = checkInteger(
      CALL,
      "options.maxSize",
      options.maxSize ?? DEFAULT_MAX_SIZE,
      1,
    );
    this.producer = randomTag(10);
    this.#commands = new RespConnection(url, CALL);
    this.#blocking = new RespConnection(this.#commands.address, CALL);
    // Nothing pending: the process may end (as with idle Workers).
    this.#commands.unref();
    this.#blocking.unref();
  }

  /** The stream this executor's results come back on. */
  get replyStream(): string {
    return replyStream(this.queue, this.producer);
  }

  /** Counters: jobs pending, submitted, completed, failed, cancelled. */
  statistics(): RedisExecutorStatistics {
    return { pending: this.#jobs.size, ...this.#stats };
  }

  /**
   * Queues `fn(...args)` for a consumer and returns the future of its
   * result. Throws at the call for a function not named by reference,
   * arguments that cannot be sent (or are over `maxSize`), `transfer()`,
   * or after `shutdown()`.
   */
  submit<A extends unknown[], R>(
    fn: WorkerCallable<A, R>,
    ...args: A
  ): ConcurrentFuture<Awaited<R>> {
    return this[kSubmit](this.#settings, "submit()", fn, args);
  }

  /**
   * Runs `fn` on each set of arguments taken from the iterables in step
   * (all queued at once) and yields the results in order. Leaving the
   * loop early cancels the jobs not done.
   */
  map<A extends unknown[], R>(
    fn: WorkerCallable<A, R>,
    ...iterables: { [K in keyof A]: Iterable<A[K]> }
  ): AsyncGenerator<Awaited<R>, void, undefined> {
    const futures = zipArgs(iterables).map((args) =>
      this.submit(fn, ...(args as A))
    );
    return resultsInOrder(futures, (fut) => fut.cancel());
  }

  /**
   * The same executor with other settings for the jobs submitted through
   * it (`timeout`, `attempts`, `backoff`); its `shutdown()` does nothing:
   * this executor owns the connections.
   *
   * @example
   * ```ts ignore
   * const careful = redis.withOptions({ timeout: 10, attempts: 3 });
   * const n = await loop.runInExecutor(careful, jobs.fib, 30);
   * ```
   */
  withOptions(options: RedisJobOptions): Executor & {
    map: RedisExecutor["map"];
  } {
    const settings = jobSettings("withOptions()", options, this.#settings);
    const submit = <A extends unknown[], R>(
      fn: WorkerCallable<A, R>,
      ...args: A
    ): ConcurrentFuture<Awaited<R>> =>
      this[kSubmit](settings, "submit()", fn, args);
    return {
      submit,
      map: <A extends unknown[], R>(
        fn: WorkerCallable<A, R>,
        ...iterables: { [K in keyof A]: Iterable<A[K]> }
      ): AsyncGenerator<Awaited<R>, void, undefined> =>
        resultsInOrder(
          zipArgs(iterables).map((args) => submit(fn, ...(args as A))),
          (fut) => fut.cancel(),
        ),
      shutdown: () => {},
    };
  }

  /**
   * Stops taking jobs; `cancelFutures` cancels those not done (queued ones
   * never run, running ones are cancelled on their consumers); `wait`
   * (default true) waits until every job is done. The connections close
   * once no job is pending.
   */
  shutdown(
    options: { wait?: boolean; cancelFutures?: boolean } = {},
  ): Promise<void> {
    const { wait = true, cancelFutures = false } = options;
    this.#shutdown = true;
    if (cancelFutures) {
      for (const job of [...this.#jobs.values()]) job.cancel();
    }
    const closing = this.#closing ??= this.#close();
    return wait ? closing : Promise.resolve();
  }

  /** `await using redis = new RedisExecutor(...)`: shuts down, waiting. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown({ wait: true });
  }

  /** Python's repr. */
  toString(): string {
    return `<RedisExecutor queue=${this.queue} pending=${this.#jobs.size}${
      this.#shutdown ? " shutdown" : ""
    }>`;
  }

  /** @ignore */
  [kSubmit]<R>(
    settings: JobSettings,
    call: string,
    fn: unknown,
    args: unknown[],
  ): ConcurrentFuture<Awaited<R>> {
    const ref = checkJob(fn, args, call);
    if (this.#shutdown) {
      throw new Error("cannot schedule new futures after shutdown");
    }
    const what = `the arguments of ${describeSpec(ref)}`;
    const encoded = encodeValue(args, `${call}: ${what}`, this.#maxSize);
    const id = `${this.producer}.${(this.#seq++).toString(36)}`;
    const job = new RedisJob<Awaited<R>>(
      this,
      id,
      jobBody(id, ref.module, ref.name, settings, encoded),
      describeSpec(ref),
    );
    if (this.#jobs.size === 0) {
      this.#commands.ref();
      this.#blocking.ref();
    }
    this.#jobs.set(id, job as RedisJob<unknown>);
    this.#stats.submitted++;
    this.#toPush.push(job as RedisJob<unknown>);
    this.#scheduleSend();
    this.#reading ??= this.#readReplies().finally(() => {
      this.#reading = null;
      // A job submitted after the reader had decided to stop.
      if (this.#jobs.size > 0 && !this.#closed) {
        this.#reading = this.#readReplies();
      }
    });
    return job;
  }

  /** @ignore Cancels `job` here at once, and in Redis soon after. */
  [kCancel](job: RedisJob<unknown>): boolean {
    if (!this.#jobs.delete(job.id)) return false;
    this.#stats.cancelled++;
    const queued = this.#toPush.indexOf(job);
    if (queued >= 0) this.#toPush.splice(queued, 1); // never sent
    else {
      this.#toCancel.push(job);
      this.#scheduleSend();
    }
    this.#checkIdle();
    return true;
  }

  #scheduleSend(): void {
    if (this.#sendScheduled || this.#sending !== null) return;
    this.#sendScheduled = true;
    queueMicrotask(() => {
      this.#sendScheduled = false;
      this.#sending = this.#send().finally(() => {
        this.#sending = null;
        if (this.#toPush.length + this.#toCancel.length > 0) {
          this.#scheduleSend();
        }
      });
    });
  }

  /**
   * Sends what is waiting, in order: pushes first (a job cancelled before
   * its push was applied is in #toCancel too, so the cancellation comes
   * after it), each command retried until Redis takes it.
   */
  async #send(): Promise<void> {
    while (this.#toPush.length + this.#toCancel.length > 0) {
      if (this.#toPush.length > 0) {
        const batch = this.#toPush;
        this.#toPush = [];
        await this.#retry(() => {
          // Those cancelled meanwhile are left out (their cancellation
          // is queued behind, harmless).
          const bodies = batch.filter((job) => !job.done()).map((job) =>
            job.body
          );
          if (bodies.length === 0) return Promise.resolve();
          return this.#commands.command(["LPUSH", this.queue, ...bodies]);
        });
        continue;
      }
      const batch = this.#toCancel;
      this.#toCancel = [];
      const args = [
        cancelChannel(this.queue),
        String(this.#settings.resultTtlMs),
      ];
      for (const job of batch) args.push(job.id, job.body);
      await this.#retry(() =>
        evalScript(this.#commands, CANCEL, [
          this.queue,
          `${this.queue}:delayed`,
          cancelledSet(this.queue),
        ], args)
      );
    }
  }

  async #retry(send: () => Promise<unknown>): Promise<void> {
    for (
      let backoff = 0.05;
      !this.#closed;
      backoff = Math.min(backoff * 2, 1)
    ) {
      try {
        await send();
        return;
      } catch {
        // Redis is away (or the reply was lost: sending again may queue a
        // job twice, which at-least-once allows).
        if (this.#closed) return;
        await pause(backoff);
      }
    }
  }

  /** Reads results while jobs are pending: one blocking XREAD at a time. */
  async #readReplies(): Promise<void> {
    const stream = this.replyStream;
    let backoff = 0.05;
    while (this.#jobs.size > 0 && !this.#closed) {
      let reply: unknown;
      try {
        reply = await this.#blocking.command([
          "XREAD",
          "COUNT",
          "1000",
          "BLOCK",
          "5000",
          "STREAMS",
          stream,
          this.#lastId,
        ]);
        backoff = 0.05;
      } catch {
        if (this.#closed) return;
        await pause(backoff);
        backoff = Math.min(backoff * 2, 1);
        continue;
      }
      if (!Array.isArray(reply) || reply.length === 0) continue;
      const entries = (reply[0] as [string, [string, string[]][]])[1];
      const ids: string[] = [];
      for (const [id, fields] of entries) {
        ids.push(id);
        this.#lastId = id;
        this.#deliver(fields[1]);
      }
      // Read: they may go (if this fails, the stream's TTL removes them).
      this.#commands.command(["XDEL", stream, ...ids]).catch(() => {});
    }
  }

  #deliver(entry: string): void {
    const { id, ok, value } = parseReply(entry);
    const job = this.#jobs.get(id);
    if (job === undefined) return; // cancelled, or a second run's result
    this.#jobs.delete(id);
    let decoded: unknown;
    let failed = !ok;
    try {
      decoded = decodeValue(value);
    } catch (error) {
      decoded = new TypeError(
        `the ${ok ? "result" : "error"} of ${job.what} could not be read: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      );
      failed = true;
    }
    if (failed) this.#stats.failed++;
    else this.#stats.completed++;
    job.finish(failed, decoded);
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (this.#jobs.size > 0) return;
    this.#commands.unref();
    this.#blocking.unref();
    this.#idle?.resolve();
  }

  async #close(): Promise<void> {
    while (this.#jobs.size > 0) {
      this.#idle = Promise.withResolvers<void>();
      await this.#idle.promise;
    }
    // Cancellations still to send go out before the connections close
    // (unless Redis stays away for 5 s).
    const deadline = performance.now() + 5000;
    while (
      (this.#sending !== null || this.#sendScheduled) &&
      performance.now() < deadline
    ) {
      if (this.#sending === null) await null;
      else await within(this.#sending, 0.1);
    }
    this.#closed = true;
    await Promise.all([this.#commands.close(), this.#blocking.close()]);
    await this.#reading;
  }
}
