/**
 * The executor (Workers) benchmarks of asyncio for Deno: throughput of
 * tiny jobs through a 2-Worker `ThreadPoolExecutor`, the speedup of
 * CPU-bound jobs on 2 Workers, Worker start-up time and memory per idle
 * Worker. Prints a table, or JSON for `bench/executor/compare` (which sets
 * it beside CPython's `bench.py` and Node's
 * `node/bench.mjs`).
 *
 * ```sh
 * deno run -A bench/executor/bench.ts            # table
 * deno run -A bench/executor/bench.ts --json     # JSON (progress on stderr)
 * deno run -A bench/executor/bench.ts --only throughput --rounds 11
 * ```
 *
 * Sections (`--only throughput,cpu,startup,memory`):
 * - `throughput`: `--jobs` (10,000) jobs `add(i, 1)` through one warm pool
 *   of 2 Workers (`idleTimeout: null`, Workers started and the job module
 *   imported before any round): `gather` of `loop.runInExecutor(pool, add,
 *   i, 1)` inside `run(main)`, and `Promise.all` of `pool.submit(add, i,
 *   1)`, each with `add` by reference (exported from `_jobs.ts`) and by
 *   source; `toThread(add, i, 1)` with a 2-Worker default executor set
 *   (and warmed) in each round's `run(main)`; and the floor: 2 bare Workers
 *   (`_bare_worker.ts`) answering one `postMessage` per job, all sent at
 *   once. Timed from the first call to the last result, sum checked.
 *   Metric: jobs per second (median over `--rounds`, after `--warmup`).
 * - `cpu`: 8 jobs `fib(n)` (`--fib-n`, 39: about 0.5 s each here) one after
 *   another on the main thread, then `gather` of 8
 *   `runInExecutor(pool, fib, n)` on a warm 2-Worker pool, then the floor:
 *   2 bare Workers given 4 jobs each; speedup = sequential / pool time,
 *   per round (`--cpu-rounds`, 5, after one warm-up round). A round in
 *   which something else ran on the machine shows in the floor too.
 * - `startup`: milliseconds from `new ThreadPoolExecutor({ maxWorkers: 1
 *   })` and `submit(noop)` to its result on a fresh pool (noop by source,
 *   and by reference, which also imports `_jobs.ts` in the Worker); from
 *   `new Worker(_pool_entry_worker.ts)` (the pool's entry module) to its
 *   first message; from `new Worker(_bare_worker.ts)` to its first message.
 * - `memory`: growth of the process's resident set (`Deno.memoryUsage()
 *   .rss`) from before to 0.5 s after starting 8 idle Workers, divided by
 *   8, each round in a fresh child process (`--memory-rounds`, 5): a
 *   `ThreadPoolExecutor({ maxWorkers: 8 })` after 8 `submit(noop)`, and 8
 *   bare Workers. The RSS is the whole process's, so it includes each
 *   Worker's V8 isolate, heap and thread.
 *
 * @module
 */
import {
  gather,
  getRunningLoop,
  RealClock,
  run,
  ThreadPoolExecutor,
  toThread,
  workerModule,
} from "../../mod.ts";
import type * as Jobs from "./_jobs.ts";
import { fib } from "./_jobs.ts";
import { scanArgs } from "../_shared/args.ts";
import { type Machine, machineInfo, machineLine } from "../_shared/machine.ts";

const jobs = workerModule<typeof Jobs>(new URL("./_jobs.ts", import.meta.url));
// The same functions by source: self-contained, so they are sent as text.
const addSource = (a: number, b: number): number => a + b;
const noopSource = (): void => {};

const bareWorkerUrl = new URL("./_bare_worker.ts", import.meta.url);
const poolEntryWorkerUrl = new URL(
  "./_pool_entry_worker.ts",
  import.meta.url,
);

/** One measured figure over the rounds. */
export interface Stat {
  /** What was measured. */
  name: string;
  /** Unit of `median`, `min`, `max` and `samples`. */
  unit: string;
  /** Median over the rounds. */
  median: number;
  /** Smallest round. */
  min: number;
  /** Largest round. */
  max: number;
  /** Every measured round. */
  samples: number[];
}

/** One section of the report: its figures by key, plus its parameters. */
export interface Section {
  /** Figures by key (the keys differ between runtimes). */
  rows: Record<string, Stat>;
}

/**
 * What `--json` prints; `bench.py` and `node/bench.mjs`
 * print the same shape.
 */
export interface ExecutorReport {
  /** Which runtime produced it. */
  runtime: {
    name: string;
    version: string;
    detail: string;
    cpus: number;
  };
  /** The machine (CPU model, CPUs, OS); the Deno runner's only. */
  machine?: Machine;
  /** ISO date of the run. */
  date: string;
  /** Throughput of tiny jobs: jobs per second. */
  throughput?: Section & { jobs: number; workers: number; rounds: number };
  /** CPU-bound jobs: seconds and speedup. */
  cpu?: Section & {
    jobs: number;
    fib_n: number;
    workers: number;
    rounds: number;
  };
  /** Start-up: milliseconds. */
  startup?: Section & { rounds: number };
  /** Memory per idle Worker: MB (10^6 bytes) of resident set. */
  memory?: Section & { workers: number; rounds: number };
}

interface Options {
  json: boolean;
  rounds: number;
  warmup: number;
  jobs: number;
  fibN: number;
  cpuRounds: number;
  memoryRounds: number;
  only: string[];
  memoryProbe?: string;
}

const SECTIONS = ["throughput", "cpu", "startup", "memory"];
const THROUGHPUT_WORKERS = 2;
const CPU_JOBS = 8;
const MEMORY_WORKERS = 8;

function usage(): never {
  console.error(
    "usage: deno run -A bench/executor/bench.ts [--json] [--rounds N] " +
      "[--warmup N] [--jobs N] [--fib-n N] [--cpu-rounds N] " +
      `[--memory-rounds N] [--only ${SECTIONS.join(",")}]`,
  );
  Deno.exit(64);
}

function parseArgs(args: string[]): Options {
  const opts: Options = {
    json: false,
    rounds: 7,
    warmup: 2,
    jobs: 10_000,
    fibN: 39,
    cpuRounds: 5,
    memoryRounds: 5,
    only: SECTIONS,
  };
  for (const arg of scanArgs(args, usage)) {
    switch (arg.name) {
      case "--json":
        opts.json = true;
        break;
      case "--rounds":
        opts.rounds = arg.integer(1);
        break;
      case "--warmup":
        opts.warmup = arg.integer(0);
        break;
      case "--jobs":
        opts.jobs = arg.integer(1);
        break;
      case "--fib-n":
        opts.fibN = arg.integer(1);
        break;
      case "--py-fib-n": // CPython's; accepted so that options pass through
        arg.value();
        break;
      case "--cpu-rounds":
        opts.cpuRounds = arg.integer(1);
        break;
      case "--memory-rounds":
        opts.memoryRounds = arg.integer(1);
        break;
      case "--only":
        opts.only = arg.value().split(",").filter((s) => s !== "");
        if (opts.only.some((s) => !SECTIONS.includes(s))) usage();
        break;
      case "--memory-probe": // internal: one memory round in this process
        opts.memoryProbe = arg.value();
        break;
      default:
        usage();
    }
  }
  return opts;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function stat(name: string, unit: string, samples: number[]): Stat {
  return {
    name,
    unit,
    median: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    samples,
  };
}

const progressTag = "[deno executor]";
function progress(message: string): void {
  console.error(`${progressTag} ${message}`);
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Every round of ours runs on the real clock, whatever
// ASYNCIO_VIRTUAL_TIME says.
const REAL = { clock: new RealClock() };

/** Sum of `add(i, 1)` for i < n. */
function expectedSum(n: number): number {
  return (n * (n - 1)) / 2 + n;
}

function checkSum(what: string, results: number[], n: number): void {
  let sum = 0;
  for (const r of results) sum += r;
  if (results.length !== n || sum !== expectedSum(n)) {
    throw new Error(`${what}: wrong results (${results.length} of ${n})`);
  }
}

// ---------------------------------------------------------------- workers

interface BareWorker {
  worker: Worker;
  ready: Promise<number>;
}

/** Starts a module Worker; `ready` resolves at its first message (ms). */
function startWorker(url: URL): BareWorker {
  const t0 = performance.now();
  const worker = new Worker(url, { type: "module" });
  const ready = new Promise<number>((resolve, reject) => {
    worker.onmessage = () => resolve(performance.now() - t0);
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(`${url.pathname}: ${e.message}`));
    };
  });
  return { worker, ready };
}

/**
 * The floor: `n` jobs as one `postMessage([i, 1])` each to bare Workers
 * (round robin), all sent at once, each answered by one message.
 */
function bareRound(workers: Worker[], n: number): Promise<number> {
  return new Promise((resolve) => {
    let count = 0;
    let sum = 0;
    const t0 = performance.now();
    const onmessage = (event: MessageEvent<number>) => {
      sum += event.data;
      if (++count === n) {
        const ms = performance.now() - t0;
        if (sum !== expectedSum(n)) throw new Error("bare: wrong sum");
        resolve(ms);
      }
    };
    for (const w of workers) w.onmessage = onmessage;
    for (let i = 0; i < n; i++) {
      workers[i % workers.length].postMessage([i, 1]);
    }
  });
}

// ------------------------------------------------------------- throughput

type AddFn = typeof jobs.add | typeof addSource;

async function runInExecutorRound(
  pool: ThreadPoolExecutor,
  fn: AddFn,
  n: number,
): Promise<number> {
  let ms = 0;
  await run(async () => {
    const loop = getRunningLoop();
    const t0 = performance.now();
    const futures = new Array(n);
    for (let i = 0; i < n; i++) futures[i] = loop.runInExecutor(pool, fn, i, 1);
    const results = await gather(...futures);
    ms = performance.now() - t0;
    checkSum("runInExecutor", results, n);
  }, REAL);
  return ms;
}

async function submitRound(
  pool: ThreadPoolExecutor,
  fn: AddFn,
  n: number,
): Promise<number> {
  const t0 = performance.now();
  const futures = new Array(n);
  for (let i = 0; i < n; i++) futures[i] = pool.submit(fn, i, 1);
  const results = await Promise.all(futures);
  const ms = performance.now() - t0;
  checkSum("submit", results, n);
  return ms;
}

async function toThreadRound(n: number): Promise<number> {
  let ms = 0;
  await run(async () => {
    const loop = getRunningLoop();
    // As Python's loop.set_default_executor(ThreadPoolExecutor(2)); run()
    // shuts it down at the end (not timed). Warm it first: both Workers
    // started, the module imported, the code hot.
    loop.setDefaultExecutor(
      new ThreadPoolExecutor({ maxWorkers: THROUGHPUT_WORKERS }),
    );
    const warm = [];
    for (let i = 0; i < 2_000; i++) warm.push(toThread(jobs.add, i, 1));
    await gather(...warm);
    const t0 = performance.now();
    const futures = new Array(n);
    for (let i = 0; i < n; i++) futures[i] = toThread(jobs.add, i, 1);
    const results = await gather(...futures);
    ms = performance.now() - t0;
    checkSum("toThread", results, n);
  }, REAL);
  return ms;
}

async function throughputSection(
  opts: Options,
): Promise<ExecutorReport["throughput"]> {
  const n = opts.jobs;
  await using pool = new ThreadPoolExecutor({
    maxWorkers: THROUGHPUT_WORKERS,
    idleTimeout: null,
  });
  // Start both Workers and import the job module in each before timing.
  const warm = [];
  for (let i = 0; i < 256; i++) {
    warm.push(pool.submit(jobs.add, i, 1), pool.submit(addSource, i, 1));
  }
  await Promise.all(warm);
  if (pool.statistics().workers !== THROUGHPUT_WORKERS) {
    throw new Error(`the pool runs ${pool.statistics().workers} Workers`);
  }
  const bare = Array.from(
    { length: THROUGHPUT_WORKERS },
    () => startWorker(bareWorkerUrl),
  );
  await Promise.all(bare.map((b) => b.ready));
  const bareWorkers = bare.map((b) => b.worker);
  const sides: [string, string, () => Promise<number>][] = [
    [
      "run_in_executor_ref",
      "run(main): gather of loop.runInExecutor(pool, add, i, 1), add by reference",
      () => runInExecutorRound(pool, jobs.add, n),
    ],
    [
      "run_in_executor_src",
      "run(main): gather of loop.runInExecutor(pool, add, i, 1), add by source",
      () => runInExecutorRound(pool, addSource, n),
    ],
    [
      "submit_ref",
      "Promise.all of pool.submit(add, i, 1), add by reference",
      () => submitRound(pool, jobs.add, n),
    ],
    [
      "submit_src",
      "Promise.all of pool.submit(add, i, 1), add by source",
      () => submitRound(pool, addSource, n),
    ],
    [
      "to_thread_ref",
      "run(main): gather of toThread(add, i, 1), default executor of 2 " +
      "Workers, add by reference",
      () => toThreadRound(n),
    ],
    [
      "bare_postmessage",
      "2 bare Workers, one postMessage([i, 1]) per job each way, all sent " +
      "at once (floor)",
      () => bareRound(bareWorkers, n),
    ],
  ];
  const samples: number[][] = sides.map(() => []);
  try {
    for (let r = 0; r < opts.warmup + opts.rounds; r++) {
      // Alternate so that drift hits every side alike.
      for (const [i, [, , round]] of sides.entries()) {
        const ms = await round();
        if (r >= opts.warmup) samples[i].push(n / (ms / 1000));
      }
    }
  } finally {
    for (const w of bareWorkers) w.terminate();
  }
  const rows: Record<string, Stat> = {};
  for (const [i, [key, name]] of sides.entries()) {
    rows[key] = stat(name, "jobs/s", samples[i]);
    progress(`throughput ${key}: ${rows[key].median.toFixed(0)} jobs/s`);
  }
  return { jobs: n, workers: THROUGHPUT_WORKERS, rounds: opts.rounds, rows };
}

// -------------------------------------------------------------------- cpu

/** 8 jobs fib(n) on bare Workers, split evenly in advance. */
function bareFibRound(workers: Worker[], n: number): Promise<number[]> {
  return new Promise((resolve) => {
    const results: number[] = [];
    for (const w of workers) {
      w.onmessage = (event: MessageEvent<number>) => {
        results.push(event.data);
        if (results.length === CPU_JOBS) resolve(results);
      };
    }
    for (let j = 0; j < CPU_JOBS; j++) {
      workers[j % workers.length].postMessage(n);
    }
  });
}

async function cpuSection(opts: Options): Promise<ExecutorReport["cpu"]> {
  const n = opts.fibN;
  const expected = fibValue(n);
  await using pool = new ThreadPoolExecutor({
    maxWorkers: THROUGHPUT_WORKERS,
    idleTimeout: null,
  });
  await Promise.all([pool.submit(jobs.fib, 20), pool.submit(jobs.fib, 20)]);
  const bare = Array.from(
    { length: THROUGHPUT_WORKERS },
    () => startWorker(bareWorkerUrl),
  );
  await Promise.all(bare.map((b) => b.ready));
  const bareWorkers = bare.map((b) => b.worker);
  const sequential: number[] = [];
  const pooled: number[] = [];
  const bared: number[] = [];
  const speedup: number[] = [];
  const bareSpeedup: number[] = [];
  try {
    for (let r = 0; r < 1 + opts.cpuRounds; r++) {
      let t0 = performance.now();
      for (let j = 0; j < CPU_JOBS; j++) {
        if (fib(n) !== expected) throw new Error("fib: wrong result");
      }
      const seq = (performance.now() - t0) / 1000;
      let par = 0;
      await run(async () => {
        const loop = getRunningLoop();
        t0 = performance.now();
        const futures = [];
        for (let j = 0; j < CPU_JOBS; j++) {
          futures.push(loop.runInExecutor(pool, jobs.fib, n));
        }
        const results = await gather(...futures);
        par = (performance.now() - t0) / 1000;
        if (results.some((v) => v !== expected)) {
          throw new Error("fib: wrong result from a Worker");
        }
      }, REAL);
      t0 = performance.now();
      const results = await bareFibRound(bareWorkers, n);
      const floor = (performance.now() - t0) / 1000;
      if (results.some((v) => v !== expected)) {
        throw new Error("fib: wrong result from a bare Worker");
      }
      progress(
        `cpu round ${r + 1}/${1 + opts.cpuRounds}${
          r === 0 ? " (warm-up)" : ""
        }: sequential ${seq.toFixed(2)} s, pool ${par.toFixed(2)} s, ` +
          `bare Workers ${floor.toFixed(2)} s`,
      );
      if (r === 0) continue;
      sequential.push(seq);
      pooled.push(par);
      bared.push(floor);
      speedup.push(seq / par);
      bareSpeedup.push(seq / floor);
    }
  } finally {
    for (const w of bareWorkers) w.terminate();
  }
  return {
    jobs: CPU_JOBS,
    fib_n: n,
    workers: THROUGHPUT_WORKERS,
    rounds: opts.cpuRounds,
    rows: {
      job: stat(
        `fib(${n}) once on the main thread`,
        "s",
        sequential.map((s) => s / CPU_JOBS),
      ),
      sequential: stat(
        `${CPU_JOBS} x fib(${n}) one after another on the main thread`,
        "s",
        sequential,
      ),
      pool: stat(
        `run(main): gather of ${CPU_JOBS} loop.runInExecutor(pool, fib, ${n}), ` +
          `2 Workers, fib by reference`,
        "s",
        pooled,
      ),
      speedup: stat("sequential / pool, per round", "x", speedup),
      bare: stat(
        `2 bare Workers, ${CPU_JOBS / 2} x fib(${n}) each (floor)`,
        "s",
        bared,
      ),
      bare_speedup: stat(
        "sequential / bare Workers, per round",
        "x",
        bareSpeedup,
      ),
    },
  };
}

function fibValue(n: number): number {
  let a = 0, b = 1;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

// ---------------------------------------------------------------- startup

async function poolStartup(fn: typeof jobs.noop | typeof noopSource) {
  const t0 = performance.now();
  const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  await pool.submit(fn);
  const ms = performance.now() - t0;
  await pool.shutdown();
  return ms;
}

async function workerStartup(url: URL): Promise<number> {
  const w = startWorker(url);
  try {
    return await w.ready;
  } finally {
    w.worker.terminate();
  }
}

async function startupSection(
  opts: Options,
): Promise<ExecutorReport["startup"]> {
  const sides: [string, string, () => Promise<number>][] = [
    [
      "pool_src",
      "new ThreadPoolExecutor({ maxWorkers: 1 }), submit(noop) to its " +
      "result, noop by source",
      () => poolStartup(noopSource),
    ],
    [
      "pool_ref",
      "the same, noop by reference (the Worker imports _jobs.ts)",
      () => poolStartup(jobs.noop),
    ],
    [
      "worker_pool_entry",
      "new Worker(the pool's entry module) to its first message",
      () => workerStartup(poolEntryWorkerUrl),
    ],
    [
      "worker_bare",
      "new Worker(a module that posts at once) to its first message",
      () => workerStartup(bareWorkerUrl),
    ],
  ];
  const samples: number[][] = sides.map(() => []);
  for (let r = 0; r < opts.warmup + opts.rounds; r++) {
    for (const [i, [, , round]] of sides.entries()) {
      const ms = await round();
      if (r >= opts.warmup) samples[i].push(ms);
      await delay(20); // let the terminated Worker go
    }
  }
  const rows: Record<string, Stat> = {};
  for (const [i, [key, name]] of sides.entries()) {
    rows[key] = stat(name, "ms", samples[i]);
    progress(`startup ${key}: ${rows[key].median.toFixed(1)} ms`);
  }
  return { rounds: opts.rounds, rows };
}

// ----------------------------------------------------------------- memory

const MEMORY_KINDS: Record<string, string> = {
  pool_idle: `ThreadPoolExecutor({ maxWorkers: ${MEMORY_WORKERS} }), ` +
    `${MEMORY_WORKERS} x submit(noop), then idle`,
  worker_bare: `${MEMORY_WORKERS} bare Workers (a module that posts at once)`,
};

/** One memory round in this process: RSS growth per Worker, bytes. */
async function memoryProbe(kind: string): Promise<number> {
  await delay(300); // let this process finish starting
  const rss0 = Deno.memoryUsage().rss;
  let stop: () => Promise<void>;
  if (kind === "pool_idle") {
    const pool = new ThreadPoolExecutor({
      maxWorkers: MEMORY_WORKERS,
      idleTimeout: null,
    });
    const futures = [];
    for (let i = 0; i < MEMORY_WORKERS; i++) {
      futures.push(pool.submit(noopSource));
    }
    await Promise.all(futures);
    if (pool.statistics().workers !== MEMORY_WORKERS) {
      throw new Error(`the pool started ${pool.statistics().workers} Workers`);
    }
    stop = () => pool.shutdown();
  } else if (kind === "worker_bare") {
    const workers = Array.from(
      { length: MEMORY_WORKERS },
      () => startWorker(bareWorkerUrl),
    );
    await Promise.all(workers.map((w) => w.ready));
    stop = () => {
      for (const w of workers) w.worker.terminate();
      return Promise.resolve();
    };
  } else {
    throw new Error(`unknown memory probe ${kind}`);
  }
  await delay(500); // let the Workers settle
  const rss1 = Deno.memoryUsage().rss;
  await stop();
  return (rss1 - rss0) / MEMORY_WORKERS;
}

async function memorySection(
  opts: Options,
): Promise<ExecutorReport["memory"]> {
  const kinds = Object.keys(MEMORY_KINDS);
  const samples: number[][] = kinds.map(() => []);
  for (let r = 0; r < opts.memoryRounds; r++) {
    for (const [i, kind] of kinds.entries()) {
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", import.meta.url, "--memory-probe", kind],
        stdin: "null",
        stdout: "piped",
        stderr: "inherit",
      }).output();
      if (!output.success) {
        throw new Error(`memory probe ${kind} exited with ${output.code}`);
      }
      const bytes = JSON.parse(new TextDecoder().decode(output.stdout));
      samples[i].push(bytes / 1e6);
    }
  }
  const rows: Record<string, Stat> = {};
  for (const [i, kind] of kinds.entries()) {
    rows[kind] = stat(MEMORY_KINDS[kind], "MB", samples[i]);
    progress(
      `memory ${kind}: ${rows[kind].median.toFixed(1)} MB per idle Worker`,
    );
  }
  return { workers: MEMORY_WORKERS, rounds: opts.memoryRounds, rows };
}

// ------------------------------------------------------------------ table

function fmt(v: number, unit: string): string {
  if (unit === "jobs/s") return Math.round(v).toLocaleString("en-US");
  if (unit === "x") return `${v.toFixed(2)}x`;
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function printTable(report: ExecutorReport): void {
  console.log(`asyncio for Deno executor benchmarks, ${report.date}`);
  console.log(machineLine(report.machine));
  const sections: [string, Section | undefined, string][] = [
    [
      "throughput",
      report.throughput,
      `${report.throughput?.jobs} jobs add(i, 1), 2 Workers, median of ` +
      `${report.throughput?.rounds} rounds`,
    ],
    [
      "cpu",
      report.cpu,
      `${report.cpu?.jobs} jobs fib(${report.cpu?.fib_n}), 2 Workers, median ` +
      `of ${report.cpu?.rounds} rounds`,
    ],
    ["startup", report.startup, `median of ${report.startup?.rounds} rounds`],
    [
      "memory",
      report.memory,
      `RSS growth per idle Worker, ${report.memory?.workers} Workers, ` +
      `median of ${report.memory?.rounds} fresh processes`,
    ],
  ];
  for (const [key, section, what] of sections) {
    if (section === undefined) continue;
    console.log(`\n${key}: ${what}`);
    for (const [row, s] of Object.entries(section.rows)) {
      console.log(
        `  ${row.padEnd(20)} ${fmt(s.median, s.unit).padStart(9)} ${
          (s.unit === "x" ? "" : s.unit).padEnd(6)
        } (${fmt(s.min, s.unit)} - ${fmt(s.max, s.unit)})  ${s.name}`,
      );
    }
  }
  const tp = report.throughput?.rows;
  if (tp) {
    const floor = tp.bare_postmessage.median;
    console.log(
      `\nrunInExecutor by reference: ${
        (floor / tp.run_in_executor_ref.median).toFixed(2)
      }x the time per job of the bare postMessage floor ` +
        "(run bench/executor/compare for the CPython goal)",
    );
  }
  const cpu = report.cpu?.rows;
  if (cpu) {
    const s = cpu.speedup.median;
    console.log(
      `goal: CPU-bound speedup on 2 Workers >= 1.8x: ${s.toFixed(2)}x ` +
        (s >= 1.8 ? "PASS" : "MISS"),
    );
  }
}

// ------------------------------------------------------------------- main

async function main(): Promise<void> {
  const opts = parseArgs(Deno.args);
  if (opts.memoryProbe !== undefined) {
    console.log(JSON.stringify(await memoryProbe(opts.memoryProbe)));
    return;
  }
  const report: ExecutorReport = {
    runtime: {
      name: "deno",
      version: Deno.version.deno,
      detail: `V8 ${Deno.version.v8}`,
      cpus: navigator.hardwareConcurrency,
    },
    machine: machineInfo(),
    date: new Date().toISOString(),
  };
  if (opts.only.includes("throughput")) {
    report.throughput = await throughputSection(opts);
  }
  if (opts.only.includes("cpu")) report.cpu = await cpuSection(opts);
  if (opts.only.includes("startup")) {
    report.startup = await startupSection(opts);
  }
  if (opts.only.includes("memory")) report.memory = await memorySection(opts);
  if (opts.json) console.log(JSON.stringify(report, null, 2));
  else printTable(report);
}

if (import.meta.main) {
  try {
    await main();
  } catch (e) {
    console.error(
      `${progressTag} benchmark failed: ${e instanceof Error ? e.stack : e}`,
    );
    Deno.exit(2);
  }
  Deno.exit(0);
}
