/**
 * Redis for asyncio: `@aio/asyncio/redis`. Applications of the core, kept
 * out of its namespace, with no Redis client to install:
 *
 * - `RedisExecutor` and `serveExecutor`: `loop.runInExecutor(redis,
 *   jobs.fib, 30)` runs on whichever process or machine serves the queue
 *   (at-least-once; cancellation both ways; retries, timeouts, a
 *   dead-letter list). They bring their own small Redis client.
 * - `RedisTaskSource`: tasks from a Redis list, fed to an event loop
 *   (usually a `WorkerLoop`) with the reliable-queue pattern; bring any
 *   client's connections.
 *
 * @example
 * ```ts ignore
 * import { getRunningLoop, run, workerModule } from "@aio/asyncio";
 * import { RedisExecutor } from "@aio/asyncio/redis";
 * import type * as Jobs from "./jobs.ts";
 *
 * const jobs = workerModule<typeof Jobs>(new URL("./jobs.ts", import.meta.url));
 * await run(async () => {
 *   await using redis = new RedisExecutor({ queue: "jobs" });
 *   console.log(await getRunningLoop().runInExecutor(redis, jobs.fib, 30));
 * });
 * ```
 *
 * @module
 */
export {
  type RedisConnection,
  type RedisMessage,
  type RedisRunInfo,
  RedisTaskSource,
  type RedisTaskSourceOptions,
  type RedisTaskSourceStatistics,
} from "./src/redis_tasks.ts";
export {
  RedisExecutor,
  type RedisExecutorOptions,
  type RedisExecutorStatistics,
  type RedisJobOptions,
} from "./src/redis_executor.ts";
export {
  ExecutorServer,
  type ExecutorServerStatistics,
  serveExecutor,
  type ServeExecutorOptions,
} from "./src/redis_serve.ts";
