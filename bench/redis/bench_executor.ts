/**
 * The Redis executor against BullMQ 6.7.0 (`Queue.add` +
 * `job.waitUntilFinished`) on one `redis-server` of its own (loopback,
 * no persistence). arq (Python) is not here: it could not be installed on
 * the machine these figures come from (no package index reachable). Tiny jobs (return the argument);
 * a producer in this process and 2 consumer processes.
 *
 * ```sh
 * deno run -A bench/redis/bench_executor.ts --rounds 3
 * ```
 *
 * - `*_throughput`: `--jobs` (3,000) jobs submitted with 100 in flight
 *   (a new one as each result comes back); results per second.
 * - `*_p50_ms` / `*_p99_ms`: `--latency-jobs` (300) jobs one at a time,
 *   submit to result.
 *
 * Rounds alternate the order of the systems; the table gives the median
 * and range over rounds.
 *
 * @module
 */
import { run, workerModule } from "../../mod.ts";
import { RedisExecutor } from "../../redis.ts";
import { startRedisServer } from "../../examples/_redis.ts";
import type * as Jobs from "./_executor_jobs.ts";
// deno-lint-ignore no-import-prefix
import { Queue, QueueEvents, Worker as BullWorker } from "npm:bullmq@6.7.0";
// deno-lint-ignore no-import-prefix
import { Redis } from "npm:ioredis@5.8.2";

const args = Deno.args;
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const jobs = workerModule<typeof Jobs>(
  new URL("./_executor_jobs.ts", import.meta.url),
);
const IN_FLIGHT = 100;

// ------------------------------------------------------ consumer processes

if (args[0] === "--consume-bullmq") {
  const [, url, queue] = args;
  const { port } = new URL(url);
  const worker = new BullWorker(queue, (job) => Promise.resolve(job.data.x), {
    connection: new Redis(Number(port), { maxRetriesPerRequest: null }),
    concurrency: IN_FLIGHT,
    removeOnComplete: { count: 1000 },
  });
  await worker.waitUntilReady();
  console.log("ready");
  for await (const _ of Deno.stdin.readable) { /* until stdin closes */ }
  await worker.close();
  Deno.exit(0);
}

function spawn(cmd: string, cmdArgs: string[]): Deno.ChildProcess {
  return new Deno.Command(cmd, {
    args: cmdArgs,
    cwd: new URL("../../", import.meta.url).pathname,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

async function waitFor(child: Deno.ChildProcess, word: string): Promise<void> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let seen = "";
  while (!seen.includes(word)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`consumer exited before "${word}"`);
    seen += value;
  }
  // Drain the rest in the background.
  (async () => {
    while (!(await reader.read()).done) { /* drop */ }
  })();
}

async function stop(children: Deno.ChildProcess[]): Promise<void> {
  for (const c of children) {
    await c.stdin.close().catch(() => {});
    try {
      c.kill("SIGTERM");
    } catch { /* gone */ }
    await c.status;
  }
}

interface Figures {
  throughput: number;
  p50: number;
  p99: number;
}

/** 100 in flight, then one at a time: the two measures of one system. */
async function measure(
  submit: (i: number) => PromiseLike<unknown>,
  n: number,
  latencyN: number,
): Promise<Figures> {
  for (let i = 0; i < 200; i++) await submit(i); // warm-up
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < n) await submit(next++);
  }));
  const throughput = n / ((performance.now() - t0) / 1000);
  const times: number[] = [];
  for (let i = 0; i < latencyN; i++) {
    const t = performance.now();
    await submit(i);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return {
    throughput,
    p50: times[Math.floor(times.length * 0.5)],
    p99: times[Math.floor(times.length * 0.99)],
  };
}

async function ours(url: string, n: number, latencyN: number) {
  const queue = `rex-${crypto.randomUUID()}`;
  const consumers = ["A", "B"].map((name) =>
    spawn(Deno.execPath(), [
      "run",
      "-A",
      "serve_executor.ts",
      ...["--url", url, "--queue", queue, "--name", name],
      ...["--concurrency", String(IN_FLIGHT)],
    ])
  );
  await Promise.all(consumers.map((c) => waitFor(c, "serving")));
  try {
    let figures!: Figures;
    await run(async () => {
      await using executor = new RedisExecutor({ url, queue });
      figures = await measure(
        (i) => executor.submit(jobs.echo, i),
        n,
        latencyN,
      );
    });
    return figures;
  } finally {
    await stop(consumers);
  }
}

async function bullmq(url: string, n: number, latencyN: number) {
  const queue = `bull-${crypto.randomUUID()}`;
  const consumers = [0, 1].map(() =>
    spawn(Deno.execPath(), [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--consume-bullmq",
      url,
      queue,
    ])
  );
  await Promise.all(consumers.map((c) => waitFor(c, "ready")));
  const port = Number(new URL(url).port);
  const connection = new Redis(port, { maxRetriesPerRequest: null });
  const q = new Queue(queue, { connection });
  const events = new QueueEvents(queue, {
    connection: new Redis(port, { maxRetriesPerRequest: null }),
  });
  await events.waitUntilReady();
  try {
    return await measure(
      async (i) => {
        const job = await q.add("echo", { x: i }, {
          removeOnComplete: { count: 1000 },
        });
        return await job.waitUntilFinished(events);
      },
      n,
      latencyN,
    );
  } finally {
    await events.close();
    await q.close();
    await stop(consumers);
  }
}

const rounds = Number(option("rounds", "3"));
const n = Number(option("jobs", "3000"));
const latencyN = Number(option("latency-jobs", "300"));
const server = await startRedisServer();
const results: Record<string, number[]> = {};
const add = (key: string, v: number) => (results[key] ??= []).push(v);
try {
  const systems: [string, () => Promise<Figures>][] = [
    ["ours", () => ours(server.url, n, latencyN)],
    ["bullmq", () => bullmq(server.url, n, latencyN)],
  ];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? systems : [...systems].reverse();
    for (const [name, go] of order) {
      const f = await go();
      add(`${name}_throughput`, f.throughput);
      add(`${name}_p50_ms`, f.p50);
      add(`${name}_p99_ms`, f.p99);
      console.error(
        `round ${round + 1} ${name}: ${f.throughput.toFixed(0)}/s, p50 ${
          f.p50.toFixed(2)
        } ms, p99 ${f.p99.toFixed(2)} ms`,
      );
    }
  }
} finally {
  await server.stop();
}
for (const [key, values] of Object.entries(results)) {
  const sorted = values.toSorted((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const digits = key.endsWith("_ms") ? 2 : 0;
  console.log(
    `${key.padEnd(18)} ${median.toFixed(digits).padStart(9)}  (${
      sorted[0].toFixed(digits)
    } - ${sorted.at(-1)!.toFixed(digits)})`,
  );
}
Deno.exit(0); // ioredis connections BullMQ leaves open
