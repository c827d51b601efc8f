/**
 * The `gather` and `callSoon` workloads of `bench.ts` for `deno bench`, at a
 * tenth of the size, each grouped with its host baseline:
 *
 * ```sh
 * deno bench -A bench/core/bench_loop.ts
 * ```
 *
 * (`bench/core/compare` is the side-by-side comparison with CPython and
 * uvloop; the timer workload is there only, since its wall time is mostly
 * waiting for deadlines.)
 *
 * @module
 */
import {
  callSoonCallbacks,
  gatherBarePromises,
  gatherSleep0,
  queueMicrotaskCallbacks,
} from "./_workloads.ts";

const N_TASKS = 10_000;
const N_CALLBACKS = 100_000;

Deno.bench({
  name: `Promise.all of ${N_TASKS} async fns awaiting null`,
  group: "gather",
  baseline: true,
  n: 50,
  warmup: 10,
  async fn() {
    await gatherBarePromises(N_TASKS);
  },
});

Deno.bench({
  name: `run(): gather of ${N_TASKS} tasks awaiting sleep(0)`,
  group: "gather",
  n: 50,
  warmup: 10,
  async fn() {
    await gatherSleep0(N_TASKS);
  },
});

Deno.bench({
  name: `${N_CALLBACKS} x queueMicrotask(cb)`,
  group: "callSoon",
  baseline: true,
  n: 50,
  warmup: 10,
  async fn() {
    await queueMicrotaskCallbacks(N_CALLBACKS);
  },
});

Deno.bench({
  name: `run(): ${N_CALLBACKS} x loop.callSoon(cb)`,
  group: "callSoon",
  n: 50,
  warmup: 10,
  async fn() {
    await callSoonCallbacks(N_CALLBACKS);
  },
});
