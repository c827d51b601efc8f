/**
 * What tracing costs (issue 16, the trace goals): spawn (100,000 tasks that
 * each `await sleep(0)`, gathered, as the `gather` workload) with tracing
 * off and on, rounds interleaved so that drift hits both; then how long
 * writing the trace of those 100,000 tasks takes (`Trace.save`, Chrome
 * trace event JSON) and how big it is. Goals: spawn with tracing on at
 * most 2x of off; the trace written in under a second.
 *
 * ```sh
 * deno run -A bench/traces/bench.ts                 # 7 rounds after 2 warm-ups
 * deno run -A bench/traces/bench.ts --rounds 11 --tasks 100000 --json
 * ```
 *
 * @module
 */
import process from "node:process";
import {
  gather,
  RealClock,
  run,
  sleep,
  startTrace,
  stopTrace,
  type Trace,
} from "../../mod.ts";
import { scanArgs } from "../_shared/args.ts";

function usage(): never {
  console.error(
    "usage: deno run -A bench/traces/bench.ts [--rounds N] [--warmup N] [--tasks N] [--json]",
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

interface Times {
  ms: number; // wall clock
  cpu: number; // the process's CPU time (all threads, GC included)
}

function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

// One round of spawn: the time of the gather (as bench/core/_workloads.ts times
// it), on the real clock.
function spawn(n: number): Promise<Times> {
  return run(async () => {
    const cpu0 = cpuNow();
    const t0 = performance.now();
    const fns: (() => Promise<void>)[] = new Array(n);
    for (let i = 0; i < n; i++) fns[i] = sleepWork;
    await gather(...fns);
    return { ms: performance.now() - t0, cpu: cpuNow() - cpu0 };
  }, { clock: new RealClock() });
}

async function traced(n: number): Promise<{ times: Times; trace: Trace }> {
  startTrace();
  try {
    const times = await spawn(n);
    return { times, trace: stopTrace() };
  } catch (error) {
    stopTrace();
    throw error;
  }
}

const off: Times[] = [];
const on: Times[] = [];
const write: Times[] = [];
let bytes = 0;
let events = 0;
const path = await Deno.makeTempFile({
  prefix: "trace_cost-",
  suffix: ".json",
});
const show = (t: Times) => `${t.ms.toFixed(0)} ms (cpu ${t.cpu.toFixed(0)})`;
try {
  for (let round = 0; round < warmup + rounds; round++) {
    const measured = round >= warmup;
    // Alternate which side goes first.
    const order = round % 2 === 0 ? [false, true] : [true, false];
    for (const tracing of order) {
      if (!tracing) {
        const times = await spawn(tasks);
        if (measured) off.push(times);
        continue;
      }
      const { times, trace } = await traced(tasks);
      const cpu0 = cpuNow();
      const t0 = performance.now();
      trace.save(path);
      const saved = { ms: performance.now() - t0, cpu: cpuNow() - cpu0 };
      if (measured) {
        on.push(times);
        write.push(saved);
        bytes = (await Deno.stat(path)).size;
        events = trace.events;
      }
    }
    if (!json && measured) {
      console.error(
        `round ${round - warmup + 1}: off ${show(off.at(-1)!)}, on ${
          show(on.at(-1)!)
        }, save ${show(write.at(-1)!)}`,
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

interface Stats {
  median: number;
  min: number;
  max: number;
}

function stats(xs: number[]): Stats {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

// Ratios are paired (each round's on over the same round's off), so that a
// slow moment of the machine hits both sides of a ratio.
const summary = {
  tasks,
  rounds,
  spawnOffMs: stats(off.map((t) => t.ms)),
  spawnOnMs: stats(on.map((t) => t.ms)),
  onOverOff: stats(on.map((t, i) => t.ms / off[i].ms)),
  spawnOffCpuMs: stats(off.map((t) => t.cpu)),
  spawnOnCpuMs: stats(on.map((t) => t.cpu)),
  onOverOffCpu: stats(on.map((t, i) => t.cpu / off[i].cpu)),
  saveMs: stats(write.map((t) => t.ms)),
  saveCpuMs: stats(write.map((t) => t.cpu)),
  traceBytes: bytes,
  recordedEvents: events,
};
if (json) console.log(JSON.stringify(summary, null, 2));
else {
  const f = (r: Stats, d = 0) =>
    `${r.median.toFixed(d)} (${r.min.toFixed(d)}..${r.max.toFixed(d)})`;
  console.log(
    `spawn ${tasks} tasks, ${rounds} rounds, median (min..max): wall clock; CPU time`,
  );
  console.log(
    `  tracing off     ${f(summary.spawnOffMs)} ms; ${
      f(summary.spawnOffCpuMs)
    } ms`,
  );
  console.log(
    `  tracing on      ${f(summary.spawnOnMs)} ms; ${
      f(summary.spawnOnCpuMs)
    } ms`,
  );
  console.log(
    `  on / off        ${f(summary.onOverOff, 2)}x; ${
      f(summary.onOverOffCpu, 2)
    }x   (goal: at most 2x)`,
  );
  console.log(
    `  save the trace  ${f(summary.saveMs)} ms; ${
      f(summary.saveCpuMs)
    } ms   (goal: under 1000 ms), ${
      (bytes / 1e6).toFixed(1)
    } MB, ${events} events`,
  );
}
