// Tests of RedisTaskSource (src/redis_tasks.ts): tasks fed from a Redis
// list to a WorkerLoop with the reliable-queue pattern (seed 004, part 2).
// Every test runs against a real `redis-server` of its own (tests/_redis.ts:
// a free loopback port, a temporary directory, no persistence), talked to
// with node-redis (`npm:redis@5.10.0`). Without `redis-server` on PATH the
// tests fail and say how to install it.
//
// The consumer processes of the multi-consumer tests are
// tests/_redis_consumer.ts (a WorkerLoop + a RedisTaskSource each); the
// functions run on the WorkerLoops are in tests/_redis_jobs.ts.
//
// Every test that starts a WorkerLoop is a workerTest (it fails if a Worker
// is left running); servers, clients, loops and sources are closed with
// `await using` (in reverse order: source, loop, clients, server).
import assert from "node:assert/strict";
import { ConcurrentFuture, WorkerLoop, workerModule } from "../mod.ts";
import { RedisTaskSource } from "../redis.ts";
import type * as Jobs from "./_redis_jobs.ts";
import { waitUntil, workerTest } from "./_helpers.ts";
import {
  ConsumerProcess,
  type RedisClient,
  redisClient,
  redisMissing,
  RedisServer,
} from "./_redis.ts";

const jobs = workerModule<typeof Jobs>(
  new URL("./_redis_jobs.ts", import.meta.url),
);
const consumerScript = new URL("./_redis_consumer.ts", import.meta.url);

const pause = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
const now = () => performance.now() / 1000;

/** What `onDone` saw, with the time (seconds, performance.now()). */
interface Done {
  body: string;
  error: unknown;
  result: unknown;
  at: number;
}

function recorder(): {
  done: Done[];
  onDone: (body: string, error: unknown, result?: unknown) => void;
} {
  const done: Done[] = [];
  return {
    done,
    onDone: (body, error, result) =>
      done.push({ body, error, result, at: now() }),
  };
}

/** Polls `LRANGE key 0 -1` until `condition` holds; returns the list. */
async function waitForList(
  redis: RedisClient,
  key: string,
  condition: (list: string[]) => boolean,
  what: string,
  seconds = 20,
): Promise<string[]> {
  const deadline = now() + seconds;
  for (;;) {
    const list = await redis.command(["LRANGE", key, "0", "-1"]) as string[];
    if (condition(list)) return list;
    if (now() > deadline) {
      assert.fail(
        `timed out after ${seconds} s waiting for ${what}; ${key} = ${
          JSON.stringify(list)
        }`,
      );
    }
    await pause(0.01);
  }
}

// ------------------------------------------------------- consumer processes

/**
 * A `deno run tests/_redis_consumer.ts URL QUEUE NAME HEARTBEAT DEAD_AFTER`
 * child process.
 */
const Consumer = {
  start: (
    url: string,
    queue: string,
    name: string,
    { heartbeat = 1, deadAfter = 5 } = {},
  ): Promise<ConsumerProcess> =>
    ConsumerProcess.start(consumerScript, [
      url,
      queue,
      name,
      String(heartbeat),
      String(deadAfter),
    ], name),
};

// ------------------------------------------------------ the seed scenario

workerTest(
  "seed 004: LPUSH 0.5, 0.3, 0.1 -> they run at once and end 0.1, 0.3, 0.5; a message pushed meanwhile starts at once",
  async () => {
    await using server = await RedisServer.start();
    await using redis = await redisClient(server.url);
    await using blockingRedis = await redisClient(server.url);
    await using producer = await redisClient(server.url);
    await using newLoop = await WorkerLoop.start();
    await using source = new RedisTaskSource({ redis, blockingRedis });
    await source.start();
    const { done, onDone } = recorder();
    source.feed(newLoop, jobs.doSleep, { onDone });
    // Warm up the Worker (module load) so that the timings below are the
    // tasks'.
    await producer.command(["LPUSH", "queue", "0.01"]);
    await waitUntil(() => done.length === 1, "the warm-up message");
    done.length = 0;

    const pushed = now();
    await producer.command(["LPUSH", "queue", "0.5", "0.3", "0.1"]);
    await waitUntil(() => done.length >= 1, "the first message done");
    // 0.1 is done: push another one while 0.3 and 0.5 still run.
    const extraPushed = now();
    await producer.command(["LPUSH", "queue", "0.05"]);
    await waitUntil(() => done.length === 4, "four messages done");

    assert.deepEqual(done.map((d) => d.body), ["0.1", "0.05", "0.3", "0.5"]);
    for (const d of done) {
      assert.equal(d.error, null);
      assert.equal(d.result, d.body);
    }
    const total = done[3].at - pushed;
    assert.ok(
      total >= 0.5 && total < 0.85,
      `the three ran concurrently: 0.5 s expected, not the 0.9 s sum; took ${
        total.toFixed(3)
      } s`,
    );
    const extra = done[1].at - extraPushed;
    assert.ok(
      extra >= 0.05 && extra < 0.2,
      `the message pushed meanwhile started at once: done ${
        extra.toFixed(3)
      } s after its push (0.05 s expected)`,
    );
    // All acknowledged: nothing left anywhere.
    assert.deepEqual(
      await redis.command(["LRANGE", source.processingList, "0", "-1"]),
      [],
    );
    assert.equal(await redis.command(["LLEN", "queue"]), 0);
    console.log(
      `seed: 0.5+0.3+0.1 done in ${total.toFixed(3)} s; ` +
        `the 0.05 pushed meanwhile done ${extra.toFixed(3)} s after its push`,
    );
  },
  { ignore: redisMissing },
);

// -------------------------------------------------- two consumer processes

Deno.test(
  "two consumer processes share one queue: 200 messages, each processed exactly once, both take some",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await using redis = await redisClient(server.url);
    const queue = "jobs";
    await using a = await Consumer.start(server.url, queue, "A");
    await using b = await Consumer.start(server.url, queue, "B");

    const bodies = Array.from({ length: 200 }, (_, i) => `m${i}@0.01`);
    for (let i = 0; i < bodies.length; i += 10) {
      await redis.command(["LPUSH", queue, ...bodies.slice(i, i + 10)]);
    }
    await waitForList(
      redis,
      `${queue}:done`,
      (list) => list.length >= bodies.length,
      "200 messages done",
    );
    // Duplicates would come a little later: give them the time to.
    await pause(0.3);
    await a.stop();
    await b.stop();

    const lines = await redis.command([
      "LRANGE",
      `${queue}:done`,
      "0",
      "-1",
    ]) as string[];
    const by = { A: 0, B: 0 } as Record<string, number>;
    const seen = new Map<string, number>();
    for (const line of lines) {
      const [who, body, failed] = line.split(" ");
      assert.equal(failed, undefined, `failed: ${line}`);
      by[who]++;
      seen.set(body, (seen.get(body) ?? 0) + 1);
    }
    const duplicates = [...seen].filter(([, n]) => n > 1).map(([b]) => b);
    const missing = bodies.filter((b) => !seen.has(b));
    assert.deepEqual(duplicates, [], "processed more than once");
    assert.deepEqual(missing, [], "never processed");
    assert.equal(lines.length, 200);
    assert.ok(by.A > 0 && by.B > 0, `both took some: ${JSON.stringify(by)}`);
    assert.equal(await redis.command(["LLEN", queue]), 0);
    for (const who of ["A", "B"]) {
      assert.equal(
        await redis.command(["LLEN", `${queue}:processing:${who}`]),
        0,
      );
    }
    console.log(`split: A ${by.A}, B ${by.B}`);
  },
);

Deno.test(
  "a consumer killed (SIGKILL) in the middle of a task loses nothing: another one recovers its message",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await using redis = await redisClient(server.url);
    const queue = "jobs";
    const fast = { heartbeat: 0.2, deadAfter: 1 };
    await using victim = await Consumer.start(server.url, queue, "A", fast);
    await redis.command(["LPUSH", queue, "long@2"]);
    await waitForList(
      redis,
      `${queue}:processing:A`,
      (list) => list.includes("long@2"),
      "A to take the message",
    );
    await using survivor = await Consumer.start(server.url, queue, "B", fast);
    // A is in the middle of its 2 s task.
    await pause(0.2);
    const killed = now();
    await victim.kill();
    assert.equal(await redis.command(["LLEN", `${queue}:done`]), 0);

    const lines = await waitForList(
      redis,
      `${queue}:done`,
      (list) => list.length > 0,
      "B to process the recovered message",
    );
    const took = now() - killed;
    await pause(0.3);
    await survivor.stop();
    assert.deepEqual(
      await redis.command(["LRANGE", `${queue}:done`, "0", "-1"]),
      ["B long@2"],
    );
    assert.deepEqual(lines, ["B long@2"]);
    // Recovered after A's heartbeat expired (at most deadAfter after the
    // kill, plus a heartbeat of B), then run for 2 s.
    assert.ok(
      took > 2 && took < 1 + 0.2 + 2 + 1.5,
      `recovered and done ${took.toFixed(3)} s after the kill`,
    );
    assert.equal(await redis.command(["LLEN", `${queue}:processing:A`]), 0);
    assert.equal(await redis.command(["LLEN", `${queue}:processing:B`]), 0);
    assert.equal(await redis.command(["LLEN", queue]), 0);
    assert.equal(
      await redis.command(["SISMEMBER", `${queue}:consumers`, "A"]),
      0,
      "the dead consumer is unregistered",
    );
    console.log(`killed consumer's message done ${took.toFixed(3)} s later`);
  },
);

// ------------------------------------------------------ Redis restarting

workerTest(
  "Redis restarting mid-run: the consumer reconnects and processes the messages pushed after the restart",
  async () => {
    await using server = await RedisServer.start();
    await using redis = await redisClient(server.url);
    await using blockingRedis = await redisClient(server.url);
    await using producer = await redisClient(server.url);
    await using newLoop = await WorkerLoop.start();
    await using source = new RedisTaskSource({
      redis,
      blockingRedis,
      heartbeat: 0.2,
      deadAfter: 1,
      blockTimeout: 0.2,
    });
    await source.start();
    const { done, onDone } = recorder();
    source.feed(newLoop, jobs.doSleep, { onDone });
    await producer.command(["LPUSH", "queue", "0.01"]);
    await waitUntil(() => done.length === 1, "the message before the restart");

    await server.stop();
    // Down for a while: BLMOVE, heartbeats and recover() fail meanwhile.
    await pause(0.5);
    await server.restart();
    const restarted = now();
    // The queue is empty now (no persistence): new messages.
    await producer.command(["LPUSH", "queue", "0.02", "0.01"]);
    await waitUntil(
      () => done.length === 3,
      "the messages pushed after the restart",
      15,
    );
    const took = now() - restarted;
    const after = done.slice(1).map((d) => [d.body, d.error, d.result]);
    assert.deepEqual(after.sort(), [
      ["0.01", null, "0.01"],
      ["0.02", null, "0.02"],
    ]);
    // Acknowledged on the new server too.
    await waitForList(
      redis,
      source.processingList,
      (list) => list.length === 0,
      "the acknowledgements",
    );
    // The heartbeat registers the consumer again.
    await pause(0.3);
    assert.equal(
      await redis.command(["SISMEMBER", "queue:consumers", source.consumer]),
      1,
    );
    assert.equal(
      await redis.command(["EXISTS", `queue:alive:${source.consumer}`]),
      1,
    );
    console.log(`after the restart: messages done in ${took.toFixed(3)} s`);
  },
  { ignore: redisMissing },
);

// ----------------------------------------------------------------- extras

Deno.test("the constructor checks its options", () => {
  const a = { command: () => Promise.resolve(null) };
  const b = { command: () => Promise.resolve(null) };
  assert.throws(
    () => new RedisTaskSource({ blockingRedis: b } as never),
    (e: unknown) =>
      e instanceof TypeError && /options\.redis/.test(e.message) &&
      /sendCommand/.test(e.message),
  );
  assert.throws(
    () => new RedisTaskSource({ redis: a } as never),
    (e: unknown) => e instanceof TypeError && /blockingRedis/.test(e.message),
  );
  assert.throws(
    () => new RedisTaskSource({ redis: {} as never, blockingRedis: b }),
    TypeError,
  );
  assert.throws(
    () => new RedisTaskSource(undefined as never),
    TypeError,
  );
  assert.throws(
    () => new RedisTaskSource({ redis: a, blockingRedis: a }),
    (e: unknown) =>
      e instanceof RangeError && /two connections/.test(e.message),
  );
  for (const name of ["heartbeat", "deadAfter", "blockTimeout"] as const) {
    for (const bad of [0, -1, NaN, "1" as unknown as number]) {
      assert.throws(
        () => new RedisTaskSource({ redis: a, blockingRedis: b, [name]: bad }),
        (e: unknown) =>
          e instanceof (typeof bad === "number" ? RangeError : TypeError) &&
          e.message.startsWith(
            `new RedisTaskSource(): options.${name} must be a number of seconds > 0`,
          ),
        `${name}: ${String(bad)}`,
      );
    }
  }
  assert.throws(
    () =>
      new RedisTaskSource({
        redis: a,
        blockingRedis: b,
        heartbeat: 2,
        deadAfter: 2,
      }),
    (e: unknown) => e instanceof RangeError && /deadAfter/.test(e.message),
  );
  assert.throws(
    () => new RedisTaskSource({ redis: a, blockingRedis: b, heartbeat: 6 }),
    RangeError,
    "deadAfter 5 (default) <= heartbeat 6",
  );

  const source = new RedisTaskSource({
    redis: a,
    blockingRedis: b,
    queue: "q",
    consumer: "me",
  });
  assert.equal(source.queue, "q");
  assert.equal(source.consumer, "me");
  assert.equal(source.processingList, "q:processing:me");
  assert.equal(source.processingListOf("you"), "q:processing:you");
  const other = new RedisTaskSource({ redis: a, blockingRedis: b });
  assert.equal(other.queue, "queue");
  assert.notEqual(other.consumer, "");
  assert.notEqual(
    other.consumer,
    new RedisTaskSource({ redis: a, blockingRedis: b }).consumer,
    "default consumer names differ",
  );
});

Deno.test("feed() takes a WorkerLoop, once", async () => {
  const a = {
    command: ([name]: string[]) =>
      Promise.resolve(name === "SMEMBERS" ? [] : null),
  };
  const b = { command: () => pause(0.01).then(() => null) };
  const source = new RedisTaskSource({ redis: a, blockingRedis: b });
  assert.throws(
    () => source.feed({} as never, jobs.doSleep),
    (e: unknown) =>
      e instanceof TypeError && /runCoroutineThreadsafe/.test(e.message),
  );
  const fakeLoop = {
    runCoroutineThreadsafe: () => assert.fail("no message expected"),
    callSoonThreadsafe: () => {},
  };
  source.feed(fakeLoop, jobs.doSleep);
  assert.throws(
    () => source.feed(fakeLoop, jobs.doSleep),
    /already called/,
  );
  await source.close();
});

Deno.test("an onDone that throws is reported, and feeding goes on", async () => {
  const redis = {
    command: ([name]: string[]) =>
      Promise.resolve(name === "SMEMBERS" ? [] : null),
  };
  const bodies = ["first", "second"];
  const blockingRedis = {
    command: ([name]: string[]) =>
      pause(0.01).then(() => name === "BLMOVE" ? bodies.shift() ?? null : 7),
  };
  const source = new RedisTaskSource({ redis, blockingRedis });
  const fakeLoop = {
    runCoroutineThreadsafe: (_fn: unknown, body: string) => {
      const fut = new ConcurrentFuture<string>();
      fut.setResult(body.toUpperCase());
      return fut;
    },
    callSoonThreadsafe: () => {},
  };
  const seen: unknown[][] = [];
  const reported: unknown[][] = [];
  const consoleError = console.error;
  console.error = (...args: unknown[]) => reported.push(args);
  try {
    source.feed(fakeLoop as never, jobs.doSleep, {
      onDone: (body, error, result) => {
        seen.push([body, error, result]);
        if (body === "first") throw new Error("onDone failed");
      },
    });
    await waitUntil(() => seen.length === 2, "both messages");
    await source.close();
  } finally {
    console.error = consoleError;
  }
  assert.deepEqual(seen, [["first", null, "FIRST"], [
    "second",
    null,
    "SECOND",
  ]]);
  assert.equal(source.statistics().acked, 2);
  assert.equal(reported.length, 1);
  assert.match(String(reported[0][0]), /onDone threw/);
  assert.match(String(reported[0][1]), /onDone failed/);
});

workerTest(
  "close() stops taking messages within about blockTimeout; a later message stays on the queue",
  async () => {
    await using server = await RedisServer.start();
    await using redis = await redisClient(server.url);
    await using blockingRedis = await redisClient(server.url);
    await using newLoop = await WorkerLoop.start();
    const source = new RedisTaskSource({
      redis,
      blockingRedis,
      blockTimeout: 0.3,
    });
    await source.start();
    const { done, onDone } = recorder();
    source.feed(newLoop, jobs.doSleep, { onDone });
    await pause(0.1);
    const t0 = now();
    await source.close();
    const took = now() - t0;
    assert.ok(took < 0.3 + 0.3, `close() took ${took.toFixed(3)} s`);
    await source.close(); // again: nothing more to do
    await redis.command(["LPUSH", "queue", "0.01"]);
    await pause(0.2);
    assert.deepEqual(done, []);
    assert.deepEqual(
      await redis.command(["LRANGE", "queue", "0", "-1"]),
      ["0.01"],
    );
    console.log(`close() with blockTimeout 0.3 took ${took.toFixed(3)} s`);
  },
  { ignore: redisMissing },
);

workerTest(
  "a task cancelled (its loop stopped after close()) puts its message back on the queue",
  async () => {
    await using server = await RedisServer.start();
    await using redis = await redisClient(server.url);
    await using blockingRedis = await redisClient(server.url);
    const newLoop = await WorkerLoop.start();
    try {
      const source = new RedisTaskSource({
        redis,
        blockingRedis,
        blockTimeout: 0.2,
      });
      await source.start();
      const { done, onDone } = recorder();
      source.feed(newLoop, jobs.doSleep, { onDone });
      await redis.command(["LPUSH", "queue", "60", "0.01"]);
      await waitUntil(() => done.length === 1, "the short message");
      await waitForList(
        redis,
        source.processingList,
        (list) => list.length === 1,
        "the long message taken",
      );
      await source.close();
      // The long task still runs, its message in the processing list.
      assert.deepEqual(
        await redis.command(["LRANGE", source.processingList, "0", "-1"]),
        ["60"],
      );
      await newLoop.stop();
      await waitUntil(() => done.length === 2, "the cancelled task's onDone");
      assert.deepEqual(done[1].body, "60");
      assert.equal(done[1].error, "cancelled");
      assert.deepEqual(
        await redis.command(["LRANGE", "queue", "0", "-1"]),
        ["60"],
      );
      assert.equal(await redis.command(["LLEN", source.processingList]), 0);
    } finally {
      await newLoop.stop();
    }
  },
  { ignore: redisMissing },
);

workerTest(
  "a failing task's message is acknowledged too; onDone gets the error",
  async () => {
    await using server = await RedisServer.start();
    await using redis = await redisClient(server.url);
    await using blockingRedis = await redisClient(server.url);
    await using newLoop = await WorkerLoop.start();
    await using source = new RedisTaskSource({
      redis,
      blockingRedis,
      blockTimeout: 0.2,
    });
    const { done, onDone } = recorder();
    source.feed(newLoop, jobs.doFail, { onDone }); // start()s by itself
    await redis.command(["LPUSH", "queue", "boom"]);
    await waitUntil(() => done.length === 1, "the failed task's onDone");
    assert.ok(done[0].error instanceof Error);
    assert.equal((done[0].error as Error).message, "boom");
    assert.equal(done[0].result, undefined);
    assert.equal(await redis.command(["LLEN", source.processingList]), 0);
    assert.equal(await redis.command(["LLEN", "queue"]), 0);
  },
  { ignore: redisMissing },
);

Deno.test(
  "recover() puts a dead consumer's messages back oldest-first, leaves live consumers alone",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await using redis = await redisClient(server.url);
    await using blockingRedis = await redisClient(server.url);
    const cmd = (...args: string[]) => redis.command(args);
    // A consumer that took m1, m2, m3 (in that order) and died: BLMOVE
    // pushes each on the left of its processing list.
    await cmd("SADD", "queue:consumers", "dead", "alive");
    await cmd("LPUSH", "queue:processing:dead", "m1", "m2", "m3");
    // One that is alive, busy with "a1".
    await cmd("SET", "queue:alive:alive", "1", "PX", "60000");
    await cmd("LPUSH", "queue:processing:alive", "a1");
    // A message still waiting (pushed before the dead consumer's were
    // taken would have been taken first; this one is newer).
    await cmd("LPUSH", "queue", "newer");

    const source = new RedisTaskSource({
      redis,
      blockingRedis,
      consumer: "me",
      blockTimeout: 0.2,
      concurrency: 1,
    });
    assert.equal(await source.recover(), 3);
    // Next in line (the right end) is the oldest: m1, then m2, m3, newer.
    assert.deepEqual(await cmd("LRANGE", "queue", "0", "-1"), [
      "newer",
      "m3",
      "m2",
      "m1",
    ]);
    assert.equal(await cmd("EXISTS", "queue:processing:dead"), 0);
    assert.deepEqual(await cmd("LRANGE", "queue:processing:alive", "0", "-1"), [
      "a1",
    ]);
    assert.deepEqual(
      (await cmd("SMEMBERS", "queue:consumers") as string[]).sort(),
      ["alive"],
    );
    assert.equal(await source.recover(), 0, "nothing more to recover");

    // messages() (which start()s) takes them in that order; a message
    // stays in the processing list until ack() (concurrency 1: one at a
    // time).
    const taken: string[] = [];
    for await (const message of source.messages()) {
      taken.push(message.body);
      assert.deepEqual(
        await cmd("LRANGE", source.processingList, "0", "-1"),
        [message.body],
      );
      await message.ack();
      assert.equal(await cmd("LLEN", source.processingList), 0);
      if (taken.length === 4) break;
    }
    assert.deepEqual(taken, ["m1", "m2", "m3", "newer"]);
    assert.deepEqual(
      (await cmd("SMEMBERS", "queue:consumers") as string[]).sort(),
      ["alive", "me"],
    );
    await source.close();
  },
);

Deno.test(
  "requeue() puts this consumer's message back at the head of the queue",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await using redis = await redisClient(server.url);
    await using blockingRedis = await redisClient(server.url);
    const cmd = (...args: string[]) => redis.command(args);
    await using source = new RedisTaskSource({
      redis,
      blockingRedis,
      blockTimeout: 0.2,
      concurrency: 1,
    });
    await cmd("LPUSH", "queue", "first", "second");
    const messages = source.messages();
    const first = await messages.next();
    assert.equal(first.done, false);
    assert.equal(first.value?.body, "first");
    assert.deepEqual(await cmd("LRANGE", "queue", "0", "-1"), ["second"]);
    await source.requeue("first");
    assert.deepEqual(await cmd("LRANGE", "queue", "0", "-1"), [
      "second",
      "first",
    ]);
    assert.equal(await cmd("LLEN", source.processingList), 0);
    // A body that is not in the processing list is not pushed.
    await source.requeue("stranger");
    assert.equal(await cmd("LLEN", "queue"), 2);
    const again = await messages.next();
    assert.equal(again.value?.body, "first");
    await again.value?.ack();
    await messages.return();
  },
);

workerTest(
  "a consumer started after another died recovers its messages at start()",
  async () => {
    await using server = await RedisServer.start();
    await using redis = await redisClient(server.url);
    await using blockingRedis = await redisClient(server.url);
    await using redis2 = await redisClient(server.url);
    await using blockingRedis2 = await redisClient(server.url);
    // The first consumer takes a message and goes away without acking it
    // (closing the source stops its heartbeat).
    const first = new RedisTaskSource({
      redis,
      blockingRedis,
      consumer: "first",
      heartbeat: 0.1,
      deadAfter: 0.3,
      blockTimeout: 0.2,
    });
    await redis.command(["LPUSH", "queue", "0.01"]);
    const messages = first.messages();
    assert.equal((await messages.next()).value?.body, "0.01");
    await messages.return();
    await first.close();
    await pause(0.5); // its heartbeat expires
    await using newLoop = await WorkerLoop.start();
    await using second = new RedisTaskSource({
      redis: redis2,
      blockingRedis: blockingRedis2,
      heartbeat: 0.1,
      deadAfter: 0.3,
      blockTimeout: 0.2,
    });
    await second.start();
    assert.equal(await redis.command(["LLEN", "queue:processing:first"]), 0);
    const { done, onDone } = recorder();
    second.feed(newLoop, jobs.doSleep, { onDone });
    await waitUntil(() => done.length === 1, "the recovered message");
    assert.equal(done[0].body, "0.01");
  },
  { ignore: redisMissing },
);

// ------------------------------------------- the loop or Redis going away
//
// Stopping the WorkerLoop while feed() runs: the running task is cancelled
// and its message requeued; the feed loop must not take it again for the
// stopped loop, and nothing may end as an uncaught error.
workerTest(
  "stopping the WorkerLoop while feed() runs: the cancelled task's message is requeued and not stranded",
  async () => {
    await using server = await RedisServer.start();
    await using redis = await redisClient(server.url);
    await using blockingRedis = await redisClient(server.url);
    const newLoop = await WorkerLoop.start();
    const source = new RedisTaskSource({
      redis,
      blockingRedis,
      blockTimeout: 0.2,
    });
    try {
      await source.start();
      const { done, onDone } = recorder();
      source.feed(newLoop, jobs.doSleep, { onDone });
      await redis.command(["LPUSH", "queue", "60"]);
      await waitForList(
        redis,
        source.processingList,
        (list) => list.length === 1,
        "the message taken",
      );
      await newLoop.stop();
      await waitUntil(() => done.length === 1, "the cancelled task's onDone");
      await pause(0.5);
      // The message must be where a consumer will take it from.
      assert.deepEqual(
        await redis.command(["LRANGE", "queue", "0", "-1"]),
        ["60"],
      );
      assert.equal(await redis.command(["LLEN", source.processingList]), 0);
    } finally {
      await source.close().catch(() => {});
      await newLoop.stop();
    }
  },
  { ignore: redisMissing },
);

// feed() without a start() first starts the source itself; a failing
// start() (Redis answers an error, e.g. NOAUTH) is retried, not left as an
// uncaught rejection.
Deno.test({
  name:
    "feed() whose implicit start() fails does not leave an uncaught rejection",
  async fn() {
    const redis = {
      command: ([name]: string[]) =>
        name === "SET"
          ? Promise.reject(new Error("NOAUTH Authentication required."))
          : Promise.resolve(name === "SMEMBERS" ? [] : null),
    };
    const blockingRedis = {
      command: () => pause(0.01).then(() => null),
    };
    const source = new RedisTaskSource({ redis, blockingRedis });
    const fakeLoop = {
      runCoroutineThreadsafe: () => assert.fail("no message expected"),
      callSoonThreadsafe: () => {},
    };
    source.feed(fakeLoop, jobs.doSleep);
    await pause(0.1);
    await source.close().catch(() => {});
  },
});
