// Coroutine functions must be async even when they do not await.
// deno-lint-ignore-file require-await
// Tests of Queue, PriorityQueue and LifoQueue (src/queues.ts). Expected
// behaviour that is not obvious was checked against CPython 3.11.7's
// asyncio (the programs' output is quoted in the comments); shutdown()
// follows Python 3.13's documentation, since 3.11 lacks it.
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  gather,
  getRunningLoop,
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  run,
  sleep,
  TimeoutError,
  waitFor,
} from "../mod.ts";
import { errorOf, tick } from "./_helpers.ts";

const VT = { virtualTime: true };

function drain<T>(q: Queue<T>): T[] {
  const out: T[] = [];
  while (!q.empty()) out.push(q.getNowait());
  return out;
}

// ---------------------------------------------------------------- order

Deno.test("Queue hands items out first in, first out", async () => {
  await run(async () => {
    const q = new Queue<number>();
    for (const x of [3, 1, 4, 1, 5]) await q.put(x);
    const got: number[] = [];
    for (let i = 0; i < 5; i++) got.push(await q.get());
    assert.deepEqual(got, [3, 1, 4, 1, 5]);
  }, VT);
});

Deno.test("LifoQueue hands items out last in, first out", async () => {
  await run(async () => {
    const q = new LifoQueue<string>();
    for (const x of ["a", "b", "c"]) q.putNowait(x);
    assert.deepEqual(drain(q), ["c", "b", "a"]);
    q.putNowait("d");
    await q.put("e");
    assert.equal(await q.get(), "e");
    q.putNowait("f");
    assert.deepEqual(drain(q), ["f", "d"]);
  }, VT);
});

Deno.test("PriorityQueue hands out the smallest item first", async () => {
  await run(async () => {
    const q = new PriorityQueue<number>();
    for (const x of [5, 3, 9, -1, 3, 0, 7.5]) q.putNowait(x);
    assert.deepEqual(drain(q), [-1, 0, 3, 3, 5, 7.5, 9]);
    const s = new PriorityQueue<string>();
    for (const x of ["pear", "apple", "fig", "Zebra"]) await s.put(x);
    assert.deepEqual(drain(s), ["Zebra", "apple", "fig", "pear"]);
  }, VT);
});

Deno.test("PriorityQueue compares [priority, data] arrays like Python tuples", async () => {
  // CPython 3.11.7: (2, 'b'), (1, 'z'), (2, 'a'), (1, 'y') ->
  // [(1, 'y'), (1, 'z'), (2, 'a'), (2, 'b')]
  await run(async () => {
    const q = new PriorityQueue<[number, string]>();
    for (const x of [[2, "b"], [1, "z"], [2, "a"], [1, "y"]] as const) {
      q.putNowait([...x]);
    }
    assert.deepEqual(drain(q), [[1, "y"], [1, "z"], [2, "a"], [2, "b"]]);
    // A shorter tuple that is a prefix sorts first: (1,) < (1, 0).
    const r = new PriorityQueue<number[]>();
    r.putNowait([1, 0]);
    r.putNowait([1]);
    r.putNowait([0, 9, 9]);
    assert.deepEqual(drain(r), [[0, 9, 9], [1], [1, 0]]);
  }, VT);
});

Deno.test("PriorityQueue throws TypeError for items Python could not compare", async () => {
  // CPython 3.11.7: put_nowait((1, {})) after (1, 'a') -> TypeError
  // "'<' not supported between instances of 'dict' and 'str'". (CPython's
  // heapq leaves the rejected item in the heap; here it is not added.)
  await run(async () => {
    const q = new PriorityQueue<unknown>();
    q.putNowait([1, "a"]);
    assert.throws(() => q.putNowait([1, { task: "x" }]), TypeError);
    assert.throws(() => q.putNowait("b"), TypeError);
    assert.throws(() => q.putNowait(null), TypeError);
    await assert.rejects(() => q.put({ priority: 0 }), TypeError);
    assert.equal(q.qsize(), 1);
    // Items that differ before the uncomparable part are fine: (0, {}) <
    // (1, 'a') without looking at the dict.
    q.putNowait([0, { task: "y" }]);
    assert.deepEqual(drain(q), [[0, { task: "y" }], [1, "a"]]);
    const n = new PriorityQueue<unknown>();
    n.putNowait(1);
    assert.throws(() => n.putNowait("1"), TypeError);
    assert.equal(n.qsize(), 1);
  }, VT);
});

// ---------------------------------------------------------------- size

Deno.test("qsize, empty, full and maxsize describe the queue", async () => {
  await run(async () => {
    const q = new Queue<number>(2);
    assert.equal(q.maxsize, 2);
    assert.equal(q.qsize(), 0);
    assert.equal(q.empty(), true);
    assert.equal(q.full(), false);
    q.putNowait(1);
    assert.equal(q.qsize(), 1);
    assert.equal(q.empty(), false);
    assert.equal(q.full(), false);
    q.putNowait(2);
    assert.equal(q.qsize(), 2);
    assert.equal(q.full(), true);
    q.getNowait();
    assert.equal(q.full(), false);
    assert.equal(q.qsize(), 1);
  }, VT);
});

Deno.test("a maxsize of 0 or less means no limit", async () => {
  // CPython 3.11.7: Queue(-1): full() False, maxsize -1; after 5 puts
  // qsize 5, full() False
  await run(async () => {
    for (const maxsize of [0, -1]) {
      const q = new Queue<number>(maxsize);
      assert.equal(q.maxsize, maxsize);
      for (let i = 0; i < 100; i++) q.putNowait(i);
      assert.equal(q.qsize(), 100);
      assert.equal(q.full(), false);
    }
    assert.equal(new Queue().maxsize, 0);
  }, VT);
});

Deno.test("maxsize: any number, as Python (1.5 fills at 2); NaN is a RangeError, a non-number a TypeError", async () => {
  for (const Kind of [Queue, PriorityQueue, LifoQueue]) {
    assert.throws(() => new Kind(NaN), RangeError);
    for (const bad of ["2", null]) {
      assert.throws(() => new Kind(bad as unknown as number), TypeError);
    }
  }
  await run(async () => {
    const q = new Queue<number>(1.5);
    q.putNowait(1);
    assert.equal(q.full(), false);
    q.putNowait(2);
    assert.equal(q.full(), true);
    assert.throws(() => q.putNowait(3), QueueFull);
  }, VT);
});

Deno.test("putNowait on a full queue throws QueueFull and getNowait on an empty one QueueEmpty", async () => {
  await run(async () => {
    const q = new Queue<number>(1);
    assert.throws(() => q.getNowait(), QueueEmpty);
    q.putNowait(1);
    assert.throws(() => q.putNowait(2), QueueFull);
    assert.equal(q.qsize(), 1);
    assert.equal(q.getNowait(), 1);
    assert.throws(() => q.getNowait(), QueueEmpty);
  }, VT);
});

// ---------------------------------------------------------------- blocking

Deno.test("put() on a full queue waits until a get() makes room", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const q = new Queue<string>(1);
    await q.put("a");
    loop.callLater(2, () => q.getNowait());
    await q.put("b");
    assert.equal(loop.time(), 2);
    assert.deepEqual(drain(q), ["b"]);
  }, VT);
});

Deno.test("get() on an empty queue waits for a put()", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const q = new Queue<string>();
    loop.callLater(3, () => q.putNowait("late"));
    assert.equal(await q.get(), "late");
    assert.equal(loop.time(), 3);
  }, VT);
});

Deno.test("blocked getters are served in FIFO order", async () => {
  await run(async () => {
    const q = new Queue<number>();
    const getters = [0, 1, 2].map(() => createTask(() => q.get()));
    await tick();
    for (const x of [10, 20, 30]) q.putNowait(x);
    assert.deepEqual(await gather(...getters), [10, 20, 30]);
  }, VT);
});

Deno.test("blocked putters get in, in FIFO order, as room is made", async () => {
  await run(async () => {
    const q = new Queue<number>(1);
    q.putNowait(0);
    const putters = [1, 2, 3].map((x) => createTask(() => q.put(x)));
    await tick();
    const got: number[] = [];
    for (let i = 0; i < 4; i++) got.push(await q.get());
    assert.deepEqual(got, [0, 1, 2, 3]);
    await gather(...putters);
  }, VT);
});

// ---------------------------------------------------------------- taskDone

Deno.test("taskDone called more times than items were put throws RangeError", async () => {
  // CPython 3.11.7: ValueError('task_done() called too many times')
  await run(async () => {
    const q = new Queue<number>();
    assert.throws(() => q.taskDone(), RangeError);
    q.putNowait(1);
    q.getNowait();
    q.taskDone();
    assert.throws(() => q.taskDone(), RangeError);
  }, VT);
});

Deno.test("join() waits until taskDone was called for every item put", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const q = new Queue<number>();
    await q.join(); // nothing put: at once
    assert.equal(loop.time(), 0);
    for (const x of [1, 2, 3]) q.putNowait(x);
    const worker = createTask(async () => {
      for (;;) {
        const x = await q.get();
        await sleep(x);
        q.taskDone();
      }
    });
    await q.join();
    assert.equal(loop.time(), 6);
    assert.equal(q.empty(), true);
    worker.cancel();
    assert.ok((await errorOf(worker)) instanceof CancelledError);
  }, VT);
});

Deno.test("join() does not return while items taken are not marked done", async () => {
  await run(async () => {
    const q = new Queue<number>();
    q.putNowait(1);
    q.getNowait();
    await assert.rejects(waitFor(() => q.join(), 1), TimeoutError);
    q.taskDone();
    const before = getRunningLoop().time();
    await waitFor(() => q.join(), 1);
    assert.equal(getRunningLoop().time(), before);
  }, VT);
});

// ---------------------------------------------------------------- shutdown

Deno.test("after shutdown(), put and putNowait throw QueueShutDown", async () => {
  await run(async () => {
    const q = new Queue<number>();
    q.putNowait(1);
    q.shutdown();
    assert.throws(() => q.putNowait(2), QueueShutDown);
    await assert.rejects(() => q.put(2), QueueShutDown);
    assert.equal(q.qsize(), 1);
  }, VT);
});

Deno.test("after shutdown(), get drains the items left, then throws QueueShutDown", async () => {
  await run(async () => {
    const q = new Queue<number>();
    for (const x of [1, 2, 3]) q.putNowait(x);
    q.shutdown();
    assert.equal(await q.get(), 1);
    assert.equal(q.getNowait(), 2);
    assert.equal(await q.get(), 3);
    await assert.rejects(() => q.get(), QueueShutDown);
    // Not QueueEmpty: the queue is shut down.
    assert.throws(() => q.getNowait(), QueueShutDown);
  }, VT);
});

Deno.test("shutdown() wakes the waiting getters with QueueShutDown", async () => {
  await run(async () => {
    const q = new Queue<number>();
    const getters = [0, 1, 2].map(() => createTask(() => q.get()));
    await tick();
    q.shutdown();
    for (const g of getters) {
      assert.ok((await errorOf(g)) instanceof QueueShutDown);
    }
  }, VT);
});

Deno.test("shutdown() wakes the waiting putters with QueueShutDown", async () => {
  await run(async () => {
    const q = new Queue<number>(1);
    q.putNowait(0);
    const putters = [1, 2].map((x) => createTask(() => q.put(x)));
    await tick();
    q.shutdown();
    for (const p of putters) {
      assert.ok((await errorOf(p)) instanceof QueueShutDown);
    }
    assert.deepEqual(drain(q), [0]);
  }, VT);
});

Deno.test("shutdown() without immediate keeps join() waiting for taskDone", async () => {
  // Python 3.13: only an immediate shutdown changes the unfinished count.
  await run(async () => {
    const q = new Queue<number>();
    q.putNowait(1);
    q.putNowait(2);
    q.shutdown();
    await assert.rejects(waitFor(() => q.join(), 1), TimeoutError);
    q.getNowait();
    q.taskDone();
    q.getNowait();
    q.taskDone();
    const before = getRunningLoop().time();
    await waitFor(() => q.join(), 1);
    assert.equal(getRunningLoop().time(), before);
  }, VT);
});

Deno.test("shutdown(true) drops the items left and releases join()", async () => {
  // Python 3.13: "the queue is drained to be completely empty and the
  // count of unfinished tasks is reduced by the number of tasks drained.
  // If unfinished tasks is zero, callers of Queue.join() are unblocked."
  await run(async () => {
    const q = new Queue<number>();
    for (const x of [1, 2, 3]) q.putNowait(x);
    const joiner = createTask(() => q.join());
    await tick();
    assert.equal(joiner.done(), false);
    q.shutdown(true);
    assert.equal(q.qsize(), 0);
    await joiner;
    await assert.rejects(() => q.get(), QueueShutDown);
    assert.throws(() => q.getNowait(), QueueShutDown);
    assert.throws(() => q.putNowait(4), QueueShutDown);
    assert.throws(() => q.taskDone(), RangeError);
  }, VT);
});

Deno.test("shutdown(true) still waits for the items already taken to be marked done", async () => {
  await run(async () => {
    const q = new Queue<number>();
    for (const x of [1, 2, 3]) q.putNowait(x);
    assert.equal(q.getNowait(), 1);
    q.shutdown(true);
    await assert.rejects(waitFor(() => q.join(), 1), TimeoutError);
    q.taskDone();
    const before = getRunningLoop().time();
    await waitFor(() => q.join(), 1);
    assert.equal(getRunningLoop().time(), before);
  }, VT);
});

Deno.test("shutdown(true) wakes waiting getters and putters with QueueShutDown", async () => {
  await run(async () => {
    const empty = new Queue<number>();
    const getter = createTask(() => empty.get());
    const full = new Queue<number>(1);
    full.putNowait(1);
    const putter = createTask(() => full.put(2));
    await tick();
    empty.shutdown(true);
    full.shutdown(true);
    assert.ok((await errorOf(getter)) instanceof QueueShutDown);
    assert.ok((await errorOf(putter)) instanceof QueueShutDown);
    assert.equal(full.qsize(), 0);
  }, VT);
});

Deno.test("shutdown works the same on PriorityQueue and LifoQueue", async () => {
  await run(async () => {
    const p = new PriorityQueue<number>();
    const l = new LifoQueue<number>();
    for (const q of [p, l]) {
      for (const x of [2, 1, 3]) q.putNowait(x);
      q.shutdown();
      assert.throws(() => q.putNowait(0), QueueShutDown);
    }
    assert.deepEqual(drain(p), [1, 2, 3]);
    assert.deepEqual(drain(l), [3, 1, 2]);
    await assert.rejects(() => p.get(), QueueShutDown);
    await assert.rejects(() => l.get(), QueueShutDown);
  }, VT);
});

// ---------------------------------------------------------------- for await

Deno.test("for await yields the items in order and ends after shutdown and drain", async () => {
  await run(async () => {
    const q = new Queue<number>();
    for (const x of [1, 2, 3]) q.putNowait(x);
    q.shutdown();
    const got: number[] = [];
    for await (const item of q) {
      got.push(item);
      q.taskDone();
    }
    assert.deepEqual(got, [1, 2, 3]);
    await q.join();
  }, VT);
});

Deno.test("for await waits for items a producer puts, until the queue is shut down", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const q = new Queue<string>(1);
    const producer = createTask(async () => {
      for (const x of ["a", "b", "c"]) {
        await sleep(1);
        await q.put(x);
      }
      await q.join();
      q.shutdown();
    });
    const got: [string, number][] = [];
    for await (const item of q) {
      got.push([item, loop.time()]);
      q.taskDone();
    }
    assert.deepEqual(got, [["a", 1], ["b", 2], ["c", 3]]);
    await producer;
  }, VT);
});

Deno.test("for await follows the queue's order, and breaking out leaves the rest queued", async () => {
  await run(async () => {
    const q = new PriorityQueue<number>();
    for (const x of [5, 1, 4, 2, 3]) q.putNowait(x);
    const got: number[] = [];
    for await (const item of q) {
      got.push(item);
      if (got.length === 2) break;
    }
    assert.deepEqual(got, [1, 2]);
    assert.deepEqual(drain(q), [3, 4, 5]);
  }, VT);
});

// ---------------------------------------------------------------- cancellation

Deno.test("a getter woken and cancelled at once does not lose the item: the next getter gets it", async () => {
  // CPython 3.11.7: q.put_nowait('x'); g1.cancel() with g1, g2 waiting ->
  // ['CancelledError', 'x'], qsize 0
  await run(async () => {
    const q = new Queue<string>();
    const g1 = createTask(() => q.get());
    const g2 = createTask(() => q.get());
    await tick();
    q.putNowait("x"); // wakes g1
    g1.cancel(); // before g1 could take it
    assert.equal(await g2, "x");
    assert.ok((await errorOf(g1)) instanceof CancelledError);
    assert.equal(q.qsize(), 0);
  }, VT);
});

Deno.test("a getter cancelled while waiting is skipped: the item goes to the next getter", async () => {
  await run(async () => {
    const q = new Queue<string>();
    const g1 = createTask(() => q.get());
    const g2 = createTask(() => q.get());
    await tick();
    g1.cancel();
    q.putNowait("x");
    assert.equal(await g2, "x");
    assert.ok((await errorOf(g1)) instanceof CancelledError);
    q.putNowait("y");
    assert.equal(await q.get(), "y");
  }, VT);
});

Deno.test("a putter woken and cancelled at once does not lose the room: the next putter gets in", async () => {
  // CPython 3.11.7: Queue(1) holding 0, p1 = put(1), p2 = put(2) waiting;
  // get_nowait() -> 0; p1.cancel() -> ['CancelledError', None], qsize 1,
  // then get_nowait() -> 2
  await run(async () => {
    const q = new Queue<number>(1);
    q.putNowait(0);
    const p1 = createTask(() => q.put(1));
    const p2 = createTask(() => q.put(2));
    await tick();
    assert.equal(q.getNowait(), 0); // wakes p1
    p1.cancel(); // before p1 could use the room
    await p2;
    assert.ok((await errorOf(p1)) instanceof CancelledError);
    assert.equal(q.qsize(), 1);
    assert.equal(q.getNowait(), 2);
  }, VT);
});

Deno.test("a putter cancelled while waiting does not put its item", async () => {
  await run(async () => {
    const q = new Queue<number>(1);
    q.putNowait(0);
    const p1 = createTask(() => q.put(1));
    const p2 = createTask(() => q.put(2));
    await tick();
    p1.cancel();
    await tick();
    assert.deepEqual([await q.get(), await q.get()], [0, 2]);
    await p2;
    assert.ok((await errorOf(p1)) instanceof CancelledError);
    assert.equal(q.empty(), true);
  }, VT);
});

Deno.test("items are neither lost nor duplicated through many cancelled getters", async () => {
  await run(async () => {
    const q = new Queue<number>(3);
    const received: number[] = [];
    const consumers = Array.from({ length: 10 }, () =>
      createTask(async () => {
        for (;;) {
          received.push(await q.get());
          await sleep(1);
        }
      }));
    const cancelled: number[] = [];
    for (let i = 0; i < 40; i++) {
      await q.put(i);
      if (i % 4 === 3) {
        const victim = consumers[(i >> 2) % 6]; // 4 consumers survive
        if (!victim.done()) {
          victim.cancel();
          cancelled.push(i);
        }
      }
      if (i % 2 === 0) await sleep(1);
    }
    // Let the consumers left finish the queue.
    while (!q.empty()) await sleep(1);
    await tick();
    for (const c of consumers) c.cancel();
    await gather(...consumers, { returnExceptions: true });
    assert.ok(cancelled.length > 0);
    assert.deepEqual(
      [...received].sort((a, b) => a - b),
      Array.from({ length: 40 }, (_, i) => i),
    );
  }, VT);
});
