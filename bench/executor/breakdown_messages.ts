/**
 * Diagnostic: where the time of the executor throughput workload goes.
 * 10,000 jobs `a + b` on 2 Workers, sent in different message patterns by
 * bare Workers (`_breakdown_worker.ts`, none of this library) and then
 * through the pool itself; jobs per second (wall clock) and process CPU
 * time per job (all threads), median of `--rounds` rounds.
 *
 * ```sh
 * deno run -A bench/executor/breakdown_messages.ts [--rounds 9] [--jobs 10000]
 * ```
 *
 * @module
 */
import process from "node:process";
import {
  gather,
  getRunningLoop,
  RealClock,
  run,
  ThreadPoolExecutor,
  workerModule,
} from "../../mod.ts";
import type * as Jobs from "./_jobs.ts";

const jobs = workerModule<typeof Jobs>(new URL("./_jobs.ts", import.meta.url));
const WORKERS = 2;
/** Jobs the pool sends ahead to each Worker (its `WINDOW`). */
const WINDOW = 32;
/** The pool names a function by number once a Worker has its spec. */
const SPEC_ID = 0;

function arg(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}
const rounds = arg("--rounds", 9);
const warmup = 2;
const n = arg("--jobs", 10_000);
const expected = (n * (n - 1)) / 2 + n;

type Reply = "each" | "batch" | "pool";

/** Every job in its own message, all sent at once; one reply per job. */
function unboundedRound(workers: Worker[]): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = 0;
    let sum = 0;
    const t0 = performance.now();
    for (const w of workers) {
      w.postMessage("each");
      w.onmessage = (e) => {
        sum += e.data;
        if (++done === n) {
          if (sum !== expected) reject(new Error("wrong sum"));
          resolve(performance.now() - t0);
        }
      };
    }
    for (let i = 0; i < n; i++) workers[i % WORKERS].postMessage([i, 1]);
  });
}

/**
 * At most `window` jobs in flight per Worker; each reply is answered at
 * once by one message with as many new jobs as the reply finished.
 */
function windowRound(
  workers: Worker[],
  window: number,
  reply: Reply,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let done = 0;
    let sum = 0;
    const t0 = performance.now();
    const send = (w: Worker, count: number) => {
      const message: unknown[] = [];
      for (let k = 0; k < count && next < n; k++, next++) {
        if (reply === "pool") message.push(next % window, SPEC_ID, [next, 1]);
        else message.push(next, 1);
      }
      if (message.length > 0) w.postMessage(message);
    };
    for (const w of workers) {
      w.postMessage(reply);
      w.onmessage = (e) => {
        let finished = 1;
        if (reply === "batch") {
          const results = e.data as number[];
          finished = results.length;
          for (const v of results) sum += v;
        } else if (reply === "each") {
          sum += e.data;
        } else {
          sum += e.data[2];
        }
        done += finished;
        if (done === n) {
          if (sum !== expected) reject(new Error("wrong sum"));
          resolve(performance.now() - t0);
          return;
        }
        send(w, finished);
      };
    }
    for (const w of workers) send(w, window);
  });
}

async function submitRound(pool: ThreadPoolExecutor): Promise<number> {
  const t0 = performance.now();
  const futures = new Array(n);
  for (let i = 0; i < n; i++) futures[i] = pool.submit(jobs.add, i, 1);
  const results = await Promise.all(futures);
  const ms = performance.now() - t0;
  if (results.reduce((a, b) => a + b, 0) !== expected) {
    throw new Error("wrong sum");
  }
  return ms;
}

async function runInExecutorRound(pool: ThreadPoolExecutor): Promise<number> {
  let ms = 0;
  await run(async () => {
    const loop = getRunningLoop();
    const t0 = performance.now();
    const futures = new Array(n);
    for (let i = 0; i < n; i++) {
      futures[i] = loop.runInExecutor(pool, jobs.add, i, 1);
    }
    const results = await gather(...futures);
    ms = performance.now() - t0;
    if (results.reduce((a, b) => a + b, 0) !== expected) {
      throw new Error("wrong sum");
    }
  }, { clock: new RealClock() });
  return ms;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const workers = await Promise.all(
  Array.from({ length: WORKERS }, () =>
    new Promise<Worker>((resolve) => {
      const w = new Worker(
        new URL("./_breakdown_worker.ts", import.meta.url),
        { type: "module" },
      );
      w.onmessage = () => resolve(w);
    })),
);
const pool = new ThreadPoolExecutor({ maxWorkers: WORKERS, idleTimeout: null });
await Promise.all(
  Array.from({ length: 512 }, (_, i) => pool.submit(jobs.add, i, 1)),
);

const cases: [string, () => Promise<number>][] = [
  [
    "bare: one message per job each way, all sent at once (the floor)",
    () => unboundedRound(workers),
  ],
  [
    `bare: ${WINDOW} in flight per Worker, one message per job each way`,
    () => windowRound(workers, WINDOW, "each"),
  ],
  [
    "bare: the same with the pool's messages ([slot, spec id, args] / " +
    "[DONE, slot, value])",
    () => windowRound(workers, WINDOW, "pool"),
  ],
  [
    `bare: ${WINDOW} in flight per Worker, one reply per batch, refilled ` +
    "in one message",
    () => windowRound(workers, WINDOW, "batch"),
  ],
  [
    `bare: all ${n / WORKERS} jobs of a Worker in one message, one reply`,
    () => windowRound(workers, Math.ceil(n / WORKERS), "batch"),
  ],
  ["pool.submit(add), add by reference", () => submitRound(pool)],
  [
    "run(main): gather of loop.runInExecutor(pool, add)",
    () => runInExecutorRound(pool),
  ],
];

const wall: number[][] = cases.map(() => []);
const cpu: number[][] = cases.map(() => []);
for (let r = 0; r < warmup + rounds; r++) {
  for (const [i, [, round]] of cases.entries()) {
    const c0 = process.cpuUsage();
    const ms = await round();
    const c = process.cpuUsage(c0);
    if (r < warmup) continue;
    wall[i].push(ms);
    cpu[i].push((c.user + c.system) / 1000);
  }
}
for (const w of workers) w.terminate();
await pool.shutdown();

console.log(
  `${n} jobs a + b on ${WORKERS} Workers, median of ${rounds} rounds ` +
    `(deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs)\n`,
);
console.log("| case | jobs/s | us/job | CPU us/job (all threads) |");
console.log("| --- | ---: | ---: | ---: |");
for (const [i, [name]] of cases.entries()) {
  const ms = median(wall[i]);
  console.log(
    `| ${name} | ${Math.round(n / ms * 1000).toLocaleString("en-US")} | ${
      (ms * 1000 / n).toFixed(2)
    } | ${(median(cpu[i]) * 1000 / n).toFixed(2)} |`,
  );
}
Deno.exit(0);
