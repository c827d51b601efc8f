// Coroutine functions must be async even when they do not await.
// deno-lint-ignore-file require-await
// A port of CPython 3.13's Lib/test/test_asyncio/test_queues.py: one Deno
// test per CPython test method, in CPython's order, named after it. The
// mixin tests (_QueueJoinTestMixin, _QueueShutdownTestMixin) run once per
// concrete class, as in CPython. Skipped tests are listed in
// README.md.
//
// CPython runs each async test as the main task of a fresh asyncio.Runner
// (IsolatedAsyncioTestCase); here `asyncTest` does, on the virtual clock.
// CPython's private `q._getters` / `q._putters` are observed through the
// queue's repr (`_getters[N]` appears exactly when `len(q._getters) == N >
// 0`), and `q._format()` is the repr without `<ClassName ` and `>`.
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  Event,
  getRunningLoop,
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  Runner,
  setEventLoop,
  sleep,
  type Task,
  TaskGroup,
  TimeoutError,
  waitFor,
} from "../../mod.ts";

/** How long (real time) an async test may take before it counts as hung. */
const HANG_SECONDS = 5;

/**
 * An async CPython test (IsolatedAsyncioTestCase): `main` runs as the main
 * task of a fresh `Runner`'s loop, on the virtual clock, and the runner is
 * closed afterwards (tasks left over are cancelled). A test that hangs is
 * stopped after HANG_SECONDS and fails, and its loop is closed, so that it
 * does not leave a running loop behind for the next tests.
 */
function asyncTest(name: string, main: () => Promise<void>): void {
  Deno.test(name, async () => {
    const runner = new Runner({ virtualTime: true });
    const loop = runner.getLoop();
    let hung = false;
    const watchdog = setTimeout(() => {
      hung = true;
      loop.stop();
    }, HANG_SECONDS * 1000);
    try {
      await runner.run(main);
    } catch (e) {
      if (hung) {
        throw new Error(`the test hangs: not done after ${HANG_SECONDS} s`, {
          cause: e,
        });
      }
      throw e;
    } finally {
      try {
        if (!hung) await runner.close();
      } finally {
        clearTimeout(watchdog);
        if (!loop.isClosed()) loop.close();
        setEventLoop(null);
      }
    }
  });
}

/** CPython's `q._format()`: the repr without `<ClassName ` and `>`. */
function format(q: Queue<unknown>): string {
  const m = /^<\w+ (.*)>$/.exec(String(q));
  assert.ok(m, `unexpected repr ${String(q)}`);
  return m[1];
}

/** `len(q._getters)`, read from the repr. */
function getters(q: Queue<unknown>): number {
  const m = /_getters\[(\d+)\]/.exec(String(q));
  return m ? Number(m[1]) : 0;
}

/** `len(q._putters)`, read from the repr. */
function putters(q: Queue<unknown>): number {
  const m = /_putters\[(\d+)\]/.exec(String(q));
  return m ? Number(m[1]) : 0;
}

// ------------------------------------------------------- QueueBasicTests

// CPython's helper checks that repr() shows the queue's id() and str()
// does not. JavaScript objects have no id(), and the library's repr is
// toString() (there is no separate str), so both tests check String(q) and
// the id assertion is left out.
async function testReprOrStr(fn: (q: Queue<number>) => string) {
  let q = new Queue<number>();
  assert.ok(fn(q).startsWith("<Queue"), fn(q));

  // getters
  q = new Queue<number>();
  let getter: Task<number>;
  {
    await using tg = new TaskGroup();
    // Start a task that waits to get.
    getter = tg.createTask(() => q.get());
    // Let it start waiting.
    await sleep(0);
    assert.ok(fn(q).includes("_getters[1]"), fn(q));
    // resume q.get coroutine to finish generator
    q.putNowait(0);
  }
  assert.equal(await getter, 0);

  // putters
  q = new Queue<number>(1);
  let putter: Task<void>;
  {
    await using tg = new TaskGroup();
    q.putNowait(1);
    // Start a task that waits to put.
    putter = tg.createTask(() => q.put(2));
    // Let it start waiting.
    await sleep(0);
    assert.ok(fn(q).includes("_putters[1]"), fn(q));
    // resume q.put coroutine to finish generator
    q.getNowait();
  }
  assert.ok(putter.done());

  q = new Queue<number>();
  q.putNowait(1);
  assert.ok(fn(q).includes("_queue=[1]"), fn(q));
}

asyncTest("test_queues.QueueBasicTests.test_repr", async () => {
  await testReprOrStr((q) => String(q));
});

asyncTest("test_queues.QueueBasicTests.test_str", async () => {
  await testReprOrStr((q) => `${q}`);
});

// `asyncio.Queue[int]` is a types.GenericAlias: Python's runtime generics.
// TypeScript's generics are erased at run time; nothing to test.
Deno.test({
  name: "test_queues.QueueBasicTests.test_generic_alias",
  ignore: true,
  fn() {},
});

asyncTest("test_queues.QueueBasicTests.test_empty", async () => {
  const q = new Queue<number>();
  assert.ok(q.empty());
  await q.put(1);
  assert.ok(!q.empty());
  assert.equal(await q.get(), 1);
  assert.ok(q.empty());
});

asyncTest("test_queues.QueueBasicTests.test_full", async () => {
  let q = new Queue<number>();
  assert.ok(!q.full());

  q = new Queue<number>(1);
  await q.put(1);
  assert.ok(q.full());
});

asyncTest("test_queues.QueueBasicTests.test_order", async () => {
  const q = new Queue<number>();
  for (const i of [1, 3, 2]) await q.put(i);

  const items = [];
  for (let i = 0; i < 3; i++) items.push(await q.get());
  assert.deepEqual(items, [1, 3, 2]);
});

asyncTest("test_queues.QueueBasicTests.test_maxsize", async () => {
  const q = new Queue<number>(2);
  assert.equal(q.maxsize, 2);
  const haveBeenPut: number[] = [];

  async function putter() {
    for (let i = 0; i < 3; i++) {
      await q.put(i);
      haveBeenPut.push(i);
    }
    return true;
  }

  const t = createTask(() => putter());
  for (let i = 0; i < 2; i++) await sleep(0);

  // The putter is blocked after putting two items.
  assert.deepEqual(haveBeenPut, [0, 1]);
  assert.equal(await q.get(), 0);

  // Let the putter resume and put last item.
  await sleep(0);
  assert.deepEqual(haveBeenPut, [0, 1, 2]);
  assert.equal(await q.get(), 1);
  assert.equal(await q.get(), 2);

  assert.ok(t.done());
  assert.ok(t.result());
});

// --------------------------------------------------------- QueueGetTests

asyncTest("test_queues.QueueGetTests.test_blocking_get", async () => {
  const q = new Queue<number>();
  q.putNowait(1);

  assert.equal(await q.get(), 1);
});

// CPython appends a bare future to the private `q._putters` deque and
// checks that get() wakes it (sets its result to None) before returning.
// Here a task waits in put() instead: get() must take its waiter out of
// `_putters` before it returns, and the put then completes with no value.
asyncTest("test_queues.QueueGetTests.test_get_with_putters", async () => {
  const q = new Queue<number>(1);
  await q.put(1);

  const waiter = createTask(() => q.put(2));
  await sleep(0);
  assert.equal(putters(q), 1);

  assert.equal(await q.get(), 1);
  assert.equal(putters(q), 0);
  await sleep(0);
  assert.ok(waiter.done());
  assert.equal(waiter.result(), undefined);
});

asyncTest("test_queues.QueueGetTests.test_blocking_get_wait", async () => {
  const loop = getRunningLoop();
  const q = new Queue<number>();
  const started = new Event();
  let finished = false;

  async function queueGet() {
    started.set();
    const res = await q.get();
    finished = true;
    return res;
  }

  const queueGetTask = createTask(() => queueGet());
  await started.wait();
  assert.ok(!finished);
  loop.callLater(0.01, () => q.putNowait(1));
  const res = await queueGetTask;
  assert.ok(finished);
  assert.equal(res, 1);
});

Deno.test("test_queues.QueueGetTests.test_nonblocking_get", () => {
  const q = new Queue<number>();
  q.putNowait(1);
  assert.equal(q.getNowait(), 1);
});

Deno.test("test_queues.QueueGetTests.test_nonblocking_get_exception", () => {
  const q = new Queue<number>();
  assert.throws(() => q.getNowait(), QueueEmpty);
});

asyncTest("test_queues.QueueGetTests.test_get_cancelled_race", async () => {
  const q = new Queue<string>();

  const t1 = createTask(() => q.get());
  const t2 = createTask(() => q.get());

  await sleep(0);
  t1.cancel();
  await sleep(0);
  assert.ok(t1.done());
  await q.put("a");
  await sleep(0);
  assert.equal(await t2, "a");
});

asyncTest(
  "test_queues.QueueGetTests.test_get_with_waiting_putters",
  async () => {
    const q = new Queue<string>(1);
    createTask(() => q.put("a"));
    createTask(() => q.put("b"));
    assert.equal(await q.get(), "a");
    assert.equal(await q.get(), "b");
  },
);

asyncTest(
  "test_queues.QueueGetTests.test_why_are_getters_waiting",
  async () => {
    async function consumer(queue: Queue<number>, numExpected: number) {
      for (let i = 0; i < numExpected; i++) await queue.get();
    }

    async function producer(queue: Queue<number>, numItems: number) {
      for (let i = 0; i < numItems; i++) await queue.put(i);
    }

    const producerNumItems = 5;

    const q = new Queue<number>(1);
    {
      await using tg = new TaskGroup();
      tg.createTask(() => producer(q, producerNumItems));
      tg.createTask(() => consumer(q, producerNumItems));
    }
  },
);

asyncTest(
  "test_queues.QueueGetTests.test_cancelled_getters_not_being_held_in_self_getters",
  async () => {
    const queue = new Queue<number>(5);

    await assert.rejects(async () => {
      await waitFor(queue.get(), 0.1);
    }, TimeoutError);

    // len(queue._getters) == 0
    assert.equal(getters(queue), 0, String(queue));
  },
);

// --------------------------------------------------------- QueuePutTests

asyncTest("test_queues.QueuePutTests.test_blocking_put", async () => {
  const q = new Queue<number>();

  // No maxsize, won't block.
  await q.put(1);
  assert.equal(await q.get(), 1);
});

asyncTest("test_queues.QueuePutTests.test_blocking_put_wait", async () => {
  const q = new Queue<number>(1);
  const started = new Event();
  let finished = false;

  async function queuePut() {
    started.set();
    await q.put(1);
    await q.put(2);
    finished = true;
  }

  const loop = getRunningLoop();
  loop.callLater(0.01, () => q.getNowait());
  const queuePutTask = createTask(() => queuePut());
  await started.wait();
  assert.ok(!finished);
  await queuePutTask;
  assert.ok(finished);
});

Deno.test("test_queues.QueuePutTests.test_nonblocking_put", () => {
  const q = new Queue<number>();
  q.putNowait(1);
  assert.equal(q.getNowait(), 1);
});

asyncTest(
  "test_queues.QueuePutTests.test_get_cancel_drop_one_pending_reader",
  async () => {
    const q = new Queue<number>();

    let reader = createTask(() => q.get());

    await sleep(0);

    q.putNowait(1);
    q.putNowait(2);
    reader.cancel();

    try {
      await reader;
    } catch (e) {
      if (!(e instanceof CancelledError)) throw e;
      // try again
      reader = createTask(() => q.get());
      await reader;
    }

    const result = reader.result();
    // if we get 2, it means 1 got dropped!
    assert.equal(result, 1);
  },
);

asyncTest(
  "test_queues.QueuePutTests.test_get_cancel_drop_many_pending_readers",
  async () => {
    const q = new Queue<number>();

    let reader2: Task<number>;
    let reader3: Task<number>;
    {
      await using tg = new TaskGroup();
      const reader1 = tg.createTask(() => q.get());
      reader2 = tg.createTask(() => q.get());
      reader3 = tg.createTask(() => q.get());

      await sleep(0);

      q.putNowait(1);
      q.putNowait(2);
      reader1.cancel();

      await assert.rejects(async () => {
        await reader1;
      }, CancelledError);

      await reader3;
    }

    // It is undefined in which order concurrent readers receive results.
    assert.deepEqual(
      new Set([reader2.result(), reader3.result()]),
      new Set([1, 2]),
    );
  },
);

asyncTest("test_queues.QueuePutTests.test_put_cancel_drop", async () => {
  const q = new Queue<number>(1);

  q.putNowait(1);

  // putting a second item in the queue has to block (qsize=1)
  let writer = createTask(() => q.put(2));
  await sleep(0);

  const value1 = q.getNowait();
  assert.equal(value1, 1);

  writer.cancel();
  try {
    await writer;
  } catch (e) {
    if (!(e instanceof CancelledError)) throw e;
    // try again
    writer = createTask(() => q.put(2));
    await writer;
  }

  const value2 = q.getNowait();
  assert.equal(value2, 2);
  assert.equal(q.qsize(), 0);
});

Deno.test("test_queues.QueuePutTests.test_nonblocking_put_exception", () => {
  const q = new Queue<number>(1);
  q.putNowait(1);
  assert.throws(() => q.putNowait(2), QueueFull);
});

asyncTest("test_queues.QueuePutTests.test_float_maxsize", async () => {
  let q = new Queue<number>(1.3);
  q.putNowait(1);
  q.putNowait(2);
  assert.ok(q.full());
  assert.throws(() => q.putNowait(3), QueueFull);

  q = new Queue<number>(1.3);

  await q.put(1);
  await q.put(2);
  assert.ok(q.full());
});

asyncTest("test_queues.QueuePutTests.test_put_cancelled", async () => {
  const q = new Queue<number>();

  async function queuePut() {
    await q.put(1);
    return true;
  }

  const t = createTask(() => queuePut());

  assert.equal(await q.get(), 1);
  assert.ok(t.done());
  assert.ok(t.result());
});

asyncTest("test_queues.QueuePutTests.test_put_cancelled_race", async () => {
  const q = new Queue<string>(1);

  const putA = createTask(() => q.put("a"));
  const putB = createTask(() => q.put("b"));
  const putC = createTask(() => q.put("X"));

  await sleep(0);
  assert.ok(putA.done());
  assert.ok(!putB.done());

  putC.cancel();
  await sleep(0);
  assert.ok(putC.done());
  assert.equal(q.getNowait(), "a");
  await sleep(0);
  assert.equal(q.getNowait(), "b");

  await putB;
});

asyncTest(
  "test_queues.QueuePutTests.test_put_with_waiting_getters",
  async () => {
    const q = new Queue<string>();
    const t = createTask(() => q.get());
    await sleep(0);
    await q.put("a");
    assert.equal(await t, "a");
  },
);

asyncTest(
  "test_queues.QueuePutTests.test_why_are_putters_waiting",
  async () => {
    const queue = new Queue<number>(2);

    async function putter(item: number) {
      await queue.put(item);
    }

    async function getter() {
      await sleep(0);
      const num = queue.qsize();
      for (let i = 0; i < num; i++) queue.getNowait();
    }

    {
      await using tg = new TaskGroup();
      tg.createTask(() => getter());
      tg.createTask(() => putter(0));
      tg.createTask(() => putter(1));
      tg.createTask(() => putter(2));
      tg.createTask(() => putter(3));
    }
  },
);

asyncTest(
  "test_queues.QueuePutTests.test_cancelled_puts_not_being_held_in_self_putters",
  async () => {
    // Full queue.
    const queue = new Queue<number>(1);
    queue.putNowait(1);

    // Task waiting for space to put an item in the queue.
    const putTask = createTask(() => queue.put(1));
    await sleep(0);

    // Check that the putter is correctly removed from queue._putters when
    // the task is canceled.
    assert.equal(putters(queue), 1);
    putTask.cancel();
    await assert.rejects(async () => {
      await putTask;
    }, CancelledError);
    assert.equal(putters(queue), 0);
  },
);

asyncTest(
  "test_queues.QueuePutTests.test_cancelled_put_silence_value_error_exception",
  async () => {
    // Full Queue.
    const queue = new Queue<number>(1);
    queue.putNowait(1);

    // Task waiting for space to put a item in the queue.
    const putTask = createTask(() => queue.put(1));
    await sleep(0);

    // getNowait() remove the future of putTask from queue._putters.
    queue.getNowait();
    // When canceled, queue.put is going to remove its future from
    // self._putters but it was removed previously by queue.getNowait().
    putTask.cancel();

    // The error triggered by removing a putter that is not there any more
    // inside queue.put should be silenced: we should see a CancelledError.
    await assert.rejects(async () => {
      await putTask;
    }, CancelledError);
  },
);

// ---------------------------------------------------------- LifoQueueTests

asyncTest("test_queues.LifoQueueTests.test_order", async () => {
  const q = new LifoQueue<number>();
  for (const i of [1, 3, 2]) await q.put(i);

  const items = [];
  for (let i = 0; i < 3; i++) items.push(await q.get());
  assert.deepEqual(items, [2, 3, 1]);
});

// ------------------------------------------------------ PriorityQueueTests

asyncTest("test_queues.PriorityQueueTests.test_order", async () => {
  const q = new PriorityQueue<number>();
  for (const i of [1, 3, 2]) await q.put(i);

  const items = [];
  for (let i = 0; i < 3; i++) items.push(await q.get());
  assert.deepEqual(items, [1, 2, 3]);
});

// ----------------------------------------------------- _QueueJoinTestMixin

type QueueClass = typeof Queue;

const JOIN_CLASSES: [string, QueueClass][] = [
  ["QueueJoinTests", Queue],
  ["LifoQueueJoinTests", LifoQueue],
  ["PriorityQueueJoinTests", PriorityQueue],
];

for (const [testClass, QClass] of JOIN_CLASSES) {
  Deno.test(`test_queues.${testClass}.test_task_done_underflow`, () => {
    const q = new QClass<number>();
    assert.throws(() => q.taskDone(), RangeError);
  });

  asyncTest(`test_queues.${testClass}.test_task_done`, async () => {
    const q = new QClass<number>();
    for (let i = 0; i < 100; i++) q.putNowait(i);

    let accumulator = 0;

    // Two workers get items from the queue and call taskDone after each.
    // Join the queue and assert all items have been processed.
    let running = true;

    async function worker() {
      while (running) {
        const item = await q.get();
        accumulator += item;
        q.taskDone();
      }
    }

    {
      await using tg = new TaskGroup();
      const tasks = [0, 1].map(() => tg.createTask(() => worker()));

      await q.join();
      assert.equal(accumulator, 99 * 100 / 2);

      // close running generators
      running = false;
      for (let i = 0; i < tasks.length; i++) q.putNowait(0);
    }
  });

  asyncTest(`test_queues.${testClass}.test_join_empty_queue`, async () => {
    const q = new QClass<number>();

    // Test that a queue join()s successfully, and before anything else
    // (done twice for insurance).

    await q.join();
    await q.join();
  });

  // CPython sets the private counter `q._unfinished_tasks = 2`; here two
  // items are put and taken (not marked done), which leaves the same count.
  asyncTest(`test_queues.${testClass}.test_format`, async () => {
    const q = new QClass<number>();
    assert.equal(format(q), "maxsize=0");

    q.putNowait(1);
    q.putNowait(2);
    q.getNowait();
    q.getNowait();
    assert.equal(format(q), "maxsize=0 tasks=2");
  });
}

// ------------------------------------------------- _QueueShutdownTestMixin

const SHUTDOWN_CLASSES: [string, QueueClass][] = [
  ["QueueShutdownTests", Queue],
  ["LifoQueueShutdownTests", LifoQueue],
  ["PriorityQueueShutdownTests", PriorityQueue],
];

const SHUTDOWN_MSG = "Didn't appear to shut-down queue";
const ALL_DONE_MSG = "Didn't appear to mark all tasks done";

/** `with self.assertRaisesShutdown(): await fn()` */
async function assertRejectsShutdown(fn: () => PromiseLike<unknown>) {
  await assert.rejects(
    async () => {
      await fn();
    },
    QueueShutDown,
    SHUTDOWN_MSG,
  );
}

/** `with self.assertRaisesShutdown(): fn()` */
function assertThrowsShutdown(fn: () => unknown) {
  assert.throws(fn, QueueShutDown, SHUTDOWN_MSG);
}

for (const [testClass, QClass] of SHUTDOWN_CLASSES) {
  asyncTest(`test_queues.${testClass}.test_format`, async () => {
    const q = new QClass<string>();
    q.shutdown();
    assert.equal(format(q), "maxsize=0 shutdown");
  });

  asyncTest(`test_queues.${testClass}.test_shutdown_empty`, async () => {
    // Test shutting down an empty queue

    // Setup empty queue, and join() and get() tasks
    const q = new QClass<string>();
    const loop = getRunningLoop();
    const getTask = loop.createTask(() => q.get());
    await sleep(0); // want get task pending before shutdown

    // Perform shut-down
    q.shutdown(false); // unfinished tasks: 0 -> 0

    assert.equal(q.qsize(), 0);

    // Ensure join() task successfully finishes
    await q.join();

    // Ensure get() task is finished, and raised ShutDown
    await sleep(0);
    assert.ok(getTask.done());
    await assertRejectsShutdown(() => getTask);

    // Ensure put() and get() raise ShutDown
    await assertRejectsShutdown(() => q.put("data"));
    assertThrowsShutdown(() => q.putNowait("data"));

    await assertRejectsShutdown(() => q.get());
    assertThrowsShutdown(() => q.getNowait());
  });

  asyncTest(`test_queues.${testClass}.test_shutdown_nonempty`, async () => {
    // Test shutting down a non-empty queue

    // Setup full queue with 1 item, and join() and put() tasks
    const q = new QClass<string>(1);
    const loop = getRunningLoop();

    q.putNowait("data");
    const joinTask = loop.createTask(() => q.join());
    const putTask = loop.createTask(() => q.put("data2"));

    // Ensure put() task is not finished
    await sleep(0);
    assert.ok(!putTask.done());

    // Perform shut-down
    q.shutdown(false); // unfinished tasks: 1 -> 1

    assert.equal(q.qsize(), 1);

    // Ensure put() task is finished, and raised ShutDown
    await sleep(0);
    assert.ok(putTask.done());
    await assertRejectsShutdown(() => putTask);

    // Ensure get() succeeds on enqueued item
    assert.equal(await q.get(), "data");

    // Ensure join() task is not finished
    await sleep(0);
    assert.ok(!joinTask.done());

    // Ensure put() and get() raise ShutDown
    await assertRejectsShutdown(() => q.put("data"));
    assertThrowsShutdown(() => q.putNowait("data"));

    await assertRejectsShutdown(() => q.get());
    assertThrowsShutdown(() => q.getNowait());

    // Ensure there is 1 unfinished task, and join() task succeeds
    q.taskDone();

    await sleep(0);
    assert.ok(joinTask.done());
    await joinTask;

    assert.throws(() => q.taskDone(), RangeError, ALL_DONE_MSG);
  });

  asyncTest(`test_queues.${testClass}.test_shutdown_immediate`, async () => {
    // Test immediately shutting down a queue

    // Setup queue with 1 item, and a join() task
    const q = new QClass<string>();
    const loop = getRunningLoop();
    q.putNowait("data");
    const joinTask = loop.createTask(() => q.join());

    // Perform shut-down
    q.shutdown(true); // unfinished tasks: 1 -> 0

    assert.equal(q.qsize(), 0);

    // Ensure join() task has successfully finished
    await sleep(0);
    assert.ok(joinTask.done());
    await joinTask;

    // Ensure put() and get() raise ShutDown
    await assertRejectsShutdown(() => q.put("data"));
    assertThrowsShutdown(() => q.putNowait("data"));

    await assertRejectsShutdown(() => q.get());
    assertThrowsShutdown(() => q.getNowait());

    // Ensure there are no unfinished tasks
    assert.throws(() => q.taskDone(), RangeError, ALL_DONE_MSG);
  });

  asyncTest(
    `test_queues.${testClass}.test_shutdown_immediate_with_unfinished`,
    async () => {
      // Test immediately shutting down a queue with unfinished tasks

      // Setup queue with 2 items (1 retrieved), and a join() task
      const q = new QClass<string>();
      const loop = getRunningLoop();
      q.putNowait("data");
      q.putNowait("data");
      const joinTask = loop.createTask(() => q.join());
      assert.equal(await q.get(), "data");

      // Perform shut-down
      q.shutdown(true); // unfinished tasks: 2 -> 1

      assert.equal(q.qsize(), 0);

      // Ensure join() task is not finished
      await sleep(0);
      assert.ok(!joinTask.done());

      // Ensure put() and get() raise ShutDown
      await assertRejectsShutdown(() => q.put("data"));
      assertThrowsShutdown(() => q.putNowait("data"));

      await assertRejectsShutdown(() => q.get());
      assertThrowsShutdown(() => q.getNowait());

      // Ensure there is 1 unfinished task
      q.taskDone();
      assert.throws(() => q.taskDone(), RangeError, ALL_DONE_MSG);

      // Ensure join() task has successfully finished
      await sleep(0);
      assert.ok(joinTask.done());
      await joinTask;
    },
  );
}
