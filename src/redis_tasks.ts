/**
 * `RedisTaskSource`: tasks fed from a Redis list to an event loop (seed
 * 004, part 2), with the reliable-queue pattern, so that no message is lost
 * when a consumer dies. It needs no Redis client of its own: give it two
 * connections of any client, as `{ command(args) }`.
 *
 * @module
 */
import { checkDuration } from "./_validate.ts";
import type { ConcurrentFuture } from "./workers/concurrent.ts";
import type { WorkerCallable } from "./workers/functions.ts";
import type { ThreadLoop } from "./workers/worker_loop.ts";

/**
 * One Redis connection, as the task source uses it: `command(["BLMOVE",
 * ...])` sends one command and resolves to Redis's reply. With node-redis:
 * `{ command: (args) => client.sendCommand(args) }`; with ioredis:
 * `{ command: ([name, ...rest]) => redis.call(name, ...rest) }`.
 *
 * @example
 * ```ts
 * import type { RedisConnection } from "@aio/asyncio/redis";
 *
 * const replies = new Map<string, unknown>([["PING", "PONG"]]);
 * const fake: RedisConnection = {
 *   command: (args) => Promise.resolve(replies.get(args[0]) ?? null),
 * };
 * console.log(await fake.command(["PING"])); // PONG
 * ```
 */
export interface RedisConnection {
  /** Sends one command (`["LPUSH", "queue", "5"]`), resolves to the reply. */
  command(args: string[]): Promise<unknown>;
}

/**
 * Options of a {@link RedisTaskSource}.
 *
 * @example
 * ```ts ignore
 * const options: RedisTaskSourceOptions = {
 *   redis: commands,
 *   blockingRedis: blocking,
 *   queue: "queue",
 * };
 * ```
 */
export interface RedisTaskSourceOptions {
  /** The connection for short commands (acknowledgements, heartbeats). */
  redis: RedisConnection;
  /**
   * A second connection, only for `BLMOVE`: a blocking command holds its
   * connection until a message comes.
   */
  blockingRedis: RedisConnection;
  /** The list producers `LPUSH` to (default `"queue"`). */
  queue?: string;
  /** This consumer's name (default: host, pid and a random part). */
  consumer?: string;
  /** Seconds between heartbeats (default 1). */
  heartbeat?: number;
  /**
   * Seconds without a heartbeat after which a consumer is dead and its
   * messages go back to the queue (default 5).
   */
  deadAfter?: number;
  /** Seconds one `BLMOVE` waits before it is sent again (default 1). */
  blockTimeout?: number;
}

/**
 * A message taken from the queue: `body` is what the producer pushed.
 * It stays in this consumer's processing list until `ack()`.
 *
 * @example
 * ```ts ignore
 * for await (const message of source.messages()) {
 *   await handle(message.body);
 *   await message.ack();
 * }
 * ```
 */
export interface RedisMessage {
  /** What the producer pushed. */
  readonly body: string;
  /** Removes the message from the processing list: it is done. */
  ack(): Promise<void>;
}

let consumerCounter = 0;

function defaultConsumer(): string {
  // Without --allow-sys (asking would prompt), the pid and the random
  // part still tell consumers apart.
  let host = "host";
  const sys = { name: "sys", kind: "hostname" } as const;
  if (Deno.permissions.querySync(sys).state === "granted") {
    host = Deno.hostname();
  }
  return `${host}:${Deno.pid}:${consumerCounter++}:${
    Math.random().toString(36).slice(2, 8)
  }`;
}

function seconds(value: number | undefined, fallback: number, name: string) {
  return checkDuration(
    "new RedisTaskSource()",
    `options.${name}`,
    value ?? fallback,
    { positive: true },
  )!;
}

const pause = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

/**
 * Takes messages from a Redis list and runs a coroutine function on each,
 * on an event loop of this thread's choosing (a `WorkerLoop`, as in seed
 * 004), without losing any:
 *
 * - a message moves atomically from the queue to this consumer's
 *   processing list (`BLMOVE queue processing RIGHT LEFT`: producers
 *   `LPUSH`, so the oldest comes first);
 * - it leaves that list (`LREM`) only once its task is done;
 * - every consumer refreshes a heartbeat key; the messages in the
 *   processing list of one whose key expired go back to the queue
 *   (`recover()`, run at `start()` and then at every heartbeat).
 *
 * A task that was running when its consumer died runs again elsewhere
 * (at-least-once). Redis calls are asynchronous and `BLMOVE` has its own
 * connection, so nothing blocks the loop; when Redis goes away the source
 * retries until it is back.
 *
 * @example
 * ```ts ignore
 * import { RedisTaskSource } from "@aio/asyncio/redis";
 * import { WorkerLoop, workerModule } from "@aio/asyncio";
 *
 * const source = new RedisTaskSource({ redis, blockingRedis, queue: "queue" });
 * await using newLoop = await WorkerLoop.start();
 * await source.start();
 * source.feed(newLoop, jobs.doSleep, {
 *   onDone: (body) => console.log(`${body} done`),
 * });
 * ```
 */
export class RedisTaskSource {
  /** The list producers push to. */
  readonly queue: string;
  /** This consumer's name. */
  readonly consumer: string;
  readonly #redis: RedisConnection;
  readonly #blocking: RedisConnection;
  readonly #heartbeat: number;
  readonly #deadAfter: number;
  readonly #blockTimeout: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #closedAt = 0;
  #started = false;
  #feeding: Promise<void> | null = null;
  readonly #running = new Set<ConcurrentFuture<unknown>>();

  /** Creates the source; `start()` registers it. */
  constructor(options: RedisTaskSourceOptions) {
    for (const name of ["redis", "blockingRedis"] as const) {
      if (typeof options?.[name]?.command !== "function") {
        throw new TypeError(
          `RedisTaskSource needs options.${name}: a connection { command(args) } (node-redis: { command: (a) => client.sendCommand(a) })`,
        );
      }
    }
    if (options.redis === options.blockingRedis) {
      throw new RangeError(
        "redis and blockingRedis must be two connections: BLMOVE blocks the one it is sent on",
      );
    }
    this.#redis = options.redis;
    this.#blocking = options.blockingRedis;
    this.queue = options.queue ?? "queue";
    this.consumer = options.consumer ?? defaultConsumer();
    this.#heartbeat = seconds(options.heartbeat, 1, "heartbeat");
    this.#deadAfter = seconds(options.deadAfter, 5, "deadAfter");
    this.#blockTimeout = seconds(options.blockTimeout, 1, "blockTimeout");
    if (this.#deadAfter <= this.#heartbeat) {
      throw new RangeError("deadAfter must be longer than heartbeat");
    }
  }

  /** The list that holds this consumer's messages until they are done. */
  get processingList(): string {
    return this.processingListOf(this.consumer);
  }

  /** The processing list of `consumer`. */
  processingListOf(consumer: string): string {
    return `${this.queue}:processing:${consumer}`;
  }

  /**
   * Registers this consumer, starts its heartbeat, and puts back on the
   * queue the messages of consumers that died.
   */
  async start(): Promise<void> {
    if (this.#started) return;
    await this.#beat();
    await this.recover();
    this.#started = true;
    this.#scheduleBeat();
  }

  /**
   * Moves the messages of dead consumers (no heartbeat for `deadAfter`
   * seconds) back to the queue, oldest next in line; returns how many.
   */
  async recover(): Promise<number> {
    const members = await this.#redis.command([
      "SMEMBERS",
      this.#consumersKey,
    ]) as string[];
    let moved = 0;
    for (const consumer of members) {
      if (consumer === this.consumer) continue;
      const alive = await this.#redis.command([
        "EXISTS",
        this.#aliveKey(consumer),
      ]);
      if (Number(alive) > 0) continue;
      const list = this.processingListOf(consumer);
      for (;;) {
        const item = await this.#redis.command([
          "LMOVE",
          list,
          this.queue,
          "LEFT",
          "RIGHT",
        ]);
        if (item === null || item === undefined) break;
        moved++;
      }
      await this.#redis.command(["SREM", this.#consumersKey, consumer]);
    }
    return moved;
  }

  /**
   * The messages, as they come (each moved to the processing list first).
   * Ends when `close()` is called. Redis errors are retried.
   */
  async *messages(): AsyncGenerator<RedisMessage, void, undefined> {
    let backoff = 0.05;
    while (!this.#started && !this.#closed) {
      try {
        await this.start();
      } catch (error) {
        // Redis is away (or refuses us): say so once, and keep trying.
        if (backoff === 0.05) {
          console.warn(`RedisTaskSource: cannot start: ${error}; retrying`);
        }
        await pause(backoff);
        backoff = Math.min(backoff * 2, 1);
      }
    }
    backoff = 0.05;
    while (!this.#closed) {
      let body: unknown;
      try {
        body = await this.#blocking.command([
          "BLMOVE",
          this.queue,
          this.processingList,
          "RIGHT",
          "LEFT",
          String(this.#blockTimeout),
        ]);
        backoff = 0.05;
      } catch {
        if (this.#closed) return;
        await pause(backoff);
        backoff = Math.min(backoff * 2, 1);
        continue;
      }
      if (body === null || body === undefined) continue;
      const text = String(body);
      if (this.#closed) {
        await this.requeue(text);
        return;
      }
      yield { body: text, ack: () => this.#ack(text) };
    }
  }

  /**
   * Runs `fn(body)` on `loop` (`runCoroutineThreadsafe`) for every message
   * until `close()`, and acknowledges each once its task is done, failed
   * or not. `onDone(body, error, result)` is called after that. Returns
   * at once; `close()` waits for it to stop.
   */
  feed<R>(
    loop: ThreadLoop,
    fn: WorkerCallable<[string], R>,
    options: {
      onDone?: (body: string, error: unknown, result?: Awaited<R>) => void;
    } = {},
  ): void {
    if (this.#feeding !== null) {
      throw new Error("feed() was already called on this RedisTaskSource");
    }
    if (typeof loop?.runCoroutineThreadsafe !== "function") {
      throw new TypeError(
        "feed() takes a loop with runCoroutineThreadsafe (a WorkerLoop) first",
      );
    }
    const { onDone } = options;
    this.#feeding = (async () => {
      for await (const message of this.messages()) {
        let fut: ConcurrentFuture<Awaited<R>>;
        try {
          fut = loop.runCoroutineThreadsafe(fn, message.body);
        } catch (error) {
          // The loop is gone (stopped): give the message back and stop.
          await this.requeue(message.body);
          this.#closed = true;
          this.#closedAt = performance.now();
          if (this.#timer !== undefined) clearTimeout(this.#timer);
          console.warn(`RedisTaskSource: stopped feeding: ${error}`);
          return;
        }
        this.#running.add(fut as ConcurrentFuture<unknown>);
        fut.addDoneCallback(async () => {
          this.#running.delete(fut as ConcurrentFuture<unknown>);
          // Not done, only stopped (the loop was stopped): run it again.
          if (fut.cancelled()) await this.requeue(message.body);
          else await message.ack();
          if (onDone === undefined) return;
          try {
            if (fut.cancelled()) onDone(message.body, "cancelled");
            else if (fut.exception() !== null) {
              onDone(message.body, fut.exception());
            } else onDone(message.body, null, fut.result());
          } catch (error) {
            // The message is settled; report the callback's own failure.
            console.error("RedisTaskSource: onDone threw:", error);
          }
        });
      }
    })();
  }

  /**
   * Puts a message of this consumer's processing list back at the head of
   * the queue, in one step (a Lua script).
   */
  async requeue(body: string): Promise<void> {
    for (
      let backoff = 0.05;
      this.#mayRetry();
      backoff = Math.min(backoff * 2, 1)
    ) {
      try {
        await this.#redis.command([
          "EVAL",
          "if redis.call('LREM', KEYS[1], 1, ARGV[1]) > 0 then redis.call('RPUSH', KEYS[2], ARGV[1]) end",
          "2",
          this.processingList,
          this.queue,
          body,
        ]);
        return;
      } catch {
        await pause(backoff);
      }
    }
  }

  /**
   * Stops taking messages and the heartbeat. Messages whose tasks are
   * still running stay in the processing list (another consumer recovers
   * them once this one's heartbeat has expired).
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#closedAt = performance.now();
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#feeding;
  }

  /** `await using source`: `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  get #consumersKey(): string {
    return `${this.queue}:consumers`;
  }

  #aliveKey(consumer: string): string {
    return `${this.queue}:alive:${consumer}`;
  }

  async #ack(body: string): Promise<void> {
    // An acknowledgement must not be lost: retry while Redis is away.
    for (
      let backoff = 0.05;
      this.#mayRetry();
      backoff = Math.min(backoff * 2, 1)
    ) {
      try {
        await this.#redis.command(["LREM", this.processingList, "1", body]);
        return;
      } catch {
        await pause(backoff);
      }
    }
  }

  // After close(), a message not acknowledged or requeued in time is
  // recovered by another consumer once this one's heartbeat has expired.
  #mayRetry(): boolean {
    return this.#closedAt === 0 ||
      performance.now() - this.#closedAt < this.#deadAfter * 1000;
  }

  async #beat(): Promise<void> {
    await this.#redis.command([
      "SET",
      this.#aliveKey(this.consumer),
      "1",
      "PX",
      String(Math.round(this.#deadAfter * 1000)),
    ]);
    await this.#redis.command(["SADD", this.#consumersKey, this.consumer]);
  }

  #scheduleBeat(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(async () => {
      try {
        await this.#beat();
        await this.recover();
      } catch {
        // Redis is away: the next beat tries again.
      }
      this.#scheduleBeat();
    }, this.#heartbeat * 1000);
  }
}
