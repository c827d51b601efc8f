/**
 * `RedisTaskSource` benchmarks, against a `redis-server` of its own (on a
 * free loopback port, no persistence), with node-redis
 * (`npm:redis@5.10.0`) connections.
 *
 * ```sh
 * deno run -A bench/redis_bench.ts                  # all, 3 rounds
 * deno run -A bench/redis_bench.ts --rounds 1 --messages 5000 --pushes 200
 * deno run -A bench/redis_bench.ts --json
 * ```
 *
 * - `throughput`: `--messages` (20,000) messages are pushed first; then 1
 *   or 2 consumer processes (each: a `WorkerLoop`, a `RedisTaskSource`
 *   and `feed(loop, noop)`, started and connected beforehand) are told to
 *   go, and the clock stops when the queue and every processing list are
 *   empty (all acknowledged; polled every millisecond). Messages/second.
 * - `latency`: one consumer in this process; `--pushes` (1,000) LPUSHes
 *   3 ms apart. The time of each LPUSH (just before it is sent) and the
 *   time the task starts in the Worker (`performance.timeOrigin +
 *   performance.now()`, the same wall-clock base in both threads) give the
 *   latency from push to task start: median and p99.
 * - Breakdown (same process, no Worker): `raw_blmove` (one BLMOVE round
 *   trip per message, nothing else: the floor of the source's loop),
 *   `messages_ack` (`source.messages()` + `await ack()` one by one),
 *   `feed_inproc` (the full `feed` in this process), `batch_lua` (a Lua
 *   script moving up to 100 messages per round trip, acknowledged with one
 *   pipelined LREM batch: what batching would give).
 *
 * @module
 */
import { WorkerLoop } from "../mod.ts";
import { type RedisConnection, RedisTaskSource } from "../redis.ts";
import { type Client, connect, startRedisServer } from "../examples/_redis.ts";

const args = Deno.args;
function option(name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

const noop = (_body: string): void => {};
const startedAt = (_body: string): number =>
  performance.timeOrigin + performance.now();
const now = () => performance.timeOrigin + performance.now();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A source on `queue` over two fresh connections. `close()` closes it,
 * stops `loop` (if given) and closes the connections, in that order.
 */
async function openSource(url: string, queue: string, loop?: WorkerLoop) {
  const redis = await connect(url);
  const blockingRedis = await connect(url);
  const source = new RedisTaskSource({ redis, blockingRedis, queue });
  const close = async () => {
    await source.close();
    await loop?.stop();
    await redis.close();
    await blockingRedis.close();
  };
  return { source, close };
}

// ------------------------------------------------------ consumer process

/**
 * `--consume URL QUEUE`: one consumer; prints "ready" once connected,
 * starts on a line on stdin, stops at EOF.
 */
async function consumeMain(url: string, queue: string): Promise<void> {
  const loop = await WorkerLoop.start();
  const { source, close } = await openSource(url, queue, loop);
  console.log("ready");
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream())
    .getReader();
  await lines.read();
  await source.start();
  source.feed(loop, noop);
  while (!(await lines.read()).done) { /* until EOF */ }
  await close();
}

// ----------------------------------------------------------- coordinator

async function push(redis: RedisConnection, queue: string, n: number) {
  await redis.command(["DEL", queue]);
  const batch = 1000;
  for (let i = 0; i < n; i += batch) {
    const items = Array.from(
      { length: Math.min(batch, n - i) },
      (_, k) => `m${i + k}`,
    );
    await redis.command(["LPUSH", queue, ...items]);
  }
}

/** Messages left: in the queue and in every processing list. */
const LEFT =
  "local n = redis.call('LLEN', KEYS[1]) for _, k in ipairs(redis.call('KEYS', ARGV[1])) do n = n + redis.call('LLEN', k) end return n";

async function waitEmpty(redis: RedisConnection, queue: string) {
  for (;;) {
    const left = Number(
      await redis.command(["EVAL", LEFT, "1", queue, `${queue}:processing:*`]),
    );
    if (left === 0) return now();
    await pause(1);
  }
}

async function throughput(
  url: string,
  redis: Client,
  consumers: number,
  n: number,
  round: number,
): Promise<number> {
  const queue = `tp${consumers}_${round}`;
  const children = Array.from(
    { length: consumers },
    () =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL(import.meta.url).pathname,
          "--consume",
          url,
          queue,
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
      }).spawn(),
  );
  // Wait for "ready" from each (Worker started, connected).
  for (const child of children) {
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    const { value } = await reader.read();
    if (!value?.startsWith("ready")) throw new Error(`consumer: ${value}`);
    reader.releaseLock();
  }
  await push(redis, queue, n);
  const writers = children.map((c) => c.stdin.getWriter());
  const t0 = now();
  await Promise.all(
    writers.map((w) => w.write(new TextEncoder().encode("go\n"))),
  );
  const t1 = await waitEmpty(redis, queue);
  await Promise.all(writers.map((w) => w.close()));
  for (const child of children) {
    await child.status;
    await child.stdout.cancel().catch(() => {});
  }
  await redis.command(["DEL", `${queue}:consumers`]);
  return n / ((t1 - t0) / 1000);
}

async function latency(
  url: string,
  redis: Client,
  pushes: number,
  gapMs: number,
): Promise<{ median: number; p99: number; max: number }> {
  const queue = "lat";
  await redis.command(["DEL", queue]);
  const loop = await WorkerLoop.start();
  const { source, close } = await openSource(url, queue, loop);
  await source.start();
  const started = new Map<string, number>();
  let all!: () => void;
  const done = new Promise<void>((r) => all = r);
  source.feed(loop, startedAt, {
    onDone: (body, _error, result) => {
      started.set(body, result!);
      if (started.size === pushes) all();
    },
  });
  const pushedAt = new Map<string, number>();
  for (let i = 0; i < pushes; i++) {
    const body = `p${i}`;
    pushedAt.set(body, now());
    await redis.command(["LPUSH", queue, body]);
    await pause(gapMs);
  }
  await done;
  await close();
  const lat = [...pushedAt].map(([body, t]) => started.get(body)! - t)
    .sort((a, b) => a - b);
  const at = (q: number) =>
    lat[Math.min(lat.length - 1, Math.floor(q * lat.length))];
  return { median: at(0.5), p99: at(0.99), max: lat[lat.length - 1] };
}

/** One BLMOVE round trip per message, nothing else. */
async function rawBlmove(url: string, redis: Client, n: number) {
  const queue = "raw";
  await push(redis, queue, n);
  const blocking = await connect(url);
  const t0 = now();
  for (let i = 0; i < n; i++) {
    await blocking.command(["BLMOVE", queue, "raw:p", "RIGHT", "LEFT", "1"]);
  }
  const t = now() - t0;
  await blocking.close();
  await redis.command(["DEL", "raw:p"]);
  return n / (t / 1000);
}

/** `source.messages()` and `await ack()`, one message at a time. */
async function messagesAck(url: string, redis: Client, n: number) {
  const queue = "ma";
  await push(redis, queue, n);
  const { source, close } = await openSource(url, queue);
  await source.start();
  const t0 = now();
  let count = 0;
  for await (const m of source.messages()) {
    await m.ack();
    if (++count === n) break;
  }
  const t = now() - t0;
  await close();
  return n / (t / 1000);
}

/** The full feed() to a WorkerLoop, in this process. */
async function feedInproc(url: string, redis: Client, n: number) {
  const queue = "fi";
  await push(redis, queue, n);
  const loop = await WorkerLoop.start();
  const { source, close } = await openSource(url, queue, loop);
  await source.start();
  let count = 0;
  let all!: () => void;
  const done = new Promise<void>((r) => all = r);
  const t0 = now();
  source.feed(loop, noop, { onDone: () => ++count === n && all() });
  await done;
  const t = now() - t0;
  await close();
  return n / (t / 1000);
}

/**
 * What batching would give: a Lua script moves up to 100 messages to the
 * processing list per round trip (still atomic per message), and their
 * acknowledgements go as one pipelined batch of LREMs.
 */
const MOVE_BATCH =
  "local out = {} for i = 1, tonumber(ARGV[1]) do local m = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT') if not m then break end out[i] = m end return out";

async function batchLua(url: string, redis: Client, n: number) {
  const queue = "bl";
  await push(redis, queue, n);
  const r2 = await connect(url);
  const t0 = now();
  let count = 0;
  while (count < n) {
    const got = await r2.command(
      ["EVAL", MOVE_BATCH, "2", queue, "bl:p", "100"],
    ) as string[];
    count += got.length;
    await Promise.all(got.map((m) => r2.command(["LREM", "bl:p", "1", m])));
  }
  const t = now() - t0;
  await r2.close();
  return n / (t / 1000);
}

// -------------------------------------------------------------- main

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return {
    median: s[Math.floor(s.length / 2)],
    min: s[0],
    max: s[s.length - 1],
  };
}

async function main(): Promise<void> {
  const rounds = option("rounds", 3);
  const n = option("messages", 20_000);
  const pushes = option("pushes", 1000);
  const gap = option("gap-ms", 3);
  const json = args.includes("--json");
  const server = await startRedisServer();
  const redis = await connect(server.url);
  const results: Record<string, number[]> = {};
  const add = (name: string, v: number) => (results[name] ??= []).push(v);
  try {
    for (let round = 0; round < rounds; round++) {
      add("throughput_1", await throughput(server.url, redis, 1, n, round));
      add("throughput_2", await throughput(server.url, redis, 2, n, round));
      add("raw_blmove", await rawBlmove(server.url, redis, n));
      add("messages_ack", await messagesAck(server.url, redis, n));
      add("feed_inproc", await feedInproc(server.url, redis, n));
      add("batch_lua", await batchLua(server.url, redis, n));
      const lat = await latency(server.url, redis, pushes, gap);
      add("latency_median_ms", lat.median);
      add("latency_p99_ms", lat.p99);
      add("latency_max_ms", lat.max);
      if (!json) console.error(`round ${round + 1}/${rounds} done`);
    }
  } finally {
    await redis.close();
    await server.stop();
  }
  if (json) {
    console.log(JSON.stringify(results));
    return;
  }
  console.log(
    `Redis task source: ${n} messages (throughput), ${pushes} pushes ${gap} ms apart (latency), ${rounds} round(s); median [min-max]`,
  );
  for (const [name, xs] of Object.entries(results)) {
    const { median, min, max } = stats(xs);
    const f = (x: number) =>
      name.startsWith("latency")
        ? x.toFixed(2)
        : Math.round(x).toLocaleString("en");
    const unit = name.startsWith("latency") ? "" : " msg/s";
    console.log(
      `  ${name.padEnd(18)} ${f(median).padStart(9)}${unit}  [${f(min)}-${
        f(max)
      }]`,
    );
  }
}

const consume = args.indexOf("--consume");
if (consume >= 0) await consumeMain(args[consume + 1], args[consume + 2]);
else await main();
