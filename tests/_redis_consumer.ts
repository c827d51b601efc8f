// A consumer process for the RedisTaskSource tests (tests/redis_test.ts):
// a WorkerLoop fed by a RedisTaskSource with `doTagged` (tests/_redis_jobs.ts).
// Every message done is recorded with `RPUSH <queue>:done "<consumer> <body>"`
// (and a failed one as `"<consumer> <body> failed"`).
//
//   deno run --allow-net --allow-env --allow-read --allow-sys \
//     tests/_redis_consumer.ts URL QUEUE CONSUMER HEARTBEAT DEAD_AFTER
//
// Prints "ready" once it takes messages; stops cleanly (closes the source,
// waits for the recordings, stops the loop) when its stdin closes.
import { WorkerLoop, workerModule } from "../mod.ts";
import { RedisTaskSource } from "../redis.ts";
import type * as Jobs from "./_redis_jobs.ts";
import { redisClients } from "./_redis.ts";

const [url, queue, consumer, heartbeat, deadAfter] = Deno.args;
const jobs = workerModule<typeof Jobs>(
  new URL("./_redis_jobs.ts", import.meta.url),
);

const [redis, blockingRedis, recorder] = await redisClients(url, 3);
const loop = await WorkerLoop.start({ name: consumer });
const source = new RedisTaskSource({
  redis,
  blockingRedis,
  queue,
  consumer,
  heartbeat: Number(heartbeat),
  deadAfter: Number(deadAfter),
  blockTimeout: 0.2,
});
await source.start();
const recordings = new Set<Promise<unknown>>();
source.feed(loop, jobs.doTagged, {
  onDone(body, error) {
    const line = `${consumer} ${body}${error === null ? "" : " failed"}`;
    const p = recorder.command(["RPUSH", `${queue}:done`, line]);
    recordings.add(p);
    p.finally(() => recordings.delete(p));
  },
});
console.log("ready");

// Until stdin closes.
for await (const _ of Deno.stdin.readable) {
  // ignored
}
await source.close();
await loop.stop();
await Promise.all(recordings);
await Promise.all([redis.close(), blockingRedis.close(), recorder.close()]);
