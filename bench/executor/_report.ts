/**
 * Prints the table of `bench/executor/compare`: our executor figures from
 * `bench.ts --json` beside CPython's (`bench.py`) and
 * Node's (`node/bench.mjs`: tinypool, piscina), the ratios, and
 * PASS/MISS against the goals.
 *
 * ```sh
 * deno run --allow-read bench/executor/_report.ts --deno deno.json \
 *   [--cpython cpython.json | --no-cpython "why"] \
 *   [--node node.json | --no-node "why"] [--markdown]
 * ```
 *
 * @module
 */
import type { ExecutorReport, Section, Stat } from "./bench.ts";
import {
  parseReportArgs,
  readReport,
  table,
  verdict,
} from "../_shared/report.ts";
import { machineLine } from "../_shared/machine.ts";

/** The goals of the executor benchmarks. */
export const GOALS = {
  /** Ours (runInExecutor, 2 Workers) over CPython's to_thread, jobs/s. */
  throughputVsCpython: 3,
  /** Sequential / 2-Worker pool time for CPU-bound jobs. */
  cpuSpeedup: 1.8,
};

/** Row labels by runtime and section.key; keys not listed show as they are. */
const LABELS: Record<string, Record<string, string>> = {
  deno: {
    "throughput.run_in_executor_ref":
      "ours: runInExecutor(pool, add), by reference",
    "throughput.run_in_executor_src":
      "ours: runInExecutor(pool, add), by source",
    "throughput.submit_ref": "ours: pool.submit(add), by reference",
    "throughput.submit_src": "ours: pool.submit(add), by source",
    "throughput.to_thread_ref":
      "ours: toThread(add), fresh 2-Worker default executor",
    "throughput.bare_postmessage": "Deno: bare Workers, postMessage (floor)",
    "startup.pool_src": "ours: fresh pool, submit(noop) by source",
    "startup.pool_ref": "ours: fresh pool, submit(noop) by reference",
    "startup.worker_pool_entry":
      "Deno: new Worker(pool's entry) to 1st message",
    "startup.worker_bare": "Deno: bare new Worker to 1st message",
    "memory.pool_idle": "ours: ThreadPoolExecutor, 8 idle Workers",
    "memory.worker_bare": "Deno: 8 bare Workers",
  },
  cpython: {
    "throughput.to_thread": "CPython: asyncio.to_thread(add)",
    "throughput.run_in_executor": "CPython: loop.run_in_executor(pool, add)",
    "throughput.cf_submit": "CPython: pool.submit(add), no asyncio",
    "startup.pool": "CPython: fresh ThreadPoolExecutor, submit(noop)",
    "startup.thread": "CPython: threading.Thread start",
    "memory.threads": "CPython: ThreadPoolExecutor, 8 idle threads",
  },
  node: {
    "throughput.tinypool": "Node: tinypool",
    "throughput.tinypool_no_atomics": "Node: tinypool, useAtomics: false",
    "throughput.piscina": "Node: piscina",
    "throughput.bare_postmessage":
      "Node: bare worker threads, postMessage (floor)",
    "startup.tinypool": "Node: fresh tinypool, run(noop)",
    "startup.piscina": "Node: fresh piscina, run(noop)",
    "startup.worker_bare": "Node: bare new Worker to 1st message",
    "memory.tinypool": "Node: tinypool, 8 idle threads",
    "memory.worker_bare": "Node: 8 bare worker threads",
  },
};

function label(runtime: string, section: string, key: string): string {
  return LABELS[runtime]?.[`${section}.${key}`] ?? `${runtime}: ${key}`;
}

function fmtNum(v: number | undefined, unit: string): string {
  if (v === undefined || !Number.isFinite(v)) return "n/a";
  if (unit === "jobs/s") return Math.round(v).toLocaleString("en-US");
  if (unit === "x") return `${v.toFixed(2)}x`;
  if (unit === "MB" && v < 1) return v.toFixed(3);
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

interface Goal {
  text: string;
  figure: string;
  /** true PASS, false MISS, undefined: cannot tell (input missing). */
  ok: boolean | undefined;
}

type Runtimes = [string, ExecutorReport | undefined][];

function rowsOf(
  runtimes: Runtimes,
  pick: (r: ExecutorReport) => Section | undefined,
): [string, string, Stat][] {
  const out: [string, string, Stat][] = [];
  for (const [name, report] of runtimes) {
    const section = report === undefined ? undefined : pick(report);
    if (section === undefined) continue;
    for (const [key, s] of Object.entries(section.rows)) {
      out.push([name, key, s]);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseReportArgs(Deno.args, ["cpython", "node"]);
  const deno = (await readReport<ExecutorReport>(args.deno))!;
  const cpy = await readReport<ExecutorReport>(args.files.cpython);
  const node = await readReport<ExecutorReport>(args.files.node);
  const md = args.markdown;
  const runtimes: Runtimes = [["deno", deno], ["cpython", cpy], [
    "node",
    node,
  ]];
  const goals: Goal[] = [];
  const lines: string[] = [];

  lines.push(
    "Executor (Workers): asyncio for Deno vs CPython threads vs Node " +
      `worker pools, ${deno.date.slice(0, 10)}`,
  );
  if (md) lines.push("");
  lines.push(machineLine(
    deno.machine,
    cpy
      ? `python3 ${cpy.runtime.version}`
      : `CPython: ${args.reasons.cpython ?? "not run"}`,
    node
      ? `node ${node.runtime.version} (${node.runtime.detail})`
      : `Node: ${args.reasons.node ?? "not run"}`,
  ));

  // Throughput.
  const tp = deno.throughput;
  const cpyToThread = cpy?.throughput?.rows.to_thread;
  const tinypool = node?.throughput?.rows.tinypool;
  if (tp !== undefined) {
    lines.push("");
    lines.push(
      `Throughput: ${tp.jobs} jobs add(i, 1) on ${tp.workers} Workers ` +
        `(threads), jobs per second, median of ${tp.rounds} rounds after ` +
        "warm-up, pools warm; x to_thread and x tinypool: the rate over " +
        "CPython's asyncio.to_thread's and over tinypool's (default options)",
    );
    lines.push("");
    const body = rowsOf(runtimes, (r) => r.throughput).map((
      [rt, key, s],
    ) => [
      label(rt, "throughput", key),
      fmtNum(s.median, "jobs/s"),
      fmtNum(s.min, "jobs/s"),
      fmtNum(s.max, "jobs/s"),
      (1e6 / s.median).toFixed(2),
      cpyToThread ? fmtNum(s.median / cpyToThread.median, "x") : "n/a",
      tinypool ? fmtNum(s.median / tinypool.median, "x") : "n/a",
    ]);
    lines.push(table(
      ["how", "jobs/s", "min", "max", "us/job", "x to_thread", "x tinypool"],
      body,
      md,
    ));
    for (
      const [key, what] of [
        ["run_in_executor_ref", "by reference"],
        ["run_in_executor_src", "by source"],
      ]
    ) {
      const ours = tp.rows[key];
      const r = ours && cpyToThread
        ? ours.median / cpyToThread.median
        : undefined;
      goals.push({
        text: `throughput: runInExecutor ${what} >= ` +
          `${GOALS.throughputVsCpython}x CPython to_thread`,
        figure: r === undefined ? "n/a" : fmtNum(r, "x"),
        ok: r === undefined ? undefined : r >= GOALS.throughputVsCpython,
      });
    }
  }

  // CPU-bound.
  const cpuRows = runtimes.filter(([, r]) => r?.cpu !== undefined);
  if (cpuRows.length > 0) {
    lines.push("");
    lines.push(
      `CPU-bound: ${deno.cpu?.jobs ?? 8} jobs of naive recursive fib(n) one ` +
        "after another on the main thread, then on a pool of 2 Workers " +
        "(threads); seconds and speedup (sequential / pool), median of " +
        `${deno.cpu?.rounds ?? cpy?.cpu?.rounds} rounds after a warm-up round`,
    );
    lines.push("");
    const how: Record<string, string> = {
      deno: "ours: gather of runInExecutor(pool, fib)",
      cpython: "CPython: gather of asyncio.to_thread(fib)",
      node: "Node: Promise.all of tinypool.run(fib)",
    };
    lines.push(table(
      [
        "how",
        "n",
        "s/job",
        "sequential s",
        "pool s",
        "speedup",
        "min",
        "max",
        "bare s",
        "bare speedup",
      ],
      cpuRows.map(([name, r]) => {
        const c = r!.cpu!;
        return [
          how[name] ?? name,
          String(c.fib_n),
          fmtNum(c.rows.job.median, "s"),
          fmtNum(c.rows.sequential.median, "s"),
          fmtNum(c.rows.pool.median, "s"),
          fmtNum(c.rows.speedup.median, "x"),
          fmtNum(c.rows.speedup.min, "x"),
          fmtNum(c.rows.speedup.max, "x"),
          fmtNum(c.rows.bare?.median, "s"),
          fmtNum(c.rows.bare_speedup?.median, "x"),
        ];
      }),
      md,
    ));
    if (md) lines.push("");
    lines.push(
      "bare: the same 8 jobs on 2 bare Workers (4 each, sent at once), " +
        "measured in the same rounds: the floor for the pool's time, and a " +
        "check on the machine (a round disturbed by other work shows in both)",
    );
    const s = deno.cpu?.rows.speedup.median;
    goals.push({
      text: `CPU-bound: speedup on 2 Workers >= ${GOALS.cpuSpeedup}x`,
      figure: s === undefined ? "n/a" : fmtNum(s, "x"),
      ok: s === undefined ? undefined : s >= GOALS.cpuSpeedup,
    });
  }

  // Start-up.
  const startup = rowsOf(runtimes, (r) => r.startup);
  if (startup.length > 0) {
    lines.push("");
    lines.push(
      "Start-up, milliseconds, median of " +
        `${deno.startup?.rounds ?? "?"} rounds (fresh pool or Worker each ` +
        "round; no goal)",
    );
    lines.push("");
    lines.push(table(
      ["how", "ms", "min", "max"],
      startup.map(([rt, key, s]) => [
        label(rt, "startup", key),
        fmtNum(s.median, "ms"),
        fmtNum(s.min, "ms"),
        fmtNum(s.max, "ms"),
      ]),
      md,
    ));
  }

  // Memory.
  const memory = rowsOf(runtimes, (r) => r.memory);
  if (memory.length > 0) {
    lines.push("");
    lines.push(
      "Memory per idle Worker (thread): growth of the process's resident " +
        `set from before to 0.5 s after starting ${
          deno.memory?.workers ?? 8
        }, divided by ${deno.memory?.workers ?? 8}, MB (10^6 bytes), median ` +
        `of ${deno.memory?.rounds ?? "?"} fresh processes (no goal); the RSS ` +
        "includes each Worker's V8 isolate and heap",
    );
    lines.push("");
    lines.push(table(
      ["how", "MB", "min", "max"],
      memory.map(([rt, key, s]) => [
        label(rt, "memory", key),
        fmtNum(s.median, "MB"),
        fmtNum(s.min, "MB"),
        fmtNum(s.max, "MB"),
      ]),
      md,
    ));
  }

  if (goals.length > 0) {
    lines.push("");
    lines.push(table(
      ["goal", "figure", "result"],
      goals.map((g) => [
        g.text,
        g.figure,
        verdict(g.ok),
      ]),
      md,
    ));
    const missed = goals.filter((g) => g.ok === false);
    lines.push("");
    lines.push(
      `goals: ${goals.filter((g) => g.ok === true).length} PASS, ` +
        `${missed.length} MISS, ` +
        `${goals.filter((g) => g.ok === undefined).length} n/a`,
    );
  }
  console.log(lines.join("\n"));
}

if (import.meta.main) await main();
