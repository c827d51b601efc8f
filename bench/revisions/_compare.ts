/**
 * The work of `bench/revisions/compare` (see there): runs each suite's
 * runner of a base tree and of the working tree alternately, each time in a
 * fresh process, and prints per suite a table of our per-item costs, median
 * (min-max) over the processes of each side, head/base and a verdict.
 *
 * ```sh
 * deno run -A bench/revisions/_compare.ts --base-dir DIR [OPTIONS]
 * ```
 *
 * @module
 */
import { scanArgs } from "../_shared/args.ts";
import { fmtRatio, fmtUs, table } from "../_shared/report.ts";
import type { RunReport } from "../core/bench.ts";
import type { StreamsReport } from "../streams/bench.ts";
import type { ExecutorReport, Stat } from "../executor/bench.ts";
import { machineLine } from "../_shared/machine.ts";

type Suite = "core" | "streams" | "executor";
type Side = "base" | "head";
type Options = ReturnType<typeof parseArgs>;
/** A workload's figure in one process: key, cost (lower is better), unit. */
type Cost = [string, number, string];

interface SuiteDef {
  /**
   * Where its runner may be, the current layout first: a base revision
   * from before the one-folder-per-suite layout has it at the old path.
   */
  runners: string[];
  /** What its `--only` takes. */
  names: string[];
  /** Its options as [name, value] (it only gets those it has). */
  args(o: Options): string[][];
  /** Our per-item costs in its JSON. */
  costs(json: unknown): Cost[];
}

const SUITES: Record<Suite, SuiteDef> = {
  core: {
    runners: ["bench/core/bench.ts", "bench/run.ts"],
    names: ("gather call_soon call_later queue_pingpong lock_contention " +
      "event_memory objects_per_task").split(" "),
    args: (o) => o.scale === undefined ? [] : [["--scale", `${o.scale}`]],
    costs: (json) =>
      Object.entries((json as RunReport).workloads).flatMap(([key, w]) => {
        const us = w.metric === "cpu" ? "us CPU" : "us";
        const cost: Cost = w.metric === "bytes"
          ? [key, w.ours.median_bytes!, `B/${w.unit}`]
          : w.metric === "objects"
          ? [key, w.ours.median_objects!, `objects/${w.unit}`]
          : [key, w.ours.median_us, `${us}/${w.unit}`];
        // The first round in fresh processes, where the runner has it.
        return w.cold === undefined
          ? [cost]
          : [cost, [`${key} cold`, w.cold.ours.median_us, `us/${w.unit}`]];
      }),
  },
  streams: {
    runners: ["bench/streams/bench.ts", "bench/streams_bench.ts"],
    names: "echo bulk_s2c bulk_c2s echo_memory".split(" "),
    args: (o) => [
      ["--impl", "ours"],
      ...(o.scale === undefined ? [] : [
        ["--seconds", `${2.5 * o.scale}`],
        ["--bulk-mib", `${Math.max(1, Math.round(1024 * o.scale))}`],
      ]),
    ],
    costs: (json) =>
      (json as StreamsReport).results.flatMap((r): Cost[] =>
        r.impl !== "ours" ? [] : [[
          `${r.workload} ${r.layout}`,
          1e6 / r.median,
          r.unit === "msg/s" ? "us/msg" : "us/MB",
        ]]
      ),
  },
  executor: {
    runners: ["bench/executor/bench.ts", "bench/executor_bench.ts"],
    names: "throughput cpu startup memory".split(" "),
    args: (o) => [
      ["--cpu-rounds", `${o.rounds}`],
      ["--memory-rounds", `${o.rounds}`],
      ...(o.scale === undefined ? [] : [
        ["--jobs", `${Math.max(100, Math.round(10_000 * o.scale))}`],
        // fib(n) takes about 1.618^n: scale its time, not n.
        [
          "--fib-n",
          `${Math.max(20, 39 + Math.round(Math.log(o.scale) * 2.08))}`,
        ],
      ]),
    ],
    costs: (json) =>
      (["throughput", "cpu", "startup", "memory"] as const).flatMap((part) =>
        Object.entries<Stat>((json as ExecutorReport)[part]?.rows ?? {})
          // Only what runs our code: no bare floors, no main-thread runs.
          .filter(([k]) =>
            !/^(bare|worker_bare|sequential|job)|speedup/.test(k)
          )
          .map(([k, s]): Cost =>
            s.unit === "jobs/s"
              ? [`${part} ${k}`, 1e6 / s.median, "us/job"]
              : [`${part} ${k}`, s.median, s.unit === "s" ? "s/8 jobs" : s.unit]
          )
      ),
  },
};
/** Which side goes first alternates too: base head, head base, ... */
const ORDER = [["base", "head"], ["head", "base"]] as const;
const DENO = Deno.env.get("DENO") ?? "deno";
const TIMEOUT_S = Number(Deno.env.get("BENCH_TIMEOUT") ?? 1800);

function usage(): never {
  console.error(
    "usage: bench/revisions/compare [BASE] [--suite core,streams,executor] " +
      "[--rounds N] [--scale F] [--only LIST] [--noise PCT] [--markdown] " +
      "[--save DIR] [--OPTION VALUE ...]",
  );
  Deno.exit(64);
}

function parseArgs(args: string[]) {
  const o = {
    baseDir: "",
    suites: Object.keys(SUITES) as Suite[],
    rounds: 5,
    scale: undefined as number | undefined,
    only: undefined as string[] | undefined,
    noise: 0.05,
    markdown: false,
    save: undefined as string | undefined,
    extra: [] as string[][],
  };
  for (const arg of scanArgs(args, usage)) {
    const { name } = arg;
    if (name === "--base-dir") o.baseDir = arg.value();
    else if (name === "--suite") o.suites = arg.list(o.suites);
    else if (name === "--rounds") o.rounds = arg.integer(1);
    else if (name === "--scale") o.scale = arg.number(1e-6);
    else if (name === "--only") {
      o.only = arg.list(Object.values(SUITES).flatMap((s) => s.names));
    } else if (name === "--noise") o.noise = arg.number(0) / 100;
    else if (name === "--markdown") o.markdown = true;
    else if (name === "--save") o.save = arg.value();
    else if (/^--[a-z]/.test(name) && name !== "--json") {
      o.extra.push([name, arg.value()]);
    } else usage();
  }
  if (o.baseDir === "") usage();
  return o;
}

const decode = (b: Uint8Array) => new TextDecoder().decode(b).trim();

/** "abc1234 subject" of a tree's HEAD, and whether it has changes. */
async function describe(dir: string, dirty: boolean): Promise<string> {
  const git = async (...args: string[]) =>
    decode(
      (await new Deno.Command("git", { args: ["-C", dir, ...args] }).output())
        .stdout,
    );
  const head = await git("log", "-1", "--format=%h %s");
  const changed = dirty && await git("status", "--porcelain") !== "";
  return (head.length > 72 ? `${head.slice(0, 69)}...` : head) +
    (changed ? " + uncommitted changes" : "");
}

/** One runner process: our costs by key, or why there are none. */
async function runOnce(
  dir: string,
  def: SuiteDef,
  runner: string,
  args: string[],
  label: string,
  save: string | undefined,
): Promise<Map<string, Cost> | string> {
  const t0 = performance.now();
  const out = await new Deno.Command(DENO, {
    args: ["run", "-A", runner, "--json", ...args],
    cwd: dir,
    stdin: "null",
    signal: AbortSignal.timeout(TIMEOUT_S * 1000),
  }).output().catch((e) => `did not finish within ${TIMEOUT_S}s (${e})`);
  if (typeof out === "string") return out;
  const took = `${((performance.now() - t0) / 1000).toFixed(0)}s`;
  if (save) await Deno.writeFile(`${save}/${label}.json`, out.stdout);
  if (!out.success) {
    console.error(`!! ${label}: exit status ${out.code} after ${took}`);
    const tail = decode(out.stderr).split("\n").slice(-2).join(" | ");
    return `exit status ${out.code}: ${tail.slice(0, 200)}`;
  }
  try {
    const costs = def.costs(JSON.parse(decode(out.stdout)));
    console.error(`== ${label}: ${took}`);
    return new Map(
      costs.filter((c) => Number.isFinite(c[1])).map((c) => [c[0], c]),
    );
  } catch (e) {
    return `unexpected JSON (${e instanceof Error ? e.message : e})`;
  }
}

type Summary = { median: number; min: number; max: number };

function summarize(values: number[]): Summary | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}

/** faster/same/slower (memory: smaller/same/larger), or n/a. */
function judge(b?: Summary, h?: Summary, unit = "", noise = 0): string {
  if (b === undefined || h === undefined) return "n/a";
  const ratio = h.median / b.median;
  const overlap = h.min <= b.max && b.min <= h.max;
  if (overlap || Math.abs(ratio - 1) <= noise) return "same";
  const memory = /^(M?B|objects)\b/.test(unit);
  if (ratio < 1) return memory ? "smaller" : "faster";
  return memory ? "larger" : "slower";
}

/** Runs one suite; its table (and what failed) as lines. */
async function runSuite(
  o: Options,
  suite: Suite,
  trees: Record<Side, string>,
  counts: Record<string, number>,
): Promise<string[]> {
  const def = SUITES[suite];
  const only = o.only?.filter((n) => def.names.includes(n));
  if (only?.length === 0) return [];
  const args: Record<Side, string[] | string> = { base: [], head: [] };
  const runners: Record<Side, string> = { base: "", head: "" };
  for (const side of ["base", "head"] as const) {
    let src = "";
    for (const path of def.runners) {
      src = await Deno.readTextFile(`${trees[side]}/${path}`).catch(() => "");
      runners[side] = path;
      if (src !== "") break;
    }
    // An option or workload the runner does not have would stop it.
    const has = (name: string) => src.includes(`"${name}"`);
    const names = only?.filter(has);
    const wanted = [
      ["--rounds", `${o.rounds}`],
      ...def.args(o),
      ...(names ? [["--only", names.join(",")]] : []),
      ...o.extra,
    ];
    args[side] = wanted.filter(([name]) => has(name)).flat();
    if (src === "") {
      args[side] = `${def.runners.join(" or ")} is not in this revision`;
    } else if (names?.length === 0) {
      args[side] = `no ${only} in ${runners[side]}`;
    }
    const left = [...wanted.map(([n]) => n), ...only ?? []].filter((n) =>
      !has(n)
    );
    if (src !== "" && left.length > 0) {
      console.error(`== ${suite} ${side}: no ${left.join(", ")}; left out`);
    }
  }
  const results: Record<Side, Map<string, Cost>[]> = { base: [], head: [] };
  const failures: Record<Side, string[]> = { base: [], head: [] };
  for (let r = 0; r < o.rounds; r++) {
    for (const side of ORDER[r % 2]) {
      const a = args[side];
      const label = `${suite}-${side}-${r + 1}`;
      const got = typeof a === "string"
        ? a
        : await runOnce(trees[side], def, runners[side], a, label, o.save);
      if (typeof got === "string") failures[side].push(got);
      else results[side].push(got);
    }
  }
  const units = new Map<string, string>();
  for (const costs of [...results.head, ...results.base]) {
    for (const [k, c] of costs) if (!units.has(k)) units.set(k, c[2]);
  }
  const body = [...units].map(([k, unit]) => {
    const [b, h] = (["base", "head"] as const).map((side) =>
      summarize(results[side].flatMap((c) => c.has(k) ? [c.get(k)![1]] : []))
    );
    const verdict = judge(b, h, unit, o.noise);
    counts[verdict] = (counts[verdict] ?? 0) + 1;
    const fmt = (s?: Summary) =>
      s ? `${fmtUs(s.median)} (${fmtUs(s.min)}-${fmtUs(s.max)})` : "n/a";
    const ratio = b && h ? fmtRatio(h.median / b.median) : "n/a";
    return [k, unit, fmt(b), fmt(h), ratio, verdict];
  });
  const header = ["workload", "unit", "base median (min-max)"];
  header.push("head median (min-max)", "head/base", "verdict");
  const none = [["(no figures)", "", "n/a", "n/a", "n/a", "n/a"]];
  const lines = [
    "",
    `${suite} (${
      runners.base === runners.head
        ? runners.head
        : `base ${runners.base}, head ${runners.head}`
    }${only ? ` --only ${only.join(",")}` : ""})`,
    "",
    table(header, body.length > 0 ? body : none, o.markdown),
  ];
  for (const side of ["base", "head"] as const) {
    const f = failures[side];
    if (f.length === 0) continue;
    if (o.markdown) lines.push("");
    lines.push(
      `${side}: ${f.length} of ${o.rounds} processes gave no figures ` +
        `(last: ${f[f.length - 1]})`,
    );
  }
  return lines;
}

async function main(): Promise<void> {
  const o = parseArgs(Deno.args);
  const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
  const trees: Record<Side, string> = { base: o.baseDir, head: root };
  if (o.save !== undefined) await Deno.mkdir(o.save, { recursive: true });
  const lines = [
    `Benchmarks, base vs head, ${new Date().toISOString().slice(0, 10)}`,
    ...(o.markdown ? [""] : []),
    machineLine(undefined),
    ...(o.markdown ? [""] : []),
    `base: ${await describe(o.baseDir, false)}`,
    `head: ${await describe(root, true)} (the working tree)`,
    `per-item cost, lower is better: median (min-max) over ${o.rounds} fresh ` +
    "processes per side, base and head alternating; head/base: ratio of " +
    `the medians; same: the ranges overlap or within +-${o.noise * 100}%` +
    (o.scale === undefined ? "" : `; --scale ${o.scale}`),
  ];
  const counts: Record<string, number> = {};
  for (const suite of o.suites) {
    lines.push(...await runSuite(o, suite, trees, counts));
  }
  const tally = Object.entries(counts).map(([v, n]) => `${n} ${v}`);
  lines.push("", `verdicts: ${tally.join(", ")}`);
  console.log(lines.join("\n"));
}

if (import.meta.main) await main();
