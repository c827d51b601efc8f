/**
 * The benchmark workloads, shared by `bench.ts` (the side-by-side runner) and
 * `bench_loop.ts` (for `deno bench`). Each function runs one round and
 * returns what it measured; `bench/core/bench.py` has the same
 * workloads in CPython asyncio.
 *
 * @module
 */
import process from "node:process";
import {
  createTask,
  Event,
  gather,
  getRunningLoop,
  Lock,
  Queue,
  RealClock,
  run,
  type RunOptions,
  sleep,
  type Task,
} from "../../mod.ts";

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

/** One round of a memory workload. */
export interface MemorySample extends Sample {
  /**
   * Growth of the V8 heap (`Deno.memoryUsage().heapUsed`, each side measured
   * after a forced full GC) from before the items were made to while they
   * all wait, in bytes.
   */
  heapBytes: number;
  /** Growth of the resident set size over the same span, in bytes. */
  rssBytes: number;
}

// Every workload runs on the real clock, whatever ASYNCIO_VIRTUAL_TIME says.
const REAL: RunOptions = { clock: new RealClock() };

function cpuMsSince(start: { user: number; system: number }): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

/**
 * The delays of the timer workload: `n` numbers in [0, maxSeconds) from a
 * 32-bit LCG (Numerical Recipes constants), so that `bench.py`
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

/**
 * Workload 4, ours: `n` round trips of an item between two tasks through
 * two `Queue`s: `main` puts on `q1` and gets from `q2`; a second task gets
 * from `q1` and puts what it got on `q2`. Times the round trips (creating
 * the echo task and awaiting its end included).
 */
export function queuePingPong(n: number): Promise<Sample> {
  return run(async () => {
    const q1 = new Queue<number>();
    const q2 = new Queue<number>();
    const echo = async (): Promise<void> => {
      for (let i = 0; i < n; i++) await q2.put(await q1.get());
    };
    let sum = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const echoer = createTask(echo);
    for (let i = 0; i < n; i++) {
      await q1.put(i);
      sum += await q2.get();
    }
    await echoer;
    const wallMs = performance.now() - t0;
    const cpuMs = cpuMsSince(cpu0);
    if (sum !== (n * (n - 1)) / 2) throw new Error(`ping-pong lost items`);
    return { wallMs, cpuMs };
  }, REAL);
}

/**
 * The minimal promise-based channel of the ping-pong baseline: `get()`
 * returns a promise that the next `put()` resolves (or one already resolved
 * with an item put earlier); unbounded, so `put()` never waits.
 */
class BareChannel<T> {
  #items: T[] = [];
  #getters: ((item: T) => void)[] = [];

  put(item: T): void {
    const getter = this.#getters.shift();
    if (getter !== undefined) getter(item);
    else this.#items.push(item);
  }

  get(): Promise<T> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift()!);
    return new Promise((resolve) => this.#getters.push(resolve));
  }
}

/**
 * Workload 4, baseline: the same ping-pong between two plain async
 * functions through two {@link BareChannel}s (no event loop of ours).
 */
export async function barePingPong(n: number): Promise<Sample> {
  const c1 = new BareChannel<number>();
  const c2 = new BareChannel<number>();
  const echo = async (): Promise<void> => {
    for (let i = 0; i < n; i++) c2.put(await c1.get());
  };
  let sum = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const echoer = echo();
  for (let i = 0; i < n; i++) {
    c1.put(i);
    sum += await c2.get();
  }
  await echoer;
  const wallMs = performance.now() - t0;
  const cpuMs = cpuMsSince(cpu0);
  if (sum !== (n * (n - 1)) / 2) throw new Error(`ping-pong lost items`);
  return { wallMs, cpuMs };
}

/**
 * Workload 5, ours: `tasks` tasks, gathered, each acquiring one `Lock`
 * `each` times with `await sleep(0)` inside the critical section
 * (`{ using _held = await lock.acquire(); await sleep(0); }`). Checks that
 * no two tasks were ever inside at once and that every acquisition ran.
 */
export function lockContention(tasks: number, each: number): Promise<Sample> {
  return run(async () => {
    const lock = new Lock();
    let inside = 0;
    let overlaps = 0;
    let count = 0;
    const worker = async (): Promise<void> => {
      for (let i = 0; i < each; i++) {
        using _held = await lock.acquire();
        if (++inside > 1) overlaps++;
        await sleep(0);
        inside--;
        count++;
      }
    };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const fns: (() => Promise<void>)[] = new Array(tasks);
    for (let i = 0; i < tasks; i++) fns[i] = worker;
    await gather(...fns);
    const wallMs = performance.now() - t0;
    const cpuMs = cpuMsSince(cpu0);
    if (count !== tasks * each || overlaps !== 0 || lock.locked()) {
      throw new Error(
        `lock: ${count} of ${tasks * each} acquisitions, ${overlaps} overlaps`,
      );
    }
    return { wallMs, cpuMs };
  }, REAL);
}

/** Whether `gc()` is there (deno run `--v8-flags=--expose-gc`). */
export function canForceGc(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === "function";
}

function forceGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== "function") {
    throw new Error("the memory workloads need --v8-flags=--expose-gc");
  }
  // Twice: the first may leave what finalizers and weak callbacks let go.
  gc();
  gc();
}

interface MemoryMark {
  heap: number;
  rss: number;
}

function memoryMark(): MemoryMark {
  forceGc();
  const m = Deno.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

/**
 * A list of `n` empty slots, made before the first measurement (so that
 * filling it later allocates nothing that is counted).
 */
export function slots<T>(n: number): (T | undefined)[] {
  const list: (T | undefined)[] = [];
  for (let i = 0; i < n; i++) list.push(undefined);
  return list;
}

/**
 * Workload 6, ours: `n` tasks that all `await event.wait()` on one `Event`;
 * the heap is measured (after a forced GC) before they are made and again
 * once every one of them waits; then the event is set and all are awaited.
 * `wallMs` is the time to make them and let them block plus the time from
 * `set()` until all finished (the GCs and measurements left out).
 */
export function eventWaitMemory(n: number): Promise<MemorySample> {
  return run(async () => {
    const event = new Event();
    let started = 0;
    const waiter = async (): Promise<void> => {
      started++;
      await event.wait();
    };
    const tasks = slots<Task<void>>(n);
    const before = memoryMark();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) tasks[i] = createTask(waiter);
    await sleep(0); // every task runs up to its wait()
    const t1 = performance.now();
    if (started !== n) throw new Error(`only ${started} of ${n} tasks wait`);
    const waiting = memoryMark();
    const t2 = performance.now();
    event.set();
    for (const task of tasks) await task;
    const wallMs = t1 - t0 + (performance.now() - t2);
    return {
      wallMs,
      cpuMs: cpuMsSince(cpu0),
      heapBytes: waiting.heap - before.heap,
      rssBytes: waiting.rss - before.rss,
    };
  }, REAL);
}

/**
 * Workload 6, baseline: `n` plain async functions that all await one
 * pending promise (the bare version of an event), measured the same way;
 * then the promise is resolved and all are awaited.
 */
export async function promiseWaitMemory(n: number): Promise<MemorySample> {
  const { promise, resolve } = Promise.withResolvers<void>();
  let started = 0;
  const waiter = async (): Promise<void> => {
    started++;
    await promise;
  };
  const waiting = slots<Promise<void>>(n);
  const before = memoryMark();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) waiting[i] = waiter();
  const t1 = performance.now();
  if (started !== n) throw new Error(`only ${started} of ${n} functions wait`);
  const after = memoryMark();
  const t2 = performance.now();
  resolve();
  for (const p of waiting) await p;
  const wallMs = t1 - t0 + (performance.now() - t2);
  return {
    wallMs,
    cpuMs: cpuMsSince(cpu0),
    heapBytes: after.heap - before.heap,
    rssBytes: after.rss - before.rss,
  };
}

function never(): void {}

/**
 * Workload 6, plausibility check: `n` plain pending promises
 * (`new Promise(never)`), measured the same way; a V8 promise is a handful
 * of words, so this shows what the measurement reports for a known object.
 */
export function pendingPromisesMemory(n: number): Promise<MemorySample> {
  const pending = slots<Promise<void>>(n);
  const before = memoryMark();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) pending[i] = new Promise<void>(never);
  const wallMs = performance.now() - t0;
  const after = memoryMark();
  if (pending[n - 1] === undefined) throw new Error("no promises made");
  return Promise.resolve({
    wallMs,
    cpuMs: cpuMsSince(cpu0),
    heapBytes: after.heap - before.heap,
    rssBytes: after.rss - before.rss,
  });
}
