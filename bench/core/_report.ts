/**
 * Prints the table of `bench/core/compare`: our per-item costs from
 * `bench.ts --json` beside CPython asyncio's and uvloop's from
 * `bench.py` (warm, and cold: the first round in fresh processes),
 * their ratios, and PASS/MISS against the goals ({@link GOALS}).
 *
 * ```sh
 * deno run --allow-read bench/core/_report.ts --deno deno.json \
 *   --cpython cpython.json [--uvloop uvloop.json | --no-uvloop "why"] [--markdown]
 * ```
 *
 * @module
 */
import type { RunReport, Stats } from "./bench.ts";
import {
  fmtRatio,
  fmtUs,
  type Goal,
  goalLines,
  parseReportArgs,
  readReport,
  runtimesLine,
  table,
  verdict,
} from "../_shared/report.ts";

/** The part of `bench.py`'s JSON that the report reads. */
interface PyReport {
  runtime: { name: string; python: string; uvloop?: string };
  date: string;
  rounds: number;
  warmup: number;
  workloads: Record<string, PyWorkload>;
}

/** The goals of the core workloads (bench/core/compare). */
export const GOALS = {
  /** gather, warm: ours at most this many times the bare promises. */
  gatherVsBare: 3,
  /** gather, warm: at least this many times faster than CPython. */
  gatherVsCpython: 5,
  /** gather, cold (first round in fresh processes): vs CPython, cold. */
  gatherColdVsCpython: 3,
  /** callSoon: at least this many times faster than CPython. */
  callSoonVsCpython: 5,
  /** Queue ping-pong: at most this many times the bare channels. */
  pingPongVsBare: 3,
  /** Queue ping-pong: at least this many times faster than CPython. */
  pingPongVsCpython: 5,
  /** Lock contention: at least this many times faster than CPython. */
  lockVsCpython: 12,
  /** Memory per waiting task: at most this times CPython's (same run). */
  memoryVsCpython: 1,
  /** Heap objects per task suspended at sleep(0): at most this many. */
  objectsPerTask: 15,
};

/** A goal "figure <= limit" or "figure >= limit" on a ratio. */
function ratioGoal(
  text: string,
  figure: number | undefined,
  limit: number,
  atMost: boolean,
): Goal {
  const known = figure !== undefined && Number.isFinite(figure);
  return {
    text,
    figure: fmtRatio(figure),
    ok: known ? (atMost ? figure <= limit : figure >= limit) : undefined,
  };
}

/** The cold figures of one workload, by side. */
interface ColdRow {
  processes: number;
  ours: Stats;
  bare?: Stats;
  cpython?: Stats;
  uvloop?: Stats;
}

interface Row {
  key: string;
  n: number;
  metric: string;
  ours: Stats;
  bare?: Stats;
  reference?: Stats;
  variants?: Stats[];
  cpython?: Stats;
  uvloop?: Stats;
  goals: Goal[];
  cold?: ColdRow;
  coldGoals: Goal[];
}

/** The part of `bench.py`'s JSON that the report reads. */
interface PyWorkload {
  n: number;
  metric: string;
  result: Stats;
  cold?: { processes: number; result: Stats };
}

const LABELS: Record<string, string> = {
  gather: "gather + sleep(0)",
  call_soon: "callSoon",
  call_later: "callLater (CPU)",
  queue_pingpong: "Queue ping-pong",
  lock_contention: "Lock + sleep(0)",
  event_memory: "Event.wait memory",
  objects_per_task: "objects per task",
};

function fmtBytes(b: number | undefined): string {
  return b === undefined || !Number.isFinite(b) ? "n/a" : b.toFixed(0);
}

function fmtObjects(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(2);
}

/** The headline figure of a side: microseconds, bytes or objects. */
function value(s: Stats | undefined, metric: string): number | undefined {
  if (s === undefined) return undefined;
  return metric === "bytes"
    ? s.median_bytes
    : metric === "objects"
    ? s.median_objects
    : s.median_us;
}

/** other / ours (how many times faster, or how many times the memory). */
function ratio(
  other: Stats | undefined,
  ours: Stats | undefined,
  metric: string,
): number | undefined {
  const a = value(other, metric);
  const b = value(ours, metric);
  return a === undefined || b === undefined ? undefined : a / b;
}

function speedup(
  other: Stats | undefined,
  ours: Stats | undefined,
): number | undefined {
  return ratio(other, ours, "wall");
}

function buildRows(
  deno: RunReport,
  cpy: PyReport | undefined,
  uv: PyReport | undefined,
): Row[] {
  const rows: Row[] = [];
  for (const [key, w] of Object.entries(deno.workloads)) {
    const py = (r: PyReport | undefined) =>
      r?.workloads[key] as PyWorkload | undefined;
    const cpython = py(cpy)?.result;
    const uvloop = py(uv)?.result;
    const row: Row = {
      key,
      n: w.n,
      metric: w.metric,
      ours: w.ours,
      bare: w.baseline,
      reference: w.reference,
      variants: w.variants,
      cpython,
      uvloop,
      goals: [],
      coldGoals: [],
    };
    if (w.cold !== undefined) {
      row.cold = {
        processes: w.cold.processes,
        ours: w.cold.ours,
        bare: w.cold.baseline,
        cpython: py(cpy)?.cold?.result,
        uvloop: py(uv)?.cold?.result,
      };
    }
    const vsBare = ratio(w.ours, w.baseline, w.metric);
    const vsCpy = speedup(cpython, w.ours);
    const goals = row.goals;
    switch (key) {
      case "gather":
        goals.push(
          ratioGoal(
            `warm: ours <= ${GOALS.gatherVsBare}x bare promises`,
            vsBare,
            GOALS.gatherVsBare,
            true,
          ),
          ratioGoal(
            `warm: >= ${GOALS.gatherVsCpython}x faster than CPython`,
            vsCpy,
            GOALS.gatherVsCpython,
            false,
          ),
        );
        row.coldGoals.push(ratioGoal(
          `cold: ours >= ${GOALS.gatherColdVsCpython}x faster than CPython`,
          speedup(row.cold?.cpython, row.cold?.ours),
          GOALS.gatherColdVsCpython,
          false,
        ));
        break;
      case "call_soon":
        goals.push(ratioGoal(
          `>= ${GOALS.callSoonVsCpython}x faster than CPython`,
          vsCpy,
          GOALS.callSoonVsCpython,
          false,
        ));
        break;
      case "call_later": {
        const o = w.ours;
        goals.push({
          text: "all fire, deadline order, none early",
          figure: `${o.fired_min}/${w.n} fired, ${o.out_of_order_total} ` +
            `out of order, ${o.early_total} early`,
          ok: o.fired_min === w.n && o.out_of_order_total === 0 &&
            o.early_total === 0,
        });
        break;
      }
      case "queue_pingpong":
        goals.push(
          ratioGoal(
            `warm: ours <= ${GOALS.pingPongVsBare}x bare promises`,
            vsBare,
            GOALS.pingPongVsBare,
            true,
          ),
          ratioGoal(
            `warm: >= ${GOALS.pingPongVsCpython}x faster than CPython`,
            vsCpy,
            GOALS.pingPongVsCpython,
            false,
          ),
        );
        break;
      case "lock_contention":
        goals.push(ratioGoal(
          `warm: >= ${GOALS.lockVsCpython}x faster than CPython`,
          vsCpy,
          GOALS.lockVsCpython,
          false,
        ));
        break;
      case "event_memory":
        goals.push(ratioGoal(
          "ours <= CPython's bytes per task (same run)",
          ratio(w.ours, cpython, "bytes"),
          GOALS.memoryVsCpython,
          true,
        ));
        break;
      case "objects_per_task": {
        const per = w.ours.median_objects;
        goals.push({
          text: `objects per spawned task <= ${GOALS.objectsPerTask}`,
          figure: fmtObjects(per),
          ok: per === undefined ? undefined : per <= GOALS.objectsPerTask,
        });
        break;
      }
    }
    rows.push(row);
  }
  return rows;
}

function range(s: Stats | undefined): string {
  return s === undefined ? "n/a" : `${fmtUs(s.min_us)}-${fmtUs(s.max_us)}`;
}

async function main(): Promise<void> {
  const args = parseReportArgs(Deno.args, ["cpython", "uvloop"]);
  const deno = (await readReport<RunReport>(args.deno))!;
  const cpy = await readReport<PyReport>(args.files.cpython);
  const uv = await readReport<PyReport>(args.files.uvloop);
  const allRows = buildRows(deno, cpy, uv);
  const rows = allRows.filter((r) =>
    r.metric !== "bytes" && r.metric !== "objects"
  );
  const memoryRows = allRows.filter((r) => r.metric === "bytes");
  const objectRows = allRows.filter((r) => r.metric === "objects");
  const md = args.markdown;
  const label = (r: Row) => LABELS[r.key] ?? r.key;

  const cpyName = cpy ? `CPython ${cpy.runtime.python}` : "CPython";
  const uvName = uv ? `uvloop ${uv.runtime.uvloop}` : "uvloop";
  const processes = rows.find((r) => r.cold)?.cold?.processes;
  const lines: string[] = [];
  lines.push(
    `asyncio for Deno vs bare promises vs CPython asyncio vs uvloop, ` +
      `${deno.date.slice(0, 10)}`,
  );
  if (md) lines.push("");
  lines.push(runtimesLine(deno, cpy, uv, args.reasons.uvloop));
  if (md) lines.push("");
  lines.push(
    `per-item cost in microseconds, median of ${deno.rounds} rounds after ` +
      `${deno.warmup} warm-up rounds (callLater: process CPU time; others: ` +
      "wall clock)" +
      (processes === undefined ? "" : `; cold rows: the first round in ` +
        `each of ${processes} fresh processes per runtime, median`) +
      "; CPython/ours and uvloop/ours are how many times faster ours is",
  );
  if (args.reasons.cpython) lines.push(`CPython: ${args.reasons.cpython}`);
  lines.push("");

  const header = [
    "workload",
    "n",
    "ours",
    "bare",
    cpyName,
    uvName,
    "ours/bare",
    "CPython/ours",
    "uvloop/ours",
    "goal",
    "result",
  ];
  const body: string[][] = [];
  const addRow = (
    name: string,
    n: number,
    s: { ours: Stats; bare?: Stats; cpython?: Stats; uvloop?: Stats },
    rowGoals: Goal[],
  ) => {
    const goals = rowGoals.length > 0
      ? rowGoals
      : [{ text: "", figure: "", ok: undefined }];
    goals.forEach((g, i) => {
      const first = i === 0;
      body.push([
        first ? name : "",
        first ? String(n) : "",
        first ? fmtUs(s.ours.median_us) : "",
        first ? fmtUs(s.bare?.median_us) : "",
        first ? fmtUs(s.cpython?.median_us) : "",
        first ? fmtUs(s.uvloop?.median_us) : "",
        first ? fmtRatio(ratio(s.ours, s.bare, "wall")) : "",
        first ? fmtRatio(speedup(s.cpython, s.ours)) : "",
        first ? fmtRatio(speedup(s.uvloop, s.ours)) : "",
        g.text,
        g.text === "" ? "" : verdict(g.ok),
      ]);
    });
  };
  for (const r of rows) {
    addRow(r.cold ? `${label(r)}, warm` : label(r), r.n, r, r.goals);
    if (r.cold) addRow(`${label(r)}, cold`, r.n, r.cold, r.coldGoals);
  }
  lines.push(table(header, body, md));
  lines.push("");
  lines.push(
    "per item: gather = task, callSoon = callback, callLater = timer, " +
      "Queue ping-pong = round trip (2 puts, 2 gets), Lock + sleep(0) = " +
      "acquisition (100 tasks)",
  );
  if (md) lines.push("");
  lines.push(
    "bare: gather = Promise.all of async fns that await null; " +
      "callSoon = queueMicrotask; callLater = setTimeout (host timers); " +
      "Queue ping-pong = two async fns and two minimal promise channels " +
      "(get() resolved by the next put()); Lock + sleep(0) = none (n/a)",
  );
  lines.push("");

  lines.push(
    "Range of the per-item cost (microseconds, min-max) over the rounds " +
      "(warm) or the fresh processes (cold)",
  );
  lines.push("");
  const ranges: string[][] = [];
  for (const r of rows) {
    const sides = (
      s: { ours: Stats; bare?: Stats; cpython?: Stats; uvloop?: Stats },
    ) => [range(s.ours), range(s.bare), range(s.cpython), range(s.uvloop)];
    ranges.push([r.cold ? `${label(r)}, warm` : label(r), ...sides(r)]);
    if (r.cold) ranges.push([`${label(r)}, cold`, ...sides(r.cold)]);
  }
  lines.push(
    table(["workload", "ours", "bare", "CPython", "uvloop"], ranges, md),
  );

  const timers = rows.find((r) => r.key === "call_later");
  if (timers !== undefined) {
    lines.push("");
    lines.push(
      `callLater details (${timers.n} timers, 0-100 ms, medians per timer; ` +
        "counts summed over all rounds)",
    );
    lines.push("");
    const detail = (name: string, s: Stats | undefined): string[] =>
      s === undefined
        ? [name, "n/a", "n/a", "n/a", "n/a", "n/a", "n/a", "n/a"]
        : [
          name,
          fmtUs(s.cpu_median_us),
          fmtUs(s.wall_median_us),
          fmtUs(s.schedule_median_us),
          `${s.fired_min}/${timers.n}`,
          s.out_of_order_total === -1
            ? "unchecked"
            : String(s.out_of_order_total),
          s.early_total === -1 ? "unchecked" : String(s.early_total),
          s.max_late_ms === undefined ? "n/a" : s.max_late_ms.toFixed(1),
        ];
    lines.push(table(
      [
        "runtime",
        "CPU us",
        "wall us",
        "schedule us",
        "fired (min)",
        "out of order",
        "early",
        "max late ms",
      ],
      [
        detail("ours", timers.ours),
        detail("setTimeout", timers.bare),
        detail("CPython", timers.cpython),
        detail("uvloop (a)", timers.uvloop),
      ],
      md,
    ));
    if (md) lines.push("");
    lines.push(
      "(a) uvloop rounds delays to whole milliseconds (its loop.time() and " +
        "when() are millisecond-granular) and turns a delay that rounds to " +
        "0 into a call_soon handle; those ran after timers that were " +
        "already due (informational).",
    );
  }

  for (const r of memoryRows) {
    lines.push("");
    lines.push(
      `Memory per task waiting on one Event (${r.n} tasks; bytes per ` +
        `waiting task, median of ${deno.rounds} rounds). ours and bare: ` +
        "growth of V8's heapUsed after forced full GCs (--expose-gc); " +
        "CPython and uvloop: growth of tracemalloc's traced memory after " +
        "gc.collect(). ours/bare, ours/CPython and ours/uvloop: how many " +
        "times their memory per task ours uses",
    );
    lines.push("");
    const g = r.goals[0];
    lines.push(table(
      [
        "workload",
        "n",
        "ours",
        "bare",
        cpyName,
        uvName,
        "ours/bare",
        "ours/CPython",
        "ours/uvloop",
        "goal",
        "result",
      ],
      [[
        label(r),
        String(r.n),
        fmtBytes(r.ours.median_bytes),
        fmtBytes(r.bare?.median_bytes),
        fmtBytes(r.cpython?.median_bytes),
        fmtBytes(r.uvloop?.median_bytes),
        fmtRatio(ratio(r.ours, r.bare, "bytes")),
        fmtRatio(ratio(r.ours, r.cpython, "bytes")),
        fmtRatio(ratio(r.ours, r.uvloop, "bytes")),
        g.text,
        verdict(g.ok),
      ]],
      md,
    ));
    lines.push("");
    lines.push(
      "Details (bytes per item; median, min and max over the rounds; RSS: " +
        "growth of the resident set in the first round in a fresh process, " +
        "a cross-check)",
    );
    lines.push("");
    const detail = (
      name: string,
      s: Stats | undefined,
      what: string,
    ): string[] => [
      name,
      fmtBytes(s?.median_bytes),
      fmtBytes(s?.min_bytes),
      fmtBytes(s?.max_bytes),
      fmtBytes(s?.rss_first_bytes),
      fmtUs(s?.median_us),
      what,
    ];
    lines.push(table(
      ["runtime", "median", "min", "max", "RSS", "wall us", "what"],
      [
        detail("ours", r.ours, "tasks awaiting event.wait()"),
        detail("bare", r.bare, "async fns awaiting one promise"),
        detail("check", r.reference, "plain pending promises"),
        detail("CPython", r.cpython, "tasks awaiting event.wait()"),
        detail("uvloop", r.uvloop, "tasks awaiting event.wait()"),
      ],
      md,
    ));
    if (md) lines.push("");
    lines.push(
      "wall us: per task, making the tasks and letting them block plus " +
        "set() until all finished (Python's runs with tracemalloc on; " +
        "informational).",
    );
  }

  for (const r of objectRows) {
    lines.push("");
    lines.push(
      `Heap objects per item (${r.n} items, counted in V8 heap snapshots ` +
        "before the items are made and while they all wait; no Python " +
        "counterpart)",
    );
    lines.push("");
    const obj = (name: string, s: Stats | undefined): string[] => [
      name,
      fmtObjects(s?.median_objects),
      fmtBytes(s?.median_object_bytes),
      s?.name ?? "n/a",
    ];
    lines.push(table(
      ["runtime", "objects", "bytes", "what"],
      [
        obj("ours", r.ours),
        ...(r.variants ?? []).map((s) => obj("ours", s)),
        obj("bare", r.bare),
        obj("check", r.reference),
      ],
      md,
    ));
    lines.push("");
    lines.push(
      "Ours (tasks suspended at sleep(0)) by type:name, groups of at least " +
        "0.5 objects per task (bench/core/bench_objects.ts prints every case)",
    );
    lines.push("");
    lines.push(table(
      ["what", "objects", "bytes"],
      (r.ours.object_rows ?? []).map((x) => [
        x.key,
        fmtObjects(x.objects),
        fmtBytes(x.bytes),
      ]),
      md,
    ));
  }

  lines.push("");
  lines.push("Goals");
  lines.push("");
  lines.push(...goalLines(
    allRows.flatMap((r) =>
      [...r.goals, ...r.coldGoals].map((g) => ({ ...g, what: label(r) }))
    ),
    md,
  ));
  if (!uv) {
    lines.push(`uvloop: ${args.reasons.uvloop ?? "not run"}`);
  }
  console.log(lines.join("\n"));
}

if (import.meta.main) await main();
