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
 *
 * Each workload runs `--warmup` rounds that are thrown away, then
 * `--rounds` rounds alternating with its baseline; the table gives the
 * median and the minimum.
 *
 * @module
 */
import {
  callLaterTimers,
  callSoonCallbacks,
  gatherBarePromises,
  gatherSleep0,
  lcgDelays,
  queueMicrotaskCallbacks,
  type Sample,
  setTimeoutTimers,
  type TimerSample,
} from "./_workloads.ts";

/** Summary of one side (ours or baseline) of a workload, per item. */
export interface Stats {
  /** What was measured. */
  name: string;
  /** Median per-item cost in microseconds (of the workload's metric). */
  median_us: number;
  /** Minimum per-item cost in microseconds. */
  min_us: number;
  /** Maximum per-item cost in microseconds. */
  max_us: number;
  /** Every round's per-item cost in microseconds. */
  samples_us: number[];
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
  /** The metric of `median_us`: wall clock or process CPU. */
  metric: "wall" | "cpu";
  /** Our library. */
  ours: Stats;
  /** The host baseline. */
  baseline: Stats;
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

const WORKLOADS = ["gather", "call_soon", "call_later"];

function usage(): never {
  console.error(
    "usage: deno run -A bench/run.ts [--json] [--rounds N] [--warmup N] " +
      "[--scale F] [--only gather,call_soon,call_later] [--timeout SECONDS]",
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
  for (let i = 0; i < args.length; i++) {
    let arg = args[i];
    let value: string | undefined;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const next = (): string => {
      if (value !== undefined) return value;
      if (i + 1 >= args.length) usage();
      return args[++i];
    };
    const num = (min: number): number => {
      const v = Number(next());
      if (!Number.isFinite(v) || v < min) usage();
      return v;
    };
    switch (arg) {
      case "--json":
        opts.json = true;
        break;
      case "--rounds":
        opts.rounds = Math.floor(num(1));
        break;
      case "--warmup":
        opts.warmup = Math.floor(num(0));
        break;
      case "--scale":
        opts.scale = num(1e-6);
        break;
      case "--timeout":
        opts.timeout = num(1);
        break;
      case "--only":
        opts.only = next().split(",").filter((s) => s !== "");
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
  metric: "wall" | "cpu",
): Stats {
  const perItem = (ms: number) => (ms * 1000) / n;
  const primary = samples.map((s) =>
    perItem(metric === "wall" ? s.wallMs : s.cpuMs)
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

interface Spec {
  key: string;
  title: string;
  n: number;
  unit: string;
  metric: "wall" | "cpu";
  oursName: string;
  baselineName: string;
  ours: () => Promise<Sample>;
  baseline: () => Promise<Sample>;
}

function specs(scale: number): Spec[] {
  const nTasks = Math.max(1, Math.round(100_000 * scale));
  const nCallbacks = Math.max(1, Math.round(1_000_000 * scale));
  const nTimers = Math.max(1, Math.round(100_000 * scale));
  const delays = lcgDelays(nTimers, 0.1);
  return [
    {
      key: "gather",
      title: "gather of tasks that await sleep(0)",
      n: nTasks,
      unit: "task",
      metric: "wall",
      oursName: "run(main): gather(...coroutine fns), each await sleep(0)",
      baselineName: "Promise.all of async fns, each await null",
      ours: () => gatherSleep0(nTasks),
      baseline: () => gatherBarePromises(nTasks),
    },
    {
      key: "call_soon",
      title: "loop.callSoon(cb), all run",
      n: nCallbacks,
      unit: "callback",
      metric: "wall",
      oursName: "loop.callSoon(cb) inside a running loop",
      baselineName: "queueMicrotask(cb)",
      ours: () => callSoonCallbacks(nCallbacks),
      baseline: () => queueMicrotaskCallbacks(nCallbacks),
    },
    {
      key: "call_later",
      title: "loop.callLater(0-100 ms random, cb), all fire (CPU time)",
      n: nTimers,
      unit: "timer",
      metric: "cpu",
      oursName: "loop.callLater(delay, cb, i), real clock",
      baselineName: "setTimeout(cb, delay)",
      ours: () => callLaterTimers(delays),
      baseline: () => setTimeoutTimers(delays),
    },
  ];
}

function fmtUs(us: number): string {
  return us >= 100 ? us.toFixed(1) : us >= 10 ? us.toFixed(2) : us.toFixed(3);
}

function pad(s: string, width: number, left = false): string {
  return left ? s.padStart(width) : s.padEnd(width);
}

function printTable(report: RunReport): void {
  const rt = report.runtime;
  console.log(
    `asyncio for Deno benchmarks: deno ${rt.deno} (V8 ${rt.v8}), ${report.date}`,
  );
  console.log(
    `${report.rounds} rounds after ${report.warmup} warm-up rounds; ` +
      "per-item cost in microseconds, median (min)\n",
  );
  const header = [
    pad("workload", 12),
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
    console.log([
      pad(key, 12),
      pad(String(w.n), 8, true),
      pad(w.metric, 6),
      pad(`${fmtUs(w.ours.median_us)} (${fmtUs(w.ours.min_us)})`, 18),
      pad(`${fmtUs(w.baseline.median_us)} (${fmtUs(w.baseline.min_us)})`, 18),
      pad(`${(w.ours.median_us / w.baseline.median_us).toFixed(2)}x`, 13, true),
      w.baseline.name,
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
    console.log(
      `call_later (setTimeout): fired ${b.fired_min}/${timers.n}, wall ` +
        `${fmtUs(b.wall_median_us)} us/timer, scheduling ` +
        `${fmtUs(b.schedule_median_us ?? NaN)} us/timer (medians)`,
    );
  }
  const goal = report.workloads.gather;
  if (goal !== undefined) {
    const ratio = goal.ours.median_us / goal.baseline.median_us;
    console.log(
      `\ngoal: gather at most 3x the bare-promise baseline: ` +
        `${ratio.toFixed(2)}x ${ratio <= 3 ? "PASS" : "MISS"}` +
        " (run bench/compare for the CPython and uvloop goals)",
    );
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(Deno.args);
  const progress = (msg: string) => console.error(`[deno] ${msg}`);
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
    const ours: Sample[] = [];
    const base: Sample[] = [];
    const total = opts.warmup + opts.rounds;
    for (let r = 0; r < total; r++) {
      const label = `${spec.key} round ${r + 1}/${total}`;
      // Alternate so that drift (thermal, GC state) hits both sides alike.
      const o = await watchdog(`${label} (ours)`, opts.timeout, spec.ours);
      const b = await watchdog(
        `${label} (baseline)`,
        opts.timeout,
        spec.baseline,
      );
      if (r >= opts.warmup) {
        ours.push(o);
        base.push(b);
      }
    }
    const result: WorkloadResult = {
      title: spec.title,
      n: spec.n,
      unit: spec.unit,
      metric: spec.metric,
      ours: summarize(spec.oursName, ours, spec.n, spec.metric),
      baseline: summarize(spec.baselineName, base, spec.n, spec.metric),
    };
    report.workloads[spec.key] = result;
    progress(
      `${spec.key}: ours ${fmtUs(result.ours.median_us)} us/${spec.unit}, ` +
        `baseline ${fmtUs(result.baseline.median_us)} (${spec.metric}, median)`,
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
