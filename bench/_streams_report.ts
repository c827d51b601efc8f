/**
 * Prints the table of `bench/compare_streams`: our streams' and bare
 * `Deno.Conn` figures from `streams_bench.ts --json` beside CPython
 * asyncio's and uvloop's (`streams_bench.py`), their ratios, and
 * PASS/MISS against the goals.
 *
 * ```sh
 * deno run --allow-read bench/_streams_report.ts --deno deno.json \
 *   [--cpython cpython.json | --no-cpython "why"] \
 *   [--uvloop uvloop.json | --no-uvloop "why"] [--markdown]
 * ```
 *
 * @module
 */
import {
  fmtRatio,
  parseReportArgs,
  readReport,
  runtimesLine,
  table,
  verdict,
} from "./_report.ts";
import type {
  Impl,
  Layout,
  StreamResult,
  StreamsReport,
  Workload,
} from "./streams_bench.ts";

/** The goals: ours at least this share of bare Deno's rate. */
export const GOALS = { vsBare: 0.8 };

function fmtRate(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return "n/a";
  return Math.round(x).toString();
}

function fmtCpu(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return "n/a";
  return x >= 100 ? x.toFixed(0) : x.toFixed(2);
}

function spread(r: StreamResult | undefined): string {
  if (r === undefined) return "n/a";
  const pct = ((r.max - r.min) / r.median) * 100;
  return `${fmtRate(r.min)}-${fmtRate(r.max)} (${pct.toFixed(0)}%)`;
}

interface Goal {
  text: string;
  ok: boolean | undefined;
}

interface Row {
  workload: Workload;
  layout: Layout;
  unit: string;
  by: Partial<Record<Impl, StreamResult>>;
  goals: Goal[];
}

function label(workload: Workload, layout: Layout, r: StreamsReport): string {
  const where = layout === "same" ? "1 process" : "server in child";
  if (workload === "echo") {
    return `echo ${r.conns} conns x ${r.size} B, ${where}`;
  }
  const gib = r.bulk_bytes / 2 ** 30;
  const dir = workload === "bulk_s2c" ? "server->client" : "client->server";
  return `bulk ${gib} GiB ${dir}, ${where}`;
}

function rate(row: Row, impl: Impl): number | undefined {
  return row.by[impl]?.median;
}

function div(a: number | undefined, b: number | undefined) {
  return a === undefined || b === undefined ? undefined : a / b;
}

async function main(): Promise<void> {
  const args = parseReportArgs(Deno.args, ["cpython", "uvloop"]);
  const deno = (await readReport<StreamsReport>(args.deno))!;
  const cpy = await readReport<StreamsReport>(args.files.cpython);
  const uv = await readReport<StreamsReport>(args.files.uvloop);
  const md = args.markdown;

  const rows: Row[] = [];
  const all = [
    ...deno.results,
    ...(cpy?.results ?? []),
    ...(uv?.results ?? []),
  ];
  for (const r of deno.results) {
    let row = rows.find((x) =>
      x.workload === r.workload && x.layout === r.layout
    );
    if (row === undefined) {
      row = {
        workload: r.workload,
        layout: r.layout,
        unit: r.unit,
        by: {},
        goals: [],
      };
      rows.push(row);
    }
  }
  for (const r of all) {
    const row = rows.find((x) =>
      x.workload === r.workload && x.layout === r.layout
    );
    if (row !== undefined) row.by[r.impl] = r;
  }
  for (const row of rows) {
    const vsBare = div(rate(row, "ours"), rate(row, "bare"));
    row.goals.push({
      text: `ours >= ${GOALS.vsBare}x bare Deno`,
      ok: vsBare === undefined ? undefined : vsBare >= GOALS.vsBare,
    });
    if (row.workload === "echo") {
      const vsCpy = div(rate(row, "ours"), rate(row, "cpython"));
      row.goals.push({
        text: "ours > CPython asyncio",
        ok: vsCpy === undefined ? undefined : vsCpy > 1,
      });
    }
  }

  const cpyName = cpy ? `CPython ${cpy.runtime.python}` : "CPython";
  const uvName = uv ? `uvloop ${uv.runtime.uvloop}` : "uvloop";
  const lines: string[] = [];
  lines.push(
    "Streams over loopback TCP: asyncio for Deno vs bare Deno.Conn vs " +
      `CPython asyncio vs uvloop, ${deno.date.slice(0, 10)}`,
  );
  lines.push(runtimesLine(deno, cpy, uv, args.reasons.uvloop));
  lines.push(
    `median of ${deno.rounds} rounds after ${deno.warmup} warm-up ` +
      `round(s); echo: messages per second over ${deno.seconds} s rounds; ` +
      "bulk: MB/s (10^6 bytes per second), one round per transfer; " +
      "ours/X: ours' rate over X's (above 1: ours is faster)",
  );
  if (args.reasons.cpython) lines.push(`CPython: ${args.reasons.cpython}`);
  lines.push("");

  const body: string[][] = [];
  for (const row of rows) {
    row.goals.forEach((g, i) => {
      const first = i === 0;
      const cell = (s: string) => first ? s : "";
      body.push([
        cell(label(row.workload, row.layout, deno)),
        cell(row.unit),
        cell(fmtRate(rate(row, "ours"))),
        cell(fmtRate(rate(row, "bare"))),
        cell(fmtRate(rate(row, "cpython"))),
        cell(fmtRate(rate(row, "uvloop"))),
        cell(fmtRatio(div(rate(row, "ours"), rate(row, "bare")))),
        cell(fmtRatio(div(rate(row, "ours"), rate(row, "cpython")))),
        cell(fmtRatio(div(rate(row, "ours"), rate(row, "uvloop")))),
        g.text,
        verdict(g.ok),
      ]);
    });
  }
  lines.push(table(
    [
      "workload",
      "unit",
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
    body,
    md,
  ));
  lines.push("");
  lines.push(
    "ours: startServer/openConnection, StreamReader/StreamWriter on one " +
      "loop per process; bare: Deno.listen/Deno.connect, conn.read/" +
      "conn.write loops, plain async functions; CPython and uvloop: " +
      "asyncio.start_server/open_connection. 1 process: server and client " +
      "in one process; server in child: the server in a child process of " +
      "the same kind (two cores: one each).",
  );
  lines.push("");

  lines.push(
    "Spread: lowest-highest round (and (max - min) / median)",
  );
  lines.push("");
  lines.push(table(
    ["workload", "ours", "bare", "CPython", "uvloop"],
    rows.map((row) => [
      label(row.workload, row.layout, deno),
      spread(row.by.ours),
      spread(row.by.bare),
      spread(row.by.cpython),
      spread(row.by.uvloop),
    ]),
    md,
  ));
  lines.push("");
  lines.push(
    "Process CPU time of the measuring process per message (us) or per " +
      "MB (us), median (1 process: both ends; server in child: the " +
      "client's only)",
  );
  lines.push("");
  lines.push(table(
    ["workload", "ours", "bare", "CPython", "uvloop"],
    rows.map((row) => [
      label(row.workload, row.layout, deno),
      fmtCpu(row.by.ours?.cpu_us),
      fmtCpu(row.by.bare?.cpu_us),
      fmtCpu(row.by.cpython?.cpu_us),
      fmtCpu(row.by.uvloop?.cpu_us),
    ]),
    md,
  ));

  const goals = rows.flatMap((r) =>
    r.goals.map((g) => ({ ...g, what: label(r.workload, r.layout, deno) }))
  );
  const missed = goals.filter((g) => g.ok === false);
  lines.push("");
  lines.push(
    `goals: ${goals.filter((g) => g.ok === true).length} PASS, ` +
      `${missed.length} MISS, ${
        goals.filter((g) => g.ok === undefined).length
      } n/a` +
      (missed.length > 0
        ? ` (missed: ${missed.map((g) => `${g.what}: ${g.text}`).join("; ")})`
        : ""),
  );
  if (!uv) lines.push(`uvloop: ${args.reasons.uvloop ?? "not run"}`);
  console.log(lines.join("\n"));
}

if (import.meta.main) await main();
