/**
 * Where the `queue_pingpong` workload's time goes: the same 100,000 round
 * trips between two tasks through channels of decreasing weight, each
 * timed inside a fresh `run(main)` on the real clock (median and min of 7
 * rounds after 2 warm-up rounds). A diagnostic for whoever optimises the
 * library, not a goal.
 *
 * ```sh
 * deno run -A bench/core/breakdown_queue.ts
 * ```
 *
 * @module
 */
import {
  createTask,
  type Future,
  getRunningLoop,
  Queue,
  RealClock,
  run,
} from "../../mod.ts";

const N = 100_000;
const ROUNDS = 7;
const WARMUP = 2;

/** What a case's two tasks talk through. */
interface Channel {
  put(item: number): void | PromiseLike<void>;
  get(): PromiseLike<number>;
}

/** The bare baseline's channel: `get()` resolved by the next `put()`. */
class PromiseChannel implements Channel {
  #items: number[] = [];
  #getters: ((item: number) => void)[] = [];

  put(item: number): void {
    const getter = this.#getters.shift();
    if (getter !== undefined) getter(item);
    else this.#items.push(item);
  }

  get(): Promise<number> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift()!);
    return new Promise((resolve) => this.#getters.push(resolve));
  }
}

/** The same with the loop's futures: a waiting task wakes via callSoon. */
class FutureChannel implements Channel {
  #items: number[] = [];
  #getters: Future<number>[] = [];

  put(item: number): void {
    const getter = this.#getters.shift();
    if (getter !== undefined) getter.setResult(item);
    else this.#items.push(item);
  }

  get(): Future<number> {
    const fut = getRunningLoop().createFuture<number>();
    if (this.#items.length > 0) fut.setResult(this.#items.shift()!);
    else this.#getters.push(fut);
    return fut;
  }
}

function putNowait(): Channel {
  const q = new Queue<number>();
  return { put: (item) => q.putNowait(item), get: () => q.get() };
}

/** Ping-pong between `main` and an echo task; returns us per round trip. */
async function pingPong(make: () => Channel): Promise<number> {
  const c1 = make();
  const c2 = make();
  const t0 = performance.now();
  const echoer = createTask(async () => {
    for (let i = 0; i < N; i++) await c2.put(await c1.get());
  });
  let sum = 0;
  for (let i = 0; i < N; i++) {
    await c1.put(i);
    sum += await c2.get();
  }
  await echoer;
  const us = ((performance.now() - t0) * 1000) / N;
  if (sum !== (N * (N - 1)) / 2) throw new Error("ping-pong lost items");
  return us;
}

const cases: [string, () => Promise<number>][] = [
  ["promise channels, two plain async fns (baseline)", async () => {
    const c1 = new PromiseChannel();
    const c2 = new PromiseChannel();
    const t0 = performance.now();
    const echo = (async () => {
      for (let i = 0; i < N; i++) c2.put(await c1.get());
    })();
    for (let i = 0; i < N; i++) {
      c1.put(i);
      await c2.get();
    }
    await echo;
    return ((performance.now() - t0) * 1000) / N;
  }],
  [
    "promise channels, two tasks in run()",
    () => pingPong(() => new PromiseChannel()),
  ],
  [
    "loop-future channels, two tasks",
    () => pingPong(() => new FutureChannel()),
  ],
  ["Queue, putNowait + await get()", () => pingPong(putNowait)],
  [
    "Queue, await put() + await get() (the workload)",
    () => pingPong(() => new Queue<number>()),
  ],
];

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

console.log(
  `${N} round trips, us/round trip, median (min) of ${ROUNDS} rounds, ` +
    `deno ${Deno.version.deno}`,
);
for (const [name, body] of cases) {
  const samples: number[] = [];
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    const us = await run(body, { clock: new RealClock() });
    if (r >= WARMUP) samples.push(us);
  }
  console.log(
    `${name.padEnd(50)} ${median(samples).toFixed(3)} ` +
      `(${Math.min(...samples).toFixed(3)})`,
  );
}
