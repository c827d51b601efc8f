/**
 * Runs the benchmarks of asyncio for Deno in-process, side by side with a
 * host baseline for each, and prints a table of per-item costs (or JSON
 * for `bench/core/compare`).
 *
 * ```sh
 * deno run -A bench/core/bench.ts            # table
 * deno run -A bench/core/bench.ts --json     # JSON on stdout, progress on stderr
 * deno run -A bench/core/bench.ts --rounds 3 --warmup 1 --scale 0.1 --only gather
 * deno run -A bench/core/bench.ts --cold 9 --only gather   # 9 fresh processes per side
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
 * - `objects_per_task`: heap objects per task suspended at `sleep(0)`
 *   (and at `event.wait()`), counted in V8 heap snapshots
 *   (`bench_objects.ts`, 10,000 tasks); baseline: async functions
 *   awaiting one promise; reference: plain pending promises. One round
 *   (the counts do not depend on timing), whatever `--rounds` says.
 *
 * Each workload runs `--warmup` rounds that are thrown away, then
 * `--rounds` rounds alternating with its baseline; the table gives the
 * median and the minimum. `gather`, `queue_pingpong` and
 * `lock_contention` are also measured cold: `--cold K` (default 5) fresh
 * child processes per side (`--cold-probe KEY:SIDE`), each timing only
 * its first round, ours and the baseline alternating; `--cold 0` skips it.
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
import { scanArgs } from "../_shared/args.ts";
import { type Machine, machineInfo, machineLine } from "../_shared/machine.ts";
import {
  countObjects,
  OBJECTS_GOAL,
  type ObjectsRow,
  type ObjectsSample,
} from "./bench_objects.ts";

/**
 * What a workload's headline figure is: wall-clock or process-CPU
 * microseconds per item, (`bytes`) memory per item, or (`objects`) heap
 * objects per item.
 */
export type Metric = "wall" | "cpu" | "bytes" | "objects";

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
  /** Objects workload: median heap objects per item (the headline). */
  median_objects?: number;
  /** Objects workload: median heap bytes (`self_size`) per item. */
  median_object_bytes?: number;
  /**
   * Objects workload: the `type:name` groups of the last round that
   * changed by at least 0.5 objects per item, per item.
   */
  object_rows?: ObjectsRow[];
}

/**
 * The cold figures of a workload: the first round in each of `processes`
 * fresh processes per side (`--cold`).
 */
export interface ColdResult {
  /** Fresh processes per side. */
  processes: number;
  /** Ours: median, min and max over the processes. */
  ours: Stats;
  /** The baseline, measured the same way (absent when there is none). */
  baseline?: Stats;
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
  /**
   * More measurements of ours (`objects_per_task`: tasks waiting on an
   * Event).
   */
  variants?: Stats[];
  /** The first round in fresh processes (`--cold`). */
  cold?: ColdResult;
}

/** What `--json` prints. */
export interface RunReport {
  /** Which runtime produced it. */
  runtime: { name: "deno"; deno: string; v8: string; typescript: string };
  /** The machine (CPU model, CPUs, OS). */
  machine?: Machine;
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
  cold: number;
  coldProbe: string | null;
}

const WORKLOADS = [
  "gather",
  "call_soon",
  "call_later",
  "queue_pingpong",
  "lock_contention",
  "event_memory",
  "objects_per_task",
];

/** The workloads that `--cold` also measures in fresh processes. */
export const COLD_WORKLOADS = ["gather", "queue_pingpong", "lock_contention"];

function usage(): never {
  console.error(
    "usage: deno run -A bench/core/bench.ts [--json] [--rounds N] [--warmup N] " +
      `[--scale F] [--only ${WORKLOADS.join(",")}] [--timeout SECONDS] ` +
      "[--cold K]",
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
    cold: 5,
    coldProbe: null,
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
      case "--cold":
        opts.cold = arg.integer(0);
        break;
      case "--cold-probe": // internal: one first round, in a child
        opts.coldProbe = arg.value();
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
  const objects = samples as ObjectsSample[];
  if (objects.length > 0 && "objects" in objects[0]) {
    stats.median_objects = median(objects.map((s) => s.objects / n));
    stats.median_object_bytes = median(objects.map((s) => s.bytes / n));
    stats.object_rows = objects[objects.length - 1].rows.map((r) => ({
      key: r.key,
      objects: r.objects / n,
      bytes: r.bytes / n,
    }));
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
  variants?: Side[];
  /** Needs `gc()`: runs in a child with --expose-gc unless this has it. */
  needsGc?: boolean;
  /** Rounds that replace `--rounds` and `--warmup`. */
  fixedRounds?: { rounds: number; warmup: number };
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
  const nObjects = Math.max(100, Math.round(10_000 * scale));
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
    {
      key: "objects_per_task",
      title: "heap objects per task suspended at sleep(0)",
      n: nObjects,
      unit: "task",
      metric: "objects",
      fixedRounds: { rounds: 1, warmup: 0 },
      ours: {
        name: "createTask(work) x N, each suspended at await sleep(0)",
        run: () => countObjects("task_sleep0", nObjects),
      },
      baseline: {
        name: "async fns x N, each awaiting one pending promise",
        run: () => countObjects("bare_async", nObjects),
      },
      reference: {
        name: "new Promise(never) x N (the method's check)",
        run: () => countObjects("pending_promises", nObjects),
      },
      variants: [{
        name: "createTask(waiter) x N, each suspended at await event.wait()",
        run: () => countObjects("task_event", nObjects),
      }],
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

function fmtObjects(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(2);
}

function printTable(report: RunReport): void {
  console.log(`asyncio for Deno benchmarks, ${report.date}`);
  console.log(machineLine(report.machine));
  console.log(
    `${report.rounds} rounds after ${report.warmup} warm-up rounds; ` +
      "per-item cost in microseconds (event_memory: bytes; " +
      "objects_per_task: heap objects), median (min)\n",
  );
  const header = [
    pad("workload", 16),
    pad("n", 8, true),
    pad("metric", 7),
    pad("ours", 21),
    pad("baseline", 21),
    pad("ours/baseline", 13, true),
    "baseline is",
  ].join("  ");
  console.log(header);
  console.log("-".repeat(header.length + 30));
  const row = (
    key: string,
    n: string,
    metric: string,
    ours: string,
    base: string,
    ratio: string,
    what: string,
  ) =>
    console.log([
      pad(key, 16),
      pad(n, 8, true),
      pad(metric, 7),
      pad(ours, 21),
      pad(base, 21),
      pad(ratio, 13, true),
      what,
    ].join("  "));
  for (const [key, w] of Object.entries(report.workloads)) {
    const cell = (s: Stats | undefined): string =>
      s === undefined
        ? "n/a"
        : w.metric === "bytes"
        ? `${fmtBytes(s.median_bytes)} (${fmtBytes(s.min_bytes)})`
        : w.metric === "objects"
        ? fmtObjects(s.median_objects)
        : `${fmtUs(s.median_us)} (${fmtUs(s.min_us)})`;
    const value = (s: Stats) =>
      w.metric === "bytes"
        ? s.median_bytes!
        : w.metric === "objects"
        ? s.median_objects!
        : s.median_us;
    const ratio = (a: Stats, b: Stats | undefined) =>
      b === undefined ? "n/a" : `${(value(a) / value(b)).toFixed(2)}x`;
    row(
      key,
      String(w.n),
      w.metric,
      cell(w.ours),
      cell(w.baseline),
      ratio(w.ours, w.baseline),
      w.baseline?.name ?? "(no baseline)",
    );
    const cold = w.cold;
    if (cold !== undefined) {
      const range = (s: Stats | undefined) =>
        s === undefined
          ? "n/a"
          : `${fmtUs(s.median_us)} (${fmtUs(s.min_us)}-${fmtUs(s.max_us)})`;
      row(
        `  cold (${cold.processes})`,
        "",
        w.metric,
        range(cold.ours),
        range(cold.baseline),
        ratio(cold.ours, cold.baseline),
        "first round in fresh processes: median (min-max)",
      );
    }
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
  const objects = report.workloads.objects_per_task;
  if (objects !== undefined) {
    console.log(
      `\nobjects_per_task (heap snapshots, ${objects.n} items; objects and ` +
        "bytes per item):",
    );
    for (
      const s of [
        objects.ours,
        ...objects.variants ?? [],
        objects.baseline,
        objects.reference,
      ]
    ) {
      if (s === undefined) continue;
      console.log(
        `  ${fmtObjects(s.median_objects).padStart(6)} objects ` +
          `${fmtBytes(s.median_object_bytes).padStart(5)} B  ${s.name}`,
      );
    }
    console.log(
      "  ours by type:name (run bench/core/bench_objects.ts for all):",
    );
    for (const r of objects.ours.object_rows ?? []) {
      console.log(
        `  ${fmtObjects(r.objects).padStart(6)} objects ` +
          `${fmtBytes(r.bytes).padStart(5)} B  ${r.key}`,
      );
    }
  }
  console.log("");
  for (const key of ["gather", "queue_pingpong"]) {
    const goal = report.workloads[key];
    if (goal?.baseline === undefined) continue;
    const ratio = goal.ours.median_us / goal.baseline.median_us;
    console.log(
      `goal: ${key === "gather" ? "warm: gather" : key} at most 3x the ` +
        `bare-promise baseline: ${ratio.toFixed(2)}x ` +
        `${ratio <= 3 ? "PASS" : "MISS"}`,
    );
  }
  if (objects !== undefined) {
    const per = objects.ours.median_objects ?? NaN;
    console.log(
      `goal: objects per spawned task at most ${OBJECTS_GOAL}: ` +
        `${fmtObjects(per)} ${per <= OBJECTS_GOAL ? "PASS" : "MISS"}`,
    );
  }
  console.log(
    "(run bench/core/compare for the goals against CPython and uvloop)",
  );
}

/** Runs one spec's rounds in this process. */
async function runHere(spec: Spec, opts: Options): Promise<WorkloadResult> {
  const sides = [
    spec.ours,
    spec.baseline,
    spec.reference,
    ...spec.variants ?? [],
  ];
  const labels = ["ours", "baseline", "reference"];
  const samples: Sample[][] = sides.map(() => []);
  let first: Sample | undefined;
  const { rounds, warmup } = spec.fixedRounds ?? opts;
  const total = warmup + rounds;
  for (let r = 0; r < total; r++) {
    const label = `${spec.key} round ${r + 1}/${total}`;
    // Alternate so that drift (thermal, GC state) hits every side alike.
    for (const [i, side] of sides.entries()) {
      if (side === undefined) continue;
      const s = await watchdog(
        `${label} (${labels[i] ?? `variant ${i - 2}`})`,
        opts.timeout,
        side.run,
      );
      if (r === 0 && i === 0) first = s;
      if (r >= warmup) samples[i].push(s);
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
  if (spec.variants !== undefined) {
    result.variants = spec.variants.map((_, i) => stats(3 + i)!);
  }
  if (first !== undefined && "rssBytes" in first) {
    // The first round of this process: the heap had to grow for it.
    result.ours.rss_first_bytes = (first as MemorySample).rssBytes / spec.n;
  }
  return result;
}

/** The side of a spec that `--cold-probe KEY:SIDE` names. */
function probeSide(spec: Spec, side: string): Side | undefined {
  return side === "ours"
    ? spec.ours
    : side === "baseline"
    ? spec.baseline
    : undefined;
}

/**
 * Cold figures of one spec: `opts.cold` fresh child processes of this
 * script per side (`--cold-probe KEY:SIDE`), each running one round and
 * nothing else; ours and the baseline alternate, and which goes first
 * alternates too.
 */
async function runCold(spec: Spec, opts: Options): Promise<ColdResult> {
  const sides = (["ours", "baseline"] as const).filter((side) =>
    probeSide(spec, side) !== undefined
  );
  const samples: Record<string, Sample[]> = { ours: [], baseline: [] };
  for (let k = 0; k < opts.cold; k++) {
    const order = k % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      const args = [
        "run",
        "--allow-env",
        "--allow-read",
        import.meta.url,
        "--cold-probe",
        `${spec.key}:${side}`,
        "--scale",
        String(opts.scale),
        "--timeout",
        String(opts.timeout),
      ];
      const output = await watchdog(
        `${spec.key} cold ${side} ${k + 1}/${opts.cold}`,
        opts.timeout * 2,
        () =>
          new Deno.Command(Deno.execPath(), {
            args,
            stdin: "null",
            stdout: "piped",
            stderr: "inherit",
          }).output(),
      );
      if (!output.success) {
        throw new Error(
          `${spec.key}: deno ${args.join(" ")} exited with ${output.code}`,
        );
      }
      samples[side].push(
        JSON.parse(new TextDecoder().decode(output.stdout)) as Sample,
      );
    }
  }
  const stats = (side: "ours" | "baseline"): Stats | undefined => {
    const s = probeSide(spec, side);
    return s === undefined
      ? undefined
      : summarize(s.name, samples[side], spec.n, spec.metric);
  };
  const result: ColdResult = { processes: opts.cold, ours: stats("ours")! };
  const baseline = stats("baseline");
  if (baseline !== undefined) result.baseline = baseline;
  return result;
}

/** `--cold-probe KEY:SIDE`: one round of one side; its sample as JSON. */
async function coldProbe(opts: Options): Promise<void> {
  const [key, side] = opts.coldProbe!.split(":");
  const spec = specs(opts.scale).find((s) => s.key === key);
  const run = spec === undefined ? undefined : probeSide(spec, side);
  if (run === undefined || !COLD_WORKLOADS.includes(key)) usage();
  const sample = await watchdog(`${key} cold probe`, opts.timeout, run.run);
  console.log(JSON.stringify(sample));
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
  if (opts.coldProbe !== null) return await coldProbe(opts);
  const tag = canForceGc() ? "deno --expose-gc" : "deno";
  const progress = (msg: string) => console.error(`[${tag}] ${msg}`);
  const report: RunReport = {
    runtime: {
      name: "deno",
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      typescript: Deno.version.typescript,
    },
    machine: machineInfo(),
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
        : spec.metric === "objects"
        ? `${fmtObjects(s.median_objects)} objects`
        : `${fmtUs(s.median_us)} us`;
    progress(
      `${spec.key}: ours ${fmt(result.ours)}/${spec.unit}, ` +
        `baseline ${fmt(result.baseline)} (${spec.metric}, median)`,
    );
    if (opts.cold > 0 && COLD_WORKLOADS.includes(spec.key)) {
      result.cold = await runCold(spec, opts);
      progress(
        `${spec.key} cold (${opts.cold} fresh processes per side): ours ` +
          `${fmt(result.cold.ours)}/${spec.unit}, baseline ` +
          `${fmt(result.cold.baseline)} (median)`,
      );
    }
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
