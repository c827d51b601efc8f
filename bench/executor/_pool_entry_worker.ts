/**
 * A Worker for `bench.ts` that loads the entry module of a
 * `ThreadPoolExecutor` Worker (`src/workers/pool_entry.ts`, what the
 * pool starts) and then posts `"ready"`: the start-up of a pool Worker up
 * to the point where it can take jobs, without the pool around it.
 *
 * @module
 */
import "../../src/workers/pool_entry.ts";

(globalThis as unknown as { postMessage(message: unknown): void })
  .postMessage("ready");
