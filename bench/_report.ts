/**
 * Prints the table of `bench/compare`: our per-item costs from
 * `run.ts --json` beside CPython asyncio's and uvloop's from
 * `asyncio_bench.py`, their ratios, and PASS/MISS against the goals.
 *
 * ```sh
 * deno run --allow-read bench/_report.ts --deno deno.json \
 *   --cpython cpython.json [--uvloop uvloop.json | --no-uvloop "why"] [--markdown]
 * ```
 *
 * @module
 */
import type { RunReport, Stats } from "./run.ts";

/** The part of `asyncio_bench.py`'s JSON that the report reads. */
interface PyReport {
  runtime: { name: string; python: string; uvloop?: string };
  date: string;
  rounds: number;
  warmup: number;
  workloads: Record<string, { n: number; metric: string; result: Stats }>;
}

/**
 * The arguments of a report: `--deno FILE` (required), `--markdown`, and
 * for each of `others` `--NAME FILE` (its JSON) or `--no-NAME REASON`
 * (why it was not run).
 */
export interface ReportArgs {
  deno: string;
  markdown: boolean;
  files: Record<string, string | undefined>;
  reasons: Record<string, string | undefined>;
}

/** Parses a report's arguments (see {@link ReportArgs}). */
export function parseReportArgs(
  argv: string[],
  others: string[],
): ReportArgs {
  let deno: string | undefined;
  const args = { markdown: false, files: {}, reasons: {} } as Omit<
    ReportArgs,
    "deno"
  >;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    const name = a.replace(/^--(no-)?/, "");
    if (a === "--deno") deno = v();
    else if (a === "--markdown") args.markdown = true;
    else if (others.includes(name) && a === `--${name}`) args.files[name] = v();
    else if (others.includes(name)) args.reasons[name] = v();
    else throw new Error(`unknown argument ${a}`);
  }
  if (deno === undefined) throw new Error("--deno FILE is required");
  return { deno, ...args };
}

/** Reads a runtime's JSON report (undefined: not run). */
export async function readReport<T>(
  path: string | undefined,
): Promise<T | undefined> {
  if (path === undefined) return undefined;
  return JSON.parse(await Deno.readTextFile(path)) as T;
}

interface Goal {
  text: string;
  /** true PASS, false MISS, undefined: cannot tell (input missing). */
  ok: boolean | undefined;
}

interface Row {
  key: string;
  n: number;
  metric: string;
  ours: Stats;
  bare?: Stats;
  reference?: Stats;
  cpython?: Stats;
  uvloop?: Stats;
  goals: Goal[];
}

const LABELS: Record<string, string> = {
  gather: "gather + sleep(0)",
  call_soon: "callSoon",
  call_later: "callLater (CPU)",
  queue_pingpong: "Queue ping-pong",
  lock_contention: "Lock + sleep(0)",
  event_memory: "Event.wait memory",
};

function fmtBytes(b: number | undefined): string {
  return b === undefined || !Number.isFinite(b) ? "n/a" : b.toFixed(0);
}

/** A figure with 3 decimals below 10, 2 below 100, 1 above ("n/a" if unknown). */
export function fmtUs(us: number | undefined): string {
  if (us === undefined || !Number.isFinite(us)) return "n/a";
  return us >= 100 ? us.toFixed(1) : us >= 10 ? us.toFixed(2) : us.toFixed(3);
}

/** A ratio as "1.23x" ("n/a" if unknown). */
export function fmtRatio(r: number | undefined): string {
  return r === undefined || !Number.isFinite(r) ? "n/a" : `${r.toFixed(2)}x`;
}

/** PASS, MISS or n/a (undefined: cannot tell). */
export function verdict(ok: boolean | undefined): string {
  return ok === undefined ? "n/a" : ok ? "PASS" : "MISS";
}

/** The headline figure of a side: microseconds, or bytes for memory. */
function value(s: Stats | undefined, metric: string): number | undefined {
  if (s === undefined) return undefined;
  return metric === "bytes" ? s.median_bytes : s.median_us;
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
  ours: Stats,
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
    const cpython = cpy?.workloads[key]?.result;
    const uvloop = uv?.workloads[key]?.result;
    const row: Row = {
      key,
      n: w.n,
      metric: w.metric,
      ours: w.ours,
      bare: w.baseline,
      reference: w.reference,
      cpython,
      uvloop,
      goals: [],
    };
    const vsCpy = speedup(cpython, w.ours);
    if (key === "gather" || key === "queue_pingpong") {
      const r = ratio(w.ours, w.baseline, w.metric);
      row.goals.push({
        text: "ours <= 3x bare promises",
        ok: r === undefined ? undefined : r <= 3,
      });
    }
    if (
      key === "gather" || key === "call_soon" || key === "queue_pingpong" ||
      key === "lock_contention"
    ) {
      row.goals.push({
        text: ">= 5x faster than CPython",
        ok: vsCpy === undefined ? undefined : vsCpy >= 5,
      });
    }
    if (key === "call_later") {
      const o = w.ours;
      row.goals.push({
        text: "all fire, deadline order, none early",
        ok: o.fired_min === w.n && o.out_of_order_total === 0 &&
          o.early_total === 0,
      });
    }
    rows.push(row);
  }
  return rows;
}

/**
 * The versions line of a report: Deno and V8, CPython, and uvloop (or why
 * uvloop was not run).
 */
export function runtimesLine(
  deno: { runtime: { deno?: string; v8?: string } },
  cpy: { runtime: { python?: string } } | undefined,
  uv: { runtime: { python?: string; uvloop?: string } } | undefined,
  noUvloop: string | undefined,
): string {
  return `deno ${deno.runtime.deno} (V8 ${deno.runtime.v8}); ` +
    (cpy ? `python3 ${cpy.runtime.python}` : "CPython: not run") + "; " +
    (uv
      ? `uvloop ${uv.runtime.uvloop} on /usr/bin/python3 ${uv.runtime.python}`
      : `uvloop: ${noUvloop ?? "not run"}`);
}

/**
 * A table: aligned plain text, or Markdown. The first column and columns
 * named workload, runtime, how, what, goal, result or verdict are
 * left-aligned, the others right.
 */
export function table(
  header: string[],
  body: string[][],
  markdown: boolean,
): string {
  const left = header.map((h, i) =>
    i === 0 || /^(workload|runtime|how|what|goal|result|verdict)$/.test(h)
  );
  if (markdown) {
    const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
    return [
      line(header),
      line(left.map((l) => (l ? "---" : "---:"))),
      ...body.map(line),
    ].join("\n");
  }
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((r) => r[i].length))
  );
  const line = (cells: string[]) =>
    cells.map((c, i) => left[i] ? c.padEnd(widths[i]) : c.padStart(widths[i]))
      .join("  ").trimEnd();
  return [
    line(header),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...body.map(line),
  ].join("\n");
}

async function main(): Promise<void> {
  const args = parseReportArgs(Deno.args, ["cpython", "uvloop"]);
  const deno = (await readReport<RunReport>(args.deno))!;
  const cpy = await readReport<PyReport>(args.files.cpython);
  const uv = await readReport<PyReport>(args.files.uvloop);
  const allRows = buildRows(deno, cpy, uv);
  const rows = allRows.filter((r) => r.metric !== "bytes");
  const memoryRows = allRows.filter((r) => r.metric === "bytes");
  const md = args.markdown;

  const cpyName = cpy ? `CPython ${cpy.runtime.python}` : "CPython";
  const uvName = uv ? `uvloop ${uv.runtime.uvloop}` : "uvloop";
  const lines: string[] = [];
  lines.push(
    `asyncio for Deno vs bare promises vs CPython asyncio vs uvloop, ` +
      `${deno.date.slice(0, 10)}`,
  );
  lines.push(runtimesLine(deno, cpy, uv, args.reasons.uvloop));
  lines.push(
    `per-item cost in microseconds, median of ${deno.rounds} rounds after ` +
      `${deno.warmup} warm-up rounds (callLater: process CPU time; others: ` +
      "wall clock); CPython/ours and uvloop/ours are how many times faster " +
      "ours is",
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
  for (const r of rows) {
    const goals = r.goals.length > 0 ? r.goals : [{ text: "", ok: undefined }];
    goals.forEach((g, i) => {
      const first = i === 0;
      body.push([
        first ? LABELS[r.key] ?? r.key : "",
        first ? String(r.n) : "",
        first ? fmtUs(r.ours.median_us) : "",
        first ? fmtUs(r.bare?.median_us) : "",
        first ? fmtUs(r.cpython?.median_us) : "",
        first ? fmtUs(r.uvloop?.median_us) : "",
        first ? fmtRatio(ratio(r.ours, r.bare, r.metric)) : "",
        first ? fmtRatio(speedup(r.cpython, r.ours)) : "",
        first ? fmtRatio(speedup(r.uvloop, r.ours)) : "",
        g.text,
        g.text === "" ? "" : verdict(g.ok),
      ]);
    });
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

  lines.push("Minimum per-item cost over the rounds (microseconds)");
  lines.push("");
  lines.push(table(
    ["workload", "ours", "bare", "CPython", "uvloop"],
    rows.map((r) => [
      LABELS[r.key] ?? r.key,
      fmtUs(r.ours.min_us),
      fmtUs(r.bare?.min_us),
      fmtUs(r.cpython?.min_us),
      fmtUs(r.uvloop?.min_us),
    ]),
    md,
  ));

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
        "already due (in our runs, the whole of its out-of-order count) " +
        "(informational).",
    );
  }

  for (const r of memoryRows) {
    lines.push("");
    lines.push(
      `Memory per task waiting on one Event (${r.n} tasks; bytes per ` +
        `waiting task, median of ${deno.rounds} rounds; no goal, reported). ` +
        "ours and bare: growth of V8's heapUsed after forced full GCs " +
        "(--expose-gc); CPython and uvloop: growth of tracemalloc's " +
        "traced memory after gc.collect(). ours/bare, ours/CPython and " +
        "ours/uvloop: how many times their memory per task ours uses",
    );
    lines.push("");
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
      ],
      [[
        LABELS[r.key] ?? r.key,
        String(r.n),
        fmtBytes(r.ours.median_bytes),
        fmtBytes(r.bare?.median_bytes),
        fmtBytes(r.cpython?.median_bytes),
        fmtBytes(r.uvloop?.median_bytes),
        fmtRatio(ratio(r.ours, r.bare, "bytes")),
        fmtRatio(ratio(r.ours, r.cpython, "bytes")),
        fmtRatio(ratio(r.ours, r.uvloop, "bytes")),
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

  const goals = rows.flatMap((r) => r.goals.map((g) => ({ ...g, key: r.key })));
  const missed = goals.filter((g) => g.ok === false);
  lines.push("");
  lines.push(
    `goals: ${goals.filter((g) => g.ok === true).length} PASS, ` +
      `${missed.length} MISS, ${
        goals.filter((g) => g.ok === undefined).length
      } n/a` +
      (missed.length > 0
        ? ` (missed: ${
          missed.map((g) => `${LABELS[g.key] ?? g.key}: ${g.text}`).join("; ")
        })`
        : ""),
  );
  if (!uv) {
    lines.push(`uvloop: ${args.reasons.uvloop ?? "not run"}`);
  }
  console.log(lines.join("\n"));
}

if (import.meta.main) await main();
