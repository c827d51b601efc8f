/**
 * The floor under the gather workload in this runtime: what 100,000 "tasks"
 * cost when each is only an `AsyncLocalStorage.run` around an async function
 * that awaits one promise resolved on the next turn of a minimal loop, and
 * completion is counted with one `then` each. No library code is involved.
 *
 * deno run bench/core/breakdown_als_floor.ts
 */
import { AsyncLocalStorage } from "node:async_hooks";

const N = 100_000;
const ROUNDS = 9;
const als = new AsyncLocalStorage<object>();
let ready: (() => void)[] = [];

function nextTurn(): Promise<void> {
  return new Promise((resolve) => ready.push(resolve));
}

async function work(): Promise<number> {
  await nextTurn();
  return 1;
}

async function plain(): Promise<void> {
  await null;
}

async function minimalLoop(): Promise<void> {
  const promises = Array.from({ length: N }, (_, i) => als.run({ i }, work));
  let finished = 0;
  const all = new Promise<void>((resolve) => {
    for (const p of promises) p.then(() => ++finished === N && resolve());
  });
  while (ready.length > 0) {
    const turn = ready;
    ready = [];
    for (const resolve of turn) resolve();
    await null;
  }
  await all;
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

const floor: number[] = [];
const bare: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  let t = performance.now();
  await Promise.all(Array.from({ length: N }, () => plain()));
  bare.push((performance.now() - t) * 1000 / N);
  t = performance.now();
  await minimalLoop();
  floor.push((performance.now() - t) * 1000 / N);
}
console.log(
  `us per task, median of ${ROUNDS}: bare ${median(bare).toFixed(3)}, ` +
    `ALS floor ${median(floor).toFixed(3)} (${
      (median(floor) / median(bare)).toFixed(2)
    }x bare)`,
);
