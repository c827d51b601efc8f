/**
 * `RedisTaskSource`: tasks fed from a Redis list to an event loop (seed
 * 004, part 2), with the reliable-queue pattern, so that no message is lost
 * when a consumer dies, a reply is lost or Redis restarts. It needs no Redis
 * client of its own: give it two connections of any client, as
 * `{ command(args) }`.
 *
 * What lives in Redis, for a queue `Q` and a consumer `C` (one Lua script
 * per step, so every step is atomic):
 *
 * - `Q`: the list producers `LPUSH` plain bodies to; consumers take from
 *   the right (oldest first).
 * - `Q:processing:C`: the list of the first-time messages `C` holds (taken,
 *   not yet settled), plain bodies as producers pushed them.
 * - `Q:retrying:C`: the hash of the retried messages `C` holds, id ->
 *   envelope `"<id>:<failures>:<body>"`.
 * - `Q:delayed`: retried messages waiting for their backoff, envelopes
 *   scored by the Redis time (ms) at which they are due.
 * - `Q:dead` (option `deadLetter`): messages that failed `attempts` times,
 *   as JSON.
 * - `Q:consumers`, `Q:alive:C` (heartbeat), `Q:settled:C` (the last batch
 *   of acknowledgements applied, so that a batch sent again after a lost
 *   reply is applied once).
 *
 * A message gets an id (and an envelope) only when it first fails: the
 * common path (take, run, acknowledge) moves plain bodies, as before.
 *
 * @module
 */
import { checkDuration, checkInteger, typeError } from "./_validate.ts";
import { type AbstractEventLoop, getRunningLoop } from "./events.ts";
import type { Future } from "./futures.ts";
import type { ConcurrentFuture } from "./workers/concurrent.ts";
import {
  checkSendable,
  type FunctionSpec,
  functionSpec,
  type WorkerCallable,
  workerFunction,
} from "./workers/functions.ts";
import {
  deserializeError,
  explainJobError,
  resolvedFunction,
  resolveFunction,
  type SerializedError,
  serializeError,
} from "./workers/_protocol.ts";
import { type ThreadLoop, WorkerLoop } from "./workers/worker_loop.ts";

/**
 * One Redis connection, as the task source uses it: `command(["BLMOVE",
 * ...])` sends one command and resolves to Redis's reply. With node-redis:
 * `{ command: (args) => client.sendCommand(args) }`; with ioredis:
 * `{ command: ([name, ...rest]) => redis.call(name, ...rest) }`.
 *
 * Commands sent on one connection must reach Redis in the order they were
 * sent (every client does this).
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
 * @example A consumer that runs at most 10 tasks at a time and tries a failing one 3 times
 * ```ts ignore
 * const options: RedisTaskSourceOptions = {
 *   redis: commands,
 *   blockingRedis: blocking,
 *   queue: "queue",
 *   concurrency: 10,
 *   attempts: 3, // then to "queue:dead"
 *   backoff: 2, // 2 s before the 2nd run, 4 s before the 3rd
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
  /**
   * This consumer's name (default: host, pid and a random part). Two live
   * consumers must not share a name.
   */
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
  /**
   * The most messages this consumer holds at once (default 100): taken
   * from the queue and not yet acknowledged, running or waiting to be
   * yielded by `messages()`. It takes up to that many in one round trip.
   *
   * @example
   * ```ts ignore
   * // Long tasks: take few at a time, so that other consumers get some.
   * new RedisTaskSource({ redis, blockingRedis, concurrency: 4 });
   * ```
   */
  concurrency?: number;
  /**
   * How many times a message runs before it is given up (default 1: a
   * failure is final). A failed run before the last goes to
   * `queue:delayed` for `backoff`, then runs again on any consumer; the
   * count survives consumer deaths and Redis restarts (it travels with the
   * message). A task that was cancelled (its loop stopped) or whose
   * consumer died does not count.
   *
   * @example
   * ```ts ignore
   * new RedisTaskSource({ redis, blockingRedis, attempts: 5, backoff: 0.5 });
   * ```
   */
  attempts?: number;
  /**
   * Seconds before a failed message runs again: a number `b` waits
   * `b * 2 ** (n - 1)` after the n-th failure (exponential; default 1), a
   * function gets `n` and returns the seconds.
   *
   * @example
   * ```ts ignore
   * // 0.1 s, 0.2 s, 0.4 s, ... capped at 30 s
   * new RedisTaskSource({
   *   redis,
   *   blockingRedis,
   *   attempts: 10,
   *   backoff: (n) => Math.min(0.1 * 2 ** (n - 1), 30),
   * });
   * ```
   */
  backoff?: number | ((failures: number) => number);
  /**
   * The list a message goes to after its last failed run, as JSON
   * `{"body", "id", "attempts", "error", "consumer", "failedAt"}`
   * (default `"<queue>:dead"`); null drops it.
   *
   * @example
   * ```ts ignore
   * // Put the dead letters back on the queue, for another try.
   * for (const entry of await redis.command(["LRANGE", "queue:dead", "0", "-1"]) as string[]) {
   *   await redis.command(["LPUSH", "queue", JSON.parse(entry).body]);
   * }
   * await redis.command(["DEL", "queue:dead"]);
   * ```
   */
  deadLetter?: string | null;
}

/**
 * A message taken from the queue: `body` is what the producer pushed.
 * It stays in this consumer's processing list until it is settled:
 * `ack()` (done), `fail(error)` (retried or given up, as `attempts` says)
 * or `requeue()` (back on the queue, not counted as a failure).
 *
 * @example
 * ```ts ignore
 * for await (const message of source.messages()) {
 *   try {
 *     await handle(message.body);
 *     await message.ack();
 *   } catch (error) {
 *     await message.fail(error); // retried after the backoff, or dead
 *   }
 * }
 * ```
 */
export interface RedisMessage {
  /** What the producer pushed. */
  readonly body: string;
  /** The id it got when it first failed; null on its first run. */
  readonly id: string | null;
  /** Which run this is: 1 the first time, 2 after one failure, ... */
  readonly attempt: number;
  /** Removes the message from the processing list: it is done. */
  ack(): Promise<void>;
  /**
   * The run failed: the message runs again after the backoff, or goes to
   * the dead-letter list after its last attempt. Resolves to whether it
   * will run again.
   */
  fail(error?: unknown): Promise<boolean>;
  /** Puts it back on the queue, next in line; not counted as a failure. */
  requeue(): Promise<void>;
}

/**
 * What `feed()`'s `onDone` is told besides the body, the error and the
 * result: which run of the message it was and whether it runs again.
 *
 * @example
 * ```ts ignore
 * source.feed(loop, jobs.handle, {
 *   onDone(body, error, result, run) {
 *     if (error !== null && !run.willRetry) console.error(`${body} is dead`);
 *   },
 * });
 * ```
 */
export interface RedisRunInfo {
  /** The message's id (given at its first failure), or null. */
  readonly id: string | null;
  /** 1 for the first run, 2 after one failure, ... */
  readonly attempt: number;
  /**
   * Whether the message runs again: after a failure with attempts left,
   * or after a cancellation (it was put back on the queue).
   */
  readonly willRetry: boolean;
}

/**
 * Counters of a {@link RedisTaskSource}, for tests and monitoring.
 *
 * @example
 * ```ts ignore
 * const { held, fetches, taken } = source.statistics();
 * console.log(`${held} held, ${taken / fetches} messages per round trip`);
 * ```
 */
export interface RedisTaskSourceStatistics {
  /** Messages this consumer holds now (taken, not settled). */
  held: number;
  /** Of those, the ones whose task runs (or that were yielded). */
  running: number;
  /** Round trips that took messages (batch scripts and `BLMOVE`s). */
  fetches: number;
  /** Messages taken, in all (a redelivered one counts again). */
  taken: number;
  /** Messages acknowledged (done). */
  acked: number;
  /** Failed runs sent to wait for their backoff. */
  retried: number;
  /** Messages given up after their last attempt (dead-lettered or dropped). */
  dead: number;
  /** Messages put back on the queue (cancelled, not started, requeue()). */
  requeued: number;
  /**
   * Messages found in this consumer's own lists that it did not know it
   * held (a reply lost on the way), and run or put back.
   */
  redelivered: number;
  /** Messages of dead consumers this one put back. */
  recovered: number;
}

// ------------------------------------------------------------ Lua scripts

/** A Lua script, sent by its SHA-1 once that is known (see evalScript). */
export class Script {
  sha: string | null = null;
  constructor(readonly source: string) {
    const bytes = new TextEncoder().encode(source);
    crypto.subtle.digest("SHA-1", bytes).then((digest) => {
      this.sha = [...new Uint8Array(digest)]
        .map((b) => b.toString(16).padStart(2, "0")).join("");
    });
  }
}

/**
 * Sends a script: EVALSHA once its hash is known (EVAL until then, and
 * after a restart emptied Redis's script cache). The command is sent
 * before this returns, so that commands keep their order.
 */
export function evalScript(
  conn: RedisConnection,
  script: Script,
  keys: string[],
  args: string[],
): Promise<unknown> {
  const tail = [String(keys.length), ...keys, ...args];
  if (script.sha === null) {
    return conn.command(["EVAL", script.source, ...tail]);
  }
  return conn.command(["EVALSHA", script.sha, ...tail]).catch((error) => {
    if (!String(error).includes("NOSCRIPT")) throw error;
    return conn.command(["EVAL", script.source, ...tail]);
  });
}

// Redis time in milliseconds (scripts run with effects replication, so
// TIME is allowed before writes).
export const NOW =
  "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) ";

/**
 * Takes up to ARGV[2] messages, never holding more than ARGV[1]: due
 * retries first (into the retrying hash), then the oldest of the queue
 * (into the processing list, newest on the left, as BLMOVE puts them).
 * Returns {held before, ms until the next delayed message is due or -1,
 * retried envelopes, fresh bodies}.
 * KEYS: queue, processing, retrying, delayed.
 */
const TAKE = new Script(
  NOW +
    "local held = redis.call('LLEN', KEYS[2]) + redis.call('HLEN', KEYS[3]) " +
    "local n = math.min(tonumber(ARGV[2]), tonumber(ARGV[1]) - held) " +
    "local retried, fresh = {}, {} " +
    "if n > 0 then " +
    "  local due = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, n) " +
    "  for i, env in ipairs(due) do " +
    "    redis.call('ZREM', KEYS[4], env) " +
    "    redis.call('HSET', KEYS[3], string.sub(env, 1, string.find(env, ':', 1, true) - 1), env) " +
    "    retried[i] = env " +
    "  end " +
    "  n = n - #due " +
    "  while n > 0 do " +
    "    local items = redis.call('RPOP', KEYS[1], math.min(n, 1000)) " +
    "    if not items then break end " +
    "    redis.call('LPUSH', KEYS[2], unpack(items)) " +
    "    for _, item in ipairs(items) do fresh[#fresh + 1] = item end " +
    "    n = n - #items " +
    "  end " +
    "end " +
    "local wait = -1 " +
    "local first = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES') " +
    "if first[2] then wait = math.max(0, tonumber(first[2]) - now) end " +
    "return {held, wait, retried, fresh}",
);

/**
 * Applies a batch of settlements once (ARGV[1] this source's tag, ARGV[2]
 * the batch's number; a batch already applied is skipped). ARGV[3] is the
 * number k of first-run messages done, ARGV[4] the number e of replies;
 * then three arguments per reply (a stream, its time to live in ms, the
 * entry: XADD'ed in the same step as the settlement, so that a job's
 * result and its acknowledgement are never apart); then the bodies of the
 * k messages (the common case, kept short); then four arguments per other
 * message: kind, body or id, envelope or JSON, delay (ms). Lower-case
 * kinds are first-run messages (in the processing list, by body),
 * upper-case retried ones (in the retrying hash, by id): A done, r/R
 * retry after the delay, d/D dead (JSON, or '' to drop), q/Q back on the
 * queue. Nothing happens to a message this consumer no longer holds
 * (another consumer recovered it).
 * KEYS: processing, retrying, queue, delayed, dead, settled.
 */
const SETTLE = new Script(
  "local mark = redis.call('GET', KEYS[6]) " +
    "if mark then " +
    "  local sep = string.find(mark, ':', 1, true) " +
    "  if string.sub(mark, 1, sep - 1) == ARGV[1] and tonumber(string.sub(mark, sep + 1)) >= tonumber(ARGV[2]) then return 0 end " +
    "end " +
    "local k, e = tonumber(ARGV[3]), tonumber(ARGV[4]) " +
    "for i = 5, 4 + 3 * e, 3 do " +
    "  redis.call('XADD', ARGV[i], '*', 'v', ARGV[i + 2]) " +
    "  redis.call('PEXPIRE', ARGV[i], ARGV[i + 1]) " +
    "end " +
    "local first = 5 + 3 * e " +
    "for i = first, first + k - 1 do redis.call('LREM', KEYS[1], -1, ARGV[i]) end " +
    NOW +
    "for i = first + k, #ARGV, 4 do " +
    "  local kind, a, b = ARGV[i], ARGV[i + 1], ARGV[i + 2] " +
    "  local removed " +
    "  if kind == 'a' or kind == 'r' or kind == 'd' or kind == 'q' then " +
    "    removed = redis.call('LREM', KEYS[1], -1, a) " +
    "  else removed = redis.call('HDEL', KEYS[2], a) end " +
    "  if removed > 0 then " +
    "    if kind == 'r' or kind == 'R' then redis.call('ZADD', KEYS[4], now + tonumber(ARGV[i + 3]), b) " +
    "    elseif kind == 'd' or kind == 'D' then if b ~= '' then redis.call('LPUSH', KEYS[5], b) end " +
    "    elseif kind == 'q' then redis.call('RPUSH', KEYS[3], a) " +
    "    elseif kind == 'Q' then redis.call('ZADD', KEYS[4], 0, b) end " +
    "  end " +
    "end " +
    "redis.call('SET', KEYS[6], ARGV[1] .. ':' .. ARGV[2]) " +
    "return 1",
);

/** What this consumer holds in Redis. KEYS: processing, retrying. */
const HOLDINGS = new Script(
  "return {redis.call('LRANGE', KEYS[1], 0, -1), redis.call('HVALS', KEYS[2])}",
);

/**
 * Puts everything of one consumer back: its processing list on the queue
 * (oldest next in line), its retried messages due now. Returns how many.
 * Used for a consumer's own leftovers at start().
 * KEYS: processing, retrying, queue, delayed, settled.
 */
const RELEASE = new Script(
  "local moved = 0 " +
    "while redis.call('LMOVE', KEYS[1], KEYS[3], 'LEFT', 'RIGHT') do moved = moved + 1 end " +
    "for _, env in ipairs(redis.call('HVALS', KEYS[2])) do redis.call('ZADD', KEYS[4], 0, env) moved = moved + 1 end " +
    "redis.call('DEL', KEYS[2], KEYS[5]) " +
    "return moved",
);

/**
 * RELEASE for every registered consumer but ARGV[2] whose heartbeat key
 * is gone, and unregisters it; ARGV[1] is the queue's name (the keys of
 * the consumers are made from it). Returns how many messages moved.
 * KEYS: consumers, queue, delayed.
 */
const RECOVER = new Script(
  "local moved = 0 " +
    "for _, c in ipairs(redis.call('SMEMBERS', KEYS[1])) do " +
    "  if c ~= ARGV[2] and redis.call('EXISTS', ARGV[1] .. ':alive:' .. c) == 0 then " +
    "    local p = ARGV[1] .. ':processing:' .. c " +
    "    local r = ARGV[1] .. ':retrying:' .. c " +
    "    while redis.call('LMOVE', p, KEYS[2], 'LEFT', 'RIGHT') do moved = moved + 1 end " +
    "    for _, env in ipairs(redis.call('HVALS', r)) do redis.call('ZADD', KEYS[3], 0, env) moved = moved + 1 end " +
    "    redis.call('DEL', r, ARGV[1] .. ':settled:' .. c) " +
    "    redis.call('SREM', KEYS[1], c) " +
    "  end " +
    "end " +
    "return moved",
);

/** One body of the processing list back on the queue. KEYS: processing, queue. */
const REQUEUE_BODY = new Script(
  "if redis.call('LREM', KEYS[1], -1, ARGV[1]) > 0 then redis.call('RPUSH', KEYS[2], ARGV[1]) return 1 end return 0",
);

// ------------------------------------------------------- the Worker's side
//
// A WorkerLoop gets batches: one message to the Worker starts the tasks of
// a whole batch (redisLaneRun), and one long-polling call
// (redisLaneWait) brings back every completion since the last one. One
// message per task each way would cap a consumer at the Worker's message
// rate, well below what Redis gives with batching.

const OK = 0;
const FAILED = 1;
const CANCELLED = 2;
// The call that carried the task failed (the loop crashed): not run.
const LOST = 3;

interface LaneState {
  done: unknown[];
  waiter: Future<void> | null;
}

const lanes = new Map<string, LaneState>();

function laneState(lane: string): LaneState {
  let state = lanes.get(lane);
  if (state === undefined) {
    state = { done: [], waiter: null };
    lanes.set(lane, state);
  }
  return state;
}

function laneRecord(
  state: LaneState,
  key: unknown,
  outcome: number,
  value: unknown,
): void {
  state.done.push(key, outcome, value);
  const waiter = state.waiter;
  if (waiter !== null && !waiter.done()) waiter.setResult(undefined);
}

function resultOutcome(value: unknown): [number, unknown] {
  // The batch crosses as one message: a result that cannot cross must not
  // take the others' with it.
  try {
    checkSendable([value], "the result");
    if (value !== null && typeof value === "object") structuredClone(value);
    return [OK, value];
  } catch (error) {
    return [
      FAILED,
      serializeError(
        new TypeError(
          `the result cannot be sent back from the WorkerLoop's Worker: ${
            error instanceof Error ? error.message : String(error)
          }`,
        ),
      ),
    ];
  }
}

/**
 * Inside a WorkerLoop: runs `fn(body)` as a task for each `key, body` pair
 * of `items`; their outcomes go to {@link redisLaneWait}.
 *
 * @ignore
 */
export async function redisLaneRun(
  lane: string,
  spec: FunctionSpec,
  items: unknown[],
): Promise<void> {
  const state = laneState(lane);
  let fn = resolvedFunction(spec);
  if (fn === undefined) {
    try {
      fn = await resolveFunction(spec);
    } catch (error) {
      for (let i = 0; i < items.length; i += 2) {
        laneRecord(state, items[i], FAILED, serializeError(error));
      }
      return;
    }
  }
  const run = fn;
  const loop = getRunningLoop();
  for (let i = 0; i < items.length; i += 2) {
    const key = items[i];
    const body = items[i + 1];
    const task = loop.createTask(async () => await run(body));
    task.addDoneCallback(() => {
      if (task.cancelled()) {
        laneRecord(state, key, CANCELLED, null);
        return;
      }
      let value: unknown;
      try {
        value = task.result();
      } catch (error) {
        laneRecord(
          state,
          key,
          FAILED,
          serializeError(explainJobError(spec, error)),
        );
        return;
      }
      const [outcome, sent] = resultOutcome(value);
      laneRecord(state, key, outcome, sent);
    });
  }
}

/**
 * Inside a WorkerLoop: waits for at least one outcome of the lane's tasks
 * and returns all there are, as `key, outcome, value` triples.
 *
 * @ignore
 */
export async function redisLaneWait(lane: string): Promise<unknown[]> {
  const state = laneState(lane);
  if (state.done.length === 0) {
    const waiter = (getRunningLoop() as AbstractEventLoop).createFuture<
      void
    >();
    state.waiter = waiter;
    try {
      await waiter;
    } finally {
      if (state.waiter === waiter) state.waiter = null;
    }
  }
  return state.done.splice(0);
}

const laneRun = workerFunction<typeof redisLaneRun>(
  import.meta.url,
  "redisLaneRun",
);
const laneWait = workerFunction<typeof redisLaneWait>(
  import.meta.url,
  "redisLaneWait",
);

// ------------------------------------------------------------ the source

let consumerCounter = 0;

function defaultConsumer(): string {
  // Without --allow-sys (asking would prompt), the pid and the random
  // part still tell consumers apart.
  let host = "host";
  const sys = { name: "sys", kind: "hostname" } as const;
  if (Deno.permissions.querySync(sys).state === "granted") {
    host = Deno.hostname();
  }
  return `${host}:${Deno.pid}:${consumerCounter++}:${randomTag(6)}`;
}

function randomTag(length: number): string {
  let tag = "";
  while (tag.length < length) tag += Math.random().toString(36).slice(2);
  return tag.slice(0, length);
}

const CALL = "new RedisTaskSource()";

function seconds(value: number | undefined, fallback: number, name: string) {
  return checkDuration(CALL, `options.${name}`, value ?? fallback, {
    positive: true,
  })!;
}

const pause = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** A message this consumer holds. */
interface Held {
  readonly body: string;
  /** null: a first run, in the processing list; else in the retrying hash. */
  readonly id: string | null;
  /** Failed runs before this one. */
  readonly failures: number;
  /** Yielded or handed to a loop. */
  started: boolean;
  /** The settlement under way (once settled, it stays settled). */
  settling: Promise<void> | null;
}

type Kind = "a" | "r" | "d" | "q";

interface Settlement {
  readonly rec: Held;
  readonly kind: Kind;
  readonly arg: string;
  readonly delayMs: number;
  readonly reply: readonly [string, number, string] | null;
  readonly resolve: () => void;
}

/**
 * What a settlement may carry besides its kind (for the Redis executor's
 * consumers, through {@link kSettle}): the delay of a retry, and a reply
 * XADD'ed to a stream in the same script, `[stream, ttlMs, entry]`.
 */
export interface SettleExtra {
  readonly delayMs?: number;
  readonly reply?: readonly [string, number, string] | null;
}

/**
 * A message yielded by `messages()` also settles through
 * `message[kSettle](kind, error, extra)`: "a" done, "r" retry, "d" dead,
 * "q" back on the queue, with a reply and a delay of the caller's choice
 * (the Redis executor decides retries per job).
 */
export const kSettle: unique symbol = Symbol("settle with a reply");

/** The message type {@link kSettle} is found on. */
export interface SettleableMessage extends RedisMessage {
  [kSettle](
    kind: "a" | "r" | "d" | "q",
    error?: unknown,
    extra?: SettleExtra,
  ): Promise<void>;
}

/** Wakes whoever waits for something to change. */
class Signal {
  #waiters: (() => void)[] = [];
  wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
  notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

type OnDone<R> = (
  body: string,
  error: unknown,
  result?: Awaited<R>,
  run?: RedisRunInfo,
) => void;

/**
 * Takes messages from a Redis list and runs a coroutine function on each,
 * on an event loop of this thread's choosing (a `WorkerLoop`, as in seed
 * 004), without losing any. Delivery is **at-least-once**: every message
 * pushed runs to completion at least once, and may run more than once
 * (its consumer died, or lost its connection, after the task ran but
 * before the acknowledgement reached Redis). Make tasks idempotent.
 *
 * - Messages move atomically from the queue to this consumer's processing
 *   list, up to `concurrency` per round trip (a Lua script); when the
 *   queue is empty, a blocking `BLMOVE queue processing RIGHT LEFT` waits
 *   for the next (producers `LPUSH`, so the oldest comes first).
 * - A consumer holds at most `concurrency` messages: the script checks it
 *   in Redis, so a second consumer gets its share of a backlog.
 * - A message leaves the processing list only once its task is done
 *   (acknowledgements go in batches, one script per round trip); a failed
 *   one runs again after an exponential `backoff`, up to `attempts` times,
 *   then goes to the dead-letter list.
 * - Every consumer refreshes a heartbeat key; the messages of one whose
 *   key expired go back to the queue (`recover()`, run at `start()` and
 *   then at every heartbeat).
 * - After any failed command (a reply may have been lost: Redis may have
 *   moved messages whose names never arrived), the consumer compares its
 *   processing list with what it knows it holds and runs the rest;
 *   `close()` puts back what it has not started.
 *
 * Redis calls are asynchronous and `BLMOVE` has its own connection, so
 * nothing blocks the loop; when Redis goes away the source retries until
 * it is back (with append-only persistence nothing is lost across a
 * restart).
 *
 * @example
 * ```ts ignore
 * import { RedisTaskSource } from "@aio/asyncio/redis";
 * import { WorkerLoop, workerModule } from "@aio/asyncio";
 *
 * const source = new RedisTaskSource({
 *   redis,
 *   blockingRedis,
 *   queue: "queue",
 *   concurrency: 20,
 *   attempts: 3,
 * });
 * await using newLoop = await WorkerLoop.start();
 * await source.start();
 * source.feed(newLoop, jobs.doSleep, {
 *   onDone: (body, error) => console.log(`${body} done`, error),
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
  readonly #concurrency: number;
  readonly #attempts: number;
  readonly #backoff: (failures: number) => number;
  readonly #deadLetter: string | null;
  // Settlement batches and message ids are unique to this instance.
  readonly #tag = randomTag(8);
  #nextId = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #closedAt = 0;
  #closing: Promise<void> | null = null;
  #started = false;
  #starting: Promise<void> | null = null;
  #consuming: string | null = null;
  #feeding: Promise<void> | null = null;
  #fetching: Promise<unknown> | null = null;
  // A command failed since the holdings were last compared.
  #dirty = false;
  readonly #held = new Set<Held>();
  readonly #heldBodies = new Map<string, number>();
  readonly #heldIds = new Set<string>();
  #pending: Settlement[] = [];
  #inFlight: Settlement[] | null = null;
  #sendScheduled = false;
  #batch = 0;
  readonly #changed = new Signal();
  readonly #sleepers = new Set<() => void>();
  readonly #stats = {
    fetches: 0,
    taken: 0,
    acked: 0,
    retried: 0,
    dead: 0,
    requeued: 0,
    redelivered: 0,
    recovered: 0,
  };

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
    this.#concurrency = checkInteger(
      CALL,
      "options.concurrency",
      options.concurrency ?? 100,
      1,
    );
    this.#attempts = checkInteger(
      CALL,
      "options.attempts",
      options.attempts ?? 1,
      1,
    );
    const backoff = options.backoff ?? 1;
    if (typeof backoff === "function") {
      this.#backoff = (n) =>
        checkDuration("options.backoff()", "its result", backoff(n))!;
    } else {
      const base = checkDuration(CALL, "options.backoff", backoff)!;
      this.#backoff = (n) => base * 2 ** (n - 1);
    }
    const dead = options.deadLetter === undefined
      ? `${this.queue}:dead`
      : options.deadLetter;
    if (dead !== null && typeof dead !== "string") {
      throw typeError(CALL, "options.deadLetter", "a key or null", dead);
    }
    this.#deadLetter = dead;
  }

  /** The list that holds this consumer's first-run messages until they are done. */
  get processingList(): string {
    return this.processingListOf(this.consumer);
  }

  /** The processing list of `consumer`. */
  processingListOf(consumer: string): string {
    return `${this.queue}:processing:${consumer}`;
  }

  /** The hash that holds this consumer's retried messages (id -> envelope). */
  get retryingHash(): string {
    return `${this.queue}:retrying:${this.consumer}`;
  }

  /** The sorted set where failed messages wait for their backoff. */
  get delayedSet(): string {
    return `${this.queue}:delayed`;
  }

  /** The dead-letter list (null: failed messages are dropped). */
  get deadLetterList(): string | null {
    return this.#deadLetter;
  }

  /** Counters: what it holds, how many round trips took how many messages. */
  statistics(): RedisTaskSourceStatistics {
    let held = 0;
    let running = 0;
    for (const rec of this.#held) {
      // One being settled is as good as gone: a TAKE sent behind its
      // settlement does not count it.
      if (rec.settling !== null) continue;
      held++;
      if (rec.started) running++;
    }
    return { held, running, ...this.#stats };
  }

  /**
   * Registers this consumer, starts its heartbeat, puts back on the queue
   * what a consumer of the same name left (a previous run of this
   * process), and the messages of consumers that died.
   */
  start(): Promise<void> {
    if (this.#started) return Promise.resolve();
    return this.#starting ??= this.#start().finally(() => {
      this.#starting = null;
    });
  }

  async #start(): Promise<void> {
    await this.#beat();
    this.#stats.recovered += Number(
      await evalScript(this.#redis, RELEASE, [
        this.processingList,
        this.retryingHash,
        this.queue,
        this.delayedSet,
        this.#settledKey,
      ], []),
    ) || 0;
    await this.recover();
    this.#started = true;
    this.#scheduleBeat();
  }

  /**
   * Moves the messages of dead consumers (no heartbeat for `deadAfter`
   * seconds) back: first-run ones to the queue, oldest next in line,
   * retried ones to run at once (keeping their count of failures).
   * Returns how many.
   */
  async recover(): Promise<number> {
    const moved = Number(
      await evalScript(this.#redis, RECOVER, [
        this.#consumersKey,
        this.queue,
        this.delayedSet,
      ], [this.queue, this.consumer]),
    ) || 0;
    this.#stats.recovered += moved;
    return moved;
  }

  /**
   * The messages, as they come (each moved to the processing list first,
   * up to `concurrency` at a time: the next waits until one is settled).
   * Ends when `close()` is called; messages taken and not yielded yet go
   * back to the queue. Redis errors are retried.
   */
  async *messages(): AsyncGenerator<RedisMessage, void, undefined> {
    this.#claim("messages()");
    const buffer: Held[] = [];
    try {
      await this.#startRetrying();
      while (!this.#closed) {
        if (buffer.length === 0) {
          buffer.push(...await this.#fetchTracked());
          continue;
        }
        const rec = buffer.shift()!;
        if (rec.settling !== null) continue; // close() put it back
        rec.started = true;
        yield this.#messageOf(rec);
      }
    } finally {
      this.#consuming = null;
      await this.#requeueAll(buffer);
    }
  }

  /**
   * Runs `fn(body)` on `loop` for every message until `close()`, at most
   * `concurrency` at a time, and settles each once its task is done: done,
   * failed (retried after the backoff while attempts are left, else
   * dead-lettered), or cancelled (back on the queue). `onDone(body,
   * error, result, run)` is called after that. Returns at once; `close()`
   * waits for it to stop taking messages.
   *
   * On a `WorkerLoop`, tasks go to the Worker in batches (one message
   * starts many); on another loop, one `runCoroutineThreadsafe` each.
   */
  feed<R>(
    loop: ThreadLoop,
    fn: WorkerCallable<[string], R>,
    options: {
      onDone?: (
        body: string,
        error: unknown,
        result?: Awaited<R>,
        run?: RedisRunInfo,
      ) => void;
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
    const spec = functionSpec(fn, "feed()");
    this.#claim("feed()");
    const dispatcher = new Dispatcher<R>(
      loop,
      fn,
      spec,
      (rec, outcome, value) =>
        this.#finish(rec, outcome, value, options.onDone),
    );
    this.#feeding = (async () => {
      try {
        await this.#startRetrying();
        while (!this.#closed) {
          const batch = await this.#fetchTracked();
          if (batch.length === 0) continue;
          for (const rec of batch) rec.started = true;
          try {
            dispatcher.dispatch(batch);
          } catch (error) {
            // The loop is gone (stopped): give the messages back and stop.
            await this.#requeueAll(batch);
            this.#markClosed();
            console.warn(`RedisTaskSource: stopped feeding: ${error}`);
            return;
          }
        }
      } finally {
        this.#consuming = null;
      }
    })();
  }

  /**
   * Puts a message of this consumer's processing list back at the head of
   * the queue, in one step (a Lua script).
   */
  async requeue(body: string): Promise<void> {
    for (const rec of this.#held) {
      if (rec.body === body && rec.settling === null) {
        return await this.#settle(rec, "q");
      }
    }
    // Not one this instance took (a previous run's, say).
    await this.#retry(() =>
      evalScript(this.#redis, REQUEUE_BODY, [this.processingList, this.queue], [
        body,
      ])
    );
  }

  /**
   * Stops taking messages and the heartbeat, and puts back on the queue
   * what it took and has not started (and anything of its processing
   * list it does not know of, after a lost reply). Messages whose tasks
   * are still running stay in the processing list until they are done
   * (or, if this process dies first, until another consumer recovers
   * them once this one's heartbeat has expired).
   */
  close(): Promise<void> {
    return this.#closing ??= this.#close();
  }

  async #close(): Promise<void> {
    this.#markClosed();
    await this.#fetching;
    await this.#feeding;
    const settled = this.#requeueAll(
      [...this.#held].filter((rec) => !rec.started),
    );
    if (this.#dirty && this.#mayRetry()) {
      while (this.#mayRetry()) {
        const found = await this.#reclaim(true);
        if (found !== null) break;
      }
    }
    await settled;
    await this.#drained();
  }

  /**
   * Resolves once every message this consumer took is settled: done,
   * retried, dead or put back (a settlement Redis does not take within
   * `deadAfter` of `close()` is given up: another consumer recovers the
   * message). After `close()`, it waits for the running tasks: a clean
   * shutdown lets them finish (or stops their loop, which puts them back).
   *
   * @example
   * ```ts ignore
   * await source.close(); // takes no more
   * await source.drained(); // the running tasks are done and acknowledged
   * await loop.stop();
   * ```
   */
  async drained(): Promise<void> {
    while (this.#held.size > 0 || this.#pending.length > 0) {
      await this.#changed.wait();
    }
  }

  /** `await using source`: `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ------------------------------------------------------------ internals

  get #consumersKey(): string {
    return `${this.queue}:consumers`;
  }

  get #settledKey(): string {
    return `${this.queue}:settled:${this.consumer}`;
  }

  #aliveKey(consumer: string): string {
    return `${this.queue}:alive:${consumer}`;
  }

  #claim(what: string): void {
    if (this.#consuming !== null) {
      throw new Error(
        `${what}: ${this.#consuming} already takes this RedisTaskSource's messages`,
      );
    }
    this.#consuming = what;
  }

  #markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closedAt = performance.now();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#changed.notify();
    for (const wake of [...this.#sleepers]) wake();
  }

  /** Sleeps, but wakes at close(). */
  #sleep(s: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, s * 1000);
      this.#sleepers.add(wake);
    });
  }

  async #startRetrying(): Promise<void> {
    let backoff = 0.05;
    while (!this.#started && !this.#closed) {
      try {
        await this.start();
      } catch (error) {
        // Redis is away (or refuses us): say so once, and keep trying.
        if (backoff === 0.05) {
          console.warn(`RedisTaskSource: cannot start: ${error}; retrying`);
        }
        await this.#sleep(backoff);
        backoff = Math.min(backoff * 2, 1);
      }
    }
  }

  #fetchTracked(): Promise<Held[]> {
    const fetching = this.#fetch();
    this.#fetching = fetching;
    return fetching;
  }

  #fetchBackoff = 0.05;
  // The blocking connection's CLIENT ID ("" unknown), and until when its
  // BLMOVE blocks (performance.now() ms; 0: none in flight): a retry this
  // consumer schedules for sooner unblocks it, so that it runs on time.
  #blockingId: string | null = null;
  #blockedUntil = 0;

  async #failed(): Promise<void> {
    this.#dirty = true;
    await this.#sleep(this.#fetchBackoff);
    this.#fetchBackoff = Math.min(this.#fetchBackoff * 2, 1);
  }

  /**
   * One step of taking messages: the ones found after a lost reply, or a
   * batch from Redis, or one from a blocking BLMOVE; empty when closed or
   * when the BLMOVE timed out. Waits while this consumer holds
   * `concurrency` messages.
   */
  async #fetch(): Promise<Held[]> {
    if (this.#closed) return [];
    if (this.#dirty) {
      const found = await this.#reclaim(false);
      if (found === null || found.length > 0) return found ?? [];
    }
    const inFlight = this.#inFlight?.length ?? 0;
    // feed() takes at most half the limit per round trip, so that one
    // batch runs while the other is settled and replaced.
    const want = Math.min(
      this.#concurrency - this.#held.size + inFlight,
      this.#feeding === null
        ? this.#concurrency
        : Math.ceil(this.#concurrency / 2),
    );
    if (want <= 0) {
      await this.#changed.wait();
      return [];
    }
    const heldAtSend = this.#held.size;
    let reply: unknown;
    this.#stats.fetches++;
    try {
      reply = await evalScript(this.#redis, TAKE, [
        this.queue,
        this.processingList,
        this.retryingHash,
        this.delayedSet,
      ], [String(this.#concurrency), String(want)]);
    } catch {
      await this.#failed();
      return [];
    }
    this.#fetchBackoff = 0.05;
    const [serverHeld, wait, retried, fresh] = Array.isArray(reply)
      ? reply as [number, number, string[], string[]]
      : [0, -1, [], []];
    // Redis applied the settlements sent before this script: holding more
    // than that means messages whose names were lost on the way.
    if (Number(serverHeld) > heldAtSend - inFlight) this.#dirty = true;
    const recs: Held[] = [];
    for (const env of retried ?? []) recs.push(this.#track(parseEnvelope(env)));
    for (const body of fresh ?? []) recs.push(this.#track(freshHeld(body)));
    if (recs.length > 0) {
      this.#stats.taken += recs.length;
      return this.#unlessClosed(recs);
    }
    if (Number(serverHeld) >= this.#concurrency) {
      // Full in Redis though not here: compare holdings first.
      this.#dirty = true;
      return [];
    }
    // The queue is empty: block until a message comes (or the next
    // delayed one is due).
    let timeout = this.#blockTimeout;
    if (Number(wait) >= 0) {
      timeout = Math.max(0.01, Math.min(timeout, Number(wait) / 1000));
    }
    if (this.#blockingId === null) {
      try {
        const id = await this.#blocking.command(["CLIENT", "ID"]);
        this.#blockingId = /^\d+$/.test(String(id)) ? String(id) : "";
      } catch {
        this.#blockingId = ""; // not allowed (ACL): retries wait for timeouts
      }
    }
    let body: unknown;
    this.#stats.fetches++;
    this.#blockedUntil = performance.now() + timeout * 1000;
    try {
      body = await this.#blocking.command([
        "BLMOVE",
        this.queue,
        this.processingList,
        "RIGHT",
        "LEFT",
        timeout.toFixed(3),
      ]);
    } catch {
      this.#blockedUntil = 0;
      this.#blockingId = null; // it may have reconnected
      await this.#failed();
      return [];
    }
    this.#blockedUntil = 0;
    if (body === null || body === undefined) return [];
    this.#stats.taken++;
    return this.#unlessClosed([this.#track(freshHeld(String(body)))]);
  }

  #unlessClosed(recs: Held[]): Held[] {
    if (!this.#closed) return recs;
    void this.#requeueAll(recs);
    return [];
  }

  /**
   * Puts messages taken in this order back on the queue, the first next in
   * line (the newest go first: each goes to the head).
   */
  async #requeueAll(recs: Held[]): Promise<void> {
    const left = recs.filter((rec) => rec.settling === null).reverse();
    await Promise.all(left.map((rec) => this.#settle(rec, "q")));
  }

  #track(rec: Held): Held {
    this.#held.add(rec);
    if (rec.id === null) {
      this.#heldBodies.set(rec.body, (this.#heldBodies.get(rec.body) ?? 0) + 1);
    } else this.#heldIds.add(rec.id);
    return rec;
  }

  #untrack(rec: Held): void {
    if (!this.#held.delete(rec)) return;
    if (rec.id === null) {
      const n = this.#heldBodies.get(rec.body)! - 1;
      if (n === 0) this.#heldBodies.delete(rec.body);
      else this.#heldBodies.set(rec.body, n);
    } else this.#heldIds.delete(rec.id);
  }

  /**
   * Compares this consumer's lists in Redis with what it knows it holds:
   * the rest arrived by a command whose reply was lost. Returns them
   * (tracked), or puts them back when `closing`; null if Redis failed.
   */
  async #reclaim(closing: boolean): Promise<Held[] | null> {
    // A batch of settlements in flight may or may not be applied: wait
    // for its answer, so that both sides count the same messages.
    while (this.#inFlight !== null) await this.#changed.wait();
    this.#dirty = false;
    let reply: unknown;
    try {
      reply = await evalScript(this.#redis, HOLDINGS, [
        this.processingList,
        this.retryingHash,
      ], []);
    } catch {
      if (closing) {
        this.#dirty = true;
        await pause(this.#fetchBackoff);
      } else await this.#failed();
      return null;
    }
    const [list, envelopes] = Array.isArray(reply)
      ? reply as [string[], string[]]
      : [[], []];
    const counts = new Map<string, number>();
    for (const body of list ?? []) {
      counts.set(body, (counts.get(body) ?? 0) + 1);
    }
    const found: Held[] = [];
    for (const [body, n] of counts) {
      for (let k = this.#heldBodies.get(body) ?? 0; k < n; k++) {
        found.push(this.#track(freshHeld(body)));
      }
    }
    for (const env of envelopes ?? []) {
      const rec = parseEnvelope(env);
      if (!this.#heldIds.has(rec.id!)) found.push(this.#track(rec));
    }
    this.#stats.redelivered += found.length;
    if (closing || this.#closed) {
      await Promise.all(found.map((rec) => this.#settle(rec, "q")));
      return [];
    }
    this.#stats.taken += found.length;
    return found;
  }

  #messageOf(rec: Held): SettleableMessage {
    return {
      [kSettle]: (kind, error, extra) => this.#settle(rec, kind, error, extra),
      body: rec.body,
      id: rec.id,
      attempt: rec.failures + 1,
      ack: () => this.#settle(rec, "a"),
      fail: async (error?: unknown) => {
        const retry = this.#willRetry(rec);
        await this.#settle(rec, retry ? "r" : "d", error);
        return retry;
      },
      requeue: () => this.#settle(rec, "q"),
    };
  }

  #willRetry(rec: Held): boolean {
    return rec.failures + 1 < this.#attempts;
  }

  /** A task's outcome: settle its message, then tell onDone. */
  async #finish<R>(
    rec: Held,
    outcome: number,
    value: unknown,
    onDone: OnDone<R> | undefined,
  ): Promise<void> {
    let error: unknown = null;
    let willRetry = false;
    if (outcome === OK) await this.#settle(rec, "a");
    else if (outcome === FAILED) {
      error = value;
      willRetry = this.#willRetry(rec);
      await this.#settle(rec, willRetry ? "r" : "d", error);
    } else {
      // Not done, only stopped (the loop was stopped): run it again.
      error = outcome === CANCELLED ? "cancelled" : value;
      willRetry = true;
      await this.#settle(rec, "q");
    }
    if (onDone === undefined) return;
    try {
      const run = { id: rec.id, attempt: rec.failures + 1, willRetry };
      if (outcome === OK) onDone(rec.body, null, value as Awaited<R>, run);
      else onDone(rec.body, error, undefined, run);
    } catch (error) {
      // The message is settled; report the callback's own failure.
      console.error("RedisTaskSource: onDone threw:", error);
    }
  }

  /**
   * Settles a message (once; a second call gets the first's promise): in
   * the next batch of settlements, applied by one script.
   */
  #settle(
    rec: Held,
    kind: Kind,
    error?: unknown,
    extra?: SettleExtra,
  ): Promise<void> {
    if (rec.settling !== null) return rec.settling;
    let arg = "";
    let delayMs = 0;
    const failures = rec.failures + 1;
    if (kind === "r") {
      const id = rec.id ?? `${this.#tag}.${(this.#nextId++).toString(36)}`;
      arg = `${id}:${failures}:${rec.body}`;
      delayMs = extra?.delayMs ?? Math.round(this.#backoff(failures) * 1000);
    } else if (kind === "d" && this.#deadLetter !== null) {
      arg = JSON.stringify({
        body: rec.body,
        id: rec.id,
        attempts: failures,
        error: describeError(error),
        consumer: this.consumer,
        failedAt: new Date().toISOString(),
      });
    } else if (kind === "q" && rec.id !== null) {
      arg = `${rec.id}:${rec.failures}:${rec.body}`;
    }
    const { promise, resolve } = Promise.withResolvers<void>();
    rec.settling = promise;
    this.#pending.push({
      rec,
      kind,
      arg,
      delayMs,
      reply: extra?.reply ?? null,
      resolve,
    });
    this.#scheduleSend();
    return promise;
  }

  #scheduleSend(): void {
    if (this.#inFlight !== null || this.#sendScheduled) return;
    this.#sendScheduled = true;
    // Settlements of the same turn (a batch of outcomes) go together.
    queueMicrotask(() => {
      this.#sendScheduled = false;
      void this.#sendSettlements();
    });
  }

  async #sendSettlements(): Promise<void> {
    if (this.#inFlight !== null || this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#inFlight = batch;
    // The batch's messages count as free for a TAKE sent behind it.
    this.#changed.notify();
    const args = [this.#tag, String(++this.#batch), "", ""];
    let replies = 0;
    for (const s of batch) {
      if (s.reply === null) continue;
      args.push(s.reply[0], String(s.reply[1]), s.reply[2]);
      replies++;
    }
    args[3] = String(replies);
    let acks = 0;
    for (const s of batch) {
      if (s.kind === "a" && s.rec.id === null) {
        args.push(s.rec.body);
        acks++;
      }
    }
    args[2] = String(acks);
    for (const s of batch) {
      const upper = s.rec.id !== null;
      if (s.kind === "a" && !upper) continue;
      args.push(
        upper ? s.kind.toUpperCase() : s.kind,
        upper ? s.rec.id! : s.rec.body,
        s.arg,
        String(s.delayMs),
      );
    }
    const keys = [
      this.processingList,
      this.retryingHash,
      this.queue,
      this.delayedSet,
      this.#deadLetter ?? `${this.queue}:dead`,
      this.#settledKey,
    ];
    // A settlement must not be lost: retry while Redis is away (the batch
    // number makes a batch whose reply was lost count once).
    await this.#retry(() => evalScript(this.#redis, SETTLE, keys, args));
    let soonest = Infinity;
    for (const s of batch) {
      this.#untrack(s.rec);
      if (s.kind === "a") this.#stats.acked++;
      else if (s.kind === "r") {
        this.#stats.retried++;
        soonest = Math.min(soonest, s.delayMs);
      } else if (s.kind === "d") this.#stats.dead++;
      else this.#stats.requeued++;
      s.resolve();
    }
    this.#inFlight = null;
    this.#changed.notify();
    if (this.#pending.length > 0) this.#scheduleSend();
    if (
      this.#blockedUntil > performance.now() + soonest && this.#blockingId
    ) {
      // Its BLMOVE returns nil at once; the next TAKE sees the retry.
      this.#redis.command(["CLIENT", "UNBLOCK", this.#blockingId])
        .catch(() => {});
    }
  }

  async #retry(send: () => Promise<unknown>): Promise<void> {
    for (
      let backoff = 0.05;
      this.#mayRetry();
      backoff = Math.min(backoff * 2, 1)
    ) {
      try {
        await send();
        return;
      } catch {
        this.#dirty = true;
        await pause(backoff);
      }
    }
  }

  /** Until every settlement asked for so far has been sent and answered. */
  async #drained(): Promise<void> {
    while (this.#inFlight !== null || this.#pending.length > 0) {
      if (this.#inFlight === null) this.#scheduleSend();
      await this.#changed.wait();
    }
  }

  // After close(), a message not settled in time is recovered by another
  // consumer once this one's heartbeat has expired.
  #mayRetry(): boolean {
    return this.#closedAt === 0 ||
      performance.now() - this.#closedAt < this.#deadAfter * 1000;
  }

  async #beat(): Promise<void> {
    try {
      await Promise.all([
        this.#redis.command([
          "SET",
          this.#aliveKey(this.consumer),
          "1",
          "PX",
          String(Math.round(this.#deadAfter * 1000)),
        ]),
        this.#redis.command(["SADD", this.#consumersKey, this.consumer]),
      ]);
    } catch (error) {
      this.#dirty = true;
      throw error;
    }
  }

  #scheduleBeat(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(async () => {
      try {
        await this.#beat();
        await this.recover();
      } catch {
        // Redis is away: the next beat tries again.
        this.#dirty = true;
      }
      this.#scheduleBeat();
    }, this.#heartbeat * 1000);
  }
}

function freshHeld(body: string): Held {
  return { body, id: null, failures: 0, started: false, settling: null };
}

function parseEnvelope(env: string): Held {
  const i = env.indexOf(":");
  const j = env.indexOf(":", i + 1);
  return {
    body: env.slice(j + 1),
    id: env.slice(0, i),
    failures: Number(env.slice(i + 1, j)),
    started: false,
    settling: null,
  };
}

/**
 * Hands messages to a loop and reports each outcome: in batches to a
 * WorkerLoop (see redisLaneRun), one `runCoroutineThreadsafe` each to any
 * other loop (and to a WorkerLoop for a single message, which is as fast).
 */
class Dispatcher<R> {
  readonly #lane = randomTag(12);
  readonly #pending = new Map<number, Held>();
  #nextKey = 0;
  #waiting = false;

  constructor(
    readonly loop: ThreadLoop,
    readonly fn: WorkerCallable<[string], R>,
    readonly spec: FunctionSpec,
    readonly report: (rec: Held, outcome: number, value: unknown) => void,
  ) {}

  /** Starts a task for each; throws if the loop is gone. */
  dispatch(recs: Held[]): void {
    if (recs.length === 1 || !(this.loop instanceof WorkerLoop)) {
      for (const rec of recs) this.#one(rec);
      return;
    }
    const items: unknown[] = [];
    const keys: number[] = [];
    for (const rec of recs) {
      const key = this.#nextKey++;
      keys.push(key);
      items.push(key, rec.body);
    }
    const call = this.loop.runCoroutineThreadsafe(
      laneRun,
      this.#lane,
      this.spec,
      items,
    );
    keys.forEach((key, i) => this.#pending.set(key, recs[i]));
    call.addDoneCallback((f) => {
      // Cancelled or failed: the tasks did not start (the loop stopped
      // or crashed).
      if (f.cancelled()) this.#lose(keys, CANCELLED, null);
      else if (f.exception() !== null) this.#lose(keys, LOST, f.exception());
    });
    this.#poll();
  }

  #one(rec: Held): void {
    const fut = this.loop.runCoroutineThreadsafe(this.fn, rec.body);
    fut.addDoneCallback((f: ConcurrentFuture<Awaited<R>>) => {
      if (f.cancelled()) this.report(rec, CANCELLED, null);
      else if (f.exception() !== null) {
        this.report(rec, FAILED, f.exception());
      } else this.report(rec, OK, f.result());
    });
  }

  #lose(keys: number[], outcome: number, error: unknown): void {
    for (const key of keys) {
      const rec = this.#pending.get(key);
      if (rec === undefined) continue;
      this.#pending.delete(key);
      this.report(rec, outcome, error);
    }
  }

  #poll(): void {
    if (this.#waiting || this.#pending.size === 0) return;
    this.#waiting = true;
    let call: ConcurrentFuture<unknown[]>;
    try {
      call = this.loop.runCoroutineThreadsafe(laneWait, this.#lane);
    } catch (error) {
      this.#waiting = false;
      this.#lose([...this.#pending.keys()], LOST, error);
      return;
    }
    call.addDoneCallback((f) => {
      this.#waiting = false;
      if (f.cancelled()) {
        this.#lose([...this.#pending.keys()], CANCELLED, null);
        return;
      }
      if (f.exception() !== null) {
        this.#lose([...this.#pending.keys()], LOST, f.exception());
        return;
      }
      const done = f.result();
      for (let i = 0; i < done.length; i += 3) {
        const key = done[i] as number;
        const rec = this.#pending.get(key);
        if (rec === undefined) continue;
        this.#pending.delete(key);
        const outcome = done[i + 1] as number;
        this.report(
          rec,
          outcome,
          outcome === FAILED
            ? deserializeError(done[i + 2] as SerializedError)
            : done[i + 2],
        );
      }
      this.#poll();
    });
  }
}
