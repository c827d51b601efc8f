// A consumer process for the fault suite (tests/redis_fault_test.ts): a
// WorkerLoop fed by a RedisTaskSource with `doLogged` (tests/_redis_jobs.ts),
// which prints "ran <body>" from the Worker once a task has run, before
// its message is acknowledged.
//
//   deno run --allow-net --allow-env --allow-read --allow-sys \
//     tests/_redis_fault_consumer.ts URL QUEUE CONSUMER CONCURRENCY
//
// Prints "ready" once it takes messages; stops cleanly (closes the source,
// stops the loop) when its stdin closes.
import { WorkerLoop, workerModule } from "../mod.ts";
import { RedisTaskSource } from "../redis.ts";
import type * as Jobs from "./_redis_jobs.ts";
import { redisClients } from "./_redis.ts";

const [url, queue, consumer, concurrency] = Deno.args;
const jobs = workerModule<typeof Jobs>(
  new URL("./_redis_jobs.ts", import.meta.url),
);

const [redis, blockingRedis] = await redisClients(url, 2);
const loop = await WorkerLoop.start({ name: consumer });
const source = new RedisTaskSource({
  redis,
  blockingRedis,
  queue,
  consumer,
  heartbeat: 0.2,
  deadAfter: 1,
  blockTimeout: 0.2,
  concurrency: Number(concurrency),
});
await source.start();
source.feed(loop, jobs.doLogged);
console.log("ready");

// Until stdin closes.
for await (const _ of Deno.stdin.readable) {
  // ignored
}
await source.close();
// Let the running tasks finish and be acknowledged.
await source.drained();
await loop.stop();
await Promise.all([redis.close(), blockingRedis.close()]);
