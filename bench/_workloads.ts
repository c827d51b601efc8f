/**
 * The benchmark workloads, shared by `run.ts` (the side-by-side runner) and
 * `loop_bench.ts` (for `deno bench`). Each function runs one round and
 * returns what it measured; `bench/asyncio_bench.py` has the same
 * workloads in CPython asyncio.
 *
 * @module
 */
import process from "node:process";
import {
  gather,
  getRunningLoop,
  RealClock,
  run,
  type RunOptions,
  sleep,
} from "../mod.ts";

/** One round of one workload. */
export interface Sample {
  /** Wall-clock milliseconds for the whole round. */
  wallMs: number;
  /** Process CPU milliseconds (user + system, all threads). */
  cpuMs: number;
}

/** One round of the timer workload. */
export interface TimerSample extends Sample {
  /** Milliseconds spent in the loop that schedules the timers. */
  scheduleMs: number;
  /** How many callbacks ran. */
  fired: number;
  /**
   * Callbacks that ran after a callback with a later deadline (-1: not
   * checked).
   */
  outOfOrder: number;
  /** Callbacks that ran before their deadline (-1: not checked). */
  early: number;
  /** The largest delay past its deadline at which a callback ran, in ms. */
  maxLateMs: number;
}

// Every workload runs on the real clock, whatever ASYNCIO_VIRTUAL_TIME says.
const REAL: RunOptions = { clock: new RealClock() };

function cpuMsSince(start: { user: number; system: number }): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

/**
 * The delays of the timer workload: `n` numbers in [0, maxSeconds) from a
 * 32-bit LCG (Numerical Recipes constants), so that `asyncio_bench.py`
 * draws exactly the same delays from the same seed.
 */
export function lcgDelays(
  n: number,
  maxSeconds = 0.1,
  seed = 12345,
): Float64Array {
  const out = new Float64Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = (x / 4294967296) * maxSeconds;
  }
  return out;
}

async function sleepWork(): Promise<void> {
  await sleep(0);
}

/**
 * Workload 1, ours: `run(main)` where `main` gathers `n` coroutine
 * functions that each `await sleep(0)` and return. Times the gather
 * (building the argument list included), not loop creation and closing.
 */
export function gatherSleep0(n: number): Promise<Sample> {
  return run(async () => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const fns: (() => Promise<void>)[] = new Array(n);
    for (let i = 0; i < n; i++) fns[i] = sleepWork;
    const results = await gather(...fns);
    const wallMs = performance.now() - t0;
    const cpuMs = cpuMsSince(cpu0);
    if (results.length !== n) {
      throw new Error(`gather returned ${results.length} results, not ${n}`);
    }
    return { wallMs, cpuMs };
  }, REAL);
}

async function bareWork(): Promise<void> {
  await null;
}

/**
 * Workload 1, baseline: `n` plain async functions that each `await null`
 * once, gathered with `Promise.all` (no event loop of ours involved).
 */
export async function gatherBarePromises(n: number): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const promises: Promise<void>[] = new Array(n);
  for (let i = 0; i < n; i++) promises[i] = bareWork();
  const results = await Promise.all(promises);
  const wallMs = performance.now() - t0;
  const cpuMs = cpuMsSince(cpu0);
  if (results.length !== n) throw new Error("Promise.all lost results");
  return { wallMs, cpuMs };
}

/**
 * Workload 2, ours: from inside a running loop, `loop.callSoon(cb)` `n`
 * times; times scheduling plus running them all (the last callback
 * resolves a future that `main` awaits).
 */
export function callSoonCallbacks(n: number): Promise<Sample> {
  return run(async () => {
    const loop = getRunningLoop();
    const done = loop.createFuture<void>();
    let count = 0;
    const cb = (): void => {
      if (++count === n) done.setResult(undefined);
    };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) loop.callSoon(cb);
    await done;
    const wallMs = performance.now() - t0;
    const cpuMs = cpuMsSince(cpu0);
    if (count !== n) throw new Error(`${count} of ${n} callbacks ran`);
    return { wallMs, cpuMs };
  }, REAL);
}

/** Workload 2, baseline: `queueMicrotask(cb)` `n` times, all run. */
export async function queueMicrotaskCallbacks(n: number): Promise<Sample> {
  let count = 0;
  let resolve!: () => void;
  const done = new Promise<void>((r) => resolve = r);
  const cb = (): void => {
    if (++count === n) resolve();
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) queueMicrotask(cb);
  await done;
  const wallMs = performance.now() - t0;
  return { wallMs, cpuMs: cpuMsSince(cpu0) };
}

/**
 * Workload 3, ours: on the real clock, `loop.callLater(delays[i], cb, i)`
 * for every delay; waits until every callback ran and checks that they ran
 * in deadline order (`handle.when()`), none before its deadline.
 */
export function callLaterTimers(delays: Float64Array): Promise<TimerSample> {
  const n = delays.length;
  return run(async () => {
    const loop = getRunningLoop();
    const whens = new Float64Array(n);
    const done = loop.createFuture<void>();
    let fired = 0;
    let outOfOrder = 0;
    let early = 0;
    let maxWhen = -Infinity;
    let maxLate = 0;
    const cb = (i: number): void => {
      const when = whens[i];
      const now = loop.time();
      if (when < maxWhen) outOfOrder++;
      else maxWhen = when;
      if (now < when) early++;
      else if (now - when > maxLate) maxLate = now - when;
      if (++fired === n) done.setResult(undefined);
    };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      whens[i] = loop.callLater(delays[i], cb, i).when();
    }
    const scheduleMs = performance.now() - t0;
    await done;
    const wallMs = performance.now() - t0;
    const cpuMs = cpuMsSince(cpu0);
    return {
      wallMs,
      cpuMs,
      scheduleMs,
      fired,
      outOfOrder,
      early,
      maxLateMs: maxLate * 1000,
    };
  }, REAL);
}

function maxOf(values: Float64Array): number {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max;
}

/**
 * Workload 3, host baseline: `setTimeout(cb, delay)` for every delay (the
 * host's timers have millisecond granularity, so order is not checked;
 * `maxLateMs` is how long after the longest delay the last one ran).
 */
export async function setTimeoutTimers(
  delays: Float64Array,
): Promise<TimerSample> {
  const n = delays.length;
  let fired = 0;
  let resolve!: () => void;
  const done = new Promise<void>((r) => resolve = r);
  const cb = (): void => {
    if (++fired === n) resolve();
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) setTimeout(cb, delays[i] * 1000);
  const scheduleMs = performance.now() - t0;
  await done;
  const wallMs = performance.now() - t0;
  return {
    wallMs,
    cpuMs: cpuMsSince(cpu0),
    scheduleMs,
    fired,
    outOfOrder: -1,
    early: -1,
    maxLateMs: Math.max(0, wallMs - maxOf(delays) * 1000),
  };
}
