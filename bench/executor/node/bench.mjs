// The workloads of bench/executor/bench.ts on Node, with tinypool and
// piscina (versions pinned in package.json; `npm ci` here first); prints
// JSON of the same shape as `deno run -A bench/executor/bench.ts --json`.
//
//   (cd bench/executor/node && npm ci) && node bench/executor/node/bench.mjs
//   node bench/executor/node/bench.mjs --only throughput --rounds 11
//
// Sections (--only throughput,cpu,startup,memory):
// - throughput: --jobs (10,000) jobs add(i, 1): Promise.all of
//   pool.run([i, 1], { name: "add" }) on a warm tinypool of 2 threads
//   (minThreads = maxThreads = 2), the same on piscina, and the floor: 2
//   bare worker threads answering one postMessage per job, all sent at once.
//   Jobs per second, median over --rounds after --warmup.
// - cpu: 8 jobs fib(n) (--fib-n, 39) one after another on the main thread,
//   then Promise.all of 8 tinypool.run(n, { name: "fib" }) on 2 threads;
//   speedup per round (--cpu-rounds, 5, after one warm-up round).
// - startup: milliseconds from new Tinypool({ minThreads: 1, maxThreads: 1 })
//   and run(noop) to its result (and the same for piscina), and from
//   new Worker(a module that posts at once) to its first message.
// - memory: growth of process.memoryUsage().rss from before to 0.5 s after
//   starting 8 idle threads, divided by 8, each round in a fresh child
//   process (--memory-rounds, 5): tinypool with 8 threads, each having run
//   one job, and 8 bare worker threads.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { fib } from "./_jobs.mjs";

// The pools are imported (in main()) by a name held in a variable:
// `deno check bench/` (run in CI) type-checks this file too, and cannot
// resolve packages that only bench/executor/node/node_modules holds.
const load = (name) => import(name);
let Tinypool;
let Piscina;

const SECTIONS = ["throughput", "cpu", "startup", "memory"];
const WORKERS = 2;
const CPU_JOBS = 8;
const MEMORY_WORKERS = 8;
const jobsUrl = new URL("./_jobs.mjs", import.meta.url).href;
const bareWorkerUrl = new URL("./_bare_worker.mjs", import.meta.url);

function usage() {
  console.error(
    "usage: node bench/executor/node/bench.mjs [--rounds N] [--warmup N] " +
      "[--jobs N] [--fib-n N] [--cpu-rounds N] [--memory-rounds N] " +
      `[--only ${SECTIONS.join(",")}]`,
  );
  process.exit(64);
}

function parseArgs(args) {
  const opts = {
    rounds: 7,
    warmup: 2,
    jobs: 10_000,
    fibN: 39,
    cpuRounds: 5,
    memoryRounds: 5,
    only: SECTIONS,
    memoryProbe: undefined,
  };
  for (let i = 0; i < args.length; i++) {
    let arg = args[i];
    let value;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const next = () => {
      if (value !== undefined) return value;
      if (i + 1 >= args.length) usage();
      return args[++i];
    };
    const int = (min) => {
      const v = Number(next());
      if (!Number.isInteger(v) || v < min) usage();
      return v;
    };
    switch (arg) {
      case "--json": // accepted; the output is always JSON
        break;
      case "--rounds":
        opts.rounds = int(1);
        break;
      case "--warmup":
        opts.warmup = int(0);
        break;
      case "--jobs":
        opts.jobs = int(1);
        break;
      case "--fib-n":
        opts.fibN = int(1);
        break;
      case "--py-fib-n": // CPython's; accepted so that options pass through
        next();
        break;
      case "--cpu-rounds":
        opts.cpuRounds = int(1);
        break;
      case "--memory-rounds":
        opts.memoryRounds = int(1);
        break;
      case "--only":
        opts.only = next().split(",").filter((s) => s !== "");
        if (opts.only.some((s) => !SECTIONS.includes(s))) usage();
        break;
      case "--memory-probe":
        opts.memoryProbe = next();
        break;
      default:
        usage();
    }
  }
  return opts;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function stat(name, unit, samples) {
  return {
    name,
    unit,
    median: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    samples,
  };
}

function progress(message) {
  console.error(`[node executor] ${message}`);
}

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

function expectedSum(n) {
  return (n * (n - 1)) / 2 + n;
}

function fibValue(n) {
  let a = 0, b = 1;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

function version(pkg) {
  const url = new URL(`./node_modules/${pkg}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")).version;
}

/** Starts a worker thread; `ready` resolves at its first message (ms). */
function startWorker(url) {
  const t0 = performance.now();
  const worker = new Worker(url);
  const ready = new Promise((resolve, reject) => {
    worker.once("message", () => resolve(performance.now() - t0));
    worker.once("error", reject);
  });
  return { worker, ready };
}

function bareRound(workers, n) {
  return new Promise((resolve) => {
    let count = 0;
    let sum = 0;
    const t0 = performance.now();
    const onmessage = (value) => {
      sum += value;
      if (++count === n) {
        const ms = performance.now() - t0;
        for (const w of workers) w.off("message", onmessage);
        if (sum !== expectedSum(n)) throw new Error("bare: wrong sum");
        resolve(ms);
      }
    };
    for (const w of workers) w.on("message", onmessage);
    for (let i = 0; i < n; i++) workers[i % workers.length].postMessage([i, 1]);
  });
}

async function poolRound(pool, n) {
  const t0 = performance.now();
  const promises = new Array(n);
  for (let i = 0; i < n; i++) promises[i] = pool.run([i, 1], { name: "add" });
  const results = await Promise.all(promises);
  const ms = performance.now() - t0;
  let sum = 0;
  for (const r of results) sum += r;
  if (sum !== expectedSum(n)) throw new Error("pool: wrong sum");
  return ms;
}

function newPool(Pool, threads, options = {}) {
  return new Pool({
    filename: jobsUrl,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 60_000,
    ...options,
  });
}

async function throughputSection(opts) {
  const n = opts.jobs;
  const tinypool = newPool(Tinypool, WORKERS);
  // Without Atomics.wait in the threads: faster on this 2-CPU machine.
  const tinypoolNoAtomics = newPool(Tinypool, WORKERS, { useAtomics: false });
  const piscina = newPool(Piscina, WORKERS);
  const pools = [tinypool, tinypoolNoAtomics, piscina];
  const bare = Array.from(
    { length: WORKERS },
    () => startWorker(bareWorkerUrl),
  );
  await Promise.all(bare.map((b) => b.ready));
  const bareWorkers = bare.map((b) => b.worker);
  // Start the threads and load the job module before timing.
  for (const pool of pools) await poolRound(pool, 2_000);
  const sides = [
    [
      "tinypool",
      `tinypool ${version("tinypool")}: Promise.all of pool.run([i, 1], ` +
      '{ name: "add" }), 2 threads',
      () => poolRound(tinypool, n),
    ],
    [
      "tinypool_no_atomics",
      `tinypool ${version("tinypool")} with useAtomics: false, the same`,
      () => poolRound(tinypoolNoAtomics, n),
    ],
    [
      "piscina",
      `piscina ${version("piscina")}: Promise.all of pool.run([i, 1], ` +
      '{ name: "add" }), 2 threads',
      () => poolRound(piscina, n),
    ],
    [
      "bare_postmessage",
      "2 bare worker threads, one postMessage([i, 1]) per job each way, " +
      "all sent at once (floor)",
      () => bareRound(bareWorkers, n),
    ],
  ];
  const samples = sides.map(() => []);
  try {
    for (let r = 0; r < opts.warmup + opts.rounds; r++) {
      for (const [i, [, , round]] of sides.entries()) {
        const ms = await round();
        if (r >= opts.warmup) samples[i].push(n / (ms / 1000));
      }
    }
  } finally {
    await Promise.all(pools.map((pool) => pool.destroy()));
    await Promise.all(bareWorkers.map((w) => w.terminate()));
  }
  const rows = {};
  for (const [i, [key, name]] of sides.entries()) {
    rows[key] = stat(name, "jobs/s", samples[i]);
    progress(`throughput ${key}: ${rows[key].median.toFixed(0)} jobs/s`);
  }
  return { jobs: n, workers: WORKERS, rounds: opts.rounds, rows };
}

async function cpuSection(opts) {
  const n = opts.fibN;
  const expected = fibValue(n);
  const pool = newPool(Tinypool, WORKERS);
  await Promise.all([
    pool.run(20, { name: "fib" }),
    pool.run(20, { name: "fib" }),
  ]);
  const sequential = [];
  const pooled = [];
  const speedup = [];
  try {
    for (let r = 0; r < 1 + opts.cpuRounds; r++) {
      let t0 = performance.now();
      for (let j = 0; j < CPU_JOBS; j++) {
        if (fib(n) !== expected) throw new Error("fib: wrong result");
      }
      const seq = (performance.now() - t0) / 1000;
      t0 = performance.now();
      const results = await Promise.all(
        Array.from({ length: CPU_JOBS }, () => pool.run(n, { name: "fib" })),
      );
      const par = (performance.now() - t0) / 1000;
      if (results.some((v) => v !== expected)) {
        throw new Error("fib: wrong result from a thread");
      }
      progress(
        `cpu round ${r + 1}/${1 + opts.cpuRounds}${
          r === 0 ? " (warm-up)" : ""
        }: sequential ${seq.toFixed(2)} s, tinypool ${par.toFixed(2)} s`,
      );
      if (r === 0) continue;
      sequential.push(seq);
      pooled.push(par);
      speedup.push(seq / par);
    }
  } finally {
    await pool.destroy();
  }
  return {
    jobs: CPU_JOBS,
    fib_n: n,
    workers: WORKERS,
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
        `Promise.all of ${CPU_JOBS} tinypool.run(${n}, { name: "fib" }), ` +
          "2 threads",
        "s",
        pooled,
      ),
      speedup: stat("sequential / pool, per round", "x", speedup),
    },
  };
}

async function poolStartup(Pool) {
  const t0 = performance.now();
  const pool = newPool(Pool, 1);
  await pool.run(null, { name: "noop" });
  const ms = performance.now() - t0;
  await pool.destroy();
  return ms;
}

async function workerStartup() {
  const w = startWorker(bareWorkerUrl);
  try {
    return await w.ready;
  } finally {
    await w.worker.terminate();
  }
}

async function startupSection(opts) {
  const sides = [
    [
      "tinypool",
      "new Tinypool({ minThreads: 1, maxThreads: 1 }), run(noop) to its " +
      "result",
      () => poolStartup(Tinypool),
    ],
    [
      "piscina",
      "new Piscina({ minThreads: 1, maxThreads: 1 }), run(noop) to its " +
      "result",
      () => poolStartup(Piscina),
    ],
    [
      "worker_bare",
      "new Worker(a module that posts at once) to its first message",
      workerStartup,
    ],
  ];
  const samples = sides.map(() => []);
  for (let r = 0; r < opts.warmup + opts.rounds; r++) {
    for (const [i, [, , round]] of sides.entries()) {
      const ms = await round();
      if (r >= opts.warmup) samples[i].push(ms);
      await delay(20);
    }
  }
  const rows = {};
  for (const [i, [key, name]] of sides.entries()) {
    rows[key] = stat(name, "ms", samples[i]);
    progress(`startup ${key}: ${rows[key].median.toFixed(1)} ms`);
  }
  return { rounds: opts.rounds, rows };
}

const MEMORY_KINDS = {
  tinypool: `tinypool with ${MEMORY_WORKERS} threads, each ran one job, ` +
    "then idle",
  worker_bare: `${MEMORY_WORKERS} bare worker threads (a module that posts ` +
    "at once)",
};

async function memoryProbe(kind) {
  await delay(300);
  const rss0 = process.memoryUsage().rss;
  let stop;
  if (kind === "tinypool") {
    const pool = newPool(Tinypool, MEMORY_WORKERS);
    // Each job blocks its thread a while, so every thread takes one.
    await Promise.all(
      Array.from(
        { length: MEMORY_WORKERS },
        () => pool.run(100, { name: "sleep" }),
      ),
    );
    if (pool.threads.length !== MEMORY_WORKERS) {
      throw new Error(`tinypool runs ${pool.threads.length} threads`);
    }
    stop = () => pool.destroy();
  } else if (kind === "worker_bare") {
    const workers = Array.from(
      { length: MEMORY_WORKERS },
      () => startWorker(bareWorkerUrl),
    );
    await Promise.all(workers.map((w) => w.ready));
    stop = () => Promise.all(workers.map((w) => w.worker.terminate()));
  } else {
    throw new Error(`unknown memory probe ${kind}`);
  }
  await delay(500);
  const rss1 = process.memoryUsage().rss;
  await stop();
  return (rss1 - rss0) / MEMORY_WORKERS;
}

function memorySection(opts) {
  const kinds = Object.keys(MEMORY_KINDS);
  const samples = kinds.map(() => []);
  for (let r = 0; r < opts.memoryRounds; r++) {
    for (const [i, kind] of kinds.entries()) {
      const child = spawnSync(
        process.execPath,
        [fileURLToPath(import.meta.url), "--memory-probe", kind],
        { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
      );
      if (child.status !== 0) {
        throw new Error(`memory probe ${kind} exited with ${child.status}`);
      }
      samples[i].push(JSON.parse(child.stdout) / 1e6);
    }
  }
  const rows = {};
  for (const [i, kind] of kinds.entries()) {
    rows[kind] = stat(MEMORY_KINDS[kind], "MB", samples[i]);
    progress(
      `memory ${kind}: ${rows[kind].median.toFixed(1)} MB per idle thread`,
    );
  }
  return { workers: MEMORY_WORKERS, rounds: opts.memoryRounds, rows };
}

async function main() {
  ({ Tinypool } = await load("tinypool"));
  ({ Piscina } = await load("piscina"));
  const opts = parseArgs(process.argv.slice(2));
  if (opts.memoryProbe !== undefined) {
    console.log(JSON.stringify(await memoryProbe(opts.memoryProbe)));
    return;
  }
  const report = {
    runtime: {
      name: "node",
      version: process.versions.node,
      detail: `V8 ${process.versions.v8}; tinypool ${
        version("tinypool")
      }, piscina ${version("piscina")}`,
      cpus: os.availableParallelism?.() ?? os.cpus().length,
    },
    date: new Date().toISOString(),
  };
  if (opts.only.includes("throughput")) {
    report.throughput = await throughputSection(opts);
  }
  if (opts.only.includes("cpu")) report.cpu = await cpuSection(opts);
  if (opts.only.includes("startup")) {
    report.startup = await startupSection(opts);
  }
  if (opts.only.includes("memory")) report.memory = memorySection(opts);
  console.log(JSON.stringify(report, null, 2));
}

// Only when Node runs it as a program (`deno bench bench/` loads this file
// too, as its name matches deno bench's default pattern).
if (
  !("Deno" in globalThis) && process.argv[1] === fileURLToPath(import.meta.url)
) {
  try {
    await main();
  } catch (e) {
    console.error(`[node executor] benchmark failed: ${e?.stack ?? e}`);
    process.exit(2);
  }
  process.exit(0);
}
