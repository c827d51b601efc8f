// Tests of RedisTaskSource (src/redis_tasks.ts) under a backlog and under
// faults of one connection: replies lost on the way (a real TCP proxy,
// tests/_redis.ts's RedisProxy, drops the connection right after Redis ran
// the command), the `concurrency` limit and batching, `attempts` with
// `backoff` and the dead-letter list, and retry counts that survive a
// consumer's death and a Redis restart with append-only persistence.
// Every test runs against a real `redis-server` of its own.
import assert from "node:assert/strict";
import { WorkerLoop, workerModule } from "../mod.ts";
import { type RedisRunInfo, RedisTaskSource } from "../redis.ts";
import type * as Jobs from "./_redis_jobs.ts";
import { waitUntil, workerTest } from "./_helpers.ts";
import {
  type RedisClient,
  redisClient,
  redisMissing,
  RedisProxy,
  RedisServer,
} from "./_redis.ts";

const jobs = workerModule<typeof Jobs>(
  new URL("./_redis_jobs.ts", import.meta.url),
);

const pause = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
const now = () => performance.now() / 1000;

interface Done {
  body: string;
  error: unknown;
  result: unknown;
  run: RedisRunInfo | undefined;
  at: number;
}

function recorder() {
  const done: Done[] = [];
  return {
    done,
    onDone: (
      body: string,
      error: unknown,
      result?: unknown,
      run?: RedisRunInfo,
    ) => done.push({ body, error, result, run, at: now() }),
  };
}

const lrange = (redis: RedisClient, key: string) =>
  redis.command(["LRANGE", key, "0", "-1"]) as Promise<string[]>;

// ------------------------------------------------------------ lost replies

workerTest(
  "a BLMOVE whose reply is lost (the connection drops after Redis moved the message) does not strand the message: its living consumer runs it",
  async () => {
    await using server = await RedisServer.start();
    await using proxy = RedisProxy.start(server.port);
    await using redis = await redisClient(server.url);
    // Only the blocking connection goes through the proxy.
    await using blockingRedis = await redisClient(proxy.url);
    await using producer = await redisClient(server.url);
    await using loop = await WorkerLoop.start();
    // deadAfter 30: recovering a dead consumer's messages cannot be what
    // saves this one.
    await using source = new RedisTaskSource({
      redis,
      blockingRedis,
      heartbeat: 1,
      deadAfter: 30,
      blockTimeout: 0.5,
    });
    await source.start();
    const { done, onDone } = recorder();
    source.feed(loop, jobs.doTagged, { onDone });
    await pause(0.2); // blocked in BLMOVE
    const cut = proxy.cutReplyContaining("lost@0.01");
    await producer.command(["LPUSH", "queue", "lost@0.01"]);
    await cut;
    // Redis moved it to the processing list; the consumer never heard.
    await waitUntil(
      () => done.length === 1,
      "the message whose reply was lost to run",
      5,
    );
    assert.equal(done[0].body, "lost@0.01");
    assert.equal(done[0].error, null);
    assert.equal(proxy.cuts, 1);
    assert.equal(source.statistics().redelivered, 1);
    assert.equal(await redis.command(["LLEN", source.processingList]), 0);
    assert.equal(await redis.command(["LLEN", "queue"]), 0);
  },
  { ignore: redisMissing },
);

workerTest(
  "a batch whose reply is lost runs anyway, each message once",
  async () => {
    await using server = await RedisServer.start();
    await using proxy = RedisProxy.start(server.port);
    // The batch script goes on `redis`: through the proxy.
    await using redis = await redisClient(proxy.url);
    await using blockingRedis = await redisClient(server.url);
    await using producer = await redisClient(server.url);
    await using loop = await WorkerLoop.start();
    await using source = new RedisTaskSource({
      redis,
      blockingRedis,
      deadAfter: 30,
      blockTimeout: 0.5,
      concurrency: 20,
    });
    const bodies = Array.from({ length: 10 }, (_, i) => `b${i}@0.01`);
    await producer.command(["LPUSH", "queue", ...bodies]);
    const cut = proxy.cutReplyContaining("b5@0.01");
    const { done, onDone } = recorder();
    source.feed(loop, jobs.doTagged, { onDone });
    await cut;
    await waitUntil(() => done.length >= 10, "the 10 messages", 5);
    await pause(0.2); // a duplicate would come now
    assert.deepEqual(done.map((d) => d.body).sort(), [...bodies].sort());
    assert.equal(source.statistics().redelivered, 10);
    assert.equal(await producer.command(["LLEN", source.processingList]), 0);
    assert.equal(await producer.command(["LLEN", "queue"]), 0);
  },
  { ignore: redisMissing },
);

workerTest(
  "close() right after a lost reply puts the stranded message back on the queue",
  async () => {
    await using server = await RedisServer.start();
    await using proxy = RedisProxy.start(server.port);
    await using redis = await redisClient(server.url);
    await using blockingRedis = await redisClient(proxy.url);
    await using loop = await WorkerLoop.start();
    const source = new RedisTaskSource({
      redis,
      blockingRedis,
      deadAfter: 30,
      blockTimeout: 0.5,
    });
    await source.start();
    const { done, onDone } = recorder();
    source.feed(loop, jobs.doTagged, { onDone });
    await pause(0.2);
    const cut = proxy.cutReplyContaining("late@0.01");
    await redis.command(["LPUSH", "queue", "late@0.01"]);
    await cut;
    await source.close();
    assert.deepEqual(await lrange(redis, "queue"), ["late@0.01"]);
    assert.equal(await redis.command(["LLEN", source.processingList]), 0);
    assert.deepEqual(done, []);
  },
  { ignore: redisMissing },
);

Deno.test(
  "messages() prefetches up to concurrency; what it took and did not yield goes back on return() and close(), oldest next in line",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await using redis = await redisClient(server.url);
    await using blockingRedis = await redisClient(server.url);
    const source = new RedisTaskSource({
      redis,
      blockingRedis,
      blockTimeout: 0.2,
      concurrency: 4,
    });
    // m1 is the oldest.
    await redis.command(["LPUSH", "queue", "m1", "m2", "m3", "m4", "m5", "m6"]);
    const messages = source.messages();
    const first = (await messages.next()).value!;
    assert.equal(first.body, "m1");
    assert.equal(first.attempt, 1);
    assert.equal(first.id, null);
    // One round trip took four: the limit.
    assert.equal(await redis.command(["LLEN", source.processingList]), 4);
    assert.deepEqual(await lrange(redis, "queue"), ["m6", "m5"]);
    assert.deepEqual(source.statistics().held, 4);
    const second = (await messages.next()).value!;
    assert.equal(second.body, "m2");
    await messages.return();
    // m3 and m4 were not yielded: back, ahead of m5.
    assert.deepEqual(await lrange(redis, "queue"), ["m6", "m5", "m4", "m3"]);
    assert.deepEqual(
      (await lrange(redis, source.processingList)).sort(),
      ["m1", "m2"],
    );
    await first.ack();
    await second.requeue();
    assert.deepEqual(await lrange(redis, "queue"), [
      "m6",
      "m5",
      "m4",
      "m3",
      "m2",
    ]);
    assert.equal(await redis.command(["LLEN", source.processingList]), 0);

    // A new generator; close() while it holds taken messages unyielded.
    const again = source.messages();
    assert.equal((await again.next()).value!.body, "m2");
    await source.close();
    assert.deepEqual(await lrange(redis, "queue"), ["m6", "m5", "m4", "m3"]);
    assert.deepEqual(await lrange(redis, source.processingList), ["m2"]);
    assert.equal((await again.next()).done, true);
  },
);

// ------------------------------------------------- concurrency and batches

workerTest(
  "concurrency bounds what a consumer holds and runs; a second consumer gets its share of a backlog",
  async () => {
    await using server = await RedisServer.start();
    await using producer = await redisClient(server.url);
    const connections = await Promise.all(
      Array.from({ length: 4 }, () => redisClient(server.url)),
    );
    await using loopA = await WorkerLoop.start();
    await using loopB = await WorkerLoop.start();
    try {
      const bodies = Array.from({ length: 300 }, (_, i) => `c${i}@0.01`);
      await producer.command(["LPUSH", "queue", ...bodies]);
      const a = new RedisTaskSource({
        redis: connections[0],
        blockingRedis: connections[1],
        consumer: "A",
        concurrency: 10,
        blockTimeout: 0.2,
      });
      const b = new RedisTaskSource({
        redis: connections[2],
        blockingRedis: connections[3],
        consumer: "B",
        concurrency: 10,
        blockTimeout: 0.2,
      });
      const { done, onDone } = recorder();
      a.feed(loopA, jobs.doCounted, { onDone });
      // Give A a head start: it must not take the backlog for itself.
      await pause(0.05);
      b.feed(loopB, jobs.doCounted, { onDone });
      let mostHeld = 0;
      while (done.length < 300) {
        const [la, lb] = await Promise.all([
          producer.command(["LLEN", a.processingList]),
          producer.command(["LLEN", b.processingList]),
        ]);
        mostHeld = Math.max(mostHeld, Number(la), Number(lb));
        assert.ok(a.statistics().held <= 10 && b.statistics().held <= 10);
        await pause(0.005);
      }
      await a.close();
      await b.close();
      const mostRunning = Math.max(...done.map((d) => d.result as number));
      const { acked: ackedA } = a.statistics();
      const { acked: ackedB } = b.statistics();
      assert.equal(new Set(done.map((d) => d.body)).size, 300);
      assert.equal(ackedA + ackedB, 300);
      assert.ok(mostHeld <= 10, `a processing list held ${mostHeld}`);
      assert.equal(mostRunning, 10, "each Worker ran at most 10 at once");
      assert.ok(
        ackedA >= 75 && ackedB >= 75,
        `both got a share: A ${ackedA}, B ${ackedB}`,
      );
      console.log(
        `A ${ackedA}, B ${ackedB}; most held ${mostHeld}, most running ${mostRunning}`,
      );
    } finally {
      await Promise.all(connections.map((c) => c.close()));
    }
  },
  { ignore: redisMissing },
);

workerTest(
  "a backlog moves in batches: 2,000 messages in a few dozen round trips, not 2,000",
  async () => {
    await using server = await RedisServer.start();
    await using redis = await redisClient(server.url);
    await using blockingRedis = await redisClient(server.url);
    await using loop = await WorkerLoop.start();
    const n = 2000;
    for (let i = 0; i < n; i += 500) {
      await redis.command([
        "LPUSH",
        "queue",
        ...Array.from({ length: 500 }, (_, k) => `n${i + k}@0`),
      ]);
    }
    await using source = new RedisTaskSource({
      redis,
      blockingRedis,
      concurrency: 100,
      blockTimeout: 0.2,
    });
    let count = 0;
    source.feed(loop, jobs.doTagged, { onDone: () => count++ });
    await waitUntil(() => count === n, "2,000 messages", 30);
    const { fetches, taken, acked } = source.statistics();
    assert.equal(taken, n);
    assert.equal(acked, n);
    assert.ok(fetches <= n / 20, `${fetches} round trips took ${n} messages`);
    console.log(`${n} messages in ${fetches} round trips`);
  },
  { ignore: redisMissing },
);

// ------------------------------------------- attempts, backoff, dead letter

workerTest(
  "a failing message runs attempts times, with exponential backoff, then goes to the dead-letter list",
  async () => {
    await using server = await RedisServer.start();
    await using redis = await redisClient(server.url);
    await using blockingRedis = await redisClient(server.url);
    await using loop = await WorkerLoop.start();
    await using source = new RedisTaskSource({
      redis,
      blockingRedis,
      attempts: 3,
      backoff: 0.2,
      blockTimeout: 1,
    });
    const { done, onDone } = recorder();
    source.feed(loop, jobs.doFail, { onDone });
    await redis.command(["LPUSH", "queue", "boom"]);
    await waitUntil(() => done.length === 3, "three runs", 10);
    assert.deepEqual(
      done.map((d) => [d.run?.attempt, d.run?.willRetry]),
      [[1, true], [2, true], [3, false]],
    );
    for (const d of done) {
      assert.ok(d.error instanceof Error);
      assert.equal((d.error as Error).message, "boom");
    }
    // The id is given at the first failure and kept.
    assert.equal(done[0].run?.id, null);
    assert.ok(done[1].run?.id);
    assert.equal(done[2].run?.id, done[1].run?.id);
    // 0.2 s after the first failure, 0.4 s after the second (onDone comes
    // once the failure is settled; the next run is due from then).
    const gaps = [done[1].at - done[0].at, done[2].at - done[1].at];
    assert.ok(gaps[0] >= 0.19 && gaps[0] < 0.19 + 0.5, `gap ${gaps[0]}`);
    assert.ok(gaps[1] >= 0.39 && gaps[1] < 0.39 + 0.5, `gap ${gaps[1]}`);
    const dead = await lrange(redis, "queue:dead");
    assert.equal(dead.length, 1);
    const entry = JSON.parse(dead[0]);
    assert.equal(entry.body, "boom");
    assert.equal(entry.attempts, 3);
    assert.equal(entry.id, done[2].run?.id);
    assert.equal(entry.error, "Error: boom");
    assert.equal(entry.consumer, source.consumer);
    for (const key of [source.processingList, "queue"]) {
      assert.equal(await redis.command(["LLEN", key]), 0, key);
    }
    assert.equal(await redis.command(["HLEN", source.retryingHash]), 0);
    assert.equal(await redis.command(["ZCARD", source.delayedSet]), 0);
    const stats = source.statistics();
    assert.equal(stats.retried, 2);
    assert.equal(stats.dead, 1);
    console.log(`backoff gaps: ${gaps.map((g) => g.toFixed(3)).join(", ")} s`);
  },
  { ignore: redisMissing },
);

workerTest(
  "a flaky message succeeds on its third run; deadLetter null drops a dead one",
  async () => {
    await using server = await RedisServer.start();
    await using redis = await redisClient(server.url);
    await using blockingRedis = await redisClient(server.url);
    await using loop = await WorkerLoop.start();
    await using source = new RedisTaskSource({
      redis,
      blockingRedis,
      attempts: 3,
      backoff: (n) => 0.02 * n,
      deadLetter: null,
      blockTimeout: 0.2,
    });
    const { done, onDone } = recorder();
    source.feed(loop, jobs.doFlaky, { onDone });
    // flaky:2 fails twice then succeeds; hopeless:9 never does.
    await redis.command(["LPUSH", "queue", "flaky:2", "hopeless:9"]);
    await waitUntil(() => done.length === 6, "six runs", 10);
    const flaky = done.filter((d) => d.body === "flaky:2");
    assert.deepEqual(flaky.map((d) => d.run?.attempt), [1, 2, 3]);
    assert.equal(flaky[2].error, null);
    assert.equal(flaky[2].result, "flaky:2 ok on run 3");
    const hopeless = done.filter((d) => d.body === "hopeless:9");
    assert.deepEqual(hopeless.map((d) => d.run?.willRetry), [
      true,
      true,
      false,
    ]);
    assert.equal(source.deadLetterList, null);
    assert.equal(await redis.command(["EXISTS", "queue:dead"]), 0);
    assert.equal(await redis.command(["ZCARD", source.delayedSet]), 0);
    assert.equal(await redis.command(["HLEN", source.retryingHash]), 0);
  },
  { ignore: redisMissing },
);

Deno.test(
  "messages(): fail() retries after the backoff, then dead-letters; the attempt count travels with the message",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await using redis = await redisClient(server.url);
    await using blockingRedis = await redisClient(server.url);
    await using source = new RedisTaskSource({
      redis,
      blockingRedis,
      attempts: 2,
      backoff: 0.05,
      blockTimeout: 0.2,
    });
    await redis.command(["LPUSH", "queue", "x"]);
    const seen: [string, number, string | null, boolean][] = [];
    for await (const message of source.messages()) {
      const retry = await message.fail(new RangeError("nope"));
      seen.push([message.body, message.attempt, message.id, retry]);
      if (!retry) break;
    }
    assert.equal(seen.length, 2);
    assert.deepEqual(seen[0].slice(0, 3), ["x", 1, null]);
    assert.equal(seen[0][3], true);
    assert.equal(seen[1][1], 2);
    assert.ok(seen[1][2]);
    assert.equal(seen[1][3], false);
    const [entry] = await lrange(redis, "queue:dead");
    assert.equal(JSON.parse(entry).error, "RangeError: nope");
  },
);

Deno.test(
  "recover() gives a dead consumer's retried messages back with their count of failures; old-style processing lists too",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await using redis = await redisClient(server.url);
    await using blockingRedis = await redisClient(server.url);
    const cmd = (...args: string[]) => redis.command(args);
    // A consumer that died holding a message on its third run (two
    // failures before) and a first-run one.
    await cmd("SADD", "queue:consumers", "dead");
    await cmd("HSET", "queue:retrying:dead", "t.1", "t.1:2:second try");
    await cmd("LPUSH", "queue:processing:dead", "first run");
    await using source = new RedisTaskSource({
      redis,
      blockingRedis,
      attempts: 3,
      blockTimeout: 0.2,
      concurrency: 1,
    });
    assert.equal(await source.recover(), 2);
    assert.equal(await cmd("EXISTS", "queue:retrying:dead"), 0);
    const taken: [string, number, string | null][] = [];
    for await (const message of source.messages()) {
      taken.push([message.body, message.attempt, message.id]);
      await message.ack();
      if (taken.length === 2) break;
    }
    // The retried one is due at once, ahead of the queue.
    assert.deepEqual(taken, [["second try", 3, "t.1"], ["first run", 1, null]]);
  },
);

workerTest(
  "a message waiting for its backoff survives a Redis crash (append-only) and a new consumer: its count goes on",
  async () => {
    await using server = await RedisServer.start({ appendOnly: true });
    await using redis = await redisClient(server.url);
    await using blockingRedis = await redisClient(server.url);
    await using loop = await WorkerLoop.start();
    const options = {
      redis,
      blockingRedis,
      attempts: 3,
      backoff: 0.5,
      blockTimeout: 0.2,
    };
    const first = new RedisTaskSource({ ...options, consumer: "first" });
    const { done, onDone } = recorder();
    first.feed(loop, jobs.doFail, { onDone });
    await redis.command(["LPUSH", "queue", "doomed"]);
    await waitUntil(() => done.length === 1, "the first run", 5);
    await first.close();
    assert.equal(await redis.command(["ZCARD", "queue:delayed"]), 1);

    await server.kill();
    await server.restart();
    // Once reconnected: what Redis acknowledged is there.
    let delayed: string[] = [];
    for (let i = 0; i < 100 && delayed.length === 0; i++) {
      try {
        delayed = await redis.command([
          "ZRANGE",
          "queue:delayed",
          "0",
          "-1",
        ]) as string[];
      } catch {
        await pause(0.05);
      }
    }
    assert.equal(delayed.length, 1);
    assert.match(delayed[0], /^[^:]+:1:doomed$/);

    await using second = new RedisTaskSource({
      ...options,
      consumer: "second",
    });
    second.feed(loop, jobs.doFail, { onDone });
    await waitUntil(() => done.length === 3, "runs 2 and 3", 10);
    assert.deepEqual(done.map((d) => d.run?.attempt), [1, 2, 3]);
    const [entry] = await lrange(redis, "queue:dead");
    assert.equal(JSON.parse(entry).attempts, 3);
    assert.equal(JSON.parse(entry).consumer, "second");
  },
  { ignore: redisMissing },
);

// ---------------------------------------------------------------- options

Deno.test("the new options are checked", () => {
  const a = { command: () => Promise.resolve(null) };
  const b = { command: () => Promise.resolve(null) };
  const make = (extra: Record<string, unknown>) => () =>
    new RedisTaskSource({ redis: a, blockingRedis: b, ...extra });
  for (const name of ["concurrency", "attempts"]) {
    for (const bad of [0, -1, 1.5, NaN]) {
      assert.throws(
        make({ [name]: bad }),
        (e: unknown) =>
          e instanceof RangeError &&
          e.message ===
            `new RedisTaskSource(): options.${name} must be an integer >= 1, got ${bad}`,
      );
    }
    assert.throws(make({ [name]: "3" }), TypeError);
  }
  assert.throws(make({ backoff: -1 }), RangeError);
  assert.throws(make({ backoff: "1" }), TypeError);
  assert.throws(make({ deadLetter: 5 }), TypeError);
  const source = make({ queue: "q", consumer: "c", deadLetter: "graveyard" })();
  assert.equal(source.deadLetterList, "graveyard");
  assert.equal(source.retryingHash, "q:retrying:c");
  assert.equal(source.delayedSet, "q:delayed");
  assert.equal(make({ queue: "q" })().deadLetterList, "q:dead");
  assert.deepEqual(source.statistics(), {
    held: 0,
    running: 0,
    fetches: 0,
    taken: 0,
    acked: 0,
    retried: 0,
    dead: 0,
    requeued: 0,
    redelivered: 0,
    recovered: 0,
  });
});
