/**
 * A Worker for `executor_bench.ts` that loads the entry module of a
 * `ThreadPoolExecutor` Worker (`src/executor/pool_worker.ts`, what the
 * pool starts) and then posts `"ready"`: the start-up of a pool Worker up
 * to the point where it can take jobs, without the pool around it.
 *
 * @module
 */
import "../src/executor/pool_worker.ts";

(globalThis as unknown as { postMessage(message: unknown): void })
  .postMessage("ready");
