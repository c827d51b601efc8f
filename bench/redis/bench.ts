/**
 * `RedisTaskSource` benchmarks, side by side with BullMQ (`npm:bullmq`, its
 * usual client ioredis), against one `redis-server` of its own (free
 * loopback port, no persistence). Our consumers use node-redis
 * (`npm:redis@5.10.0`) connections.
 *
 * ```sh
 * deno run -A bench/redis/bench.ts                  # 5 rounds, table
 * deno run -A bench/redis/bench.ts --rounds 1 --messages 5000 --pushes 200
 * deno run -A bench/redis/bench.ts --only ours --json
 * ```
 *
 * Every round runs each measure once, ours and BullMQ's alternating, so
 * that the machine's drift hits both alike; the table gives the median
 * and range over the rounds.
 *
 * - `throughput_1` / `throughput_2` (ours) and `bullmq_1` / `bullmq_2`:
 *   `--messages` (20,000) empty tasks are queued first; then 1 or 2
 *   consumer processes, started, connected and warmed up beforehand (each
 *   runs 10,000 tasks of its own first, BullMQ's 2,000), are told to go.
 *   Ours: a `WorkerLoop`, a `RedisTaskSource` with `concurrency` 100 and
 *   `feed(loop, noop)`; BullMQ: a `Worker` with `concurrency` 100 and an
 *   empty processor (jobs added with `addBulk`, `removeOnComplete`). Each
 *   consumer reports its count of finished tasks (ours: `onDone`, after
 *   the acknowledgement; BullMQ: the `completed` event) and the time of the
 *   last; the clock stops at the last task of all. Messages per second.
 * - `latency` (ours, `concurrency` 1) and `bullmq_latency` (BullMQ,
 *   concurrency 1), consumer and producer in this process: `--pushes`
 *   (1,000) pushes `--gap-ms` (3) apart (`LPUSH`, `queue.add`); the time
 *   just before each push and the time the task starts (`performance
 *   .timeOrigin + performance.now()`; for ours, in the Worker, corrected
 *   by the difference of the two threads' bases measured beforehand) give
 *   the latency from push to task start: median and p99.
 * - `raw_blmove`: one `BLMOVE` round trip per message and nothing else
 *   (what the source did per message before batching).
 *
 * @module
 */
import process from "node:process";
import { WorkerLoop } from "../../mod.ts";
import { type RedisConnection, RedisTaskSource } from "../../redis.ts";
import {
  type Client,
  connect,
  startRedisServer,
} from "../../examples/_redis.ts";
// deno-lint-ignore no-import-prefix
import { Queue, Worker as BullWorker } from "npm:bullmq@6.7.0";
// deno-lint-ignore no-import-prefix
import { Redis } from "npm:ioredis@5.8.2";

const args = Deno.args;
function option(name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}
function stringOption(name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
}

const CONCURRENCY = 100;
const noop = (_body: string): void => {};
const startedAt = (_body: string): number =>
  performance.timeOrigin + performance.now();
const now = () => performance.timeOrigin + performance.now();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ioredis(url: string): Redis {
  const { hostname, port } = new URL(url);
  return new Redis({
    host: hostname,
    port: Number(port),
    maxRetriesPerRequest: null,
  });
}

// ------------------------------------------------------ consumer processes

/**
 * Reports "done COUNT TIME" on stdout a few milliseconds after tasks
 * finish (not once per task: printing would cost more than the task).
 */
function reporter(): () => void {
  let count = 0;
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    count++;
    last = now();
    timer ??= setTimeout(() => {
      timer = undefined;
      console.log(`done ${count} ${last}`);
    }, 5);
  };
}

/**
 * Reads stdin until a line ("go"), then returns a function that reads
 * until EOF and prints "cpu US": the process's CPU time (all threads)
 * since "go".
 */
async function goThenEof(): Promise<() => Promise<void>> {
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream())
    .getReader();
  await lines.read();
  const cpu = process.cpuUsage();
  return async () => {
    while (!(await lines.read()).done) { /* until EOF */ }
    const { user, system } = process.cpuUsage(cpu);
    console.log(`cpu ${user + system}`);
  };
}

/**
 * `--consume ours|bullmq URL QUEUE`: one consumer process. It first runs
 * warm-up tasks of its own (10,000 for ours, 2,000 for BullMQ) through the
 * same code, so that the timed run measures compiled code, not the JIT.
 */
async function consumeMain(kind: string, url: string, queue: string) {
  const done = reporter();
  const warmup = `${queue}_warmup_${Deno.pid}`;
  if (kind === "ours") {
    const loop = await WorkerLoop.start();
    const redis = await connect(url);
    const blockingRedis = await connect(url);
    {
      const warm = 10_000;
      await pushOurs(redis, warmup, warm);
      const source = new RedisTaskSource({
        redis,
        blockingRedis,
        queue: warmup,
        concurrency: CONCURRENCY,
      });
      let count = 0;
      const all = Promise.withResolvers<void>();
      source.feed(loop, noop, {
        onDone: () => ++count === warm && all.resolve(),
      });
      await all.promise;
      await source.close();
      await source.drained();
    }
    const source = new RedisTaskSource({
      redis,
      blockingRedis,
      queue,
      concurrency: CONCURRENCY,
    });
    await source.start();
    console.log("ready");
    const eof = await goThenEof();
    source.feed(loop, noop, { onDone: done });
    await eof();
    await source.close();
    await loop.stop();
    await source.drained();
    await redis.close();
    await blockingRedis.close();
  } else {
    const connection = ioredis(url);
    {
      const warm = 2_000;
      await pushBullmq(url, warmup, warm);
      let count = 0;
      const all = Promise.withResolvers<void>();
      const worker = new BullWorker(warmup, async () => {}, {
        connection,
        concurrency: CONCURRENCY,
      });
      worker.on("completed", () => ++count === warm && all.resolve());
      await all.promise;
      await worker.close();
    }
    const worker = new BullWorker(queue, async () => {}, {
      connection,
      concurrency: CONCURRENCY,
      autorun: false,
    });
    worker.on("completed", done);
    await worker.waitUntilReady();
    console.log("ready");
    const eof = await goThenEof();
    const running = worker.run();
    await eof();
    await worker.close();
    await running;
    connection.disconnect();
  }
}

// ----------------------------------------------------------- coordinator

async function pushOurs(redis: RedisConnection, queue: string, n: number) {
  await redis.command(["DEL", queue]);
  for (let i = 0; i < n; i += 1000) {
    const items = Array.from(
      { length: Math.min(1000, n - i) },
      (_, k) => `m${i + k}`,
    );
    await redis.command(["LPUSH", queue, ...items]);
  }
}

async function pushBullmq(url: string, queue: string, n: number) {
  const connection = ioredis(url);
  const q = new Queue(queue, { connection });
  for (let i = 0; i < n; i += 1000) {
    await q.addBulk(
      Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({
        name: "noop",
        data: `m${i + k}`,
        opts: { removeOnComplete: true, removeOnFail: true },
      })),
    );
  }
  await q.close();
  connection.disconnect();
}

async function throughput(
  kind: "ours" | "bullmq",
  url: string,
  redis: Client,
  consumers: number,
  n: number,
  round: number,
): Promise<{ rate: number; cpuUs: number; redisUs: number }> {
  const queue = `${kind}${consumers}_${round}`;
  const children = Array.from(
    { length: consumers },
    () =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL(import.meta.url).pathname,
          "--consume",
          kind,
          url,
          queue,
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
      }).spawn(),
  );
  const latest = children.map(() => ({ count: 0, at: 0 }));
  const cpu = children.map(() => 0);
  const readers = children.map((child, i) =>
    (async () => {
      let partial = "";
      let ready!: () => void;
      const isReady = new Promise<void>((r) => ready = r);
      const reading = (async () => {
        for await (
          const s of child.stdout.pipeThrough(new TextDecoderStream())
        ) {
          const parts = (partial + s).split("\n");
          partial = parts.pop()!;
          for (const line of parts) {
            if (line === "ready") ready();
            const m = /^done (\d+) ([\d.]+)$/.exec(line);
            if (m) latest[i] = { count: Number(m[1]), at: Number(m[2]) };
            const c = /^cpu (\d+)$/.exec(line);
            if (c) cpu[i] = Number(c[1]);
          }
        }
      })();
      await isReady;
      // Wrapped: an async function returning a promise would wait for it.
      return { reading };
    })()
  );
  // Each started and connected ("ready").
  const reading = (await Promise.all(readers)).map((r) => r.reading);
  if (kind === "ours") await pushOurs(redis, queue, n);
  else await pushBullmq(url, queue, n);
  const writers = children.map((c) => c.stdin.getWriter());
  const redisCpu0 = await redisCpu(redis);
  const t0 = now();
  await Promise.all(
    writers.map((w) => w.write(new TextEncoder().encode("go\n"))),
  );
  while (latest.reduce((sum, l) => sum + l.count, 0) < n) await pause(5);
  const t1 = Math.max(...latest.map((l) => l.at));
  const redisCpu1 = await redisCpu(redis);
  await Promise.all(writers.map((w) => w.close()));
  for (const child of children) await child.status;
  await Promise.all(reading);
  await redis.command(["DEL", `${queue}:consumers`]);
  return {
    rate: n / ((t1 - t0) / 1000),
    cpuUs: cpu.reduce((a, b) => a + b, 0) / n,
    redisUs: (redisCpu1 - redisCpu0) / n,
  };
}

/** redis-server's CPU time so far (user + system), microseconds. */
async function redisCpu(redis: Client): Promise<number> {
  const info = String(await redis.command(["INFO", "cpu"]));
  const get = (name: string) =>
    Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return (get("used_cpu_user") + get("used_cpu_sys")) * 1e6;
}

interface Latency {
  median: number;
  p99: number;
  max: number;
}

function percentiles(pairs: [number, number][]): Latency {
  const lat = pairs.map(([pushed, started]) => started - pushed)
    .sort((a, b) => a - b);
  const at = (q: number) =>
    lat[Math.min(lat.length - 1, Math.floor(q * lat.length))];
  return { median: at(0.5), p99: at(0.99), max: lat[lat.length - 1] };
}

async function latencyOurs(
  url: string,
  redis: Client,
  pushes: number,
  gapMs: number,
): Promise<Latency> {
  const queue = "lat";
  await redis.command(["DEL", queue]);
  const loop = await WorkerLoop.start();
  // The Worker's timeOrigin is taken when it starts: if the wall clock was
  // stepped since this process started, the two bases differ. Measure the
  // difference (the round trip with the least delay tells it best).
  let offset = 0;
  let best = Infinity;
  for (let i = 0; i < 50; i++) {
    const before = now();
    const there = await loop.runCoroutineThreadsafe(startedAt, "clock");
    const after = now();
    if (after - before < best) {
      best = after - before;
      offset = there - (before + after) / 2;
    }
  }
  const commands = await connect(url);
  const blockingRedis = await connect(url);
  const source = new RedisTaskSource({
    redis: commands,
    blockingRedis,
    queue,
    concurrency: 1,
  });
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
  await pause(50);
  const pushedAt = new Map<string, number>();
  for (let i = 0; i < pushes; i++) {
    const body = `p${i}`;
    pushedAt.set(body, now());
    await redis.command(["LPUSH", queue, body]);
    await pause(gapMs);
  }
  await done;
  await source.close();
  await loop.stop();
  await commands.close();
  await blockingRedis.close();
  return percentiles(
    [...pushedAt].map(([b, t]) => [t, started.get(b)! - offset]),
  );
}

async function latencyBullmq(
  url: string,
  pushes: number,
  gapMs: number,
  round: number,
): Promise<Latency> {
  const name = `bullmq_lat_${round}`;
  const producer = ioredis(url);
  const consumer = ioredis(url);
  const queue = new Queue(name, { connection: producer });
  const started = new Map<string, number>();
  let all!: () => void;
  const done = new Promise<void>((r) => all = r);
  const worker = new BullWorker(name, (job) => {
    started.set(job.data as string, now());
    if (started.size === pushes) all();
    return Promise.resolve();
  }, { connection: consumer, concurrency: 1 });
  await worker.waitUntilReady();
  await pause(50);
  const pushedAt = new Map<string, number>();
  for (let i = 0; i < pushes; i++) {
    const body = `p${i}`;
    pushedAt.set(body, now());
    await queue.add("noop", body, {
      removeOnComplete: true,
      removeOnFail: true,
    });
    await pause(gapMs);
  }
  await done;
  await worker.close();
  await queue.close();
  producer.disconnect();
  consumer.disconnect();
  return percentiles([...pushedAt].map(([b, t]) => [t, started.get(b)!]));
}

/** One BLMOVE round trip per message, nothing else. */
async function rawBlmove(url: string, redis: Client, n: number) {
  const queue = "raw";
  await pushOurs(redis, queue, n);
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

// -------------------------------------------------------------- main

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return {
    median: s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2,
    min: s[0],
    max: s[s.length - 1],
  };
}

async function cpuModel(): Promise<string> {
  try {
    const text = await Deno.readTextFile("/proc/cpuinfo");
    return /model name\s*:\s*(.*)/.exec(text)?.[1] ?? "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}

async function main(): Promise<void> {
  const rounds = option("rounds", 5);
  const n = option("messages", 20_000);
  const pushes = option("pushes", 1000);
  const gap = option("gap-ms", 3);
  const only = stringOption("only", "ours,bullmq").split(",");
  const json = args.includes("--json");
  const server = await startRedisServer();
  const redis = await connect(server.url);
  const results: Record<string, number[]> = {};
  const add = (name: string, v: number) => (results[name] ??= []).push(v);
  const ours = only.includes("ours");
  const bull = only.includes("bullmq");
  try {
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first, so that drift hits both alike.
      const order = round % 2 === 0 ? ["ours", "bullmq"] : ["bullmq", "ours"];
      for (const consumers of [1, 2]) {
        for (const kind of order) {
          if (kind === "ours" ? !ours : !bull) continue;
          const name = kind === "ours" ? "throughput" : "bullmq";
          const r = await throughput(
            kind as "ours" | "bullmq",
            server.url,
            redis,
            consumers,
            n,
            round,
          );
          add(`${name}_${consumers}`, r.rate);
          add(`${name}_${consumers}_consumer_cpu_us`, r.cpuUs);
          add(`${name}_${consumers}_redis_cpu_us`, r.redisUs);
        }
      }
      for (const kind of order) {
        if (kind === "ours" && ours) {
          const lat = await latencyOurs(server.url, redis, pushes, gap);
          add("latency_median_ms", lat.median);
          add("latency_p99_ms", lat.p99);
          add("latency_max_ms", lat.max);
        } else if (kind === "bullmq" && bull) {
          const lat = await latencyBullmq(server.url, pushes, gap, round);
          add("bullmq_latency_median_ms", lat.median);
          add("bullmq_latency_p99_ms", lat.p99);
          add("bullmq_latency_max_ms", lat.max);
        }
      }
      if (ours) add("raw_blmove", await rawBlmove(server.url, redis, n / 4));
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
  const redisVersion = new TextDecoder().decode(
    (await new Deno.Command("redis-server", { args: ["--version"] }).output())
      .stdout,
  ).match(/v=(\S+)/)?.[1];
  console.log(
    `Redis task source vs BullMQ 6.7.0: ${n} messages (throughput, concurrency ${CONCURRENCY}), ${pushes} pushes ${gap} ms apart (latency, concurrency 1), ${rounds} round(s); median [min-max]; ${await cpuModel()}, ${navigator.hardwareConcurrency} CPUs, Deno ${Deno.version.deno}, redis-server ${redisVersion}, ${process.platform}`,
  );
  for (const [name, xs] of Object.entries(results)) {
    const { median, min, max } = stats(xs);
    const ms = name.includes("latency");
    const us = name.endsWith("_us");
    const f = (x: number) =>
      ms || us ? x.toFixed(2) : Math.round(x).toLocaleString("en");
    const unit = ms ? " ms" : us ? " us/msg" : " msg/s";
    console.log(
      `  ${name.padEnd(26)} ${f(median).padStart(9)}${unit}  [${f(min)}-${
        f(max)
      }]`,
    );
  }
}

const consume = args.indexOf("--consume");
if (consume >= 0) {
  await consumeMain(args[consume + 1], args[consume + 2], args[consume + 3]);
} else await main();
