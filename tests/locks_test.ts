// Coroutine functions must be async even when they do not await.
// deno-lint-ignore-file require-await
// Tests of Lock, Event, Condition, Semaphore, BoundedSemaphore and Barrier
// (src/locks.ts). Expected behaviour that is not obvious was checked
// against CPython 3.11.7's asyncio (the programs' output is quoted in the
// comments).
import assert from "node:assert/strict";
import {
  Barrier,
  BoundedSemaphore,
  BrokenBarrierError,
  CancelledError,
  Condition,
  createTask,
  Event,
  gather,
  getRunningLoop,
  Lock,
  run,
  Semaphore,
  sleep,
  type Task,
  TimeoutError,
  waitFor,
} from "../mod.ts";
import { errorOf, tick } from "./_helpers.ts";

const VT = { virtualTime: true };

/**
 * How many permits an `acquire()` could take now without waiting (none
 * while a live waiter is in line).
 */
function permits(sem: Semaphore): number {
  return sem.locked() ? 0 : sem.statistics().value;
}

// ---------------------------------------------------------------- Lock

Deno.test("Lock: waiters get the lock in the order they asked for it", async () => {
  await run(async () => {
    const lock = new Lock();
    const order: number[] = [];
    await lock.acquire();
    const tasks = [3, 1, 4, 0, 2].map((n) =>
      createTask(async () => {
        using _held = await lock.acquire();
        order.push(n);
        await sleep(0.1);
      })
    );
    await tick();
    lock.release();
    await gather(...tasks);
    assert.deepEqual(order, [3, 1, 4, 0, 2]);
    assert.equal(lock.locked(), false);
  }, VT);
});

Deno.test("Lock: locked() is true between acquire and release only", async () => {
  await run(async () => {
    const lock = new Lock();
    assert.equal(lock.locked(), false);
    const releaser = await lock.acquire();
    assert.ok(releaser);
    assert.equal(lock.locked(), true);
    lock.release();
    assert.equal(lock.locked(), false);
  }, VT);
});

Deno.test("Lock: releasing a lock that is not held throws Error('Lock is not acquired.')", async () => {
  await run(async () => {
    const lock = new Lock();
    assert.throws(() => lock.release(), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.equal(e.constructor, Error);
      assert.equal(e.message, "Lock is not acquired.");
      return true;
    });
    await lock.acquire();
    lock.release();
    assert.throws(() => lock.release(), { message: "Lock is not acquired." });
  }, VT);
});

Deno.test("Lock: `using _held = await lock.acquire()` releases at the end of the scope, even on throw", async () => {
  await run(async () => {
    const lock = new Lock();
    {
      using _held = await lock.acquire();
      assert.equal(lock.locked(), true);
    }
    assert.equal(lock.locked(), false);
    await assert.rejects(async () => {
      using _held = await lock.acquire();
      assert.equal(lock.locked(), true);
      throw new RangeError("boom");
    }, RangeError);
    assert.equal(lock.locked(), false);
    {
      await using _held = await lock.acquire();
      assert.equal(lock.locked(), true);
    }
    assert.equal(lock.locked(), false);
  }, VT);
});

Deno.test("Lock: a releaser releases once; a second release() throws and dispose after it does nothing", async () => {
  await run(async () => {
    const lock = new Lock();
    const mine = await lock.acquire();
    mine.release();
    assert.equal(lock.locked(), false);
    assert.throws(() => mine.release(), Error);
    // Another task takes the lock: the stale releaser must not free it.
    const other = await lock.acquire();
    mine[Symbol.dispose]();
    await mine[Symbol.asyncDispose]();
    assert.throws(() => mine.release(), Error);
    assert.equal(lock.locked(), true);
    other[Symbol.dispose]();
    assert.equal(lock.locked(), false);
    other[Symbol.dispose]();
    assert.equal(lock.locked(), false);
  }, VT);
});

Deno.test("Lock: a waiter cancelled while waiting does not get the lock nor block the others", async () => {
  await run(async () => {
    const lock = new Lock();
    const got: string[] = [];
    await lock.acquire();
    const waiter = (name: string) =>
      createTask(async () => {
        using _held = await lock.acquire();
        got.push(name);
        await sleep(0.1);
      });
    const a = waiter("a");
    const b = waiter("b");
    const c = waiter("c");
    await tick();
    b.cancel();
    await tick();
    assert.equal(b.cancelled(), true);
    lock.release();
    await gather(a, c);
    assert.deepEqual(got, ["a", "c"]);
    assert.equal(lock.locked(), false);
    assert.ok((await errorOf(b)) instanceof CancelledError);
  }, VT);
});

Deno.test("Lock: a waiter woken and cancelled at once passes the lock to the next waiter", async () => {
  // CPython 3.11.7: lock.release(); ta.cancel() with a, b waiting ->
  // log ['b'], results ['CancelledError', 'NoneType'], locked() False.
  await run(async () => {
    const lock = new Lock();
    const got: string[] = [];
    await lock.acquire();
    const waiter = (name: string) =>
      createTask(async () => {
        using _held = await lock.acquire();
        got.push(name);
        await sleep(0.1);
      });
    const a = waiter("a");
    const b = waiter("b");
    await tick();
    lock.release(); // wakes a
    a.cancel(); // before a could run
    await tick();
    assert.deepEqual(got, ["b"]);
    assert.equal(lock.locked(), true); // held by b
    await b;
    assert.ok((await errorOf(a)) instanceof CancelledError);
    assert.equal(lock.locked(), false);
    // The lock still works.
    using _held = await lock.acquire();
    assert.equal(lock.locked(), true);
  }, VT);
});

Deno.test("Lock: a waiter cancelled just before a release never lets two tasks hold the lock", async () => {
  // CPython 3.11.7 (tb.cancel(); lock.release() with b, c, d waiting):
  //   order ['c', 'd'], most holders at once 1,
  //   results ['CancelledError', 'NoneType', 'NoneType'], locked() False
  await run(async () => {
    const lock = new Lock();
    await lock.acquire();
    let holders = 0;
    let most = 0;
    const order: string[] = [];
    const waiter = (name: string) =>
      createTask(async () => {
        using _held = await lock.acquire();
        holders++;
        most = Math.max(most, holders);
        order.push(name);
        await sleep(0.01);
        holders--;
      });
    const b = waiter("b");
    const c = waiter("c");
    const d = waiter("d");
    await tick();
    b.cancel();
    lock.release();
    const results = await gather(b, c, d, { returnExceptions: true });
    assert.equal(most, 1, "two tasks held the lock at once");
    assert.deepEqual(order, ["c", "d"]);
    assert.ok(results[0] instanceof CancelledError);
    assert.equal(results[1], undefined);
    assert.equal(results[2], undefined, `d failed: ${results[2]}`);
    assert.equal(lock.locked(), false);
  }, VT);
});

Deno.test("Lock: mutual exclusion holds through many cancellations", async () => {
  await run(async () => {
    const lock = new Lock();
    let inside = 0;
    let most = 0;
    const tasks: Task<void>[] = [];
    for (let i = 0; i < 30; i++) {
      tasks.push(createTask(async () => {
        using _held = await lock.acquire();
        inside++;
        most = Math.max(most, inside);
        try {
          await sleep(1 + (i % 3));
        } finally {
          inside--;
        }
      }));
    }
    // Whole seconds, so that cancellations and releases often fall in the
    // same loop iteration.
    for (let step = 0; step < 30; step++) {
      await sleep(1);
      if (step % 3 === 1) tasks[step].cancel();
      if (step % 4 === 0) tasks[29 - step].cancel();
    }
    const results = await gather(...tasks, { returnExceptions: true });
    assert.equal(most, 1, "two tasks held the lock at once");
    for (const r of results) {
      assert.ok(r === undefined || r instanceof CancelledError, String(r));
    }
    assert.equal(lock.locked(), false);
  }, VT);
});

Deno.test("Lock: a new acquirer does not jump ahead of a waiter woken but not yet running", async () => {
  // CPython 3.11.7: ['a', 'main']
  await run(async () => {
    const lock = new Lock();
    const log: string[] = [];
    await lock.acquire();
    const a = createTask(async () => {
      using _held = await lock.acquire();
      log.push("a");
    });
    await tick();
    lock.release();
    {
      using _held = await lock.acquire();
      log.push("main");
    }
    await a;
    assert.deepEqual(log, ["a", "main"]);
  }, VT);
});

Deno.test("Lock: the seed scenario, a callLater(1) release lets two waiting coroutines in, in order", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const lock = new Lock();
    const log: string[] = [];
    const at = (what: string) => log.push(`${what} @${loop.time()}`);
    await lock.acquire();
    assert.equal(lock.locked(), true);
    loop.callLater(1, () => {
      at("callback releases");
      lock.release();
    });
    const coro1 = async () => {
      at("coro1 waits");
      {
        using _held = await lock.acquire();
        at("coro1 acquired");
      }
      at("coro1 released");
    };
    const coro2 = async () => {
      at("coro2 waits");
      await lock.acquire();
      at("coro2 acquired");
      lock.release();
      at("coro2 released");
    };
    await gather(coro1, coro2);
    assert.deepEqual(log, [
      "coro1 waits @0",
      "coro2 waits @0",
      "callback releases @1",
      "coro1 acquired @1",
      "coro1 released @1",
      "coro2 acquired @1",
      "coro2 released @1",
    ]);
    assert.equal(lock.locked(), false);
  }, VT);
});

// ---------------------------------------------------------------- Event

Deno.test("Event: wait() on a set event resolves to true without waiting", async () => {
  await run(async () => {
    const event = new Event();
    event.set();
    assert.equal(event.isSet(), true);
    assert.equal(await event.wait(), true);
    assert.equal(getRunningLoop().time(), 0);
  }, VT);
});

Deno.test("Event: wait() before set() blocks until the event is set", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const event = new Event();
    assert.equal(event.isSet(), false);
    loop.callLater(2, () => event.set());
    assert.equal(await event.wait(), true);
    assert.equal(loop.time(), 2);
  }, VT);
});

Deno.test("Event: clear() makes later waits block again", async () => {
  await run(async () => {
    const event = new Event();
    event.set();
    event.clear();
    assert.equal(event.isSet(), false);
    await assert.rejects(waitFor(() => event.wait(), 0.5), TimeoutError);
    assert.equal(getRunningLoop().time(), 0.5);
  }, VT);
});

Deno.test("Event: set() wakes every waiter", async () => {
  await run(async () => {
    const event = new Event();
    const woken: number[] = [];
    const tasks = [0, 1, 2, 3, 4].map((i) =>
      createTask(async () => {
        const r = await event.wait();
        woken.push(i);
        return r;
      })
    );
    await tick();
    assert.deepEqual(woken, []);
    event.set();
    assert.deepEqual(await gather(...tasks), [true, true, true, true, true]);
    assert.deepEqual(woken, [0, 1, 2, 3, 4]);
  }, VT);
});

Deno.test("Event: waiters woken by set() return true even if clear() follows at once", async () => {
  // CPython 3.11.7: ev.set(); ev.clear() -> the waiter returns True,
  // is_set() False.
  await run(async () => {
    const event = new Event();
    const t = createTask(() => event.wait());
    await tick();
    event.set();
    event.clear();
    assert.equal(await t, true);
    assert.equal(event.isSet(), false);
  }, VT);
});

Deno.test("Event: a cancelled waiter fails with CancelledError and the others are still woken", async () => {
  await run(async () => {
    const event = new Event();
    const a = createTask(() => event.wait());
    const b = createTask(() => event.wait());
    const c = createTask(() => event.wait());
    await tick();
    b.cancel();
    await tick();
    event.set();
    assert.equal(await a, true);
    assert.equal(await c, true);
    assert.ok((await errorOf(b)) instanceof CancelledError);
    assert.equal(String(event), "<Event [set]>");
  }, VT);
});

// ---------------------------------------------------------------- Condition

Deno.test("Condition: wait() without holding the lock throws Error('cannot wait on un-acquired lock')", async () => {
  await run(async () => {
    const cond = new Condition();
    await assert.rejects(() => cond.wait(), {
      name: "Error",
      message: "cannot wait on un-acquired lock",
    });
    await assert.rejects(() => cond.waitFor(() => false), {
      message: "cannot wait on un-acquired lock",
    });
    assert.equal(cond.locked(), false);
  }, VT);
});

Deno.test("Condition: notify() and notifyAll() without holding the lock throw", async () => {
  await run(async () => {
    const cond = new Condition();
    assert.throws(() => cond.notify(), {
      message: "cannot notify on un-acquired lock",
    });
    assert.throws(() => cond.notifyAll(), {
      message: "cannot notify on un-acquired lock",
    });
  }, VT);
});

Deno.test("Condition: notify(n) wakes n waiters in FIFO order, notifyAll() the rest", async () => {
  await run(async () => {
    const cond = new Condition();
    const woken: number[] = [];
    const tasks = [0, 1, 2, 3, 4, 5].map((i) =>
      createTask(async () => {
        using _held = await cond.acquire();
        const r = await cond.wait();
        assert.equal(cond.locked(), true);
        woken.push(i);
        return r;
      })
    );
    await tick();
    const notify = async (how: (cond: Condition) => void) => {
      {
        using _held = await cond.acquire();
        how(cond);
      }
      await tick();
    };
    await notify((c) => c.notify(2));
    assert.deepEqual(woken, [0, 1]);
    await notify((c) => c.notify()); // n = 1
    assert.deepEqual(woken, [0, 1, 2]);
    await notify((c) => c.notify(0));
    assert.deepEqual(woken, [0, 1, 2]);
    await notify((c) => c.notifyAll());
    assert.deepEqual(woken, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(await gather(...tasks), [
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    assert.equal(cond.locked(), false);
  }, VT);
});

Deno.test("Condition: notifyAll() wakes every waiter, each holding the lock in turn", async () => {
  await run(async () => {
    const cond = new Condition();
    let inside = 0;
    let most = 0;
    const tasks = [0, 1, 2, 3].map(() =>
      createTask(async () => {
        using _held = await cond.acquire();
        await cond.wait();
        inside++;
        most = Math.max(most, inside);
        await sleep(0.1);
        inside--;
      })
    );
    await tick();
    {
      using _held = await cond.acquire();
      cond.notifyAll();
    }
    await gather(...tasks);
    assert.equal(most, 1);
    assert.ok(Math.abs(getRunningLoop().time() - 0.4) < 1e-9);
  }, VT);
});

Deno.test("Condition: waitFor(predicate) waits until it is truthy and returns its value", async () => {
  // CPython 3.11.7: value set to 0, 1, 2 with notify_all() each time ->
  // wait_for returns 2, the predicate was called 4 times.
  await run(async () => {
    const cond = new Condition();
    let value = 0;
    let calls = 0;
    const t = createTask(async () => {
      using _held = await cond.acquire();
      return await cond.waitFor(() => {
        calls++;
        return value >= 2 && value;
      });
    });
    await tick();
    for (let i = 0; i < 3; i++) {
      {
        using _held = await cond.acquire();
        value = i;
        cond.notifyAll();
      }
      await tick();
    }
    assert.equal(await t, 2);
    assert.equal(calls, 4);
  }, VT);
});

Deno.test("Condition: waitFor returns at once, keeping the lock, when the predicate is already truthy", async () => {
  await run(async () => {
    const cond = new Condition();
    using _held = await cond.acquire();
    const marker = { ready: true };
    assert.equal(await cond.waitFor(() => marker), marker);
    assert.equal(cond.locked(), true);
    assert.equal(getRunningLoop().time(), 0);
  }, VT);
});

Deno.test("Condition: a waiter cancelled during wait() takes the lock again before CancelledError propagates", async () => {
  // CPython 3.11.7: [('done while main holds lock', False),
  //   ('cancelled, locked:', True), 't cancelled'], locked() False at the end
  await run(async () => {
    const cond = new Condition();
    const log: string[] = [];
    const t = createTask(async () => {
      using _held = await cond.acquire();
      try {
        await cond.wait();
      } catch (e) {
        log.push(`caught ${(e as Error).name}, locked: ${cond.locked()}`);
        throw e;
      }
    });
    await tick();
    assert.equal(cond.locked(), false); // wait() released it
    await cond.acquire();
    t.cancel();
    await tick(5);
    assert.equal(t.done(), false); // stuck re-acquiring: main holds the lock
    assert.equal(log.length, 0);
    log.push("main releases");
    cond.release();
    assert.ok((await errorOf(t)) instanceof CancelledError);
    assert.deepEqual(log, [
      "main releases",
      "caught CancelledError, locked: true",
    ]);
    assert.equal(cond.locked(), false);
  }, VT);
});

Deno.test("Condition: a waiter notified and cancelled at once passes the notification on", async () => {
  // CPython 3.11.7 loses the notification here (log [], the second waiter
  // stays asleep); 3.12.1+/3.13 notify another waiter instead
  // (gh-112202: "Make sure to notify another Task instead"), which this
  // library follows.
  await run(async () => {
    const cond = new Condition();
    const woken: number[] = [];
    const tasks = [0, 1, 2].map((i) =>
      createTask(async () => {
        using _held = await cond.acquire();
        await cond.wait();
        woken.push(i);
      })
    );
    await tick();
    {
      using _held = await cond.acquire();
      cond.notify(1);
      tasks[0].cancel();
    }
    await tick(5);
    assert.deepEqual(woken, [1]);
    assert.ok((await errorOf(tasks[0])) instanceof CancelledError);
    assert.equal(tasks[2].done(), false);
    tasks[2].cancel();
    assert.ok((await errorOf(tasks[2])) instanceof CancelledError);
    assert.equal(cond.locked(), false);
  }, VT);
});

Deno.test("Condition: shares the lock it is given, and refuses anything but a Lock", async () => {
  await run(async () => {
    const lock = new Lock();
    const cond = new Condition(lock);
    await lock.acquire();
    assert.equal(cond.locked(), true);
    cond.release();
    assert.equal(lock.locked(), false);
    assert.throws(
      () => new Condition({} as unknown as Lock),
      TypeError,
    );
  }, VT);
});

// ---------------------------------------------------------------- Semaphore

Deno.test("Semaphore: lets `value` tasks in at once and queues the rest in FIFO order", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const sem = new Semaphore(2);
    const entered: [number, number][] = [];
    let inside = 0;
    let most = 0;
    const tasks = [0, 1, 2, 3, 4].map((i) =>
      createTask(async () => {
        using _permit = await sem.acquire();
        entered.push([i, loop.time()]);
        inside++;
        most = Math.max(most, inside);
        await sleep(1);
        inside--;
      })
    );
    await gather(...tasks);
    assert.deepEqual(entered, [[0, 0], [1, 0], [2, 1], [3, 1], [4, 2]]);
    assert.equal(most, 2);
    assert.equal(permits(sem), 2);
  }, VT);
});

Deno.test("Semaphore: locked() is true when no permit is left; the default value is 1", async () => {
  await run(async () => {
    const sem = new Semaphore();
    assert.equal(sem.locked(), false);
    const r = await sem.acquire();
    assert.equal(sem.locked(), true);
    r.release();
    assert.equal(sem.locked(), false);
    assert.equal(new Semaphore(0).locked(), true);
  }, VT);
});

Deno.test("Semaphore: an unbounded semaphore may be released more than acquired", async () => {
  // CPython 3.11.7: Semaphore(1).release() -> _value 2, locked() False
  await run(async () => {
    const sem = new Semaphore(1);
    sem.release();
    assert.equal(permits(sem), 2);
  }, VT);
});

Deno.test("Semaphore: a negative or non-integer initial value throws RangeError, a non-number TypeError", () => {
  // CPython 3.11.7: Semaphore(-1) -> ValueError('Semaphore initial value
  // must be >= 0')
  for (const bad of [-1, 1.5, NaN]) {
    assert.throws(() => new Semaphore(bad), RangeError, String(bad));
    assert.throws(() => new BoundedSemaphore(bad), RangeError, String(bad));
  }
  for (const bad of ["2", null, {}]) {
    assert.throws(() => new Semaphore(bad as number), TypeError);
    assert.throws(() => new BoundedSemaphore(bad as number), TypeError);
  }
  assert.doesNotThrow(() => new Semaphore(0));
});

Deno.test("BoundedSemaphore: releasing more than acquired throws RangeError and keeps the count", async () => {
  // CPython 3.11.7: BoundedSemaphore(1).release() -> ValueError
  // ('BoundedSemaphore released too many times')
  await run(async () => {
    const sem = new BoundedSemaphore(2);
    assert.throws(() => sem.release(), RangeError);
    const r = await sem.acquire();
    r.release();
    assert.throws(() => sem.release(), RangeError);
    assert.equal(permits(sem), 2);
    assert.ok(sem instanceof Semaphore);
  }, VT);
});

Deno.test("Semaphore: a waiter cancelled while waiting does not leak a permit", async () => {
  await run(async () => {
    const sem = new Semaphore(1);
    const got: string[] = [];
    const first = await sem.acquire();
    const waiter = (name: string) =>
      createTask(async () => {
        using _permit = await sem.acquire();
        got.push(name);
        await sleep(0.1);
      });
    const a = waiter("a");
    const b = waiter("b");
    const c = waiter("c");
    await tick();
    b.cancel();
    await tick();
    first.release();
    await gather(a, c);
    assert.ok((await errorOf(b)) instanceof CancelledError);
    assert.deepEqual(got, ["a", "c"]);
    assert.equal(permits(sem), 1);
  }, VT);
});

Deno.test("Semaphore: a waiter woken and cancelled at once gives its permit to the next waiter", async () => {
  // CPython 3.11.7: s.release(); ta.cancel() with a, b waiting on
  // Semaphore(1) -> log ['b'], _value 1 at the end
  await run(async () => {
    const sem = new Semaphore(1);
    const got: string[] = [];
    await sem.acquire();
    const waiter = (name: string) =>
      createTask(async () => {
        using _permit = await sem.acquire();
        got.push(name);
        await sleep(0.1);
      });
    const a = waiter("a");
    const b = waiter("b");
    await tick();
    sem.release(); // a permit is taken for a
    a.cancel(); // before a could run
    await tick();
    assert.deepEqual(got, ["b"]);
    await b;
    assert.ok((await errorOf(a)) instanceof CancelledError);
    assert.equal(permits(sem), 1);
  }, VT);
});

Deno.test("Semaphore: permits are conserved through many cancellations and releases", async () => {
  await run(async () => {
    const sem = new BoundedSemaphore(3);
    let inside = 0;
    let most = 0;
    const tasks: Task<void>[] = [];
    for (let i = 0; i < 30; i++) {
      tasks.push(createTask(async () => {
        using _permit = await sem.acquire();
        inside++;
        most = Math.max(most, inside);
        try {
          await sleep(1 + (i % 4));
        } finally {
          inside--;
        }
      }));
    }
    // Cancel some while they wait, some while they hold a permit, and some
    // in the very iteration they are woken (whole seconds, so that
    // cancellations and releases often fall in the same loop iteration).
    for (let step = 0; step < 30; step++) {
      await sleep(1);
      if (step % 3 === 0) tasks[step].cancel();
      if (step % 5 === 0) tasks[29 - step].cancel();
    }
    const results = await gather(...tasks, { returnExceptions: true });
    for (const r of results) {
      assert.ok(r === undefined || r instanceof CancelledError, String(r));
    }
    assert.ok(most <= 3 && most > 0);
    assert.equal(permits(sem), 3);
  }, VT);
});

// ---------------------------------------------------------------- Barrier

Deno.test("Barrier: wait() returns the indexes 0..parties-1 in arrival order", async () => {
  // CPython 3.11.7: gather of 3 waits on Barrier(3) -> [0, 1, 2]
  await run(async () => {
    const barrier = new Barrier(3);
    const b = barrier;
    assert.deepEqual(
      await gather(() => b.wait(), () => b.wait(), () => b.wait()),
      [0, 1, 2],
    );
    // A second round works the same way.
    assert.deepEqual(
      await gather(() => b.wait(), () => b.wait(), () => b.wait()),
      [0, 1, 2],
    );
  }, VT);
});

Deno.test("Barrier: nWaiting, parties and broken report the state", async () => {
  // CPython 3.11.7: two of three waiting -> n_waiting 2, broken False
  await run(async () => {
    const barrier = new Barrier(3);
    assert.equal(barrier.parties, 3);
    assert.equal(barrier.nWaiting, 0);
    assert.equal(barrier.broken, false);
    const a = createTask(() => barrier.wait());
    const b = createTask(() => barrier.wait());
    await tick();
    assert.equal(barrier.nWaiting, 2);
    assert.equal(a.done() || b.done(), false);
    assert.equal(await barrier.wait(), 2);
    assert.deepEqual([await a, await b], [0, 1]);
    assert.equal(barrier.nWaiting, 0);
    assert.equal(barrier.broken, false);
  }, VT);
});

Deno.test("Barrier: abort() breaks the waiting tasks and later waits with BrokenBarrierError", async () => {
  // CPython 3.11.7: after abort(), broken True and wait() raises
  // BrokenBarrierError('Barrier aborted')
  await run(async () => {
    const barrier = new Barrier(3);
    const a = createTask(() => barrier.wait());
    const b = createTask(() => barrier.wait());
    await tick();
    await barrier.abort();
    assert.equal(barrier.broken, true);
    assert.ok((await errorOf(a)) instanceof BrokenBarrierError);
    assert.ok((await errorOf(b)) instanceof BrokenBarrierError);
    await assert.rejects(() => barrier.wait(), BrokenBarrierError);
    assert.equal(barrier.nWaiting, 0);
  }, VT);
});

Deno.test("Barrier: reset() breaks the waiting tasks and the barrier can be used again", async () => {
  // CPython 3.11.7: reset() with two waiting -> both BrokenBarrierError,
  // then broken False, n_waiting 0, [filling, waiters:0/3], and a new
  // round gives [0, 1, 2]; reset() after abort() also makes it usable.
  await run(async () => {
    const barrier = new Barrier(3);
    const b = barrier;
    const tasks = [createTask(() => b.wait()), createTask(() => b.wait())];
    await tick();
    await barrier.reset();
    const results = await gather(...tasks, { returnExceptions: true });
    assert.ok(results[0] instanceof BrokenBarrierError);
    assert.ok(results[1] instanceof BrokenBarrierError);
    assert.equal(barrier.broken, false);
    assert.equal(barrier.nWaiting, 0);
    assert.deepEqual(
      await gather(() => b.wait(), () => b.wait(), () => b.wait()),
      [0, 1, 2],
    );
    await barrier.abort();
    assert.equal(barrier.broken, true);
    await barrier.reset();
    assert.equal(barrier.broken, false);
    assert.deepEqual(
      await gather(() => b.wait(), () => b.wait(), () => b.wait()),
      [0, 1, 2],
    );
  }, VT);
});

Deno.test("Barrier: a task cancelled while waiting leaves the barrier without breaking it", async () => {
  // CPython 3.11.7: two of three waiting, the first cancelled -> n_waiting
  // 1, broken False; two more waits return [1, 2] and the second waiter 1
  // (indexes are counted from the tasks still waiting).
  await run(async () => {
    const barrier = new Barrier(3);
    const a = createTask(() => barrier.wait());
    const b = createTask(() => barrier.wait());
    await tick();
    assert.equal(barrier.nWaiting, 2);
    a.cancel();
    await tick();
    assert.ok((await errorOf(a)) instanceof CancelledError);
    assert.equal(barrier.nWaiting, 1);
    assert.equal(barrier.broken, false);
    assert.deepEqual(
      await gather(() => barrier.wait(), () => barrier.wait()),
      [1, 2],
    );
    assert.equal(await b, 1);
  }, VT);
});

Deno.test("Barrier: a barrier of one party never waits", async () => {
  await run(async () => {
    const barrier = new Barrier(1);
    assert.equal(await barrier.wait(), 0);
    assert.equal(await barrier.wait(), 0);
  }, VT);
});

Deno.test("Barrier: parties below 1 or not an integer throw RangeError, a non-number TypeError", () => {
  // CPython 3.11.7: Barrier(0), Barrier(-1) -> ValueError('parties must
  // be > 0')
  for (const bad of [0, -1, 2.5]) {
    assert.throws(() => new Barrier(bad), RangeError, String(bad));
  }
  assert.throws(() => new Barrier("3" as unknown as number), TypeError);
  assert.throws(() => new Barrier(undefined as unknown as number), TypeError);
});
