/**
 * Prints the table of `bench/streams/compare`: our streams' and bare
 * `Deno.Conn` figures from `bench.ts --json` beside CPython
 * asyncio's and uvloop's (`bench.py`), their ratios, and
 * PASS/MISS against the goals.
 *
 * ```sh
 * deno run --allow-read bench/streams/_report.ts --deno deno.json \
 *   [--cpython cpython.json | --no-cpython "why"] \
 *   [--uvloop uvloop.json | --no-uvloop "why"] [--markdown]
 * ```
 *
 * @module
 */
import {
  fmtRatio,
  type Goal,
  goalLines,
  parseReportArgs,
  readReport,
  runtimesLine,
  table,
  verdict,
} from "../_shared/report.ts";
import type {
  Impl,
  Layout,
  StreamResult,
  StreamsReport,
  Workload,
} from "./bench.ts";

/** The goals: ours' rate over bare Deno's in the same run, at least. */
export const GOALS = {
  /** Echo over loopback TCP, server and client in one process. */
  echoSameVsBare: 0.95,
  /** Everything else over TCP (echo with the server in a child, bulk). */
  vsBare: 0.8,
  /** Echo over in-memory connections (no kernel). */
  echoMemoryVsBare: 0.6,
};

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

interface Row {
  workload: Workload;
  layout: Layout;
  unit: string;
  by: Partial<Record<Impl, StreamResult>>;
  goals: Goal[];
}

function label(workload: Workload, layout: Layout, r: StreamsReport): string {
  const where = layout === "same" ? "1 process" : "server in child";
  if (workload === "echo_memory") {
    return `echo in memory ${r.conns} conns x ${r.size} B, ${where}`;
  }
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
  const atLeast = (text: string, r: number | undefined, limit: number) => ({
    text,
    figure: fmtRatio(r),
    ok: r === undefined || !Number.isFinite(r) ? undefined : r >= limit,
  });
  const ahead = (text: string, r: number | undefined) => ({
    text,
    figure: fmtRatio(r),
    ok: r === undefined || !Number.isFinite(r) ? undefined : r > 1,
  });
  for (const row of rows) {
    const ours = rate(row, "ours");
    const vsBare = div(ours, rate(row, "bare"));
    const min = row.workload === "echo_memory"
      ? GOALS.echoMemoryVsBare
      : row.workload === "echo" && row.layout === "same"
      ? GOALS.echoSameVsBare
      : GOALS.vsBare;
    row.goals.push(atLeast(`ours >= ${min}x bare Deno`, vsBare, min));
    if (row.workload === "echo") {
      if (row.layout === "same") {
        row.goals.push(
          ahead("ours > uvloop", div(ours, rate(row, "uvloop"))),
        );
      }
      row.goals.push(
        ahead("ours > CPython asyncio", div(ours, rate(row, "cpython"))),
      );
    }
  }

  const cpyName = cpy ? `CPython ${cpy.runtime.python}` : "CPython";
  const uvName = uv ? `uvloop ${uv.runtime.uvloop}` : "uvloop";
  const lines: string[] = [];
  lines.push(
    "Streams (loopback TCP, and in memory): asyncio for Deno vs bare " +
      "Deno.Conn vs " +
      `CPython asyncio vs uvloop, ${deno.date.slice(0, 10)}`,
  );
  if (md) lines.push("");
  lines.push(runtimesLine(deno, cpy, uv, args.reasons.uvloop));
  if (md) lines.push("");
  lines.push(
    `median of ${deno.rounds} rounds after ${deno.warmup} warm-up ` +
      `round(s); echo: messages per second over ${deno.seconds} s rounds; ` +
      "bulk: MB/s (10^6 bytes per second), one round per transfer; " +
      "ours/X: ours' rate over X's (above 1: ours is faster); echo in " +
      "memory: Deno only (CPython and uvloop n/a)",
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
      "the same kind (two cores: one each). Echo in memory: no sockets; " +
      "each connection is a pair of in-memory ends (bench.ts " +
      "MemoryConn): ours builds Transport + StreamReader + StreamWriter " +
      "over them, bare runs the same bare code as over TCP.",
  );
  const memory = rows.find((r) => r.workload === "echo_memory");
  if (memory !== undefined) {
    const us = (x: number | undefined) =>
      x === undefined ? "n/a" : (1e6 / x).toFixed(2);
    if (md) lines.push("");
    lines.push(
      `Echo in memory, wall time per message (both ends, ${deno.conns} ` +
        `connections at once): ours ${us(rate(memory, "ours"))} us, bare ` +
        `${us(rate(memory, "bare"))} us.`,
    );
  }
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

  lines.push("");
  lines.push("Goals");
  lines.push("");
  lines.push(...goalLines(
    rows.flatMap((r) =>
      r.goals.map((g) => ({ ...g, what: label(r.workload, r.layout, deno) }))
    ),
    md,
  ));
  if (!uv) lines.push(`uvloop: ${args.reasons.uvloop ?? "not run"}`);
  console.log(lines.join("\n"));
}

if (import.meta.main) await main();
