// Tests of RedisExecutor and serveExecutor (src/redis_executor.ts,
// src/redis_serve.ts) against real `redis-server` processes of their own,
// with consumers in this process (the tests whose consumers die for real
// are in redis_executor_fault_test.ts): results and errors across,
// refusals at the call, cancellation both ways, timeouts, attempts and
// the dead-letter list, a consumer's shutdown, lost replies and a Redis
// restart.
import assert from "node:assert/strict";
import {
  getRunningLoop,
  run,
  TimeoutError,
  transfer,
  workerModule,
} from "../mod.ts";
import {
  type ExecutorServer,
  RedisExecutor,
  serveExecutor,
  type ServeExecutorOptions,
} from "../redis.ts";
import { RespConnection } from "../src/_resp.ts";
import { jobBody } from "../src/_redis_wire.ts";
import type * as Jobs from "./_executor_jobs.ts";
import { waitUntil, workerTest } from "./_helpers.ts";
import { redisMissing, RedisProxy, RedisServer } from "./_redis.ts";

const jobs = workerModule<typeof Jobs>(
  new URL("./_executor_jobs.ts", import.meta.url),
);

const pause = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

/** A consumer for tests: quick heartbeats, short blocking. */
function serve(
  server: RedisServer,
  options: ServeExecutorOptions = {},
): Promise<ExecutorServer> {
  return serveExecutor({
    url: server.url,
    queue: "q",
    heartbeat: 0.2,
    deadAfter: 1,
    blockTimeout: 0.2,
    ...options,
  });
}

async function errorOf(awaitable: PromiseLike<unknown>): Promise<Error> {
  try {
    await awaitable;
  } catch (error) {
    return error as Error;
  }
  assert.fail("expected a failure, got a result");
}

// ------------------------------------------------------ results and errors

Deno.test(
  "loop.runInExecutor(redis, jobs.fib, 20) runs on a consumer and returns its result",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await run(async () => {
      await using consumer = await serve(server);
      await using redis = new RedisExecutor({ url: server.url, queue: "q" });
      const loop = getRunningLoop();
      assert.equal(await loop.runInExecutor(redis, jobs.fib, 20), 6765);
      assert.equal(await redis.submit(jobs.add, 2, 3), 5);
      assert.equal(consumer.statistics().completed, 2);
      assert.deepEqual(redis.statistics(), {
        pending: 0,
        submitted: 2,
        completed: 2,
        failed: 0,
        cancelled: 0,
      });
    });
  },
);

Deno.test(
  "map() yields the results in order, and leaving it early cancels the jobs not done",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await run(async () => {
      await using _consumer = await serve(server, { concurrency: 4 });
      await using redis = new RedisExecutor({ url: server.url, queue: "q" });
      const sums: number[] = [];
      for await (const n of redis.map(jobs.add, [1, 2, 3, 4], [10, 20, 30])) {
        sums.push(n);
      }
      assert.deepEqual(sums, [11, 22, 33]);
      const seconds = [0.01, 5, 5, 5];
      for await (const s of redis.map(jobs.nap, seconds, seconds)) {
        assert.equal(s, 0.01);
        break;
      }
      assert.equal(redis.statistics().cancelled, 3);
      assert.equal(redis.statistics().pending, 0);
    });
  },
);

Deno.test(
  "arguments and results keep what structured clone keeps: Date, Map, Set, typed arrays, BigInt, undefined, NaN, -0, holes, shared and cyclic references",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await run(async () => {
      await using _consumer = await serve(server);
      await using redis = new RedisExecutor({ url: server.url, queue: "q" });
      const buffer = new ArrayBuffer(16);
      new Uint8Array(buffer).set([1, 2, 3, 4, 5, 6, 7, 8]);
      const shared = { name: "shared" };
      const value = {
        when: new Date(Date.UTC(2024, 5, 1)),
        map: new Map<unknown, unknown>([[1, "one"], ["two", { n: 2 }]]),
        set: new Set([1, "a", null]),
        bytes: new Uint8Array([0, 255, 128]),
        floats: new Float64Array(buffer, 8, 1),
        view: new DataView(buffer, 2, 4),
        big: 2n ** 80n,
        nothing: undefined,
        nan: NaN,
        negativeZero: -0,
        holes: [1, , 3],
        pattern: /a+b/gi,
        first: shared,
        second: shared,
        text: "naïve ☃ 🎉",
        self: null as unknown,
      };
      value.self = value;
      const back = await redis.submit(jobs.echo, value);
      assert.deepStrictEqual(back, value);
      assert.ok(back.first === back.second, "a shared object stays shared");
      assert.ok(back.self === back, "a cycle stays a cycle");
      assert.ok(
        back.floats.buffer === back.view.buffer,
        "views share a buffer",
      );
      assert.ok(Object.is(back.negativeZero, -0));
      assert.ok(!(1 in back.holes));
    });
  },
);

Deno.test(
  "an error thrown on the consumer arrives with its name, message, stack, cause and own properties",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await run(async () => {
      await using _consumer = await serve(server);
      await using redis = new RedisExecutor({ url: server.url, queue: "q" });
      class PaymentError extends Error {
        override name = "PaymentError";
        code = "E42";
      }
      const sent = new PaymentError("card declined", {
        cause: new TypeError("bad card"),
      });
      const error = await errorOf(redis.submit(jobs.raise, sent));
      assert.equal(error.name, "PaymentError");
      assert.equal(error.message, "card declined");
      assert.equal(error.stack, sent.stack);
      assert.ok(error.cause instanceof TypeError);
      assert.equal((error.cause as Error).message, "bad card");
      assert.equal((error as unknown as { code: string }).code, "E42");

      const group = await errorOf(
        redis.submit(
          jobs.raise,
          new AggregateError([new RangeError("x")], "g"),
        ),
      );
      assert.ok(group instanceof AggregateError);
      assert.ok(group.errors[0] instanceof RangeError);

      // Made on the consumer: its stack says where.
      const own = await errorOf(redis.submit(jobs.boom, "on the consumer"));
      assert.ok(own instanceof RangeError);
      assert.match(own.stack!, /_executor_jobs\.ts/);
    });
  },
);

Deno.test(
  "a result that cannot be sent back fails the job with a TypeError that says what and where",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await run(async () => {
      await using _consumer = await serve(server, { maxSize: 10_000 });
      await using redis = new RedisExecutor({ url: server.url, queue: "q" });
      const error = await errorOf(redis.submit(jobs.unsendable));
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /the result of unsendable\(\)/);
      assert.match(error.message, /a function \(f\) at \.f/);
      const big = await errorOf(
        redis.submit(jobs.repeat, "x", 100_000),
      );
      assert.ok(big instanceof RangeError);
      assert.match(
        big.message,
        /the result of repeat\(\) take 97\.7 KiB serialized, over the limit of 9\.8 KiB/,
      );
    });
  },
);

Deno.test(
  "by-source functions, closures, transfer(), blob: modules and oversized arguments are refused at the call, with the fix in the message",
  { ignore: redisMissing },
  async () => {
    await using redis = new RedisExecutor({ queue: "q", maxSize: 1000 });
    const offset = 1;
    assert.throws(
      () => redis.submit((a: number) => a + offset, 1),
      (e: Error) =>
        e instanceof TypeError &&
        /by reference/.test(e.message) &&
        /workerModule<typeof Jobs>\(new URL\("\.\/jobs\.ts", import\.meta\.url\)\)/
          .test(e.message),
    );
    function fib(n: number): number {
      return n;
    }
    assert.throws(
      () => redis.submit(fib, 1),
      /export fib from a module every consumer can import.*jobs\.fib/,
    );
    await run(() => {
      assert.throws(
        () => getRunningLoop().runInExecutor(redis, fib, 1),
        /by reference/,
      );
      return Promise.resolve();
    });
    assert.throws(
      () => redis.submit(jobs.echo, transfer(new Uint8Array(8))),
      /transfer\(\) has no meaning for a job on another machine/,
    );
    const blob = workerModule<typeof Jobs>("blob:null/0000");
    assert.throws(() => redis.submit(blob.echo, 1), /blob: URL/);
    assert.throws(
      () => redis.submit(jobs.echo, "x".repeat(2000)),
      (e: Error) =>
        e instanceof RangeError &&
        /the arguments of echo\(\)/.test(e.message) &&
        /over the limit of 1000 bytes/.test(e.message),
    );
    assert.throws(
      () => redis.submit(jobs.echo, new URL("https://example.com/")),
      /a URL at \[0\] cannot be sent.*url\.href/,
    );
    assert.throws(() => new RedisExecutor({ url: "http://x" }), TypeError);
    assert.throws(() => new RedisExecutor({ attempts: 0 }), RangeError);
    assert.throws(() => new RedisExecutor({ timeout: -1 }), RangeError);
    await redis.shutdown();
    assert.throws(
      () => redis.submit(jobs.echo, 1),
      /cannot schedule new futures after shutdown/,
    );
    assert.equal(redis.statistics().submitted, 0);
  },
);

// ------------------------------------------------------------ cancellation

Deno.test("cancelling a queued job takes it out of the queue: it never runs", {
  ignore: redisMissing,
}, async () => {
  await using server = await RedisServer.start();
  await using redis = new RespConnection(server.url);
  await run(async () => {
    await using executor = new RedisExecutor({ url: server.url, queue: "q" });
    const fut = executor.submit(jobs.tracked, server.url, "log", "queued", 0);
    await waitUntil(
      async () => Number(await redis.command(["LLEN", "q"])) === 1,
      "the job in the queue",
    );
    assert.equal(fut.cancel(), true);
    assert.ok(fut.cancelled());
    await waitUntil(
      async () => Number(await redis.command(["LLEN", "q"])) === 0,
      "the job out of the queue",
    );
    await using consumer = await serve(server);
    assert.equal(await executor.submit(jobs.add, 1, 1), 2);
    assert.deepEqual(await redis.command(["LRANGE", "log", "0", "-1"]), []);
    assert.equal(consumer.statistics().completed, 1);
  });
});

Deno.test(
  "cancelling a running job cancels its task on the consumer, which stores nothing",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await using redis = new RespConnection(server.url);
    await run(async () => {
      await using consumer = await serve(server);
      await using executor = new RedisExecutor({ url: server.url, queue: "q" });
      const fut = executor.submit(jobs.tracked, server.url, "log", "long", 30);
      const log = () =>
        redis.command(["LRANGE", "log", "0", "-1"]) as Promise<string[]>;
      await waitUntil(
        async () => (await log()).includes("started long"),
        "start",
      );
      assert.equal(consumer.statistics().running, 1);
      fut.cancel();
      await waitUntil(
        async () => (await log()).includes("cancelled long"),
        "the task cancelled on the consumer",
        5,
      );
      await waitUntil(() => consumer.statistics().cancelled === 1, "counted");
      await waitUntil(
        () => consumer.statistics().source.held === 0,
        "the job acknowledged",
      );
      assert.equal(consumer.statistics().running, 0);
      assert.equal(
        Number(await redis.command(["XLEN", executor.replyStream])),
        0,
      );
      assert.ok(!(await log()).includes("done long"));
    });
  },
);

workerTest(
  "with threads, cancelling a running CPU-bound job terminates its Worker, and the next job runs on a new one",
  async () => {
    await using server = await RedisServer.start();
    await run(async () => {
      await using consumer = await serve(server, { threads: 1 });
      await using executor = new RedisExecutor({ url: server.url, queue: "q" });
      assert.equal(await executor.submit(jobs.fib, 15), 610);
      const spinning = executor.submit(jobs.spin, 60, "never");
      await waitUntil(
        () => consumer.statistics().running === 1,
        "the spin job",
      );
      await pause(0.1); // in the Worker, blocking it
      const t0 = performance.now();
      spinning.cancel();
      await waitUntil(
        () => consumer.statistics().cancelled === 1,
        "cancelled",
        5,
      );
      assert.equal(await executor.submit(jobs.fib, 20), 6765);
      assert.ok(performance.now() - t0 < 5000);
    });
  },
  { ignore: redisMissing },
);

Deno.test(
  "a consumer's shutdown puts back its running and unstarted jobs; another consumer finishes them",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await run(async () => {
      await using executor = new RedisExecutor({ url: server.url, queue: "q" });
      const first = await serve(server, { concurrency: 2, consumer: "first" });
      const futures = [0, 1, 2, 3].map((i) => executor.submit(jobs.nap, 1, i));
      await waitUntil(() => first.statistics().running === 2, "two running");
      await first.close();
      assert.equal(first.statistics().requeued, 2);
      assert.equal(first.statistics().completed, 0);
      assert.equal(first.statistics().source.held, 0);
      await using second = await serve(server, {
        concurrency: 4,
        consumer: "second",
      });
      assert.deepEqual(await Promise.all(futures), [0, 1, 2, 3]);
      assert.equal(second.statistics().completed, 4);
    });
  },
);

// ------------------------------------------------- timeouts and attempts

Deno.test(
  "a run longer than its timeout is cancelled and fails with a TimeoutError, after its attempts",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await run(async () => {
      await using consumer = await serve(server);
      await using executor = new RedisExecutor({ url: server.url, queue: "q" });
      const t0 = performance.now();
      const error = await errorOf(
        executor.withOptions({ timeout: 0.2, attempts: 2, backoff: 0.05 })
          .submit(jobs.nap, 30, "slow"),
      );
      assert.ok(error instanceof TimeoutError, String(error));
      assert.match(
        error.message,
        /nap\(\) ran longer than its timeout of 0\.2 s/,
      );
      assert.ok(performance.now() - t0 < 5000);
      const stats = consumer.statistics();
      assert.equal(stats.timedOut, 2);
      assert.equal(stats.retried, 1);
      assert.equal(stats.failed, 1);
      // A quick job under the same limit is fine.
      assert.equal(
        await executor.withOptions({ timeout: 5 }).submit(jobs.nap, 0, "ok"),
        "ok",
      );
    });
  },
);

Deno.test(
  "attempts with backoff: a failing job runs again until it succeeds; past its attempts it goes to the dead-letter list and its producer gets the error",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await using redis = new RespConnection(server.url);
    await run(async () => {
      await using consumer = await serve(server);
      await using executor = new RedisExecutor({
        url: server.url,
        queue: "q",
        attempts: 3,
        backoff: 0.05,
      });
      const t0 = performance.now();
      assert.equal(await executor.submit(jobs.flaky, "twice", 2), 3);
      // 0.05 s, then 0.1 s of backoff.
      assert.ok(performance.now() - t0 >= 140, `${performance.now() - t0} ms`);
      assert.equal(consumer.statistics().retried, 2);

      const error = await errorOf(
        executor.withOptions({ attempts: 2 }).submit(jobs.flaky, "often", 5),
      );
      assert.equal(error.message, "run 2 of often failed");
      const dead = await redis.command([
        "LRANGE",
        "q:dead",
        "0",
        "-1",
      ]) as string[];
      assert.equal(dead.length, 1);
      const letter = JSON.parse(dead[0]);
      assert.equal(letter.attempts, 2);
      assert.match(letter.error, /run 2 of often failed/);
      assert.equal(consumer.statistics().failed, 1);
    });
  },
);

// --------------------------------------------------------------- consumers

Deno.test(
  "consumers share one queue, and none holds more jobs than its concurrency",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await run(async () => {
      const consumers = await Promise.all(
        [0, 1, 2].map((i) =>
          serve(server, { concurrency: 2, consumer: `c${i}` })
        ),
      );
      try {
        await using executor = new RedisExecutor({
          url: server.url,
          queue: "q",
        });
        let most = 0;
        const sample = setInterval(() => {
          for (const c of consumers) {
            most = Math.max(most, c.statistics().source.held);
          }
        }, 2);
        try {
          const results = await Promise.all(
            Array.from(
              { length: 30 },
              (_, i) => executor.submit(jobs.nap, 0.03, i),
            ),
          );
          assert.deepEqual(results, Array.from({ length: 30 }, (_, i) => i));
        } finally {
          clearInterval(sample);
        }
        assert.ok(most <= 2, `a consumer held ${most}`);
        for (const c of consumers) {
          assert.ok(c.statistics().completed > 0, `${c.consumer} did nothing`);
        }
      } finally {
        await Promise.all(consumers.map((c) => c.close()));
      }
    });
  },
);

Deno.test(
  "a consumer refuses a module outside its allow list, and says what an unknown export is",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await run(async () => {
      await using executor = new RedisExecutor({ url: server.url, queue: "q" });
      {
        await using _strict = await serve(server, {
          allow: ["file:///nowhere/"],
        });
        const error = await errorOf(executor.submit(jobs.add, 1, 2));
        assert.ok(error instanceof TypeError);
        assert.match(
          error.message,
          /is not allowed on consumer .*file:\/\/\/nowhere\//,
        );
      }
      await using _consumer = await serve(server);
      const nope = workerModule<{ nope(): void }>(
        new URL("./_executor_jobs.ts", import.meta.url),
      );
      const error = await errorOf(executor.submit(nope.nope));
      assert.match(error.message, /no exported function named "nope"/);
    });
  },
);

Deno.test("results of a producer that is gone expire after its resultTtl", {
  ignore: redisMissing,
}, async () => {
  await using server = await RedisServer.start();
  await using redis = new RespConnection(server.url);
  await run(async () => {
    await using _consumer = await serve(server);
    // A job pushed by a producer that is not there to read its result.
    const body = jobBody("gone.0", jobs.add.module, "add", {
      timeoutMs: 0,
      attempts: 1,
      backoffMs: 0,
      resultTtlMs: 1500,
    }, "J[1,2]");
    await redis.command(["LPUSH", "q", body]);
    await waitUntil(
      async () => Number(await redis.command(["XLEN", "q:reply:gone"])) === 1,
      "the result stored",
    );
    const ttl = Number(await redis.command(["PTTL", "q:reply:gone"]));
    assert.ok(ttl > 0 && ttl <= 1500, `PTTL ${ttl}`);
  });
});

// ------------------------------------------------------------------ faults

Deno.test(
  "a result whose XREAD reply is lost on the way (the connection drops after Redis answered) is read again",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await using proxy = RedisProxy.start(server.port);
    await run(async () => {
      await using _consumer = await serve(server);
      await using executor = new RedisExecutor({ url: proxy.url, queue: "q" });
      assert.equal(await executor.submit(jobs.echo, "warm"), "warm");
      const cut = proxy.cutReplyContaining("lost-on-the-way");
      const fut = executor.submit(jobs.echo, "lost-on-the-way");
      await cut;
      assert.equal(await fut, "lost-on-the-way");
      assert.equal(proxy.cuts, 1);
    });
  },
);

Deno.test(
  "jobs submitted while Redis is down go through once it is back, and jobs queued before a crash survive it (append-only)",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start({ appendOnly: true });
    await run(async () => {
      await using executor = new RedisExecutor({ url: server.url, queue: "q" });
      // Queued with no consumer, then Redis crashes.
      const before = executor.submit(jobs.add, 1, 1);
      await waitUntil(() => executor.statistics().pending === 1, "submitted");
      await pause(0.1);
      await server.kill();
      const during = executor.submit(jobs.add, 2, 2);
      await pause(0.3);
      await server.restart();
      await using _consumer = await serve(server);
      assert.deepEqual(await Promise.all([before, during]), [2, 4]);
    });
  },
);
