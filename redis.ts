/**
 * Tasks from a Redis list, fed to an event loop (usually a `WorkerLoop`)
 * with the reliable-queue pattern: `@aio/asyncio/redis`. An application
 * of the core, kept out of its namespace; it needs no Redis client of its
 * own (bring any client's connections).
 *
 * @example
 * ```ts ignore
 * import { RedisTaskSource } from "@aio/asyncio/redis";
 * import { WorkerLoop, workerModule } from "@aio/asyncio";
 *
 * const jobs = workerModule<typeof import("./jobs.ts")>(
 *   new URL("./jobs.ts", import.meta.url),
 * );
 * await using loop = await WorkerLoop.start();
 * await using source = new RedisTaskSource({ redis, blockingRedis });
 * await source.feed(loop, jobs.handle);
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
