/**
 * What the reports of the suites share: their arguments (`--deno FILE`,
 * `--NAME FILE`, `--no-NAME REASON`), reading the runners' JSON, number
 * formats, the header line, tables (plain or Markdown) and goal lines.
 *
 * @module
 */
import { type Machine, machineLine } from "./machine.ts";

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

/** One goal of a report: what, the figure it is judged on, the verdict. */
export interface Goal {
  /** What the goal says. */
  text: string;
  /** The figure it is judged on ("n/a" if an input is missing). */
  figure: string;
  /** true PASS, false MISS, undefined: cannot tell (input missing). */
  ok: boolean | undefined;
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

/**
 * The header line of a report: the machine (CPU model, CPUs, OS, Deno
 * and V8, from the Deno runner's JSON), CPython, and uvloop (or why
 * uvloop was not run).
 */
export function runtimesLine(
  deno: { machine?: Machine },
  cpy: { runtime: { python?: string } } | undefined,
  uv: { runtime: { python?: string; uvloop?: string } } | undefined,
  noUvloop: string | undefined,
): string {
  return machineLine(
    deno.machine,
    cpy ? `python3 ${cpy.runtime.python}` : "CPython: not run",
    uv
      ? `uvloop ${uv.runtime.uvloop} on /usr/bin/python3 ${uv.runtime.python}`
      : `uvloop: ${noUvloop ?? "not run"}`,
  );
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

/**
 * The goals of a report as a table (what, goal, figure, result) and a
 * line that counts them.
 */
export function goalLines(
  goals: (Goal & { what: string })[],
  markdown: boolean,
): string[] {
  const missed = goals.filter((g) => g.ok === false);
  return [
    table(
      ["what", "goal", "figure", "result"],
      goals.map((g) => [g.what, g.text, g.figure, verdict(g.ok)]),
      markdown,
    ),
    "",
    `goals: ${goals.filter((g) => g.ok === true).length} PASS, ` +
    `${missed.length} MISS, ${
      goals.filter((g) => g.ok === undefined).length
    } n/a` +
    (missed.length > 0
      ? ` (missed: ${missed.map((g) => `${g.what}: ${g.text}`).join("; ")})`
      : ""),
  ];
}
