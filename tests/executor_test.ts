// Coroutine functions must be async even when they do not await.
// deno-lint-ignore-file require-await
// Tests of ThreadPoolExecutor, toThread, loop.runInExecutor,
// ConcurrentFuture, wrapFuture(ConcurrentFuture), transfer() and the errors
// of jobs run in Workers (src/workers/, src/base_events.ts).
// Expected behaviour that is not obvious was checked against CPython 3.11's
// concurrent.futures and asyncio.
//
// Every test that can start a Worker is a workerTest: it fails if a Worker
// is left running (Deno's sanitizers do not see Workers). Functions run by
// reference live in tests/_jobs.ts.
import assert from "node:assert/strict";
import {
  blockingSleep,
  CancelledError,
  ConcurrentFuture,
  createTask,
  ExceptionGroup,
  gather,
  getRunningLoop,
  InvalidStateError,
  newEventLoop,
  run,
  sleep,
  ThreadPoolExecutor,
  toThread,
  transfer,
  WorkerCrashedError,
  WorkerFunction,
  workerFunction,
  workerModule,
  wrapFuture,
} from "../mod.ts";
import type * as Jobs from "./_jobs.ts";
import {
  captureConsole,
  cells,
  errorOf,
  liveWorkers,
  waitUntil,
  workersStarted,
  workerTest,
} from "./_helpers.ts";

const jobsUrl = new URL("./_jobs.ts", import.meta.url);
const jobs = workerModule<typeof Jobs>(jobsUrl);

// ----------------------------------------------------------- naming a function

workerTest(
  "submit() runs an exported function by reference and returns a ConcurrentFuture of its result",
  async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const fut = pool.submit(jobs.add, 2, 3);
    assert.ok(fut instanceof ConcurrentFuture);
    assert.equal(await fut, 5);
    assert.equal(fut.done(), true);
    assert.equal(fut.result(), 5);
    assert.equal(fut.exception(), null);
    assert.equal(await pool.submit(jobs.fib, 20), 6765);
  },
);

workerTest(
  "workerFunction() and new WorkerFunction() name the same export as workerModule()",
  async () => {
    const viaFunction = workerFunction<typeof Jobs.add>(jobsUrl, "add");
    const viaClass = new WorkerFunction<[number, number], number>(
      jobsUrl.href,
      "add",
    );
    assert.ok(jobs.add instanceof WorkerFunction);
    assert.equal(jobs.add, jobs.add, "workerModule() caches its handles");
    for (const handle of [jobs.add, viaFunction, viaClass]) {
      assert.equal(handle.name, "add");
      assert.equal(handle.module, jobsUrl.href);
      assert.equal(String(handle), `add (${jobsUrl.href})`);
    }
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    assert.deepEqual(
      await Promise.all([
        pool.submit(viaFunction, 1, 2),
        pool.submit(viaClass, 3, 4),
      ]),
      [3, 7],
    );
  },
);

workerTest(
  "self-contained functions are sent by source: arrow, function, async, method shorthand",
  async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const methods = {
      triple(x: number) {
        return 3 * x;
      },
      async quadruple(x: number) {
        await new Promise((r) => setTimeout(r, 1));
        return 4 * x;
      },
    };
    const results = await Promise.all([
      pool.submit((a: number, b: number) => a * b, 6, 7),
      pool.submit(function named(s: string) {
        return s.toUpperCase();
      }, "abc"),
      pool.submit(async (x: number) => {
        await new Promise((r) => setTimeout(r, 1));
        return x + 1;
      }, 41),
      pool.submit(async function asyncNamed() {
        return "async function";
      }),
      pool.submit(methods.triple, 5),
      pool.submit(methods.quadruple, 5),
      // A function that calls itself by name is self-contained.
      pool.submit(function fact(n: number): number {
        return n <= 1 ? 1 : n * fact(n - 1);
      }, 10),
    ]);
    assert.deepEqual(results, [
      42,
      "ABC",
      42,
      "async function",
      15,
      20,
      3628800,
    ]);
  },
);

workerTest(
  "a method whose name is a keyword can be sent by source",
  async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const store = {
      delete(x: number) {
        return x - 1;
      },
    };
    assert.equal(await pool.submit(store.delete, 1), 0);
  },
);

workerTest(
  "a function sent by source that uses an outer variable fails with a ReferenceError that points to workerFunction",
  async () => {
    const factor = 3;
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const error = await errorOf(
      pool.submit(function scale(x: number) {
        return x * factor;
      }, 2),
    );
    assert.ok(error instanceof ReferenceError, String(error));
    assert.match(error.message, /scale was sent to the Worker by source/);
    assert.match(error.message, /factor is not defined/);
    assert.match(error.message, /must be self-contained/);
    assert.match(error.message, /workerFunction\(new URL\(/);
    assert.match(error.message, /"scale"\)/);
    // The Worker survives the error.
    assert.equal(await pool.submit(jobs.add, 1, 1), 2);
  },
);

workerTest(
  "built-in, bound functions, classes and non-functions are rejected with a TypeError at the call",
  async () => {
    const started = workersStarted();
    const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const add = (a: number, b: number) => a + b;
    class Job {}
    const bad: [unknown, RegExp][] = [
      [Math.max, /cannot send max to a Worker: it is built in or bound/],
      [add.bind(null, 1), /cannot send bound add to a Worker/],
      [Job, /takes a function, got class Job/],
      [42, /takes a function or a WorkerFunction, got number/],
      [null, /got null/],
    ];
    for (const [fn, message] of bad) {
      assert.throws(
        () => pool.submit(fn as () => void),
        (e) => e instanceof TypeError && message.test(e.message),
        String(fn),
      );
    }
    await run(async () => {
      assert.throws(() => toThread(Math.min as () => number), TypeError);
      assert.throws(
        () =>
          getRunningLoop().runInExecutor(pool, Job as unknown as () => void),
        TypeError,
      );
    });
    await pool.shutdown();
    assert.equal(workersStarted(), started, "no Worker was started");
  },
);

Deno.test("a module must be named by an absolute URL, and a function by a non-empty name", () => {
  assert.throws(
    () => workerModule("./_jobs.ts"),
    (e) =>
      e instanceof TypeError &&
      /workerModule\(\) needs the module's absolute URL/.test(e.message) &&
      e.message.includes('"./_jobs.ts"'),
  );
  assert.throws(() => workerFunction("_jobs.ts", "add"), TypeError);
  assert.throws(() => new WorkerFunction("tests/_jobs.ts", "add"), TypeError);
  assert.throws(
    () => new WorkerFunction(jobsUrl, ""),
    /needs the name of an exported function/,
  );
  // Absolute strings are fine.
  assert.equal(workerFunction(jobsUrl.href, "add").module, jobsUrl.href);
  assert.equal(workerModule<typeof Jobs>(jobsUrl.href).fib.name, "fib");
});

workerTest(
  "a missing export, an export that is not a function, and a module that cannot be imported fail the job",
  async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const missing = await errorOf(
      pool.submit(workerFunction<() => void>(jobsUrl, "noSuchJob")),
    );
    assert.ok(missing instanceof TypeError, String(missing));
    assert.equal(
      missing.message,
      `${jobsUrl.href} has no exported function named "noSuchJob" (no such export)`,
    );
    const notAFunction = await errorOf(
      pool.submit(workerFunction<() => void>(jobsUrl, "reports")),
    );
    assert.match((notAFunction as Error).message, /\(it is a object\)/);
    const nowhere = new URL("./_no_such_module.ts", import.meta.url);
    const unimportable = await errorOf(
      pool.submit(workerFunction<() => void>(nowhere, "f")),
    );
    assert.ok(unimportable instanceof Error);
    assert.match(
      unimportable.message,
      /the Worker could not import .*_no_such_module\.ts to run f\(\)/,
    );
    // None of this killed the Worker.
    assert.equal(pool.statistics().workers, 1);
    assert.equal(await pool.submit(jobs.add, 2, 2), 4);
  },
);

// ------------------------------------------------------ Workers of the pool

workerTest(
  "Workers start lazily, are reused, and are named after threadNamePrefix",
  async () => {
    await using pool = new ThreadPoolExecutor({
      maxWorkers: 4,
      threadNamePrefix: "crunch",
      idleTimeout: null,
    });
    assert.equal(pool.statistics().workers, 0);
    assert.equal(pool.maxWorkers, 4);
    const first = await pool.submit(jobs.threadName);
    assert.equal(pool.statistics().workers, 1);
    const second = await pool.submit(jobs.threadName);
    const third = await pool.submit(jobs.threadName);
    assert.equal(first, "crunch_0");
    assert.deepEqual([second, third], [first, first], "the same Worker");
    assert.equal(pool.statistics().workers, 1);
    assert.match(String(pool), /^<ThreadPoolExecutor maxWorkers=4 workers=1/);
  },
);

workerTest("the pool never runs more than maxWorkers Workers", async () => {
  const started = workersStarted();
  await using pool = new ThreadPoolExecutor({
    maxWorkers: 2,
    idleTimeout: null,
  });
  const futures = [];
  let most = 0;
  for (let i = 0; i < 8; i++) {
    futures.push(pool.submit(jobs.blockFor, 0.05));
    most = Math.max(most, pool.statistics().workers);
  }
  const names = new Set<string>();
  for (const fut of futures) {
    await fut;
    most = Math.max(most, pool.statistics().workers);
    names.add(await pool.submit(jobs.threadName));
  }
  assert.equal(most, 2);
  assert.ok(names.size <= 2, [...names].join());
  assert.equal(workersStarted() - started, 2);
});

workerTest(
  "jobs beyond what the Workers take wait and start in submission order",
  async () => {
    // 40 jobs on one Worker: 32 are sent ahead, 8 wait in the pool.
    const { buffer, view } = cells(41);
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const futures = [pool.submit(jobs.blockFor, 0.05)];
    for (let id = 0; id < 40; id++) {
      futures.push(pool.submit(jobs.recordOrder, buffer, id));
    }
    await Promise.all(futures);
    assert.equal(view[0], 40);
    assert.deepEqual(
      [...view.subarray(1)],
      Array.from({ length: 40 }, (_, i) => i),
    );
  },
);

workerTest(
  "map() yields the results in input order whatever order the jobs finish in",
  async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 4 });
    const results = [];
    for await (
      const r of pool.map(jobs.sleepAsync, [0.2, 0.05, 0, 0.1], [
        "a",
        "b",
        "c",
        "d",
      ])
    ) {
      results.push(r);
    }
    assert.deepEqual(results, ["a", "b", "c", "d"]);
    // The shortest iterable ends it, as zip() does.
    const sums = [];
    for await (const s of pool.map(jobs.add, [1, 2, 3], [10, 20])) sums.push(s);
    assert.deepEqual(sums, [11, 22]);
    const none = [];
    // No iterable at all: nothing to run (the types want at least one).
    const mapNone = pool.map as (fn: unknown) => AsyncGenerator<number>;
    for await (const s of mapNone.call(pool, jobs.add)) none.push(s);
    assert.deepEqual(none, []);
  },
);

workerTest("map() raises the first failing job's error in order", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  const seen: string[] = [];
  const error = await errorOf((async () => {
    for await (
      const r of pool.map(
        (s: string) => {
          if (s === "bad") throw new RangeError("bad input");
          return s;
        },
        ["a", "b", "bad", "c"],
      )
    ) {
      seen.push(r);
    }
  })());
  assert.ok(error instanceof RangeError);
  assert.deepEqual(seen, ["a", "b"]);
});

workerTest(
  "leaving map() early cancels the jobs that have not started",
  async () => {
    const { buffer, view } = cells(10);
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    // Job 0 is quick, job 1 blocks a while: when we leave after the first
    // result, job 1 may be running (it is left alone) but 2..9 have not
    // started, and never will.
    const ids = Array.from({ length: 10 }, (_, i) => i);
    const seconds = ids.map((i) => i === 0 ? 0 : 0.3);
    for await (
      const id of pool.map(jobs.recordRun, ids.map(() => buffer), ids, seconds)
    ) {
      assert.equal(id, 0);
      break;
    }
    await pool.shutdown();
    assert.equal(view[0], 1);
    assert.ok(view[1] <= 1);
    assert.deepEqual([...view.subarray(2)], new Array(8).fill(0));
  },
);

// ------------------------------------------------------------------ shutdown

workerTest(
  "an idle Worker takes the jobs waiting behind a long job on another Worker",
  async () => {
    const flags = cells(2);
    await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
    const long = pool.submit(jobs.startThenBlock, flags.buffer, 20);
    await waitUntil(() => Atomics.load(flags.view, 0) === 1, "the long job");
    // The next jobs alternate between the two Workers: half of them wait
    // behind the long job on the first one unless the second takes them.
    const quick = Array.from({ length: 9 }, () => pool.submit(jobs.threadName));
    const names = await Promise.all(quick);
    assert.equal(long.done(), false, "the quick jobs did not wait for it");
    assert.equal(new Set(names).size, 1, "all on the other Worker");
    long.cancel();
  },
);

workerTest(
  "shutdown() waits for the submitted jobs, then terminates the Workers",
  async () => {
    const before = liveWorkers();
    const pool = new ThreadPoolExecutor({ maxWorkers: 2 });
    const futures = [
      pool.submit(jobs.blockFor, 0.2),
      pool.submit(jobs.blockFor, 0.1),
      pool.submit(jobs.add, 1, 2),
    ];
    assert.equal(liveWorkers() - before, 2);
    await pool.shutdown();
    assert.ok(futures.every((f) => f.done()));
    assert.deepEqual(futures.map((f) => f.result()), [0.2, 0.1, 3]);
    assert.equal(pool.statistics().workers, 0);
    assert.equal(liveWorkers(), before);
    assert.match(String(pool), / shutdown>$/);
    // Shutting down again is harmless.
    await pool.shutdown();
  },
);

workerTest(
  "shutdown({ wait: false }) returns at once; the Workers end when the jobs are done",
  async () => {
    const before = liveWorkers();
    const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const fut = pool.submit(jobs.blockFor, 0.3);
    await pool.shutdown({ wait: false });
    assert.equal(fut.done(), false);
    assert.equal(liveWorkers() - before, 1);
    assert.equal(await fut, 0.3);
    assert.equal(liveWorkers(), before);
  },
);

workerTest(
  "shutdown({ cancelFutures: true }) drops the jobs that have not started, lets the running one finish",
  async () => {
    const { buffer, view } = cells(50);
    const flags = cells(2);
    const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const running = pool.submit(jobs.startThenBlock, flags.buffer, 0.3);
    // 45 queued jobs: some sent ahead to the Worker, some still in the pool.
    const queued = Array.from(
      { length: 45 },
      (_, i) => pool.submit(jobs.recordRun, buffer, i),
    );
    await waitUntil(() => Atomics.load(flags.view, 0) === 1, "the first job");
    await pool.shutdown({ cancelFutures: true });
    assert.equal(running.result(), "finished");
    assert.ok(queued.every((f) => f.cancelled()));
    assert.equal(view.reduce((a, b) => a + b, 0), 0, "no dropped job ran");
    await assert.rejects(Promise.resolve(queued[0]), CancelledError);
    assert.throws(() => queued[44].result(), CancelledError);
  },
);

workerTest("submit() after shutdown() throws", async () => {
  const pool = new ThreadPoolExecutor();
  await pool.shutdown();
  assert.throws(
    () => pool.submit(jobs.add, 1, 2),
    (e) =>
      e instanceof Error &&
      e.message === "cannot schedule new futures after shutdown",
  );
  const waiting = new ThreadPoolExecutor({ maxWorkers: 1 });
  const fut = waiting.submit(jobs.blockFor, 0.05);
  const done = waiting.shutdown();
  assert.throws(() => waiting.submit(jobs.add, 1, 2), /after shutdown/);
  await done;
  assert.equal(fut.result(), 0.05);
});

workerTest(
  "await using shuts the pool down and waits for its jobs",
  async () => {
    const before = liveWorkers();
    let fut: ConcurrentFuture<number>;
    let escaped: ThreadPoolExecutor;
    {
      await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
      escaped = pool;
      fut = pool.submit(jobs.blockFor, 0.1);
    }
    assert.equal(fut.done(), true);
    assert.equal(liveWorkers(), before);
    assert.throws(() => escaped.submit(jobs.add, 1, 2), /after shutdown/);
  },
);

Deno.test("maxWorkers must be an integer > 0 and idleTimeout a number >= 0 or null", () => {
  // A wrong value is a RangeError, a wrong type a TypeError.
  for (const maxWorkers of [0, -1, 1.5, NaN, Infinity, "2" as unknown]) {
    assert.throws(
      () => new ThreadPoolExecutor({ maxWorkers: maxWorkers as number }),
      (e) =>
        e instanceof
          (typeof maxWorkers === "number" ? RangeError : TypeError) &&
        /options\.maxWorkers must be an integer >= 1, got/.test(e.message),
      String(maxWorkers),
    );
  }
  for (const idleTimeout of [-1, NaN, "1" as unknown]) {
    assert.throws(
      () => new ThreadPoolExecutor({ idleTimeout: idleTimeout as number }),
      (e) =>
        e instanceof
          (typeof idleTimeout === "number" ? RangeError : TypeError) &&
        /options\.idleTimeout must be a number of seconds >= 0 or null/
          .test(e.message),
      String(idleTimeout),
    );
  }
  // Valid ones; a pool without Workers needs no shutdown.
  new ThreadPoolExecutor({ idleTimeout: 0 });
  new ThreadPoolExecutor({ idleTimeout: null });
  const cpus = navigator.hardwareConcurrency ?? 1;
  assert.equal(new ThreadPoolExecutor().maxWorkers, Math.min(32, cpus + 4));
  assert.equal(new ThreadPoolExecutor({ maxWorkers: 1 }).maxWorkers, 1);
});

workerTest(
  "an idle Worker is terminated after idleTimeout; the next job starts a new one",
  async () => {
    const before = liveWorkers();
    await using pool = new ThreadPoolExecutor({
      maxWorkers: 2,
      idleTimeout: 0.05,
    });
    const first = await pool.submit(jobs.threadName);
    assert.equal(pool.statistics().workers, 1);
    await waitUntil(
      () => pool.statistics().workers === 0,
      "the idle Worker to end",
    );
    assert.equal(liveWorkers(), before, "terminated, not only forgotten");
    const second = await pool.submit(jobs.threadName);
    assert.notEqual(second, first);
    assert.equal(await pool.submit(jobs.add, 1, 1), 2);
  },
);

workerTest("idleTimeout: null keeps idle Workers until shutdown", async () => {
  await using pool = new ThreadPoolExecutor({
    maxWorkers: 1,
    idleTimeout: null,
  });
  const first = await pool.submit(jobs.threadName);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(pool.statistics().workers, 1);
  assert.equal(await pool.submit(jobs.threadName), first);
});

// ------------------------------------------------- values crossing threads

workerTest(
  "arguments and results are structured-cloned (Map, Date, nested objects, BigInt)",
  async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const value = {
      map: new Map<string, unknown>([["when", new Date(86_400_000)], [
        "list",
        [1, "two", { three: [3n] }],
      ]]),
      set: new Set([1, 2]),
      nested: { deep: { deeper: [null, undefined, NaN, -0] } },
      regexp: /ab+c/gi,
    };
    const back = await pool.submit(jobs.echo, value);
    assert.notEqual(back, value, "a copy");
    assert.deepEqual(back, value);
    assert.ok((back.map.get("when") as Date) instanceof Date);
    const seen = await pool.submit(jobs.inspect, new Map([[1, 2]]));
    assert.deepEqual(seen, {
      isMap: true,
      isDate: false,
      time: null,
      json: "[[1,2]]",
    });
    const date = await pool.submit(jobs.inspect, new Date(5));
    assert.equal(date.isDate, true);
    assert.equal(date.time, 5);
    // Cloned, not shared: the Worker's changes do not come back.
    const list = [1, 2, 3];
    await pool.submit((l: number[]) => l.push(4), list);
    assert.deepEqual(list, [1, 2, 3]);
  },
);

workerTest(
  "an argument that cannot be cloned fails only that job, with a TypeError",
  async () => {
    const started = workersStarted();
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    // Three jobs sent in one batch: the middle one cannot be sent.
    const before = pool.submit(jobs.add, 1, 2);
    const bad = pool.submit(jobs.echo, { callback: () => 1 });
    const after = pool.submit(jobs.add, 3, 4);
    const error = await errorOf(bad);
    assert.ok(error instanceof TypeError, String(error));
    assert.match(
      error.message,
      /^the arguments of echo\(\) cannot be sent to a Worker \(they are structured-cloned\): /,
    );
    assert.ok(error.cause !== undefined);
    assert.deepEqual(await Promise.all([before, after]), [3, 7]);
    assert.equal(workersStarted() - started, 1);
  },
);

workerTest(
  "arguments that can never cross (functions, symbols, host objects) are rejected at the call",
  async () => {
    const started = workersStarted();
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    assert.throws(
      () => pool.submit(jobs.echo, () => 1),
      (e) =>
        e instanceof TypeError &&
        /^submit\(\): a function cannot cross to another thread/.test(
          e.message,
        ),
    );
    assert.throws(() => pool.submit(jobs.echo, Symbol("s")), TypeError);
    // Deno's postMessage would send a URL as {}: refused instead.
    assert.throws(
      () => pool.submit(jobs.echo, new URL("https://example.com/")),
      (e) =>
        e instanceof TypeError &&
        /URL cannot cross to another thread/.test(e.message) &&
        /pass url\.href instead/.test(e.message),
    );
    await run(async () => {
      assert.throws(() => toThread(jobs.echo, () => 1), TypeError);
    });
    assert.equal(workersStarted(), started, "no Worker was started");
  },
);

workerTest(
  "after a job whose arguments could not be sent, the next job of the same function runs",
  async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const echo = (x: unknown) => x;
    await assert.rejects(
      Promise.resolve(pool.submit(echo, { cb: () => 1 })),
      TypeError,
    );
    assert.equal(await pool.submit(echo, 5), 5);
  },
);

workerTest(
  "a result that cannot be cloned fails the job with a TypeError",
  async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const error = await errorOf(pool.submit(jobs.returnFunction));
    assert.ok(error instanceof TypeError, String(error));
    assert.match(
      error.message,
      /^the result of returnFunction\(\): a function cannot cross to another thread/,
    );
    const nested = await errorOf(pool.submit(jobs.returnObjectWithFunction));
    assert.ok(nested instanceof TypeError, String(nested));
    assert.match(
      nested.message,
      /^the result of returnObjectWithFunction\(\) cannot be sent back from the Worker: /,
    );
    assert.equal(await pool.submit(jobs.add, 1, 2), 3);
  },
);

workerTest(
  "a host object as a result fails the job with a TypeError",
  async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const error = await errorOf(pool.submit(jobs.returnUrl));
    assert.ok(error instanceof TypeError, String(error));
    assert.match(
      error.message,
      /^the result of returnUrl\(\): URL cannot cross/,
    );
  },
);

workerTest(
  "transfer() moves an argument's buffer: the sender's copy is detached",
  async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const data = new Float64Array([1, 2, 3, 4]);
    const fut = pool.submit(jobs.sumFloats, transfer(data));
    assert.deepEqual(await fut, [4, 10]);
    assert.equal(data.byteLength, 0);
    assert.equal(data.buffer.byteLength, 0);
    // transfer(value, buffers) names the buffers of any value.
    const inner = new Uint8Array([5, 6]);
    const wrapper = { inner };
    const back = await pool.submit(
      jobs.echo,
      transfer(wrapper, [inner.buffer]),
    ) as typeof wrapper;
    assert.deepEqual([...back.inner], [5, 6]);
    assert.equal(inner.byteLength, 0);
    // Without transfer(), a copy is sent and the original stays.
    const kept = new Float64Array([1, 2]);
    assert.deepEqual(await pool.submit(jobs.sumFloats, kept), [2, 3]);
    assert.equal(kept.byteLength, 16);
  },
);

workerTest(
  "a job can return transfer(result): the value arrives intact",
  async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const floats = await pool.submit(jobs.makeFloats, 100_000);
    assert.ok(floats instanceof Float64Array);
    assert.equal(floats.length, 100_000);
    assert.equal(floats[0], 0);
    assert.equal(floats[99_999], 99_999);
    await run(async () => {
      const viaThread = await toThread(jobs.makeFloats, 3);
      assert.deepEqual([...viaThread], [0, 1, 2]);
    });
  },
);

Deno.test("transfer() needs an object, and the buffers of a value that is not a buffer", () => {
  assert.throws(() => transfer(1), TypeError);
  assert.throws(() => transfer(null), TypeError);
  assert.throws(
    () => transfer({ a: new Uint8Array(1) }),
    /transfer\(value, \[buffer, \.\.\.\]\)/,
  );
  const buffer = new ArrayBuffer(8);
  assert.equal(transfer(buffer), buffer);
  // A view of part of a buffer (as a StreamReader's reads are) would move
  // all of it: refused, naming the copy that does what was meant.
  const part = new Uint8Array(new ArrayBuffer(16), 4, 8);
  assert.throws(
    () => transfer(part),
    (e: unknown) =>
      e instanceof TypeError && /8 bytes/.test(e.message) &&
      /16 bytes/.test(e.message) && /view\.slice\(\)/.test(e.message),
  );
  assert.equal(part.buffer.detached, false);
  const whole = new Uint8Array(16);
  assert.equal(transfer(whole), whole);
});

// --------------------------------------------------------------------- errors

workerTest(
  "an error thrown in a Worker arrives with its name, message, stack, own properties and cause",
  async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const error = await errorOf(pool.submit(jobs.failWithCode, "E42"));
    assert.ok(error instanceof Error);
    assert.equal(error.name, "JobError");
    assert.equal(error.message, "job failed with E42");
    assert.equal((error as Jobs.JobError).code, "E42");
    assert.match(error.stack ?? "", /JobError: job failed with E42/);
    assert.match(error.stack ?? "", /_jobs\.ts/, "the stack shows the job");
    assert.match(error.stack ?? "", /failWithCode/);
    const cause = error.cause;
    assert.ok(cause instanceof RangeError, String(cause));
    assert.equal(cause.message, "the root cause");
    // Built-in classes are rebuilt as themselves.
    const typeError = await errorOf(
      pool.submit(jobs.failWithTypeError, "bad type"),
    );
    assert.ok(typeError instanceof TypeError);
    assert.equal(typeError.message, "bad type");
    // A thrown non-Error value arrives as itself.
    assert.deepEqual(
      await errorOf(pool.submit(jobs.throwValue, { code: 7 })),
      { code: 7 },
    );
    assert.equal(
      await errorOf(pool.submit(jobs.throwValue, "plain")),
      "plain",
    );
    // exception() returns it; result() throws it.
    const fut = pool.submit(jobs.failWithTypeError, "again");
    await errorOf(fut);
    assert.ok(fut.exception() instanceof TypeError);
    assert.throws(() => fut.result(), /again/);
  },
);

// --------------------------------------------------------------- cancelling

workerTest(
  "cancelling a job that has not started drops it: it never runs",
  async () => {
    const { buffer, view } = cells(45);
    const flags = cells(2);
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const blocker = pool.submit(jobs.startThenBlock, flags.buffer, 0.2);
    // Jobs 0..39 are sent ahead to the Worker (up to 32) or wait in the pool.
    const queued = Array.from(
      { length: 40 },
      (_, i) => pool.submit(jobs.recordRun, buffer, i),
    );
    const dropped = [1, 5, 31, 39];
    for (const i of dropped) {
      assert.equal(queued[i].running(), false);
      assert.equal(queued[i].cancel(), true);
      assert.equal(queued[i].cancelled(), true);
      assert.equal(queued[i].done(), true);
    }
    assert.equal(await blocker, "finished");
    for (const [i, fut] of queued.entries()) {
      if (dropped.includes(i)) {
        await assert.rejects(
          Promise.resolve(fut),
          CancelledError,
        );
      } else assert.equal(await fut, i);
    }
    for (let i = 0; i < 40; i++) {
      assert.equal(view[i], dropped.includes(i) ? 0 : 1, `job ${i}`);
    }
    assert.equal(pool.statistics().workers, 1, "the Worker was not disturbed");
  },
);

workerTest(
  "cancelling a running job terminates its Worker; the pool goes on with a new one",
  async () => {
    const flags = cells(2);
    const before = liveWorkers();
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const t0 = performance.now();
    const started = workersStarted();
    const fut = pool.submit(jobs.startThenBlock, flags.buffer, 20);
    const next = pool.submit(jobs.add, 1, 2); // queued behind it
    await waitUntil(() => Atomics.load(flags.view, 0) === 1, "the job to run");
    assert.equal(fut.running(), true);
    assert.equal(next.running(), false);
    assert.match(String(fut), /state=running/);
    assert.equal(fut.cancel(), true);
    assert.equal(fut.cancelled(), true);
    assert.equal(fut.running(), false);
    // Its Worker was terminated, and a new one took the queued job.
    assert.equal(workersStarted() - started, 2);
    assert.equal(liveWorkers() - before, 1);
    assert.equal(pool.statistics().workers, 1);
    await assert.rejects(Promise.resolve(fut), CancelledError);
    assert.equal(await next, 3, "the queued job ran on the new Worker");
    assert.ok(performance.now() - t0 < 15_000, "did not wait for the job");
    assert.equal(Atomics.load(flags.view, 1), 0, "the job never finished");
    assert.equal(await pool.submit(jobs.add, 2, 2), 4);
  },
);

workerTest("cancel() on a finished job returns false", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  const fut = pool.submit(jobs.add, 1, 2);
  await fut;
  assert.equal(fut.cancel(), false);
  assert.equal(fut.cancelled(), false);
  assert.equal(fut.result(), 3);
});

// ------------------------------------------------------------------ crashes

const crashes: {
  what: string;
  submit: (pool: ThreadPoolExecutor) => ConcurrentFuture<unknown>;
  message: RegExp;
  cause: RegExp | null;
}[] = [
  {
    what: "an error thrown in a timer",
    submit: (pool) => pool.submit(jobs.throwInTimer, "boom"),
    message:
      /^the Worker running throwInTimer\(\) crashed: uncaught Error: boom; the pool goes on with a new Worker$/,
    cause: /^boom$/,
  },
  {
    what: "an unhandled rejection",
    submit: (pool) => pool.submit(jobs.rejectUnhandled, "nobody caught me"),
    message:
      /^the Worker running rejectUnhandled\(\) crashed: uncaught Error: nobody caught me; /,
    cause: /^nobody caught me$/,
  },
  {
    what: "self.close()",
    submit: (pool) => pool.submit(jobs.closeSelf),
    message: /^the Worker running closeSelf\(\) called self\.close\(\); /,
    cause: null,
  },
];

for (const crash of crashes) {
  workerTest(
    `a Worker that dies of ${crash.what} fails only its own job, with WorkerCrashedError`,
    async () => {
      await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
      // The crashing job goes to the first Worker, the next to a second
      // Worker, and the third waits behind the crashing one.
      const doomed = crash.submit(pool);
      const elsewhere = pool.submit(jobs.blockFor, 0.05);
      const behind = pool.submit(jobs.add, 20, 22);
      const error = await errorOf(doomed);
      assert.ok(error instanceof WorkerCrashedError, String(error));
      assert.equal(error.name, "WorkerCrashedError");
      assert.match(error.message, crash.message);
      if (crash.cause === null) assert.equal(error.cause, undefined);
      else {
        assert.ok(error.cause instanceof Error);
        assert.match(error.cause.message, crash.cause);
      }
      assert.equal(await elsewhere, 0.05);
      assert.equal(await behind, 42);
      assert.ok(pool.statistics().workers <= 2);
      assert.deepEqual(
        await Promise.all([1, 2, 3].map((i) => pool.submit(jobs.add, i, i))),
        [2, 4, 6],
      );
    },
  );
}

workerTest(
  "a Worker crashing during shutdown(): the other jobs still finish and every Worker ends",
  async () => {
    const before = liveWorkers();
    const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const doomed = pool.submit(jobs.throwInTimer, "late boom");
    const behind = [1, 2, 3].map((i) => pool.submit(jobs.add, i, 0));
    await pool.shutdown();
    assert.ok(doomed.exception() instanceof WorkerCrashedError);
    assert.deepEqual(behind.map((f) => f.result()), [1, 2, 3]);
    assert.equal(liveWorkers(), before);
  },
);

workerTest(
  "a by-source job that crashes its Worker fails with WorkerCrashedError too",
  async () => {
    await run(async () => {
      const error = await errorOf(toThread(() => {
        setTimeout(() => {
          throw new Error("boom");
        });
        return new Promise(() => {});
      }));
      assert.ok(error instanceof WorkerCrashedError);
      assert.match(
        error.message,
        /^the Worker running an anonymous function crashed: uncaught Error: boom;/,
      );
      assert.equal(await toThread(jobs.add, 1, 1), 2);
    });
  },
);

// ----------------------------------------------------- Workers that vanish
//
// These tests fail rather than hang when the pool does not notice: they
// wait with a deadline, and clean up without waiting.

/** Rejects if `awaitable` has not settled after `seconds`. */
async function within<T>(
  awaitable: PromiseLike<T>,
  seconds: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: not settled after ${seconds} s`)),
      seconds * 1000,
    );
  });
  try {
    return await Promise.race([awaitable, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Blocks the main thread (no event loop turn, so no reply of a Worker is
 * read meanwhile) until cell `index` of `view` is not 0.
 */
function blockUntilSet(view: Int32Array, index: number, seconds = 20): void {
  const deadline = performance.now() + seconds * 1000;
  while (Atomics.load(view, index) === 0) {
    if (performance.now() > deadline) {
      assert.fail(`cell ${index} was not set after ${seconds} s`);
    }
    Atomics.wait(view, index, 0, 5);
  }
}

const exits: {
  what: string;
  submit: (pool: ThreadPoolExecutor) => ConcurrentFuture<unknown>;
  message: RegExp;
}[] = [
  {
    what: "Deno.exit(3)",
    submit: (pool) => pool.submit(jobs.exitWorker, 3),
    message:
      /^the Worker running exitWorker\(\) exited with Deno\.exit\(3\); the pool goes on with a new Worker$/,
  },
  {
    what: "process.exit(4) of node:process",
    submit: (pool) => pool.submit(jobs.exitProcess, 4),
    message: /^the Worker running exitProcess\(\) exited with Deno\.exit\(4\);/,
  },
  {
    what: "Deno.exit() and no farewell",
    submit: (pool) => pool.submit(jobs.exitWithoutFarewell),
    message:
      /^the Worker running exitWithoutFarewell\(\) ended without an error, self\.close\(\) or Deno\.exit\(\) \(its Web Lock was released\); /,
  },
];

for (const exit of exits) {
  workerTest(
    `a Worker that ends with ${exit.what} fails only its own job; the jobs sent ahead to it run on a new Worker, and shutdown() returns`,
    async () => {
      const before = liveWorkers();
      const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
      try {
        const first = pool.submit(jobs.add, 1, 1);
        const doomed = exit.submit(pool);
        // Sent ahead to the same Worker (the window holds 32 jobs).
        const behind = [1, 2, 3].map((i) => pool.submit(jobs.add, i, 10));
        const error = await within(errorOf(doomed), 15, "the exiting job");
        assert.ok(error instanceof WorkerCrashedError, String(error));
        assert.match(error.message, exit.message);
        assert.equal(await first, 2);
        assert.deepEqual(
          await within(Promise.all(behind), 15, "the jobs behind it"),
          [11, 12, 13],
        );
        assert.equal(await pool.submit(jobs.add, 2, 2), 4);
        await within(pool.shutdown({ wait: true }), 15, "shutdown()");
        assert.equal(liveWorkers(), before);
      } finally {
        await pool.shutdown({ wait: false, cancelFutures: true });
      }
    },
  );
}

workerTest(
  "cancelling a running job keeps the results its Worker sent before it (even unread) and re-runs the jobs sent ahead, once each, in order",
  async () => {
    const flags = cells(2);
    const log = cells(16);
    const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    try {
      const finished = [1, 2, 3, 4, 5].map((i) =>
        pool.submit(jobs.add, i, 100)
      );
      const target = pool.submit(jobs.startThenBlock, flags.buffer, 20);
      const ahead = [0, 1, 2, 3, 4].map((i) =>
        pool.submit(jobs.recordOrder, log.buffer, i)
      );
      // The five first jobs ran and replied, but the main thread does not
      // yield until the target runs: their replies are not read yet.
      blockUntilSet(flags.view, 0);
      assert.equal(target.running(), true);
      assert.equal(target.cancel(), true);
      const later = [5, 6].map((i) =>
        pool.submit(jobs.recordOrder, log.buffer, i)
      );
      assert.deepEqual(
        await within(Promise.all(finished), 15, "the finished jobs"),
        [101, 102, 103, 104, 105],
      );
      assert.deepEqual(
        await within(Promise.all([...ahead, ...later]), 15, "the others"),
        [0, 1, 2, 3, 4, 5, 6],
      );
      assert.deepEqual(
        [...log.view.slice(0, 8)],
        [7, 0, 1, 2, 3, 4, 5, 6],
        "each ran once, in submit order",
      );
      await assert.rejects(Promise.resolve(target), CancelledError);
      assert.equal(Atomics.load(flags.view, 1), 0, "the target never finished");
    } finally {
      await pool.shutdown({ wait: false, cancelFutures: true });
    }
  },
);

workerTest(
  "cancel() of a job that finished, its result not read yet, returns false and keeps the Worker",
  async () => {
    const { buffer, view } = cells(1);
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    assert.equal(await pool.submit(jobs.add, 0, 0), 0); // the Worker is up
    const started = workersStarted();
    const fut = pool.submit(jobs.recordRun, buffer, 0);
    blockUntilSet(view, 0);
    blockingSleep(0.05); // the job has returned by now; its reply is unread
    assert.equal(fut.running(), false);
    assert.equal(fut.cancel(), false);
    assert.equal(await fut, 0);
    assert.equal(workersStarted(), started, "no Worker was replaced");
    assert.equal(pool.statistics().workers, 1);
  },
);

workerTest(
  "a job sent ahead never starts on a Worker that is being terminated for a cancel",
  async () => {
    const flags = cells(2);
    const nextFlags = cells(2);
    const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    try {
      const target = pool.submit(jobs.startThenWait, flags.buffer, 20);
      const next = pool.submit(jobs.startThenBlock, nextFlags.buffer, 0.2);
      await waitUntil(() => Atomics.load(flags.view, 0) === 1, "the target");
      // Done-callbacks run inside cancel(), before the Worker is
      // terminated: let the target end there, and give its Worker time
      // to start the next job if it may.
      target.addDoneCallback(() => {
        Atomics.store(flags.view, 1, 1);
        Atomics.notify(flags.view, 1);
        const until = performance.now() + 300;
        while (
          Atomics.load(nextFlags.view, 0) === 0 && performance.now() < until
        ) Atomics.wait(nextFlags.view, 0, 0, 5);
      });
      assert.equal(target.cancel(), true);
      assert.equal(
        await within(next, 15, "the job sent ahead"),
        "finished",
        "it ran on the new Worker",
      );
    } finally {
      await pool.shutdown({ wait: false, cancelFutures: true });
    }
  },
);

workerTest(
  "cancelling running jobs in a mixed run never fails another job",
  async () => {
    const pool = new ThreadPoolExecutor({ maxWorkers: 2 });
    try {
      let cancelled = 0;
      for (let round = 0; round < 20; round++) {
        const flags = cells(2);
        const innocent: ConcurrentFuture<number>[] = [];
        for (let i = 0; i < 20; i++) innocent.push(pool.submit(jobs.add, i, 0));
        const target = pool.submit(jobs.startThenWait, flags.buffer, 20);
        for (let i = 20; i < 40; i++) {
          innocent.push(pool.submit(jobs.add, i, 0));
        }
        blockUntilSet(flags.view, 0);
        // The target ends just as it is cancelled: its Worker may be
        // finishing it, replying, or moving on to the next job.
        Atomics.store(flags.view, 1, 1);
        Atomics.notify(flags.view, 1);
        const wasCancelled = target.cancel();
        const results = await within(
          Promise.allSettled(innocent),
          15,
          `round ${round}`,
        );
        for (const [i, r] of results.entries()) {
          assert.deepEqual(
            r,
            { status: "fulfilled", value: i },
            `round ${round}`,
          );
        }
        if (wasCancelled) {
          cancelled++;
          await assert.rejects(Promise.resolve(target), CancelledError);
        } else assert.equal(await target, "released");
      }
      assert.ok(cancelled > 0, "some targets were cancelled while running");
    } finally {
      await pool.shutdown({ wait: false, cancelFutures: true });
    }
  },
);

// ------------------------------------------------- Workers that cannot start

/**
 * Runs tests/_executor_child.ts in a child `deno run` with `flags` and
 * `args`; kills it after 30 s. Its stdout lines, its stderr, how it ended.
 */
async function runChild(
  flags: string[],
  args: string[],
): Promise<{ lines: string[]; stderr: string; code: number; killed: boolean }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-check",
      ...flags,
      new URL("./_executor_child.ts", import.meta.url).pathname,
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  let output: Deno.CommandOutput;
  try {
    output = await child.output();
  } finally {
    clearTimeout(killer);
  }
  return {
    lines: new TextDecoder().decode(output.stdout).trim().split("\n"),
    stderr: new TextDecoder().decode(output.stderr),
    code: output.code,
    killed: output.signal !== null,
  };
}

Deno.test(
  "toThread() in a program without --allow-read fails with an error naming --allow-read, and the pool stops starting Workers",
  async () => {
    const { lines, stderr, code, killed } = await runChild([], []);
    assert.equal(killed, false, `killed after 30 s; stderr: ${stderr}`);
    assert.equal(lines.length, 3, lines.join("\n") + stderr);
    // The first call fails once the pool gave up; the second at once.
    assert.match(
      lines[0],
      /^WorkerCrashedError: could not start a Worker to run add\(\): Requires read access to ".*\/src\/workers\/pool_entry\.ts", run again with the --allow-read flag \(3 Workers in a row failed to start; the pool gave up\)$/,
    );
    assert.match(
      lines[1],
      /^WorkerCrashedError: cannot run add\(\): Requires read access to .*--allow-read flag/,
    );
    assert.equal(lines[2], "Workers: 3 started, 0 alive");
    assert.equal(code, 0, stderr);
  },
);

Deno.test(
  "a pool whose Worker module cannot be loaded fails its jobs with WorkerCrashedError and stops starting Workers",
  async () => {
    // A copy of src/ without the Workers' entry module.
    const dir = await Deno.makeTempDir({ prefix: "aio_no_entry_" });
    try {
      await copyTree(new URL("../src/", import.meta.url), `${dir}/src`);
      await Deno.remove(`${dir}/src/workers/pool_entry.ts`);
      const { lines, stderr, code, killed } = await runChild(
        ["--allow-read"],
        [new URL(`file://${dir}/src/workers/pool.ts`).href],
      );
      assert.equal(killed, false, `killed after 30 s; stderr: ${stderr}`);
      assert.equal(lines.length, 6, lines.join("\n") + stderr);
      for (const line of lines.slice(0, 4)) {
        assert.match(
          line,
          /^WorkerCrashedError: could not start a Worker to run add\(\): Module not found "file:\/\/.*\/src\/workers\/pool_entry\.ts"\. \(3 Workers in a row failed to start; the pool gave up\)$/,
        );
      }
      assert.match(
        lines[4],
        /^WorkerCrashedError: cannot run add\(\): Module not found/,
      );
      assert.match(lines[5], /^Workers: [34] started, 0 alive$/);
      assert.equal(code, 0, stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

async function copyTree(from: URL, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) {
      await copyTree(new URL(`${entry.name}/`, from), `${to}/${entry.name}`);
    } else if (entry.isFile) {
      await Deno.copyFile(new URL(entry.name, from), `${to}/${entry.name}`);
    }
  }
}

// ------------------------------------------------ toThread and runInExecutor

workerTest(
  "toThread() runs the job on the loop's default executor, created on first use",
  async () => {
    const before = liveWorkers();
    await run(async () => {
      const loop = getRunningLoop();
      assert.equal(loop.getDefaultExecutor(), null);
      const fut = toThread(jobs.add, 1, 2);
      assert.ok(
        loop.getDefaultExecutor() instanceof ThreadPoolExecutor,
      );
      assert.equal(await fut, 3);
      assert.match(await toThread(jobs.threadName), /^asyncio_\d+$/);
      assert.equal(
        await loop.runInExecutor(null, (x: number) => x * 2, 21),
        42,
      );
      assert.equal(liveWorkers() - before, 1, "one Worker, reused");
    });
    // run() shut the default executor down.
    assert.equal(liveWorkers(), before);
  },
);

workerTest(
  "toThread() starts the job at once and returns an asyncio Future",
  async () => {
    const flags = cells(2);
    await run(async () => {
      const fut = toThread(jobs.startThenBlock, flags.buffer, 0);
      // Nothing awaited it: it runs anyway.
      await waitUntil(() => Atomics.load(flags.view, 1) === 1, "the job");
      assert.equal(await fut, "finished");
      const task = createTask(() => toThread(jobs.add, 2, 2));
      assert.equal(await task, 4);
    });
  },
);

workerTest(
  "runInExecutor() takes an executor, or rejects what is not one",
  async () => {
    await using pool = new ThreadPoolExecutor({
      maxWorkers: 1,
      threadNamePrefix: "mine",
    });
    await run(async () => {
      const loop = getRunningLoop();
      assert.equal(await loop.runInExecutor(pool, jobs.threadName), "mine_0");
      assert.equal(loop.getDefaultExecutor(), null, "no default executor made");
      assert.throws(
        () => loop.runInExecutor({} as ThreadPoolExecutor, jobs.add, 1, 2),
        /runInExecutor\(\): executor must be an executor with submit\(\)/,
      );
    });
  },
);

workerTest(
  "a job's error is raised by the asyncio future of runInExecutor()",
  async () => {
    await run(async () => {
      const error = await errorOf(toThread(jobs.failWithCode, "E1"));
      assert.equal((error as Error).name, "JobError");
      assert.equal((error as Jobs.JobError).code, "E1");
    });
  },
);

workerTest(
  "runInExecutor(null) after shutdownDefaultExecutor() throws",
  async () => {
    await run(async () => {
      const loop = getRunningLoop();
      assert.equal(await toThread(jobs.add, 1, 2), 3);
      await loop.shutdownDefaultExecutor();
      assert.throws(
        () => loop.runInExecutor(null, jobs.add, 1, 2),
        (e) =>
          e instanceof Error &&
          e.message === "Executor shutdown has been called",
      );
      assert.throws(() => toThread(jobs.add, 1, 2), /Executor shutdown/);
    });
  },
);

workerTest(
  "shutdownDefaultExecutor() waits for the default executor's jobs",
  async () => {
    const before = liveWorkers();
    await run(async () => {
      const fut = toThread(jobs.blockFor, 0.1);
      await getRunningLoop().shutdownDefaultExecutor();
      assert.equal(liveWorkers(), before);
      assert.equal(await fut, 0.1);
    });
  },
);

Deno.test("toThread() needs a running loop", () => {
  assert.throws(() => toThread(jobs.add, 1, 2), /no running event loop/);
});

workerTest(
  "cancelling the future of toThread()/runInExecutor() cancels the running job",
  async () => {
    const before = liveWorkers();
    await run(async () => {
      for (
        const start of [
          (b: SharedArrayBuffer) => toThread(jobs.startThenBlock, b, 20),
          (b: SharedArrayBuffer) =>
            getRunningLoop().runInExecutor(null, jobs.startThenBlock, b, 20),
        ]
      ) {
        const flags = cells(2);
        const t0 = performance.now();
        const fut = start(flags.buffer);
        await waitUntil(() => Atomics.load(flags.view, 0) === 1, "the job");
        assert.equal(fut.cancel(), true);
        await assert.rejects(Promise.resolve(fut), CancelledError);
        await waitUntil(() => liveWorkers() === before, "its Worker to end");
        assert.ok(performance.now() - t0 < 15_000);
        assert.equal(Atomics.load(flags.view, 1), 0, "the job never finished");
      }
      // The default executor goes on.
      assert.equal(await toThread(jobs.add, 1, 2), 3);
    });
  },
);

workerTest(
  "cancelling the future of toThread() before the job starts drops it",
  async () => {
    const { buffer, view } = cells(1);
    await run(async () => {
      const loop = getRunningLoop();
      const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
      loop.setDefaultExecutor(pool);
      const blocker = toThread(jobs.blockFor, 0.2);
      const fut = toThread(jobs.recordRun, buffer, 0);
      fut.cancel();
      assert.equal(await blocker, 0.2);
      await assert.rejects(Promise.resolve(fut), CancelledError);
      assert.equal(await toThread(jobs.add, 1, 1), 2);
      assert.equal(view[0], 0);
    });
  },
);

workerTest("a task awaiting toThread() is cancelled with the job", async () => {
  const flags = cells(2);
  const before = liveWorkers();
  await run(async () => {
    const task = createTask(() =>
      toThread(jobs.startThenBlock, flags.buffer, 20)
    );
    await waitUntil(() => Atomics.load(flags.view, 0) === 1, "the job");
    task.cancel();
    await assert.rejects(Promise.resolve(task), CancelledError);
    await waitUntil(() => liveWorkers() === before, "its Worker to end");
  });
  assert.equal(Atomics.load(flags.view, 1), 0);
});

workerTest(
  "many concurrent tasks' jobs all return the right values",
  async () => {
    await run(async () => {
      const n = 2000;
      const results = await gather(
        ...Array.from({ length: n }, (_, i) => toThread(jobs.add, i, 1)),
      );
      assert.equal(results.length, n);
      assert.ok(results.every((r, i) => r === i + 1));
      const tasks = await gather(
        ...Array.from(
          { length: 200 },
          (_, i) => async () => (await toThread(jobs.fib, i % 15)) + i,
        ),
      );
      const fib = (n: number): number => n < 2 ? n : fib(n - 1) + fib(n - 2);
      assert.ok(tasks.every((r, i) => r === fib(i % 15) + i));
    });
  },
);

workerTest("blockingSleep() blocks the Worker, not the loop", async () => {
  await run(async () => {
    let ticks = 0;
    const ticker = createTask(async () => {
      for (;;) {
        await sleep(0.01);
        ticks++;
      }
    });
    const t0 = performance.now();
    assert.equal(await toThread(jobs.blockFor, 0.3), 0.3);
    const elapsed = performance.now() - t0;
    ticker.cancel();
    assert.ok(elapsed >= 290, `the job took ${elapsed} ms`);
    assert.ok(ticks >= 3, `the loop ran meanwhile (${ticks} ticks)`);
  });
});

workerTest("parentLoop() in a pool Worker throws", async () => {
  await run(async () => {
    await assert.rejects(
      Promise.resolve(toThread(jobs.callParentLoop)),
      /parentLoop\(\) is for code running on a WorkerLoop's Worker/,
    );
  });
});

// ----------------------------------------------------------- virtual clock

workerTest(
  "a virtual-clock loop does not jump ahead while a job runs",
  async () => {
    await run(async () => {
      const loop = getRunningLoop();
      assert.equal(loop.clock.virtual, true);
      const order: string[] = [];
      const timer = createTask(async () => {
        await sleep(10);
        order.push("sleep(10)");
      });
      const job = createTask(async () => {
        await toThread(jobs.blockFor, 0.2);
        order.push("job");
      });
      await gather(timer, job);
      assert.deepEqual(order, ["job", "sleep(10)"]);
      // Time only moved by what the loop slept.
      assert.ok(loop.time() >= 10 && loop.time() < 11, String(loop.time()));
    }, { virtualTime: true });
  },
);

workerTest(
  "a virtual-clock loop waits for a wrapped ConcurrentFuture set from outside",
  async () => {
    await run(async () => {
      const cf = new ConcurrentFuture<string>();
      const hostTimer = setTimeout(() => cf.setResult("from outside"), 50);
      const order: string[] = [];
      const sleeper = createTask(async () => {
        await sleep(3600);
        order.push("slept");
      });
      order.push(await wrapFuture(cf));
      clearTimeout(hostTimer);
      sleeper.cancel();
      assert.deepEqual(order, ["from outside"]);
      assert.equal(getRunningLoop().time(), 0);
    }, { virtualTime: true });
  },
);

// -------------------------------------------------------- ConcurrentFuture

Deno.test("ConcurrentFuture: states, result and exception", async () => {
  const fut = new ConcurrentFuture<number>();
  assert.equal(fut.done(), false);
  assert.equal(fut.cancelled(), false);
  assert.equal(fut.running(), false);
  assert.equal(String(fut), "<ConcurrentFuture state=pending>");
  assert.throws(() => fut.result(), InvalidStateError);
  assert.throws(() => fut.exception(), InvalidStateError);
  fut.setResult(7);
  assert.equal(fut.done(), true);
  assert.equal(fut.result(), 7);
  assert.equal(fut.exception(), null);
  assert.equal(await fut, 7);
  assert.equal(String(fut), "<ConcurrentFuture state=finished>");
  assert.throws(() => fut.setResult(8), InvalidStateError);
  assert.throws(() => fut.setException(new Error("x")), InvalidStateError);
  assert.equal(fut.cancel(), false);

  const failed = new ConcurrentFuture<number>();
  const err = new RangeError("bad");
  failed.setException(err);
  assert.equal(failed.exception(), err);
  assert.throws(() => failed.result(), (e) => e === err);
  assert.equal(await errorOf(failed), err);

  const cancelled = new ConcurrentFuture<number>();
  assert.equal(cancelled.cancel(), true);
  assert.equal(cancelled.cancelled(), true);
  assert.equal(cancelled.done(), true);
  assert.throws(() => cancelled.result(), CancelledError);
  assert.throws(() => cancelled.exception(), CancelledError);
  assert.ok(await errorOf(cancelled) instanceof CancelledError);
  assert.throws(() => cancelled.setResult(1), InvalidStateError);
  assert.equal(String(cancelled), "<ConcurrentFuture state=cancelled>");
});

Deno.test({
  name:
    "ConcurrentFuture: cancel() on a cancelled future returns true, as in Python",
  fn() {
    const fut = new ConcurrentFuture<number>();
    assert.equal(fut.cancel(), true);
    assert.equal(fut.cancel(), true);
  },
});

Deno.test("ConcurrentFuture: done-callbacks run once, synchronously, in order; at once when already done", async () => {
  const fut = new ConcurrentFuture<string>();
  const calls: string[] = [];
  fut.addDoneCallback((f) => calls.push(`a:${f.result()}`));
  fut.addDoneCallback((f) => calls.push(`b:${f.result()}`));
  assert.equal(calls.length, 0);
  fut.setResult("x");
  assert.deepEqual(calls.slice(), ["a:x", "b:x"], "synchronously, in order");
  fut.addDoneCallback((f) => calls.push(`late:${f.result()}`));
  assert.deepEqual(
    calls.slice(),
    ["a:x", "b:x", "late:x"],
    "at once when done",
  );
  assert.throws(() => fut.setResult("y"), InvalidStateError);
  fut.cancel();
  await fut;
  assert.equal(calls.length, 3, "each callback ran once");
  assert.throws(
    () => fut.addDoneCallback(42 as unknown as () => void),
    TypeError,
  );

  const cancelled = new ConcurrentFuture<string>();
  let seen: ConcurrentFuture<string> | null = null;
  cancelled.addDoneCallback((f) => seen = f);
  cancelled.cancel();
  assert.equal(seen, cancelled);
});

Deno.test("ConcurrentFuture: a failing done-callback is logged and the others still run", async () => {
  const fut = new ConcurrentFuture<number>();
  const calls: number[] = [];
  fut.addDoneCallback(() => {
    throw new Error("callback failed");
  });
  fut.addDoneCallback(() => calls.push(1));
  const { lines } = await captureConsole("error", () => fut.setResult(1));
  assert.deepEqual(calls, [1]);
  assert.equal(lines.length, 1);
  assert.match(
    lines[0],
    /exception calling callback for <ConcurrentFuture state=finished>/,
  );
});

Deno.test("ConcurrentFuture: then() chains like a promise", async () => {
  const fut = new ConcurrentFuture<number>();
  const doubled = fut.then((x) => x * 2);
  fut.setResult(21);
  assert.equal(await doubled, 42);
  assert.equal(await fut.then(), 21);
  const failing = new ConcurrentFuture<number>();
  const handled = failing.then(() => "no", (e) => (e as Error).message);
  failing.setException(new Error("nope"));
  assert.equal(await handled, "nope");
  assert.equal(await Promise.all([fut, fut]).then((v) => v.join()), "21,21");
});

// ------------------------------------------------- wrapFuture(ConcurrentFuture)

Deno.test("wrapFuture(ConcurrentFuture) passes on its result, error and cancellation", async () => {
  await run(async () => {
    const ok = new ConcurrentFuture<number>();
    const okFut = wrapFuture(ok);
    assert.equal(okFut.getLoop(), getRunningLoop());
    ok.setResult(5);
    assert.equal(await okFut, 5);

    const bad = new ConcurrentFuture<number>();
    const badFut = wrapFuture(bad);
    const err = new TypeError("broken");
    bad.setException(err);
    assert.equal(await errorOf(badFut), err);

    const gone = new ConcurrentFuture<number>();
    const goneFut = wrapFuture(gone);
    gone.cancel();
    await assert.rejects(Promise.resolve(goneFut), CancelledError);
    assert.equal(goneFut.cancelled(), true);

    // Cancelling the asyncio future cancels the ConcurrentFuture.
    const source = new ConcurrentFuture<number>();
    const wrapped = wrapFuture(source);
    // As in CPython, the done-callback that does it runs on the next
    // iteration: awaiting the (done) future does not get there first.
    assert.equal(wrapped.cancel(), true);
    await assert.rejects(Promise.resolve(wrapped), CancelledError);
    await sleep(0);
    assert.equal(source.cancelled(), true);

    // An already finished one.
    const done = new ConcurrentFuture<string>();
    done.setResult("early");
    assert.equal(await wrapFuture(done), "early");
  });
});

Deno.test("wrapFuture(ConcurrentFuture) of a loop that is not running", async () => {
  const loop = newEventLoop();
  try {
    const cf = new ConcurrentFuture<number>();
    const fut = wrapFuture(cf, { loop });
    cf.setResult(3);
    assert.equal(await loop.runUntilComplete(() => fut), 3);
  } finally {
    loop.close();
  }
});

workerTest(
  "wrapFuture() of a pool job: cancelling the asyncio future cancels the job",
  async () => {
    const { buffer, view } = cells(1);
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    await run(async () => {
      const blocker = wrapFuture(pool.submit(jobs.blockFor, 0.2));
      const job = pool.submit(jobs.recordRun, buffer, 0);
      const fut = wrapFuture(job);
      fut.cancel();
      await sleep(0);
      assert.equal(job.cancelled(), true);
      assert.equal(await blocker, 0.2);
    });
    await pool.shutdown();
    assert.equal(view[0], 0);
  },
);

workerTest(
  "AggregateError, ExceptionGroup and DOMException keep their class and contents",
  async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const aggregate = await errorOf(pool.submit(() => {
      throw new AggregateError([new TypeError("a"), "b"], "two failed");
    })) as AggregateError;
    assert.ok(aggregate instanceof AggregateError);
    assert.equal(aggregate.message, "two failed");
    assert.ok(aggregate.errors[0] instanceof TypeError);
    assert.equal(aggregate.errors[0].message, "a");
    assert.equal(aggregate.errors[1], "b");
    const dom = await errorOf(pool.submit(() => {
      throw new DOMException("no", "AbortError");
    })) as DOMException;
    assert.ok(dom instanceof DOMException);
    assert.equal(dom.name, "AbortError");
    const group = await errorOf(
      pool.submit(jobs.throwExceptionGroup),
    ) as ExceptionGroup;
    assert.ok(group instanceof ExceptionGroup);
    assert.equal(
      group.message,
      "unhandled errors in a TaskGroup (1 sub-exception)",
    );
    assert.ok(group.errors[0] instanceof RangeError);
  },
);
