/**
 * Runs the benchmarks of asyncio for Deno in-process, side by side with a
 * host baseline for each, and prints a table of per-item costs (or JSON
 * for `bench/compare`).
 *
 * ```sh
 * deno run -A bench/run.ts            # table
 * deno run -A bench/run.ts --json     # JSON on stdout, progress on stderr
 * deno run -A bench/run.ts --rounds 3 --warmup 1 --scale 0.1 --only gather
 * ```
 *
 * Workloads (see `_workloads.ts`):
 * - `gather`: 100,000 tasks that each `await sleep(0)`, gathered inside
 *   `run(main)`; baseline: 100,000 async functions that each `await null`,
 *   gathered with `Promise.all`.
 * - `call_soon`: 1,000,000 `loop.callSoon(cb)` from inside a running loop;
 *   baseline: `queueMicrotask(cb)`.
 * - `call_later`: 100,000 `loop.callLater(delay, cb, i)` with delays in
 *   0-100 ms on the real clock, checked for deadline order; baseline:
 *   `setTimeout`. Its cost is process CPU time (the wall time is mostly
 *   waiting for the deadlines).
 * - `queue_pingpong`: 100,000 round trips of an item between two tasks
 *   through two `Queue`s; baseline: the same between two async functions
 *   through two minimal promise channels.
 * - `lock_contention`: 100 tasks x 1,000 acquisitions of one `Lock`, each
 *   holding it across `await sleep(0)`; no baseline.
 * - `event_memory`: heap growth per task with 100,000 tasks waiting on one
 *   `Event`; baseline: 100,000 async functions awaiting one promise;
 *   reference: 100,000 plain pending promises. It needs `gc()`, so unless
 *   this process has it (`--v8-flags=--expose-gc`), it runs in a child
 *   `deno run --v8-flags=--expose-gc` of this script.
 *
 * Each workload runs `--warmup` rounds that are thrown away, then
 * `--rounds` rounds alternating with its baseline; the table gives the
 * median and the minimum.
 *
 * @module
 */
import {
  barePingPong,
  callLaterTimers,
  callSoonCallbacks,
  canForceGc,
  eventWaitMemory,
  gatherBarePromises,
  gatherSleep0,
  lcgDelays,
  lockContention,
  type MemorySample,
  pendingPromisesMemory,
  promiseWaitMemory,
  queueMicrotaskCallbacks,
  queuePingPong,
  type Sample,
  setTimeoutTimers,
  type TimerSample,
} from "./_workloads.ts";
import { scanArgs } from "./_args.ts";

/**
 * What a workload's headline figure is: wall-clock or process-CPU
 * microseconds per item, or (`bytes`) memory per item.
 */
export type Metric = "wall" | "cpu" | "bytes";

/** Summary of one side (ours or baseline) of a workload, per item. */
export interface Stats {
  /** What was measured. */
  name: string;
  /**
   * Median per-item cost in microseconds (of the workload's metric; for
   * metric `bytes`, wall clock, which is informational there).
   */
  median_us: number;
  /** Minimum per-item cost in microseconds. */
  min_us: number;
  /** Maximum per-item cost in microseconds. */
  max_us: number;
  /** Every round's per-item cost in microseconds. */
  samples_us: number[];
  /** Memory workload: median bytes per item (the headline figure). */
  median_bytes?: number;
  /** Memory workload: fewest bytes per item in a round. */
  min_bytes?: number;
  /** Memory workload: most bytes per item in a round. */
  max_bytes?: number;
  /** Memory workload: every round's bytes per item. */
  samples_bytes?: number[];
  /** Memory workload: what `median_bytes` measures. */
  bytes_method?: string;
  /**
   * Memory workload: resident-set growth per item in the first round in a
   * fresh process (a cross-check; absent where not measured).
   */
  rss_first_bytes?: number;
  /** Median wall-clock per-item microseconds. */
  wall_median_us: number;
  /** Median process-CPU per-item microseconds. */
  cpu_median_us: number;
  /** Timer workload: median per-item microseconds spent scheduling. */
  schedule_median_us?: number;
  /** Timer workload: fewest callbacks that ran in a round. */
  fired_min?: number;
  /** Timer workload: out-of-order callbacks, all rounds (-1: unchecked). */
  out_of_order_total?: number;
  /** Timer workload: early callbacks, all rounds (-1: unchecked). */
  early_total?: number;
  /** Timer workload: largest lateness seen, in milliseconds. */
  max_late_ms?: number;
}

/** One workload's results. */
export interface WorkloadResult {
  /** What it does. */
  title: string;
  /** Items per round. */
  n: number;
  /** The item ("task", "callback", "timer"). */
  unit: string;
  /**
   * The headline metric: `median_us` as wall clock or process CPU, or
   * `median_bytes`.
   */
  metric: Metric;
  /** Our library. */
  ours: Stats;
  /** The host baseline (absent when the workload has none). */
  baseline?: Stats;
  /** A further reference measurement (`event_memory`: pending promises). */
  reference?: Stats;
}

/** What `--json` prints. */
export interface RunReport {
  /** Which runtime produced it. */
  runtime: { name: "deno"; deno: string; v8: string; typescript: string };
  /** ISO date of the run. */
  date: string;
  /** Measured rounds per workload. */
  rounds: number;
  /** Warm-up rounds per workload. */
  warmup: number;
  /** Results by workload key. */
  workloads: Record<string, WorkloadResult>;
}

interface Options {
  json: boolean;
  rounds: number;
  warmup: number;
  scale: number;
  only: string[];
  timeout: number;
}

const WORKLOADS = [
  "gather",
  "call_soon",
  "call_later",
  "queue_pingpong",
  "lock_contention",
  "event_memory",
];

function usage(): never {
  console.error(
    "usage: deno run -A bench/run.ts [--json] [--rounds N] [--warmup N] " +
      `[--scale F] [--only ${WORKLOADS.join(",")}] [--timeout SECONDS]`,
  );
  Deno.exit(64);
}

function parseArgs(args: string[]): Options {
  const opts: Options = {
    json: false,
    rounds: 7,
    warmup: 2,
    scale: 1,
    only: WORKLOADS,
    timeout: 300,
  };
  for (const arg of scanArgs(args, usage)) {
    switch (arg.name) {
      case "--json":
        opts.json = true;
        break;
      case "--rounds":
        opts.rounds = Math.floor(arg.number(1));
        break;
      case "--warmup":
        opts.warmup = Math.floor(arg.number(0));
        break;
      case "--scale":
        opts.scale = arg.number(1e-6);
        break;
      case "--timeout":
        opts.timeout = arg.number(1);
        break;
      case "--only":
        opts.only = arg.value().split(",").filter((s) => s !== "");
        if (opts.only.some((w) => !WORKLOADS.includes(w))) usage();
        break;
      case "--uvloop": // accepted (and ignored) so that args pass through
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

function summarize(
  name: string,
  samples: Sample[],
  n: number,
  metric: Metric,
): Stats {
  const perItem = (ms: number) => (ms * 1000) / n;
  const primary = samples.map((s) =>
    perItem(metric === "cpu" ? s.cpuMs : s.wallMs)
  );
  const stats: Stats = {
    name,
    median_us: median(primary),
    min_us: Math.min(...primary),
    max_us: Math.max(...primary),
    samples_us: primary,
    wall_median_us: median(samples.map((s) => perItem(s.wallMs))),
    cpu_median_us: median(samples.map((s) => perItem(s.cpuMs))),
  };
  const timers = samples as TimerSample[];
  if (timers.length > 0 && "fired" in timers[0]) {
    stats.schedule_median_us = median(timers.map((s) => perItem(s.scheduleMs)));
    stats.fired_min = Math.min(...timers.map((s) => s.fired));
    stats.out_of_order_total = timers.some((s) => s.outOfOrder < 0)
      ? -1
      : timers.reduce((a, s) => a + s.outOfOrder, 0);
    stats.early_total = timers.some((s) => s.early < 0)
      ? -1
      : timers.reduce((a, s) => a + s.early, 0);
    stats.max_late_ms = Math.max(...timers.map((s) => s.maxLateMs));
  }
  const memory = samples as MemorySample[];
  if (memory.length > 0 && "heapBytes" in memory[0]) {
    const bytes = memory.map((s) => s.heapBytes / n);
    stats.median_bytes = median(bytes);
    stats.min_bytes = Math.min(...bytes);
    stats.max_bytes = Math.max(...bytes);
    stats.samples_bytes = bytes;
    stats.bytes_method =
      "V8 heapUsed growth after forced full GCs (--expose-gc)";
  }
  return stats;
}

async function watchdog<T>(
  label: string,
  seconds: number,
  work: () => Promise<T>,
): Promise<T> {
  let id: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    id = setTimeout(
      () => reject(new Error(`${label} did not finish within ${seconds} s`)),
      seconds * 1000,
    );
  });
  try {
    return await Promise.race([work(), expired]);
  } finally {
    clearTimeout(id);
  }
}

interface Side {
  name: string;
  run: () => Promise<Sample>;
}

interface Spec {
  key: string;
  title: string;
  n: number;
  unit: string;
  metric: Metric;
  ours: Side;
  baseline?: Side;
  reference?: Side;
  /** Needs `gc()`: runs in a child with --expose-gc unless this has it. */
  needsGc?: boolean;
}

/** The lock workload's shape: 100 tasks x 1,000 acquisitions at scale 1. */
export const LOCK_TASKS = 100;

function specs(scale: number): Spec[] {
  const nTasks = Math.max(1, Math.round(100_000 * scale));
  const nCallbacks = Math.max(1, Math.round(1_000_000 * scale));
  const nTimers = Math.max(1, Math.round(100_000 * scale));
  const nTrips = Math.max(1, Math.round(100_000 * scale));
  const lockEach = Math.max(1, Math.round(1_000 * scale));
  const nWaiters = Math.max(1, Math.round(100_000 * scale));
  const delays = lcgDelays(nTimers, 0.1);
  return [
    {
      key: "gather",
      title: "gather of tasks that await sleep(0)",
      n: nTasks,
      unit: "task",
      metric: "wall",
      ours: {
        name: "run(main): gather(...coroutine fns), each await sleep(0)",
        run: () => gatherSleep0(nTasks),
      },
      baseline: {
        name: "Promise.all of async fns, each await null",
        run: () => gatherBarePromises(nTasks),
      },
    },
    {
      key: "call_soon",
      title: "loop.callSoon(cb), all run",
      n: nCallbacks,
      unit: "callback",
      metric: "wall",
      ours: {
        name: "loop.callSoon(cb) inside a running loop",
        run: () => callSoonCallbacks(nCallbacks),
      },
      baseline: {
        name: "queueMicrotask(cb)",
        run: () => queueMicrotaskCallbacks(nCallbacks),
      },
    },
    {
      key: "call_later",
      title: "loop.callLater(0-100 ms random, cb), all fire (CPU time)",
      n: nTimers,
      unit: "timer",
      metric: "cpu",
      ours: {
        name: "loop.callLater(delay, cb, i), real clock",
        run: () => callLaterTimers(delays),
      },
      baseline: {
        name: "setTimeout(cb, delay)",
        run: () => setTimeoutTimers(delays),
      },
    },
    {
      key: "queue_pingpong",
      title: "round trips between two tasks through two Queues",
      n: nTrips,
      unit: "round trip",
      metric: "wall",
      ours: {
        name: "run(main): await q1.put(i); await q2.get() / " +
          "echo task: await q2.put(await q1.get())",
        run: () => queuePingPong(nTrips),
      },
      baseline: {
        name: "two async fns, two minimal promise channels " +
          "(get() resolved by the next put())",
        run: () => barePingPong(nTrips),
      },
    },
    {
      key: "lock_contention",
      title: `${LOCK_TASKS} tasks x ${lockEach} acquisitions of one Lock, ` +
        "await sleep(0) inside",
      n: LOCK_TASKS * lockEach,
      unit: "acquisition",
      metric: "wall",
      ours: {
        name: "gather of tasks, each " +
          "{ using _held = await lock.acquire(); await sleep(0); }",
        run: () => lockContention(LOCK_TASKS, lockEach),
      },
    },
    {
      key: "event_memory",
      title: "heap per task waiting on one Event",
      n: nWaiters,
      unit: "waiting task",
      metric: "bytes",
      needsGc: true,
      ours: {
        name: "createTask(waiter) x N, each await event.wait()",
        run: () => eventWaitMemory(nWaiters),
      },
      baseline: {
        name: "async fns x N, each await one pending promise",
        run: () => promiseWaitMemory(nWaiters),
      },
      reference: {
        name: "new Promise(never) x N (plausibility check)",
        run: () => pendingPromisesMemory(nWaiters),
      },
    },
  ];
}

function fmtUs(us: number): string {
  return us >= 100 ? us.toFixed(1) : us >= 10 ? us.toFixed(2) : us.toFixed(3);
}

function pad(s: string, width: number, left = false): string {
  return left ? s.padStart(width) : s.padEnd(width);
}

function fmtBytes(b: number | undefined): string {
  return b === undefined || !Number.isFinite(b) ? "n/a" : b.toFixed(0);
}

function printTable(report: RunReport): void {
  const rt = report.runtime;
  console.log(
    `asyncio for Deno benchmarks: deno ${rt.deno} (V8 ${rt.v8}), ${report.date}`,
  );
  console.log(
    `${report.rounds} rounds after ${report.warmup} warm-up rounds; ` +
      "per-item cost in microseconds (event_memory: bytes), median (min)\n",
  );
  const header = [
    pad("workload", 15),
    pad("n", 8, true),
    pad("metric", 6),
    pad("ours", 18),
    pad("baseline", 18),
    pad("ours/baseline", 13, true),
    "baseline is",
  ].join("  ");
  console.log(header);
  console.log("-".repeat(header.length + 30));
  for (const [key, w] of Object.entries(report.workloads)) {
    const bytes = w.metric === "bytes";
    const cell = (s: Stats | undefined): string =>
      s === undefined
        ? "n/a"
        : bytes
        ? `${fmtBytes(s.median_bytes)} (${fmtBytes(s.min_bytes)})`
        : `${fmtUs(s.median_us)} (${fmtUs(s.min_us)})`;
    const value = (s: Stats) => bytes ? s.median_bytes! : s.median_us;
    console.log([
      pad(key, 15),
      pad(String(w.n), 8, true),
      pad(w.metric, 6),
      pad(cell(w.ours), 18),
      pad(cell(w.baseline), 18),
      pad(
        w.baseline === undefined
          ? "n/a"
          : `${(value(w.ours) / value(w.baseline)).toFixed(2)}x`,
        13,
        true,
      ),
      w.baseline?.name ?? "(no baseline)",
    ].join("  "));
  }
  const timers = report.workloads.call_later;
  if (timers !== undefined) {
    const o = timers.ours;
    console.log(
      `\ncall_later (ours): fired ${o.fired_min}/${timers.n} (fewest in a ` +
        `round), out of deadline order ${o.out_of_order_total}, early ` +
        `${o.early_total}, max lateness ${o.max_late_ms?.toFixed(1)} ms; ` +
        `wall ${fmtUs(o.wall_median_us)} us/timer, scheduling ` +
        `${fmtUs(o.schedule_median_us ?? NaN)} us/timer (medians)`,
    );
    const b = timers.baseline;
    if (b !== undefined) {
      console.log(
        `call_later (setTimeout): fired ${b.fired_min}/${timers.n}, wall ` +
          `${fmtUs(b.wall_median_us)} us/timer, scheduling ` +
          `${fmtUs(b.schedule_median_us ?? NaN)} us/timer (medians)`,
      );
    }
  }
  const memory = report.workloads.event_memory;
  if (memory !== undefined) {
    console.log(
      `\nevent_memory: ${memory.ours.bytes_method}; plain pending promise ` +
        `${fmtBytes(memory.reference?.median_bytes)} bytes (median); ` +
        `first-round RSS growth ${
          fmtBytes(memory.ours.rss_first_bytes)
        } bytes/task (ours)`,
    );
  }
  for (const key of ["gather", "queue_pingpong"]) {
    const goal = report.workloads[key];
    if (goal?.baseline === undefined) continue;
    const ratio = goal.ours.median_us / goal.baseline.median_us;
    console.log(
      `${key === "gather" ? "\n" : ""}goal: ${key} at most 3x the ` +
        `bare-promise baseline: ${ratio.toFixed(2)}x ` +
        `${ratio <= 3 ? "PASS" : "MISS"}` +
        " (run bench/compare for the CPython and uvloop goals)",
    );
  }
}

/** Runs one spec's rounds in this process. */
async function runHere(spec: Spec, opts: Options): Promise<WorkloadResult> {
  const sides = [spec.ours, spec.baseline, spec.reference];
  const samples: Sample[][] = sides.map(() => []);
  let first: Sample | undefined;
  const total = opts.warmup + opts.rounds;
  for (let r = 0; r < total; r++) {
    const label = `${spec.key} round ${r + 1}/${total}`;
    // Alternate so that drift (thermal, GC state) hits every side alike.
    for (const [i, side] of sides.entries()) {
      if (side === undefined) continue;
      const s = await watchdog(
        `${label} (${["ours", "baseline", "reference"][i]})`,
        opts.timeout,
        side.run,
      );
      if (r === 0 && i === 0) first = s;
      if (r >= opts.warmup) samples[i].push(s);
    }
  }
  const stats = (i: number): Stats | undefined => {
    const side = sides[i];
    return side === undefined
      ? undefined
      : summarize(side.name, samples[i], spec.n, spec.metric);
  };
  const result: WorkloadResult = {
    title: spec.title,
    n: spec.n,
    unit: spec.unit,
    metric: spec.metric,
    ours: stats(0)!,
  };
  const baseline = stats(1);
  if (baseline !== undefined) result.baseline = baseline;
  const reference = stats(2);
  if (reference !== undefined) result.reference = reference;
  if (first !== undefined && "rssBytes" in first) {
    // The first round of this process: the heap had to grow for it.
    result.ours.rss_first_bytes = (first as MemorySample).rssBytes / spec.n;
  }
  return result;
}

/**
 * Runs one spec in a child `deno run --v8-flags=--expose-gc` of this
 * script (with `--only` that spec) and returns its result.
 */
async function runInChild(
  spec: Spec,
  opts: Options,
): Promise<WorkloadResult> {
  const args = [
    "run",
    "--v8-flags=--expose-gc",
    "--allow-env",
    "--allow-read",
    import.meta.url,
    "--json",
    "--only",
    spec.key,
    "--rounds",
    String(opts.rounds),
    "--warmup",
    String(opts.warmup),
    "--scale",
    String(opts.scale),
    "--timeout",
    String(opts.timeout),
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const limit = opts.timeout * (opts.warmup + opts.rounds) * 3;
  let output: Deno.CommandOutput;
  try {
    output = await watchdog(`${spec.key} (child)`, limit, () => child.output());
  } catch (e) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    throw e;
  }
  if (!output.success) {
    throw new Error(
      `${spec.key}: deno ${args.join(" ")} exited with ${output.code}`,
    );
  }
  const report = JSON.parse(new TextDecoder().decode(output.stdout));
  const result = (report as RunReport).workloads[spec.key];
  if (result === undefined) throw new Error(`${spec.key}: child gave none`);
  return result;
}

async function main(): Promise<void> {
  const opts = parseArgs(Deno.args);
  const tag = canForceGc() ? "deno --expose-gc" : "deno";
  const progress = (msg: string) => console.error(`[${tag}] ${msg}`);
  const report: RunReport = {
    runtime: {
      name: "deno",
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      typescript: Deno.version.typescript,
    },
    date: new Date().toISOString(),
    rounds: opts.rounds,
    warmup: opts.warmup,
    workloads: {},
  };
  for (const spec of specs(opts.scale)) {
    if (!opts.only.includes(spec.key)) continue;
    const result = spec.needsGc && !canForceGc()
      ? await runInChild(spec, opts)
      : await runHere(spec, opts);
    report.workloads[spec.key] = result;
    const fmt = (s: Stats | undefined) =>
      s === undefined
        ? "n/a"
        : spec.metric === "bytes"
        ? `${fmtBytes(s.median_bytes)} bytes`
        : `${fmtUs(s.median_us)} us`;
    progress(
      `${spec.key}: ours ${fmt(result.ours)}/${spec.unit}, ` +
        `baseline ${fmt(result.baseline)} (${spec.metric}, median)`,
    );
  }
  if (opts.json) console.log(JSON.stringify(report, null, 2));
  else printTable(report);
}

if (import.meta.main) {
  try {
    await main();
  } catch (e) {
    console.error(
      `[deno] benchmark failed: ${e instanceof Error ? e.stack : e}`,
    );
    Deno.exit(2);
  }
  // A hung workload may leave host timers behind; do not wait for them.
  Deno.exit(0);
}
