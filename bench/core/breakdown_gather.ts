/**
 * Where the `gather` workload's time goes: the same 100,000 items through
 * smaller pieces of the machinery, each timed inside a fresh `run(main)`
 * on the real clock (median and min of 7 rounds after 2 warm-up rounds).
 * A diagnostic for whoever optimises the library, not a goal.
 *
 * ```sh
 * deno run -A bench/core/breakdown_gather.ts
 * ```
 *
 * @module
 */
import {
  createTask,
  type Future,
  gather,
  getRunningLoop,
  RealClock,
  run,
  sleep,
} from "../../mod.ts";

const N = 100_000;
const ROUNDS = 7;
const WARMUP = 2;

async function noop(): Promise<void> {}
async function sleep0(): Promise<void> {
  await sleep(0);
}
async function bare(): Promise<void> {
  await null;
}

const cases: [string, () => Promise<unknown>][] = [
  ["Promise.all of async fns awaiting null (baseline)", async () => {
    const ps: Promise<void>[] = new Array(N);
    for (let i = 0; i < N; i++) ps[i] = bare();
    await Promise.all(ps);
  }],
  ["gather(...fns), each await sleep(0) (the workload)", async () => {
    await gather(...new Array<() => Promise<void>>(N).fill(sleep0));
  }],
  ["gather(...fns) of tasks that return at once", async () => {
    await gather(...new Array<() => Promise<void>>(N).fill(noop));
  }],
  ["createTask(fn) each await sleep(0), then await each", async () => {
    const tasks = new Array(N);
    for (let i = 0; i < N; i++) tasks[i] = createTask(sleep0);
    for (const t of tasks) await t;
  }],
  ["gather(...futures) already done", async () => {
    const loop = getRunningLoop();
    const futs: Future<number>[] = new Array(N);
    for (let i = 0; i < N; i++) {
      futs[i] = loop.createFuture<number>();
      futs[i].setResult(i);
    }
    await gather(...futs);
  }],
  ["one task, await sleep(0) N times", async () => {
    for (let i = 0; i < N; i++) await sleep(0);
  }],
];

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

console.log(
  `${N} items, us/item, median (min) of ${ROUNDS} rounds, deno ${Deno.version.deno}`,
);
for (const [name, body] of cases) {
  const samples: number[] = [];
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    const us = await run(async () => {
      const t0 = performance.now();
      await body();
      return ((performance.now() - t0) * 1000) / N;
    }, { clock: new RealClock() });
    if (r >= WARMUP) samples.push(us);
  }
  console.log(
    `${name.padEnd(54)} ${median(samples).toFixed(3).padStart(7)} ` +
      `(${Math.min(...samples).toFixed(3)})`,
  );
}
