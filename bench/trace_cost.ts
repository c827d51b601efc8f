/**
 * What tracing costs (issue 16, the trace goals): spawn (100,000 tasks that
 * each `await sleep(0)`, gathered, as the `gather` workload) with tracing
 * off and on, rounds interleaved so that drift hits both; then how long
 * writing the trace of those 100,000 tasks takes (`Trace.save`, Chrome
 * trace event JSON) and how big it is. Goals: spawn with tracing on at
 * most 2x of off; the trace written in under a second.
 *
 * ```sh
 * deno run -A bench/trace_cost.ts                 # 7 rounds after 2 warm-ups
 * deno run -A bench/trace_cost.ts --rounds 11 --tasks 100000 --json
 * ```
 *
 * @module
 */
import {
  gather,
  RealClock,
  run,
  sleep,
  startTrace,
  stopTrace,
  type Trace,
} from "../mod.ts";
import { scanArgs } from "./_args.ts";

function usage(): never {
  console.error(
    "usage: deno run -A bench/trace_cost.ts [--rounds N] [--warmup N] [--tasks N] [--json]",
  );
  Deno.exit(2);
}

let rounds = 7;
let warmup = 2;
let tasks = 100_000;
let json = false;
for (const arg of scanArgs(Deno.args, usage)) {
  if (arg.name === "--rounds") rounds = arg.integer(1);
  else if (arg.name === "--warmup") warmup = arg.integer(0);
  else if (arg.name === "--tasks") tasks = arg.integer(1);
  else if (arg.name === "--json") json = true;
  else usage();
}

async function sleepWork(): Promise<void> {
  await sleep(0);
}

// One round of spawn: milliseconds for the gather (as bench/_workloads.ts
// times it), on the real clock.
function spawn(n: number): Promise<number> {
  return run(async () => {
    const t0 = performance.now();
    const fns: (() => Promise<void>)[] = new Array(n);
    for (let i = 0; i < n; i++) fns[i] = sleepWork;
    await gather(...fns);
    return performance.now() - t0;
  }, { clock: new RealClock() });
}

async function traced(n: number): Promise<{ ms: number; trace: Trace }> {
  startTrace();
  try {
    const ms = await spawn(n);
    return { ms, trace: stopTrace() };
  } catch (error) {
    stopTrace();
    throw error;
  }
}

const off: number[] = [];
const on: number[] = [];
const write: number[] = [];
let bytes = 0;
let events = 0;
const path = await Deno.makeTempFile({
  prefix: "trace_cost-",
  suffix: ".json",
});
try {
  for (let round = 0; round < warmup + rounds; round++) {
    const measured = round >= warmup;
    // Alternate which side goes first.
    const order = round % 2 === 0 ? [false, true] : [true, false];
    for (const tracing of order) {
      if (!tracing) {
        const ms = await spawn(tasks);
        if (measured) off.push(ms);
        continue;
      }
      const { ms, trace } = await traced(tasks);
      const t0 = performance.now();
      trace.save(path);
      const saveMs = performance.now() - t0;
      if (measured) {
        on.push(ms);
        write.push(saveMs);
        bytes = (await Deno.stat(path)).size;
        events = trace.events;
      }
    }
    if (!json) {
      console.error(
        `round ${round + 1}${measured ? "" : " (warm-up)"}: off ${
          (off.at(-1) ?? 0).toFixed(0)
        } ms, on ${(on.at(-1) ?? 0).toFixed(0)} ms, save ${
          (write.at(-1) ?? 0).toFixed(0)
        } ms`,
      );
    }
  }
} finally {
  await Deno.remove(path);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// The ratio of each round's on to the same round's off: paired, so that
// a slow moment of the machine hits both sides of the ratio.
const ratios = on.map((ms, i) => ms / off[i]);
const summary = {
  tasks,
  rounds,
  spawnOffMs: {
    median: median(off),
    min: Math.min(...off),
    max: Math.max(...off),
  },
  spawnOnMs: { median: median(on), min: Math.min(...on), max: Math.max(...on) },
  onOverOff: {
    median: median(ratios),
    min: Math.min(...ratios),
    max: Math.max(...ratios),
  },
  saveMs: {
    median: median(write),
    min: Math.min(...write),
    max: Math.max(...write),
  },
  traceBytes: bytes,
  recordedEvents: events,
};
if (json) console.log(JSON.stringify(summary, null, 2));
else {
  const f = (r: { median: number; min: number; max: number }, d = 0) =>
    `${r.median.toFixed(d)} (${r.min.toFixed(d)}..${r.max.toFixed(d)})`;
  console.log(`spawn ${tasks} tasks, ${rounds} rounds: median (min..max)`);
  console.log(`  tracing off      ${f(summary.spawnOffMs)} ms`);
  console.log(`  tracing on       ${f(summary.spawnOnMs)} ms`);
  console.log(`  on / off         ${f(summary.onOverOff, 2)}x (goal: <= 2x)`);
  console.log(
    `  save the trace   ${f(summary.saveMs)} ms (goal: < 1000 ms), ${
      (bytes / 1e6).toFixed(1)
    } MB, ${events} events recorded`,
  );
}
