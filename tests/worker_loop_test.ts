// Coroutine functions must be async even when they do not await.
// deno-lint-ignore-file require-await
// Tests of WorkerLoop (an event loop running forever in a Worker),
// runCoroutineThreadsafe / callSoonThreadsafe, and parentLoop()
// (src/workers/worker_loop.ts, worker_loop_entry.ts, _channel.ts). Python's
// counterpart: a thread running loop.run_forever() fed with
// asyncio.run_coroutine_threadsafe and loop.call_soon_threadsafe.
//
// Every test that can start a Worker is a workerTest: it fails if a Worker
// is left running. The functions run by reference are in tests/_jobs.ts;
// report/mainAdd/putOnMainQueue there run back on this thread.
import assert from "node:assert/strict";
import {
  type AbstractEventLoop,
  CancelledError,
  ConcurrentFuture,
  gather,
  getRunningLoop,
  newEventLoop,
  parentLoop,
  Queue,
  run,
  runCoroutineThreadsafe,
  sleep,
  transfer,
  waitFor,
  WorkerCrashedError,
  workerFunction,
  WorkerLoop,
  workerModule,
  wrapFuture,
} from "../mod.ts";
import * as mainJobs from "./_jobs.ts";
import {
  cells,
  errorOf,
  liveWorkers,
  waitUntil,
  workerTest,
} from "./_helpers.ts";

const jobsUrl = new URL("./_jobs.ts", import.meta.url);
const jobs = workerModule<typeof mainJobs>(jobsUrl);

/** Reads the Worker loop's log until it has `n` entries. */
async function logOf(loop: WorkerLoop, n: number): Promise<unknown[]> {
  const deadline = performance.now() + 20_000;
  for (;;) {
    const log = await loop.runCoroutineThreadsafe(jobs.readLog);
    if (log.length >= n) return log;
    if (performance.now() > deadline) {
      assert.fail(`the log has ${log.length} entries, not ${n}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

// --------------------------------------------------------- start and stop

workerTest(
  "start() resolves once the loop runs; stop() ends it and terminates the Worker",
  async () => {
    const before = liveWorkers();
    const loop = await WorkerLoop.start({ name: "my-loop" });
    assert.ok(loop instanceof WorkerLoop);
    assert.equal(loop.isRunning(), true);
    assert.equal(liveWorkers() - before, 1);
    assert.equal(await loop.runCoroutineThreadsafe(jobs.threadName), "my-loop");
    assert.equal(await loop.runCoroutineThreadsafe(jobs.isWorkerThread), true);
    const stopped = loop.stop();
    assert.equal(loop.isRunning(), false);
    await stopped;
    await loop.stop(); // again: nothing more to do
    assert.equal(liveWorkers(), before);

    const unnamed = await WorkerLoop.start();
    assert.equal(
      await unnamed.runCoroutineThreadsafe(jobs.threadName),
      "WorkerLoop",
    );
    await unnamed.stop();
    assert.equal(liveWorkers(), before);
  },
);

workerTest("await using stops the WorkerLoop", async () => {
  const before = liveWorkers();
  let escaped: WorkerLoop;
  {
    await using loop = await WorkerLoop.start();
    escaped = loop;
    assert.equal(await loop.runCoroutineThreadsafe(jobs.add, 1, 2), 3);
  }
  assert.equal(escaped.isRunning(), false);
  assert.equal(liveWorkers(), before);
});

workerTest("a WorkerLoop works from inside a running loop too", async () => {
  await run(async () => {
    await using loop = await WorkerLoop.start();
    const fut = loop.runCoroutineThreadsafe(jobs.asyncAdd, 2, 3);
    assert.equal(await wrapFuture(fut), 5);
    assert.equal(await fut, 5);
  });
});

// ------------------------------------------------------ runCoroutineThreadsafe

workerTest(
  "runCoroutineThreadsafe() returns a ConcurrentFuture of the result: by reference or by source, async or not",
  async () => {
    await using loop = await WorkerLoop.start();
    const fut = loop.runCoroutineThreadsafe(jobs.asyncAdd, 20, 22);
    assert.ok(fut instanceof ConcurrentFuture);
    assert.equal(await fut, 42);
    assert.equal(fut.result(), 42);
    assert.equal(await loop.runCoroutineThreadsafe(jobs.add, 1, 2), 3);
    assert.equal(
      await loop.runCoroutineThreadsafe(async (x: number) => {
        await new Promise((r) => setTimeout(r, 1));
        return x * 2;
      }, 21),
      42,
    );
    const methods = {
      async shout(s: string) {
        return s.toUpperCase() + "!";
      },
    };
    assert.equal(
      await loop.runCoroutineThreadsafe(methods.shout, "hey"),
      "HEY!",
    );
    assert.deepEqual(
      await loop.runCoroutineThreadsafe(jobs.echo, new Map([[1, new Date(3)]])),
      new Map([[1, new Date(3)]]),
    );
  },
);

workerTest(
  "runCoroutineThreadsafe(): the coroutine's error arrives with its name, message, properties",
  async () => {
    await using loop = await WorkerLoop.start();
    const error = await errorOf(
      loop.runCoroutineThreadsafe(jobs.asyncFail, "went wrong"),
    );
    assert.ok(error instanceof Error);
    assert.equal(error.name, "JobError");
    assert.equal(error.message, "went wrong");
    assert.equal((error as mainJobs.JobError).code, "E_ASYNC");
    assert.match(error.stack ?? "", /_jobs\.ts/);

    const limit = 10;
    const closure = await errorOf(
      loop.runCoroutineThreadsafe(async function overLimit(x: number) {
        return x > limit;
      }, 3),
    );
    assert.ok(closure instanceof ReferenceError);
    assert.match(closure.message, /overLimit was sent to the Worker by source/);
    assert.match(closure.message, /workerFunction\(new URL/);

    const missing = await errorOf(
      loop.runCoroutineThreadsafe(workerFunction<() => void>(jobsUrl, "nope")),
    );
    assert.ok(missing instanceof TypeError);
    assert.match(missing.message, /has no exported function named "nope"/);
    // The loop goes on.
    assert.equal(await loop.runCoroutineThreadsafe(jobs.add, 2, 2), 4);
  },
);

workerTest(
  "runCoroutineThreadsafe(): built-in functions and uncloneable arguments are rejected at the call",
  async () => {
    await using loop = await WorkerLoop.start();
    assert.throws(
      () => loop.runCoroutineThreadsafe(Math.max as () => number),
      /cannot send max to a Worker: it is built in or bound/,
    );
    assert.throws(
      () => loop.runCoroutineThreadsafe(jobs.echo, () => 1),
      (e) =>
        e instanceof TypeError &&
        /^runCoroutineThreadsafe\(\): a function cannot cross to another thread/
          .test(e.message),
    );
    assert.throws(
      () => loop.runCoroutineThreadsafe(jobs.echo, { nested: () => 1 }),
      (e) =>
        e instanceof TypeError &&
        /^the arguments of echo\(\) cannot be sent to /.test(e.message),
    );
    assert.throws(
      () => loop.callSoonThreadsafe(jobs.appendLog, Symbol("no")),
      TypeError,
    );
    assert.throws(
      () =>
        loop.callSoonThreadsafe(jobs.appendLog, new URL("https://deno.land")),
      /URL cannot cross to another thread/,
    );
    const error = await errorOf(
      loop.runCoroutineThreadsafe(jobs.returnFunction),
    );
    assert.ok(error instanceof TypeError, String(error));
    assert.match(
      error.message,
      /^the result cannot be sent back from the WorkerLoop's Worker: .*a function cannot cross/,
    );
    const nested = await errorOf(
      loop.runCoroutineThreadsafe(jobs.returnObjectWithFunction),
    );
    assert.ok(nested instanceof TypeError, String(nested));
    assert.match(
      nested.message,
      /^the result cannot be sent back from the WorkerLoop's Worker: /,
    );
    assert.equal(await loop.runCoroutineThreadsafe(jobs.add, 2, 2), 4);
  },
);

workerTest(
  "the message for uncloneable arguments names the WorkerLoop's Worker as the destination",
  async () => {
    await using loop = await WorkerLoop.start();
    assert.throws(
      () => loop.runCoroutineThreadsafe(jobs.echo, { nested: () => 1 }),
      (e) =>
        e instanceof TypeError &&
        /cannot be sent to the WorkerLoop's Worker/.test(e.message),
    );
  },
);

workerTest("transfer() works both ways with a WorkerLoop", async () => {
  await using loop = await WorkerLoop.start();
  const data = new Float64Array([1, 2, 3]);
  assert.deepEqual(
    await loop.runCoroutineThreadsafe(jobs.sumFloats, transfer(data)),
    [3, 6],
  );
  assert.equal(data.byteLength, 0);
  const floats = await loop.runCoroutineThreadsafe(jobs.makeFloats, 4);
  assert.deepEqual([...floats], [0, 1, 2, 3]);
});

workerTest(
  "cancelling the future of runCoroutineThreadsafe() cancels the task in the Worker",
  async () => {
    const { buffer, view } = cells(2);
    await using loop = await WorkerLoop.start();
    const fut = loop.runCoroutineThreadsafe(jobs.waitForever, buffer);
    await waitUntil(() => Atomics.load(view, 0) === 1, "the task to start");
    assert.equal(fut.cancel(), true);
    assert.equal(fut.cancelled(), true);
    await assert.rejects(Promise.resolve(fut), CancelledError);
    // The task's finally ran in the Worker.
    await waitUntil(() => Atomics.load(view, 1) === 1, "the task's finally");
    assert.equal(await loop.runCoroutineThreadsafe(jobs.add, 1, 1), 2);
  },
);

workerTest(
  "a cancelled task in the Worker can report back through parentLoop()",
  async () => {
    mainJobs.reports.length = 0;
    await run(async () => {
      await using loop = await WorkerLoop.start();
      const fut = loop.runCoroutineThreadsafe(jobs.waitForeverThenReport, "t1");
      // Make sure the task is waiting before cancelling it.
      assert.equal(await loop.runCoroutineThreadsafe(jobs.add, 0, 0), 0);
      fut.cancel();
      await waitUntil(() => mainJobs.reports.length > 0, "the report");
      assert.deepEqual(mainJobs.reports, [
        "t1: CancelledError (worker thread: false)",
      ]);
    });
  },
);

// --------------------------------------------------------- callSoonThreadsafe

workerTest(
  "callSoonThreadsafe() callbacks run in the order scheduled",
  async () => {
    await using loop = await WorkerLoop.start();
    for (let i = 0; i < 20; i++) {
      if (i % 2 === 0) loop.callSoonThreadsafe(jobs.appendLog, i);
      else {
        // Mixed with callbacks sent by source.
        loop.callSoonThreadsafe((x: number) => {
          (globalThis as { aioTestLog?: unknown[] }).aioTestLog!.push(x);
        }, i);
      }
    }
    assert.deepEqual(
      await logOf(loop, 20),
      Array.from({ length: 20 }, (_, i) => i),
    );
  },
);

workerTest(
  "a coroutine sent after callbacks runs after them, as in Python",
  async () => {
    await using loop = await WorkerLoop.start();
    // By reference: its module must be imported first in the Worker.
    loop.callSoonThreadsafe(jobs.appendLog, "callback");
    const seen = await loop.runCoroutineThreadsafe(() =>
      ((globalThis as { aioTestLog?: unknown[] }).aioTestLog ?? []).slice()
    );
    assert.deepEqual(seen, ["callback"]);
  },
);

workerTest(
  "a blocking callback blocks that loop: callbacks and tasks run one after the other",
  async () => {
    await using loop = await WorkerLoop.start();
    // Find the functions first, so that nothing waits on an import.
    await loop.runCoroutineThreadsafe(jobs.blockFor, 0);
    await loop.runCoroutineThreadsafe(jobs.asyncAdd, 0, 0);
    const t0 = performance.now();
    loop.callSoonThreadsafe(jobs.blockFor, 0.2);
    loop.callSoonThreadsafe(jobs.blockFor, 0.2);
    assert.equal(await loop.runCoroutineThreadsafe(jobs.asyncAdd, 1, 2), 3);
    const elapsed = performance.now() - t0;
    assert.ok(elapsed >= 390, `only ${elapsed} ms: the callbacks overlapped`);
  },
);

workerTest("tasks run concurrently on a WorkerLoop", async () => {
  await run(async () => {
    await using loop = await WorkerLoop.start();
    // Each waits at a barrier for 3 parties: only concurrent tasks meet.
    const futures = [1, 2, 3].map(() =>
      wrapFuture(loop.runCoroutineThreadsafe(jobs.meetAt, 3))
    );
    assert.deepEqual(
      await waitFor(gather(...futures), 20),
      ["met", "met", "met"],
    );
  });
});

// ------------------------------------------------------------ parentLoop()

workerTest(
  "parentLoop().callSoonThreadsafe() runs a callback on the main loop, with the main module's state",
  async () => {
    mainJobs.reports.length = 0;
    mainJobs.mainSide.loops.length = 0;
    await run(async () => {
      await using loop = await WorkerLoop.start();
      loop.callSoonThreadsafe(jobs.callBack, "hello");
      await waitUntil(() => mainJobs.reports.length === 1, "the callback");
      assert.deepEqual(mainJobs.reports, ["hello (worker thread: false)"]);
      assert.deepEqual(mainJobs.mainSide.loops, [getRunningLoop()]);
    });
  },
);

workerTest(
  "parentLoop().runCoroutineThreadsafe() runs a coroutine on the main loop and returns its result to the Worker",
  async () => {
    await run(async () => {
      await using loop = await WorkerLoop.start();
      assert.deepEqual(await loop.runCoroutineThreadsafe(jobs.askMain, 2, 3), [
        5,
        false,
      ]);
    });
  },
);

workerTest(
  "parentLoop() feeds an asyncio Queue of the main program",
  async () => {
    await run(async () => {
      const queue = new Queue<string>();
      mainJobs.mainSide.queue = queue;
      try {
        await using loop = await WorkerLoop.start();
        const fed = loop.runCoroutineThreadsafe(
          jobs.feedMainQueue,
          ["a", "b", "c"],
        );
        const got = [await queue.get(), await queue.get(), await queue.get()];
        assert.deepEqual(got, ["a", "b", "c"]);
        assert.equal(typeof await fed, "number");
      } finally {
        mainJobs.mainSide.queue = null;
      }
    });
  },
);

workerTest(
  "runCoroutineThreadsafe(fn, workerLoop) schedules on that WorkerLoop",
  async () => {
    await using loop = await WorkerLoop.start({ name: "target" });
    const fut = runCoroutineThreadsafe(jobs.threadName, loop);
    assert.ok(fut instanceof ConcurrentFuture);
    assert.equal(await fut, "target");
    assert.equal(await runCoroutineThreadsafe(async () => 6 * 7, loop), 42);
  },
);

Deno.test("runCoroutineThreadsafe(coro, loop) on a loop of this thread: result, error, cancellation", async () => {
  const loop = newEventLoop();
  try {
    const log: string[] = [];
    const ok = runCoroutineThreadsafe(async () => {
      await sleep(0.01);
      return "from the loop";
    }, loop);
    const bad = runCoroutineThreadsafe(async () => {
      throw new RangeError("bad");
    }, loop);
    const never = runCoroutineThreadsafe(async () => {
      log.push("never");
    }, loop);
    assert.equal(never.cancel(), true); // before the loop took it
    const long = runCoroutineThreadsafe(async () => {
      log.push("started");
      try {
        await sleep(3600);
      } finally {
        log.push("finally");
      }
    }, loop);
    const running = loop.runForever();
    await waitUntil(() => ok.done() && log.includes("started"), "the tasks");
    // Cancelled from outside the loop: the task is cancelled on it.
    assert.equal(long.cancel(), true);
    await waitUntil(() => log.includes("finally"), "the task's cancellation");
    loop.stop();
    await running;
    assert.equal(ok.result(), "from the loop");
    assert.ok(bad.exception() instanceof RangeError);
    assert.equal(never.cancelled(), true);
    assert.deepEqual(log, ["started", "finally"]);
  } finally {
    loop.close();
  }
});

Deno.test("runCoroutineThreadsafe() rejects what is not a loop, and a started promise", () => {
  const loop = newEventLoop();
  try {
    assert.throws(
      () => runCoroutineThreadsafe(async () => 1, {} as AbstractEventLoop),
      /runCoroutineThreadsafe\(\): loop must be an event loop or a WorkerLoop/,
    );
    const started = Promise.resolve(1);
    assert.throws(
      () =>
        runCoroutineThreadsafe(
          started as unknown as () => Promise<number>,
          loop,
        ),
      TypeError,
    );
  } finally {
    loop.close();
  }
});

Deno.test("parentLoop() outside a WorkerLoop's Worker throws", () => {
  assert.throws(
    () => parentLoop(),
    /parentLoop\(\) is for code running on a WorkerLoop's Worker; this thread has none/,
  );
});

// -------------------------------------------------------------------- stop

workerTest(
  "stop() cancels the tasks still running; their futures end cancelled",
  async () => {
    const { buffer, view } = cells(2);
    const before = liveWorkers();
    const loop = await WorkerLoop.start();
    const waiting = loop.runCoroutineThreadsafe(jobs.waitForever, buffer);
    // A barrier for 5 that only 1 reaches: waits forever, on the loop.
    const forever = loop.runCoroutineThreadsafe(jobs.meetAt, 5);
    await waitUntil(() => Atomics.load(view, 0) === 1, "the task to start");
    await loop.stop();
    assert.equal(waiting.cancelled(), true);
    assert.equal(forever.cancelled(), true);
    await assert.rejects(Promise.resolve(waiting), CancelledError);
    // The tasks were cancelled (their finally ran) before the Worker ended.
    assert.equal(Atomics.load(view, 1), 1);
    assert.equal(liveWorkers(), before);
  },
);

workerTest(
  "stop({ timeout }) terminates a Worker whose task ignores its cancellation",
  async () => {
    const before = liveWorkers();
    const loop = await WorkerLoop.start();
    // A foreign promise that never settles: cancellation cannot reach it.
    const stuck = loop.runCoroutineThreadsafe(() => new Promise(() => {}));
    await loop.runCoroutineThreadsafe(async () => 1); // the task has started
    const started = performance.now();
    await loop.stop({ timeout: 0.2 });
    assert.ok(performance.now() - started < 10_000);
    assert.equal(stuck.cancelled(), true);
    assert.equal(loop.isRunning(), false);
    assert.equal(liveWorkers(), before);
    assert.throws(() => loop.stop({ timeout: -1 }), RangeError);
  },
);

workerTest("calls after stop() throw", async () => {
  const loop = await WorkerLoop.start();
  const stopping = loop.stop();
  // Already while it stops.
  assert.throws(
    () => loop.runCoroutineThreadsafe(jobs.add, 1, 2),
    /^Error: runCoroutineThreadsafe\(\) on a WorkerLoop that was stopped$/,
  );
  await stopping;
  assert.throws(
    () => loop.runCoroutineThreadsafe(jobs.add, 1, 2),
    (e) =>
      e instanceof Error &&
      e.message === "runCoroutineThreadsafe() on a WorkerLoop that was stopped",
  );
  assert.throws(
    () => loop.callSoonThreadsafe(jobs.appendLog, 1),
    (e) =>
      e instanceof Error &&
      e.message === "callSoonThreadsafe() on a WorkerLoop that was stopped",
  );
});

workerTest(
  "stop() also shuts down the WorkerLoop's own default executor",
  async () => {
    await using loop = await WorkerLoop.start();
    assert.equal(await loop.runCoroutineThreadsafe(jobs.fibInPool, 15), 610);
    // The nested Worker is the WorkerLoop's; stop() waits for its executor.
  },
);

workerTest(
  "a WorkerLoop whose Worker crashes fails the pending calls with WorkerCrashedError",
  async () => {
    const before = liveWorkers();
    const loop = await WorkerLoop.start();
    const pending = loop.runCoroutineThreadsafe(() => new Promise(() => {}));
    loop.callSoonThreadsafe(jobs.throwInTimer, "loop boom");
    const error = await errorOf(pending);
    assert.ok(error instanceof WorkerCrashedError, String(error));
    assert.match(
      error.message,
      /^the WorkerLoop's Worker crashed: .*loop boom/,
    );
    assert.equal(loop.isRunning(), false);
    assert.throws(() => loop.runCoroutineThreadsafe(jobs.add, 1, 1), /stopped/);
    await loop.stop();
    assert.equal(liveWorkers(), before);
  },
);

workerTest(
  "the WorkerLoop's Worker inherits ASYNCIO_VIRTUAL_TIME",
  async () => {
    {
      await using loop = await WorkerLoop.start();
      assert.equal(
        await loop.runCoroutineThreadsafe(jobs.loopClockIsVirtual),
        false,
      );
    }
    const old = Deno.env.get("ASYNCIO_VIRTUAL_TIME");
    Deno.env.set("ASYNCIO_VIRTUAL_TIME", "1");
    try {
      await using loop = await WorkerLoop.start();
      assert.equal(
        await loop.runCoroutineThreadsafe(jobs.loopClockIsVirtual),
        true,
      );
      // An hour of virtual time passes at once.
      const t0 = performance.now();
      const time = await loop.runCoroutineThreadsafe(jobs.sleepOnLoop, 3600);
      assert.ok(time >= 3600, String(time));
      assert.ok(performance.now() - t0 < 15_000);
    } finally {
      if (old === undefined) Deno.env.delete("ASYNCIO_VIRTUAL_TIME");
      else Deno.env.set("ASYNCIO_VIRTUAL_TIME", old);
    }
  },
);
