/**
 * Where the `event_memory` workload's bytes go: heap growth per item for
 * 100,000 items of smaller pieces of the machinery, each measured inside a
 * fresh `run(main)` as the workload is (`Deno.memoryUsage().heapUsed`
 * after forced full GCs, before the items are made and while they all
 * exist or wait; median and min of 5 rounds after 1 warm-up round). A
 * diagnostic for whoever trims the library, not a goal.
 *
 * ```sh
 * deno run --v8-flags=--expose-gc -A bench/core/breakdown_memory.ts
 * ```
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import {
  createTask,
  Event,
  type Future,
  getRunningLoop,
  RealClock,
  run,
  sleep,
  type Task,
} from "../../mod.ts";

const N = 100_000;
const ROUNDS = 5;
const WARMUP = 1;

const gc = (globalThis as { gc?: () => void }).gc;
if (typeof gc !== "function") {
  console.error(
    "needs gc(): deno run --v8-flags=--expose-gc -A bench/core/breakdown_memory.ts",
  );
  Deno.exit(64);
}

function heapUsed(): number {
  gc!();
  gc!();
  return Deno.memoryUsage().heapUsed;
}

/**
 * One case: `make(i)` makes the i-th item (kept in a list allocated before
 * the first mark); `settle` runs after all are made and before the second
 * mark; `finish` lets them all end afterwards.
 */
interface Case {
  name: string;
  make: (i: number) => unknown;
  settle?: () => Promise<void>;
  finish?: (items: unknown[]) => Promise<void>;
}

function never(): void {}

function cases(): Case[] {
  // Fresh shared state per round: each case is built again every round.
  const { promise, resolve } = Promise.withResolvers<void>();
  const awaitPromise = async (): Promise<void> => {
    await promise;
  };
  const als = new AsyncLocalStorage<number>();
  const { promise: alsPromise, resolve: alsResolve } = Promise
    .withResolvers<void>();
  const awaitInAls = async (): Promise<void> => {
    await alsPromise;
  };
  let shared: Future<void> | undefined;
  const awaitFuture = async (): Promise<void> => {
    await shared!;
  };
  const event = new Event();
  const waitEvent = async (): Promise<void> => {
    await event.wait();
  };
  const notStarted = new Event();
  const waitNotStarted = async (): Promise<void> => {
    await notStarted.wait();
  };
  const sleepLong = async (): Promise<void> => {
    await sleep(3600);
  };
  const settle = () => sleep(0) as Promise<void>;
  const awaitAll = async (items: unknown[]) => {
    for (const item of items) await item;
  };
  return [
    {
      name: "new Promise(never) (plausibility check)",
      make: () => new Promise(never),
    },
    {
      name: "async fn awaiting one promise (the bare baseline)",
      make: awaitPromise,
      finish: async (items) => {
        resolve();
        await awaitAll(items);
      },
    },
    {
      name: "async fn awaiting one promise, in AsyncLocalStorage.run",
      make: (i) => als.run(i, awaitInAls),
      finish: async (items) => {
        alsResolve();
        await awaitAll(items);
      },
    },
    {
      name: "loop.createFuture(), pending",
      make: () => getRunningLoop().createFuture<void>(),
    },
    {
      name: "createTask(fn), not started yet",
      make: () => createTask(waitNotStarted),
      finish: async (items) => {
        notStarted.set();
        await awaitAll(items);
      },
    },
    {
      name: "task awaiting one shared Future",
      make: () => {
        shared ??= getRunningLoop().createFuture<void>();
        return createTask(awaitFuture);
      },
      settle,
      finish: async (items) => {
        shared!.setResult(undefined);
        await awaitAll(items);
      },
    },
    {
      name: "task awaiting event.wait() (the workload)",
      make: () => createTask(waitEvent),
      settle,
      finish: async (items) => {
        event.set();
        await awaitAll(items);
      },
    },
    {
      name: "task awaiting sleep(3600)",
      make: () => createTask(sleepLong),
      settle,
      finish: async (items) => {
        for (const task of items as Task<void>[]) task.cancel();
        await sleep(0);
      },
    },
  ];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

console.log(
  `${N} items, heap bytes/item, median (min) of ${ROUNDS} rounds, ` +
    `deno ${Deno.version.deno} (V8 ${Deno.version.v8})`,
);
const count = cases().length;
for (let c = 0; c < count; c++) {
  const samples: number[] = [];
  let name = "";
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    const bytes = await run(async () => {
      const item = cases()[c];
      name = item.name;
      const items: unknown[] = [];
      for (let i = 0; i < N; i++) items.push(undefined);
      const before = heapUsed();
      for (let i = 0; i < N; i++) items[i] = item.make(i);
      await item.settle?.();
      const after = heapUsed();
      await item.finish?.(items);
      return (after - before) / N;
    }, { clock: new RealClock() });
    if (r >= WARMUP) samples.push(bytes);
  }
  console.log(
    `${name.padEnd(56)} ${median(samples).toFixed(0).padStart(5)} ` +
      `(${Math.min(...samples).toFixed(0)})`,
  );
}
