// Coroutine functions must be async even when they do not await.
// deno-lint-ignore-file require-await
//
// A port of CPython 3.13's Lib/test/test_asyncio/test_locks.py: one
// Deno test per test method, in CPython's order, named
// "test_locks.<Class>.<method>". Each checks what the original checks,
// assertion for assertion; where the original reads private state or uses
// a mock, the comment says what stands in for it (see README.md).
//
// IsolatedAsyncioTestCase runs each `async def test_*` as a task on a
// fresh loop and, at the end, cancels the tasks left over and waits for
// them; `asyncTest` below does the same on a virtual-time loop.
import assert from "node:assert/strict";
import {
  type AbstractEventLoop,
  allTasks,
  Barrier,
  BoundedSemaphore,
  BrokenBarrierError,
  CancelledError,
  Condition,
  createTask,
  Event,
  type Future,
  gather,
  getRunningLoop,
  Lock,
  newEventLoop,
  Semaphore,
  sleep,
  type Task,
  TaskGroup,
  timeout,
  TimeoutError,
  wait,
  waitFor,
} from "../../mod.ts";

const VT = { virtualTime: true };

// CPython's STR_RGX_REPR, with " object at <address>" made optional:
// JavaScript objects have no address, and the library's reprs are
// `<Lock [unlocked]>`. The bracketed part is CPython's, unchanged.
const RGX_REPR = new RegExp(
  String.raw`^<(?<class>.*?)(?: object at (?<address>.*?))? ?` +
    String.raw`\[(?<extras>` +
    String.raw`(set|unset|locked|unlocked|filling|draining|resetting|broken)` +
    String.raw`(, value:\d)?` +
    String.raw`(, waiters:\d+)?` +
    String.raw`(, waiters:\d+\/\d+)?` + // barrier
    String.raw`)\]>$`,
);

/**
 * IsolatedAsyncioTestCase: runs `body` as a task on a fresh virtual-time
 * loop, then cancels the tasks left over, waits for them, and closes the
 * loop, whatever happened.
 */
function asyncTest(name: string, body: () => Promise<void>): void {
  Deno.test(name, async () => {
    const loop = newEventLoop(VT);
    // The body's error, if any, is the one reported, not the cleanup's.
    let failure: { error: unknown } | null = null;
    try {
      await runGuarded(loop, body, "the test");
    } catch (error) {
      failure = { error };
    }
    try {
      const left = [...allTasks(loop)];
      if (left.length > 0) {
        for (const task of left) task.cancel();
        await runGuarded(
          loop,
          () => gather(...left, { returnExceptions: true }),
          "cancelling the tasks left over",
        );
      }
    } catch (error) {
      failure ??= { error };
    } finally {
      loop.close();
    }
    if (failure !== null) throw failure.error;
  });
}

// On the virtual clock a deadlocked loop has nothing left to run and no
// timer to jump to; Deno would then end the test with the loop still
// marked running, and every later test would fail with "Cannot run the
// event loop while another loop is running". A host timer stops such a
// loop instead, so that the test fails alone and says why. (A guard
// against hangs, not a timing assertion: everything here runs on virtual
// time and finishes in milliseconds.)
const HANG_GUARD_MS = 2000;

async function runGuarded<T>(
  loop: AbstractEventLoop,
  fn: () => PromiseLike<T>,
  what: string,
): Promise<T> {
  let hung = false;
  const guard = setTimeout(() => {
    hung = true;
    loop.stop();
  }, HANG_GUARD_MS);
  try {
    return await loop.runUntilComplete(fn);
  } catch (e) {
    if (hung) {
      throw new Error(`${what} hung: the loop had nothing left to run`, {
        cause: e,
      });
    }
    throw e;
  } finally {
    clearTimeout(guard);
  }
}

/** `len(x._waiters)`, read from the repr (which CPython computes from it). */
function waiters(primitive: object): number {
  const m = /, waiters:(\d+)\]>$/.exec(String(primitive));
  return m === null ? 0 : Number(m[1]);
}

type ErrorClass<E> = abstract new (...args: never[]) => E;

/** `with self.assertRaises(cls) as cm: await aw`; returns `cm.exception`. */
async function raises<E>(
  cls: ErrorClass<E>,
  aw: PromiseLike<unknown> | (() => PromiseLike<unknown>),
): Promise<E> {
  try {
    await (typeof aw === "function" ? aw() : aw);
  } catch (e) {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e}`);
    return e;
  }
  assert.fail(`${cls.name} not raised`);
}

/** Python's RuntimeError is a plain `Error`. */
function isRuntimeError(e: unknown): e is Error {
  return e instanceof Error && e.constructor === Error;
}

/** `with self.assertRaises(RuntimeError)` (optionally with a regex). */
async function raisesRuntimeError(
  aw: PromiseLike<unknown> | (() => PromiseLike<unknown>),
  regex?: RegExp,
): Promise<Error> {
  try {
    await (typeof aw === "function" ? aw() : aw);
  } catch (e) {
    assert.ok(isRuntimeError(e), `expected Error (RuntimeError), got ${e}`);
    if (regex !== undefined) assert.match(e.message, regex);
    return e;
  }
  assert.fail("Error (RuntimeError) not raised");
}

/** `cls(*args)` without the type checker's opinion of the arguments. */
function construct(
  cls: abstract new (...args: never[]) => unknown,
  ...args: unknown[]
): unknown {
  return Reflect.construct(cls, args);
}

/**
 * `await x` where x is a primitive: Python raises TypeError ("object Lock
 * can't be used in 'await' expression"). JavaScript's `await` takes any
 * value, so what can be checked is that a primitive is no thenable:
 * awaiting it gives the primitive itself and acquires nothing.
 */
async function awaitPrimitive(primitive: object): Promise<void> {
  assert.equal(
    typeof (primitive as { then?: unknown }).then,
    "undefined",
    `${primitive} must not be awaitable`,
  );
  const value = await (primitive as unknown as PromiseLike<unknown>);
  assert.equal(value, primitive);
}

// ============================================================== LockTests

asyncTest("test_locks.LockTests.test_repr", async () => {
  const lock = new Lock();
  assert.ok(String(lock).endsWith("[unlocked]>"));
  assert.match(String(lock), RGX_REPR);

  await lock.acquire();
  assert.ok(String(lock).endsWith("[locked]>"));
  assert.match(String(lock), RGX_REPR);
});

asyncTest("test_locks.LockTests.test_lock", async () => {
  const lock = new Lock();

  // `await lock` -> TypeError in Python; see awaitPrimitive.
  await awaitPrimitive(lock);

  assert.equal(lock.locked(), false);
});

asyncTest(
  "test_locks.LockTests.test_lock_doesnt_accept_loop_parameter",
  async () => {
    // `cls(loop=loop)`: the keyword argument becomes the options object,
    // after the first positional parameter where there is one.
    const loop = getRunningLoop();
    const primitives: [string, () => unknown][] = [
      ["Lock", () => construct(Lock, { loop })],
      ["Condition", () => construct(Condition, undefined, { loop })],
      ["Event", () => construct(Event, { loop })],
      ["Semaphore", () => construct(Semaphore, undefined, { loop })],
      [
        "BoundedSemaphore",
        () => construct(BoundedSemaphore, undefined, { loop }),
      ],
    ];

    for (const [name, make] of primitives) {
      assert.throws(make, (e: unknown) => {
        assert.ok(
          e instanceof TypeError,
          `${name}: expected TypeError, got ${e}`,
        );
        // CPython: "...got an unexpected keyword argument 'loop'".
        assert.match(
          e.message,
          new RegExp(String.raw`${name}\b.*got an unexpected argument.*loop`),
        );
        return true;
      }, `${name}({ loop }) must throw TypeError`);
    }
  },
);

asyncTest("test_locks.LockTests.test_lock_by_with_statement", async () => {
  const primitives = [
    new Lock(),
    new Condition(),
    new Semaphore(),
    new BoundedSemaphore(),
  ];

  for (const lock of primitives) {
    await sleep(0.01);
    assert.equal(lock.locked(), false);
    // `with await lock: pass` -> TypeError: awaiting a primitive does not
    // acquire it, and what it gives is no (sync) context manager. The
    // TypeError comes from JavaScript's `using`, so CPython's message
    // ("object Lock can't be used in 'await' expression") is not compared.
    await raises(TypeError, async () => {
      using _ = (await (lock as unknown as PromiseLike<unknown>)) as Disposable;
    });
    assert.equal(lock.locked(), false);
  }
});

asyncTest("test_locks.LockTests.test_acquire", async () => {
  const lock = new Lock();
  const result: number[] = [];

  assert.ok(await lock.acquire());

  async function c1(result: number[]) {
    if (await lock.acquire()) result.push(1);
    return true;
  }

  async function c2(result: number[]) {
    if (await lock.acquire()) result.push(2);
    return true;
  }

  async function c3(result: number[]) {
    if (await lock.acquire()) result.push(3);
    return true;
  }

  const t1 = createTask(() => c1(result));
  const t2 = createTask(() => c2(result));

  await sleep(0);
  assert.deepEqual(result, []);

  lock.release();
  await sleep(0);
  assert.deepEqual(result, [1]);

  await sleep(0);
  assert.deepEqual(result, [1]);

  const t3 = createTask(() => c3(result));

  lock.release();
  await sleep(0);
  assert.deepEqual(result, [1, 2]);

  lock.release();
  await sleep(0);
  assert.deepEqual(result, [1, 2, 3]);

  assert.ok(t1.done());
  assert.ok(t1.result());
  assert.ok(t2.done());
  assert.ok(t2.result());
  assert.ok(t3.done());
  assert.ok(t3.result());
});

asyncTest("test_locks.LockTests.test_acquire_cancel", async () => {
  const lock = new Lock();
  assert.ok(await lock.acquire());

  const task = createTask(() => lock.acquire());
  getRunningLoop().callSoon(() => task.cancel());
  await raises(CancelledError, task);
  assert.equal(waiters(lock), 0); // assertFalse(lock._waiters)
});

asyncTest("test_locks.LockTests.test_cancel_race", async () => {
  // Several tasks:
  // - A acquires the lock
  // - B is blocked in acquire()
  // - C is blocked in acquire()
  //
  // Now, concurrently:
  // - B is cancelled
  // - A releases the lock
  //
  // If B's waiter is marked cancelled but not yet removed from
  // _waiters, A's release() call will crash when trying to set
  // B's waiter; instead, it should move on to C's waiter.

  // Setup: A has the lock, b and c are waiting.
  const lock = new Lock();

  async function lockit(_name: string, blocker: Future<void> | null) {
    await lock.acquire();
    try {
      if (blocker !== null) await blocker;
    } finally {
      lock.release();
    }
  }

  const fa = getRunningLoop().createFuture<void>();
  const ta = createTask(() => lockit("A", fa));
  await sleep(0);
  assert.ok(lock.locked());
  const tb = createTask(() => lockit("B", null));
  await sleep(0);
  assert.equal(waiters(lock), 1);
  const tc = createTask(() => lockit("C", null));
  await sleep(0);
  assert.equal(waiters(lock), 2);

  // Create the race and check.
  // Without the fix this failed at the last assert.
  fa.setResult(undefined);
  // lock._waiters[0].cancelled() reads a private list: B's cancellation
  // is checked through its task instead (see README.md).
  tb.cancel();
  assert.equal(tb.cancelling(), 1);
  await sleep(0);
  assert.equal(lock.locked(), false);
  assert.ok(ta.done());
  assert.ok(tb.cancelled());
  await tc;
});

asyncTest("test_locks.LockTests.test_cancel_release_race", async () => {
  // Issue 32734
  // Acquire 4 locks, cancel second, release first
  // and 2 locks are taken at once.
  const loop = getRunningLoop();
  const lock = new Lock();
  let lockCount = 0;
  let callCount = 0;

  async function lockit() {
    callCount += 1;
    await lock.acquire();
    lockCount += 1;
  }

  function trigger() {
    t1.cancel();
    lock.release();
  }

  await lock.acquire();

  const t1 = createTask(lockit);
  const t2 = createTask(lockit);
  const t3 = createTask(lockit);

  // Start scheduled tasks
  await sleep(0);

  loop.callSoon(trigger);
  // Wait for cancellation
  await raises(CancelledError, t1);

  // Make sure only one lock was taken
  assert.equal(lockCount, 1);
  // While 3 calls were made to lockit()
  assert.equal(callCount, 3);
  assert.ok(t1.cancelled() && t2.done());

  // Cleanup the task that is stuck on acquire.
  t3.cancel();
  await sleep(0);
  assert.ok(t3.cancelled());
});

asyncTest("test_locks.LockTests.test_finished_waiter_cancelled", async () => {
  const lock = new Lock();

  await lock.acquire();
  assert.ok(lock.locked());

  const tb = createTask(() => lock.acquire());
  await sleep(0);
  assert.equal(waiters(lock), 1);

  // Create a second waiter, wake up the first, and cancel it.
  // Without the fix, the second was not woken up.
  const tc = createTask(() => lock.acquire());
  tb.cancel();
  lock.release();
  await sleep(0);

  assert.ok(lock.locked());
  assert.ok(tb.cancelled());

  // Cleanup
  await tc;
});

asyncTest("test_locks.LockTests.test_release_not_acquired", async () => {
  const lock = new Lock();

  assert.throws(() => lock.release(), isRuntimeError);
});

asyncTest("test_locks.LockTests.test_release_no_waiters", async () => {
  const lock = new Lock();
  await lock.acquire();
  assert.ok(lock.locked());

  lock.release();
  assert.equal(lock.locked(), false);
});

asyncTest("test_locks.LockTests.test_context_manager", async () => {
  const lock = new Lock();
  assert.equal(lock.locked(), false);

  {
    using _held = await lock.acquire();
    assert.ok(lock.locked());
  }

  assert.equal(lock.locked(), false);
});

// ============================================================= EventTests

asyncTest("test_locks.EventTests.test_repr", async () => {
  // A plain `def` test in CPython; it needs a loop here for the waiter.
  const ev = new Event();
  assert.ok(String(ev).endsWith("[unset]>"));
  const match = RGX_REPR.exec(String(ev));
  assert.equal(match?.groups?.extras, "unset");

  ev.set();
  assert.ok(String(ev).endsWith("[set]>"));
  assert.match(String(ev), RGX_REPR);

  // ev._waiters.append(mock.Mock()): a real waiter instead of the mock. A
  // waiter woken by set() stays in _waiters until it runs, so the event is
  // set and has one waiter, as in the original.
  ev.clear();
  const waiter = createTask(() => ev.wait());
  await sleep(0);
  ev.set();
  assert.ok(String(ev).includes("waiters:1"));
  assert.match(String(ev), RGX_REPR);
  await waiter;
});

asyncTest("test_locks.EventTests.test_wait", async () => {
  const ev = new Event();
  assert.equal(ev.isSet(), false);

  const result: number[] = [];

  async function c1(result: number[]) {
    if (await ev.wait()) result.push(1);
  }

  async function c2(result: number[]) {
    if (await ev.wait()) result.push(2);
  }

  async function c3(result: number[]) {
    if (await ev.wait()) result.push(3);
  }

  const t1 = createTask(() => c1(result));
  const t2 = createTask(() => c2(result));

  await sleep(0);
  assert.deepEqual(result, []);

  const t3 = createTask(() => c3(result));

  ev.set();
  await sleep(0);
  assert.deepEqual(result, [3, 1, 2]);

  assert.ok(t1.done());
  assert.equal(t1.result(), undefined);
  assert.ok(t2.done());
  assert.equal(t2.result(), undefined);
  assert.ok(t3.done());
  assert.equal(t3.result(), undefined);
});

asyncTest("test_locks.EventTests.test_wait_on_set", async () => {
  const ev = new Event();
  ev.set();

  const res = await ev.wait();
  assert.ok(res);
});

asyncTest("test_locks.EventTests.test_wait_cancel", async () => {
  const ev = new Event();

  const waitTask = createTask(() => ev.wait());
  getRunningLoop().callSoon(() => waitTask.cancel());
  await raises(CancelledError, waitTask);
  assert.equal(waiters(ev), 0); // assertFalse(ev._waiters)
});

asyncTest("test_locks.EventTests.test_clear", async () => {
  const ev = new Event();
  assert.equal(ev.isSet(), false);

  ev.set();
  assert.ok(ev.isSet());

  ev.clear();
  assert.equal(ev.isSet(), false);
});

asyncTest("test_locks.EventTests.test_clear_with_waiters", async () => {
  const ev = new Event();
  const result: number[] = [];

  async function c1(result: number[]) {
    if (await ev.wait()) result.push(1);
    return true;
  }

  const t = createTask(() => c1(result));
  await sleep(0);
  assert.deepEqual(result, []);

  ev.set();
  ev.clear();
  assert.equal(ev.isSet(), false);

  ev.set();
  ev.set();
  assert.equal(waiters(ev), 1);

  await sleep(0);
  assert.deepEqual(result, [1]);
  assert.equal(waiters(ev), 0);

  assert.ok(t.done());
  assert.ok(t.result());
});

// ========================================================= ConditionTests

asyncTest("test_locks.ConditionTests.test_wait", async () => {
  const cond = new Condition();
  const result: number[] = [];

  async function c1(result: number[]) {
    await cond.acquire();
    if (await cond.wait()) result.push(1);
    return true;
  }

  async function c2(result: number[]) {
    await cond.acquire();
    if (await cond.wait()) result.push(2);
    return true;
  }

  async function c3(result: number[]) {
    await cond.acquire();
    if (await cond.wait()) result.push(3);
    return true;
  }

  const t1 = createTask(() => c1(result));
  const t2 = createTask(() => c2(result));
  const t3 = createTask(() => c3(result));

  await sleep(0);
  assert.deepEqual(result, []);
  assert.equal(cond.locked(), false);

  assert.ok(await cond.acquire());
  cond.notify();
  await sleep(0);
  assert.deepEqual(result, []);
  assert.ok(cond.locked());

  cond.release();
  await sleep(0);
  assert.deepEqual(result, [1]);
  assert.ok(cond.locked());

  cond.notify(2);
  await sleep(0);
  assert.deepEqual(result, [1]);
  assert.ok(cond.locked());

  cond.release();
  await sleep(0);
  assert.deepEqual(result, [1, 2]);
  assert.ok(cond.locked());

  cond.release();
  await sleep(0);
  assert.deepEqual(result, [1, 2, 3]);
  assert.ok(cond.locked());

  assert.ok(t1.done());
  assert.ok(t1.result());
  assert.ok(t2.done());
  assert.ok(t2.result());
  assert.ok(t3.done());
  assert.ok(t3.result());
});

asyncTest("test_locks.ConditionTests.test_wait_cancel", async () => {
  const cond = new Condition();
  await cond.acquire();

  const waitTask = createTask(() => cond.wait());
  getRunningLoop().callSoon(() => waitTask.cancel());
  await raises(CancelledError, waitTask);
  assert.equal(waiters(cond), 0); // assertFalse(cond._waiters)
  assert.ok(cond.locked());
});

asyncTest("test_locks.ConditionTests.test_wait_cancel_contested", async () => {
  const cond = new Condition();

  await cond.acquire();
  assert.ok(cond.locked());

  const waitTask = createTask(() => cond.wait());
  await sleep(0);
  assert.equal(cond.locked(), false);

  // Notify, but contest the lock before cancelling
  await cond.acquire();
  assert.ok(cond.locked());
  cond.notify();
  getRunningLoop().callSoon(() => waitTask.cancel());
  getRunningLoop().callSoon(() => cond.release());

  try {
    await waitTask;
  } catch (e) {
    // Should not happen, since no cancellation points
    if (!(e instanceof CancelledError)) throw e;
  }

  assert.ok(cond.locked());
});

asyncTest(
  "test_locks.ConditionTests.test_wait_cancel_after_notify",
  async () => {
    // See bpo-32841
    let waited = false;

    const cond = new Condition();

    async function waitOnCond() {
      using _held = await cond.acquire();
      waited = true; // Make sure this area was reached
      await cond.wait();
    }

    const waiter = createTask(waitOnCond);
    await sleep(0); // Start waiting

    await cond.acquire();
    cond.notify();
    await sleep(0); // Get to acquire()
    waiter.cancel();
    await sleep(0); // Activate cancellation
    cond.release();
    await sleep(0); // Cancellation should occur

    assert.ok(waiter.cancelled());
    assert.ok(waited);
  },
);

asyncTest("test_locks.ConditionTests.test_wait_unacquired", async () => {
  const cond = new Condition();
  await raisesRuntimeError(() => cond.wait());
});

asyncTest("test_locks.ConditionTests.test_wait_for", async () => {
  const cond = new Condition();
  let presult = false;

  function predicate() {
    return presult;
  }

  const result: number[] = [];

  async function c1(result: number[]) {
    await cond.acquire();
    if (await cond.waitFor(predicate)) {
      result.push(1);
      cond.release();
    }
    return true;
  }

  const t = createTask(() => c1(result));

  await sleep(0);
  assert.deepEqual(result, []);

  await cond.acquire();
  cond.notify();
  cond.release();
  await sleep(0);
  assert.deepEqual(result, []);

  presult = true;
  await cond.acquire();
  cond.notify();
  cond.release();
  await sleep(0);
  assert.deepEqual(result, [1]);

  assert.ok(t.done());
  assert.ok(t.result());
});

asyncTest("test_locks.ConditionTests.test_wait_for_unacquired", async () => {
  const cond = new Condition();

  // predicate can return true immediately
  const res = await cond.waitFor(() => [1, 2, 3]);
  assert.deepEqual(res, [1, 2, 3]);

  await raisesRuntimeError(() => cond.waitFor(() => false));
});

asyncTest("test_locks.ConditionTests.test_notify", async () => {
  const cond = new Condition();
  const result: number[] = [];

  async function c1(result: number[]) {
    await cond.acquire();
    if (await cond.wait()) {
      result.push(1);
      cond.release();
    }
    return true;
  }

  async function c2(result: number[]) {
    await cond.acquire();
    if (await cond.wait()) {
      result.push(2);
      cond.release();
    }
    return true;
  }

  async function c3(result: number[]) {
    await cond.acquire();
    if (await cond.wait()) {
      result.push(3);
      cond.release();
    }
    return true;
  }

  const t1 = createTask(() => c1(result));
  const t2 = createTask(() => c2(result));
  const t3 = createTask(() => c3(result));

  await sleep(0);
  assert.deepEqual(result, []);

  await cond.acquire();
  cond.notify(1);
  cond.release();
  await sleep(0);
  assert.deepEqual(result, [1]);

  await cond.acquire();
  cond.notify(1);
  cond.notify(2048);
  cond.release();
  await sleep(0);
  assert.deepEqual(result, [1, 2, 3]);

  assert.ok(t1.done());
  assert.ok(t1.result());
  assert.ok(t2.done());
  assert.ok(t2.result());
  assert.ok(t3.done());
  assert.ok(t3.result());
});

asyncTest("test_locks.ConditionTests.test_notify_all", async () => {
  const cond = new Condition();

  const result: number[] = [];

  async function c1(result: number[]) {
    await cond.acquire();
    if (await cond.wait()) {
      result.push(1);
      cond.release();
    }
    return true;
  }

  async function c2(result: number[]) {
    await cond.acquire();
    if (await cond.wait()) {
      result.push(2);
      cond.release();
    }
    return true;
  }

  const t1 = createTask(() => c1(result));
  const t2 = createTask(() => c2(result));

  await sleep(0);
  assert.deepEqual(result, []);

  await cond.acquire();
  cond.notifyAll();
  cond.release();
  await sleep(0);
  assert.deepEqual(result, [1, 2]);

  assert.ok(t1.done());
  assert.ok(t1.result());
  assert.ok(t2.done());
  assert.ok(t2.result());
});

Deno.test("test_locks.ConditionTests.test_notify_unacquired", () => {
  const cond = new Condition();
  assert.throws(() => cond.notify(), isRuntimeError);
});

Deno.test("test_locks.ConditionTests.test_notify_all_unacquired", () => {
  const cond = new Condition();
  assert.throws(() => cond.notifyAll(), isRuntimeError);
});

asyncTest("test_locks.ConditionTests.test_repr", async () => {
  const cond = new Condition();
  assert.ok(String(cond).includes("unlocked"));
  assert.match(String(cond), RGX_REPR);

  await cond.acquire();
  assert.ok(String(cond).includes("locked"));

  // cond._waiters.append(mock.Mock()): real waiters instead of the mocks,
  // tasks that wait on the condition while this task holds its lock
  // (asyncio's locks have no owner). Each wait() releases the lock, so it
  // is taken again before the second waiter.
  const waitOnce = async () => {
    await cond.wait();
    cond.release();
  };
  const w1 = createTask(waitOnce);
  await sleep(0);
  assert.ok(String(cond).includes("waiters:1"));
  assert.match(String(cond), RGX_REPR);

  await cond.acquire();
  const w2 = createTask(waitOnce);
  await sleep(0);
  assert.ok(String(cond).includes("waiters:2"));
  assert.match(String(cond), RGX_REPR);

  // Let the waiters finish (the mocks needed no cleanup).
  await cond.acquire();
  cond.notifyAll();
  cond.release();
  await gather(w1, w2);
});

asyncTest("test_locks.ConditionTests.test_context_manager", async () => {
  const cond = new Condition();
  assert.equal(cond.locked(), false);
  {
    using _held = await cond.acquire();
    assert.ok(cond.locked());
  }
  assert.equal(cond.locked(), false);
});

asyncTest("test_locks.ConditionTests.test_explicit_lock", async () => {
  async function f(lock?: Lock, cond?: Condition) {
    if (lock === undefined) lock = new Lock();
    if (cond === undefined) cond = new Condition(lock);
    // self.assertIs(cond._lock, lock): the lock is private; the asserts
    // below show that cond and lock are one lock.
    assert.equal(lock.locked(), false);
    assert.equal(cond.locked(), false);
    {
      using _held = await cond.acquire();
      assert.ok(lock.locked());
      assert.ok(cond.locked());
    }
    assert.equal(lock.locked(), false);
    assert.equal(cond.locked(), false);
    {
      using _held = await lock.acquire();
      assert.ok(lock.locked());
      assert.ok(cond.locked());
    }
    assert.equal(lock.locked(), false);
    assert.equal(cond.locked(), false);
  }

  // All should work in the same way.
  await f();
  await f(new Lock());
  const lock = new Lock();
  await f(lock, new Condition(lock));
});

Deno.test("test_locks.ConditionTests.test_ambiguous_loops", async () => {
  // CPython points the primitives at another loop through the private
  // `_loop`. Here they are bound to `loop` the public way, by waiting on
  // them once while `loop` runs (a primitive binds to the loop it first
  // waits on); the test body then runs on the test's own loop.
  const loop = newEventLoop(VT);
  const lockOnLoop = new Lock();
  const condLock = new Lock();
  const condOnLoop = new Condition(condLock);
  try {
    await loop.runUntilComplete(async () => {
      // lockOnLoop: a task waits for it once.
      await lockOnLoop.acquire();
      const t = createTask(() => lockOnLoop.acquire());
      await sleep(0);
      t.cancel();
      await raises(CancelledError, t);
      lockOnLoop.release();
      // condOnLoop: a task waits on it once (its lock, taken without
      // waiting, stays unbound).
      await condOnLoop.acquire();
      const w = createTask(() => condOnLoop.wait());
      await sleep(0);
      w.cancel();
      await raises(CancelledError, w);
      condOnLoop.release();
    });
    assert.equal(lockOnLoop.locked(), false);
    assert.equal(condLock.locked(), false);

    const testLoop = newEventLoop(VT);
    try {
      await testLoop.runUntilComplete(async () => {
        async function wrongLoopInLock() {
          // actively disallowed since 3.10
          assert.throws(() => construct(Lock, { loop }), TypeError);
          const lock = lockOnLoop; // lock._loop = loop
          {
            using _held = await lock.acquire();
            // acquired immediately via the fast-path
            // without interaction with any event loop.
            const cond = new Condition(lock);
            // cond.acquire() will trigger waiting on the lock
            // and it will discover the event loop mismatch.
            await raisesRuntimeError(
              () => cond.acquire(),
              /is bound to a different event loop/,
            );
          }
        }

        async function wrongLoopInCond() {
          // Same analogy here with the condition's loop.
          const lock = condLock;
          {
            using _held = await lock.acquire();
            assert.throws(
              () => construct(Condition, lock, { loop }),
              TypeError,
            );
            const cond = condOnLoop; // cond._loop = loop
            await raisesRuntimeError(
              () => cond.wait(),
              /is bound to a different event loop/,
            );
          }
        }

        await wrongLoopInLock();
        await wrongLoopInCond();
      });
    } finally {
      testLoop.close();
    }
  } finally {
    loop.close();
  }
});

asyncTest("test_locks.ConditionTests.test_timeout_in_block", async () => {
  const condition = new Condition();
  {
    using _held = await condition.acquire();
    await raises(TimeoutError, () => waitFor(condition.wait(), 0.5));
  }
});

asyncTest("test_locks.ConditionTests.test_cancelled_error_wakeup", async () => {
  // Test that a cancelled error, received when awaiting wakeup,
  // will be re-raised un-modified.
  const wake = false;
  let raised: CancelledError | null = null;
  const cond = new Condition();

  async function func() {
    using _held = await cond.acquire();
    const err = await raises(CancelledError, () => cond.waitFor(() => wake));
    raised = err;
    throw raised;
  }

  const task = createTask(func);
  await sleep(0);
  // Task is waiting on the condition, cancel it there.
  task.cancel("foo");
  const err = await raises(CancelledError, task);
  assert.equal(err.message, "foo"); // err.exception.args == ("foo",)
  // We should have got the _same_ exception instance as the one
  // originally raised.
  assert.equal(err, raised);
});

asyncTest(
  "test_locks.ConditionTests.test_cancelled_error_re_aquire",
  async () => {
    // Test that a cancelled error, received when re-aquiring lock,
    // will be re-raised un-modified.
    let wake = false;
    let raised: CancelledError | null = null;
    const cond = new Condition();

    async function func() {
      using _held = await cond.acquire();
      const err = await raises(
        CancelledError,
        () => cond.waitFor(() => wake),
      );
      raised = err;
      throw raised;
    }

    const task = createTask(func);
    await sleep(0);
    // Task is waiting on the condition
    await cond.acquire();
    wake = true;
    cond.notify();
    await sleep(0);
    // Task is now trying to re-acquire the lock, cancel it there.
    task.cancel("foo");
    cond.release();
    const err = await raises(CancelledError, task);
    assert.equal(err.message, "foo"); // err.exception.args == ("foo",)
    // We should have got the _same_ exception instance as the one
    // originally raised.
    assert.equal(err, raised);
  },
);

asyncTest("test_locks.ConditionTests.test_cancelled_wakeup", async () => {
  // Test that a task cancelled at the "same" time as it is woken
  // up as part of a Condition.notify() does not result in a lost wakeup.
  // This test simulates a cancel while the target task is awaiting initial
  // wakeup on the wakeup queue.
  const condition = new Condition();
  let state = 0;
  async function consumer() {
    using _held = await condition.acquire();
    while (true) {
      await condition.waitFor(() => state !== 0);
      if (state < 0) return;
      state -= 1;
    }
  }

  // create two consumers
  const c = [createTask(consumer), createTask(consumer)];
  // wait for them to settle
  await sleep(0);
  {
    using _held = await condition.acquire();
    // produce one item and wake up one
    state += 1;
    condition.notify(1);

    // Cancel it while it is awaiting to be run.
    // This cancellation could come from the outside
    c[0].cancel();

    // now wait for the item to be consumed
    // if it doesn't means that our "notify" didn"t take hold.
    // because it raced with a cancel()
    try {
      await using _t = timeout(0.01);
      await condition.waitFor(() => state === 0);
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
    }
    assert.equal(state, 0);

    // clean up
    state = -1;
    condition.notifyAll();
  }
  await c[1];
});

asyncTest(
  "test_locks.ConditionTests.test_cancelled_wakeup_relock",
  async () => {
    // Test that a task cancelled at the "same" time as it is woken
    // up as part of a Condition.notify() does not result in a lost wakeup.
    // This test simulates a cancel while the target task is acquiring the lock
    // again.
    const condition = new Condition();
    let state = 0;
    async function consumer() {
      using _held = await condition.acquire();
      while (true) {
        await condition.waitFor(() => state !== 0);
        if (state < 0) return;
        state -= 1;
      }
    }

    // create two consumers
    const c = [createTask(consumer), createTask(consumer)];
    // wait for them to settle
    await sleep(0);
    {
      using _held = await condition.acquire();
      // produce one item and wake up one
      state += 1;
      condition.notify(1);

      // now we sleep for a bit.  This allows the target task to wake up and
      // settle on re-aquiring the lock
      await sleep(0);

      // Cancel it while awaiting the lock
      // This cancel could come the outside.
      c[0].cancel();

      // now wait for the item to be consumed
      // if it doesn't means that our "notify" didn"t take hold.
      // because it raced with a cancel()
      try {
        await using _t = timeout(0.01);
        await condition.waitFor(() => state === 0);
      } catch (e) {
        if (!(e instanceof TimeoutError)) throw e;
      }
      assert.equal(state, 0);

      // clean up
      state = -1;
      condition.notifyAll();
    }
    await c[1];
  },
);

// ========================================================= SemaphoreTests

Deno.test("test_locks.SemaphoreTests.test_initial_value_zero", () => {
  const sem = new Semaphore(0);
  assert.ok(sem.locked());
});

asyncTest("test_locks.SemaphoreTests.test_repr", async () => {
  const sem = new Semaphore();
  assert.ok(String(sem).endsWith("[unlocked, value:1]>"));
  assert.match(String(sem), RGX_REPR);

  await sem.acquire();
  assert.ok(String(sem).endsWith("[locked]>"));
  assert.ok(!String(sem).includes("waiters"));
  assert.match(String(sem), RGX_REPR);

  // sem._waiters.append(mock.Mock()): real waiters instead of the mocks
  // (cancelled at the end of the test, as IsolatedAsyncioTestCase does).
  createTask(() => sem.acquire());
  await sleep(0);
  assert.ok(String(sem).includes("waiters:1"));
  assert.match(String(sem), RGX_REPR);

  createTask(() => sem.acquire());
  await sleep(0);
  assert.ok(String(sem).includes("waiters:2"));
  assert.match(String(sem), RGX_REPR);
});

asyncTest("test_locks.SemaphoreTests.test_semaphore", async () => {
  const sem = new Semaphore();
  assert.equal(sem.statistics().value, 1);

  // `await sem` -> TypeError in Python; see awaitPrimitive.
  await awaitPrimitive(sem);

  assert.equal(sem.locked(), false);
  assert.equal(sem.statistics().value, 1);
});

Deno.test("test_locks.SemaphoreTests.test_semaphore_value", () => {
  assert.throws(() => new Semaphore(-1), RangeError);
});

asyncTest("test_locks.SemaphoreTests.test_acquire", async () => {
  const sem = new Semaphore(3);
  const result: number[] = [];

  assert.ok(await sem.acquire());
  assert.ok(await sem.acquire());
  assert.equal(sem.locked(), false);

  async function c1(result: number[]) {
    await sem.acquire();
    result.push(1);
    return true;
  }

  async function c2(result: number[]) {
    await sem.acquire();
    result.push(2);
    return true;
  }

  async function c3(result: number[]) {
    await sem.acquire();
    result.push(3);
    return true;
  }

  async function c4(result: number[]) {
    await sem.acquire();
    result.push(4);
    return true;
  }

  const t1 = createTask(() => c1(result));
  const t2 = createTask(() => c2(result));
  const t3 = createTask(() => c3(result));

  await sleep(0);
  assert.deepEqual(result, [1]);
  assert.ok(sem.locked());
  assert.equal(waiters(sem), 2);
  assert.equal(sem.statistics().value, 0);

  const t4 = createTask(() => c4(result));

  sem.release();
  sem.release();
  assert.equal(sem.statistics().value, 0);

  await sleep(0);
  assert.equal(sem.statistics().value, 0);
  assert.equal(result.length, 3);
  assert.ok(sem.locked());
  assert.equal(waiters(sem), 1);
  assert.equal(sem.statistics().value, 0);

  assert.ok(t1.done());
  assert.ok(t1.result());
  const raceTasks = [t2, t3, t4];
  const doneTasks = raceTasks.filter((t) => t.done() && t.result());
  assert.equal(doneTasks.length, 2);

  // cleanup locked semaphore
  sem.release();
  await gather(...raceTasks);
});

asyncTest("test_locks.SemaphoreTests.test_acquire_cancel", async () => {
  const sem = new Semaphore();
  await sem.acquire();

  const acquire = createTask(() => sem.acquire());
  getRunningLoop().callSoon(() => acquire.cancel());
  await raises(CancelledError, acquire);
  // (not sem._waiters) or all(waiter.done() for waiter in sem._waiters):
  // the waiters' futures are private, so no waiter may be left.
  assert.equal(waiters(sem), 0);
});

asyncTest(
  "test_locks.SemaphoreTests.test_acquire_cancel_before_awoken",
  async () => {
    const sem = new Semaphore(0);

    const t1 = createTask(() => sem.acquire());
    const t2 = createTask(() => sem.acquire());
    const t3 = createTask(() => sem.acquire());
    const t4 = createTask(() => sem.acquire());

    await sleep(0);

    t1.cancel();
    t2.cancel();
    sem.release();

    await sleep(0);
    await sleep(0);
    const numDone = [t3, t4].filter((t) => t.done()).length;
    assert.equal(numDone, 1);
    assert.ok(t3.done());
    assert.equal(t4.done(), false);

    t3.cancel();
    t4.cancel();
    await sleep(0);
  },
);

asyncTest("test_locks.SemaphoreTests.test_acquire_hang", async () => {
  const sem = new Semaphore(0);

  const t1 = createTask(() => sem.acquire());
  const t2 = createTask(() => sem.acquire());
  await sleep(0);

  t1.cancel();
  sem.release();
  await sleep(0);
  await sleep(0);
  assert.ok(sem.locked());
  assert.ok(t2.done());
});

asyncTest("test_locks.SemaphoreTests.test_acquire_no_hang", async () => {
  const sem = new Semaphore(1);

  async function c1() {
    {
      using _held = await sem.acquire();
      await sleep(0);
    }
    t2.cancel();
  }

  async function c2() {
    using _held = await sem.acquire();
    assert.equal(true, false); // self.assertFalse(True)
  }

  const t1: Task<void> = createTask(c1);
  const t2: Task<void> = createTask(c2);

  const [r1, r2] = await gather(t1, t2, { returnExceptions: true });
  assert.ok(r1 === undefined); // r1 is None
  assert.ok(r2 instanceof CancelledError);

  await waitFor(sem.acquire(), 1.0);
});

Deno.test("test_locks.SemaphoreTests.test_release_not_acquired", () => {
  const sem = new BoundedSemaphore();

  assert.throws(() => sem.release(), RangeError);
});

asyncTest("test_locks.SemaphoreTests.test_release_no_waiters", async () => {
  const sem = new Semaphore();
  await sem.acquire();
  assert.ok(sem.locked());

  sem.release();
  assert.equal(sem.locked(), false);
});

asyncTest("test_locks.SemaphoreTests.test_acquire_fifo_order", async () => {
  const sem = new Semaphore(1);
  const result: string[] = [];

  async function coro(tag: string) {
    await sem.acquire();
    result.push(`${tag}_1`);
    await sleep(0.01);
    sem.release();

    await sem.acquire();
    result.push(`${tag}_2`);
    await sleep(0.01);
    sem.release();
  }

  {
    await using tg = new TaskGroup();
    tg.createTask(() => coro("c1"));
    tg.createTask(() => coro("c2"));
    tg.createTask(() => coro("c3"));
  }

  assert.deepEqual(
    result,
    ["c1_1", "c2_1", "c3_1", "c1_2", "c2_2", "c3_2"],
  );
});

asyncTest("test_locks.SemaphoreTests.test_acquire_fifo_order_2", async () => {
  const sem = new Semaphore(1);
  const result: number[] = [];

  async function c1(result: number[]) {
    await sem.acquire();
    result.push(1);
    return true;
  }

  async function c2(result: number[]) {
    await sem.acquire();
    result.push(2);
    sem.release();
    await sem.acquire();
    result.push(4);
    return true;
  }

  async function c3(result: number[]) {
    await sem.acquire();
    result.push(3);
    return true;
  }

  const t1 = createTask(() => c1(result));
  const t2 = createTask(() => c2(result));
  const t3 = createTask(() => c3(result));

  await sleep(0);

  sem.release();
  sem.release();

  const tasks = [t1, t2, t3];
  await gather(...tasks);
  assert.deepEqual(result, [1, 2, 3, 4]);
});

asyncTest("test_locks.SemaphoreTests.test_acquire_fifo_order_3", async () => {
  const sem = new Semaphore(0);
  const result: number[] = [];

  async function c1(result: number[]) {
    await sem.acquire();
    result.push(1);
    return true;
  }

  async function c2(result: number[]) {
    await sem.acquire();
    result.push(2);
    return true;
  }

  async function c3(result: number[]) {
    await sem.acquire();
    result.push(3);
    return true;
  }

  const t1 = createTask(() => c1(result));
  const t2 = createTask(() => c2(result));
  const t3 = createTask(() => c3(result));

  await sleep(0);

  t1.cancel();

  await sleep(0);

  sem.release();
  sem.release();

  const tasks = [t1, t2, t3];
  await gather(...tasks, { returnExceptions: true });
  assert.deepEqual(result, [2, 3]);
});

asyncTest("test_locks.SemaphoreTests.test_acquire_fifo_order_4", async () => {
  // Test that a successfule `acquire()` will wake up multiple Tasks
  // that were waiting in the Semaphore queue due to FIFO rules.
  const sem = new Semaphore(0);
  const result: number[] = [];

  async function c1(result: number[]) {
    // First task immediatlly waits for semaphore.  It will be awoken by c2.
    assert.equal(sem.statistics().value, 0);
    await sem.acquire();
    // We should have woken up all waiting tasks now.
    assert.equal(sem.statistics().value, 0);
    // Create a fourth task.  It should run after c3, not c2.
    t4 = createTask(() => c4(result));
    result.push(1);
    return true;
  }

  async function c2(result: number[]) {
    // The second task begins by releasing semaphore three times,
    // for c1, c2, and c3.
    sem.release();
    sem.release();
    sem.release();
    assert.equal(sem.statistics().value, 2);
    // It is locked, because c1 hasn't woken up yet.
    assert.ok(sem.locked());
    await sem.acquire();
    result.push(2);
    return true;
  }

  async function c3(result: number[]) {
    await sem.acquire();
    assert.ok(sem.locked());
    result.push(3);
    return true;
  }

  async function c4(result: number[]) {
    result.push(4);
    return true;
  }

  const t1 = createTask(() => c1(result));
  const t2 = createTask(() => c2(result));
  const t3 = createTask(() => c3(result));
  let t4: Task<boolean> | null = null;

  await sleep(0);
  // Three tasks are in the queue, the first hasn't woken up yet.
  assert.equal(sem.statistics().value, 2);
  assert.equal(waiters(sem), 3);
  await sleep(0);

  assert.ok(t4 !== null, "c1 must have created t4 by now");
  const tasks = [t1, t2, t3, t4];
  await gather(...tasks);
  assert.deepEqual(result, [1, 2, 3, 4]);
});

// =========================================================== BarrierTests
//
// `async with barrier as i:` is `const i = await barrier.wait();`: that is
// all Barrier.__aenter__ does, and __aexit__ does nothing.

const N = 5; // BarrierTests.asyncSetUp: self.N = 5

function makeTasks<T>(n: number, coro: () => Promise<T>): Task<T>[] {
  const tasks: Task<T>[] = [];
  for (let i = 0; i < n; i++) tasks.push(createTask(coro));
  return tasks;
}

async function gatherTasks<T>(
  n: number,
  coro: () => Promise<T>,
): Promise<[T[], Task<T>[]]> {
  const tasks = makeTasks(n, coro);
  const res = await gather(...tasks);
  return [res, tasks];
}

asyncTest("test_locks.BarrierTests.test_barrier", async () => {
  const barrier = new Barrier(N);
  assert.ok(String(barrier).includes("filling"));
  // `await barrier` -> TypeError in Python; see awaitPrimitive.
  await awaitPrimitive(barrier);

  assert.ok(String(barrier).includes("filling"));
});

asyncTest("test_locks.BarrierTests.test_repr", async () => {
  const barrier = new Barrier(N);

  assert.match(String(barrier), RGX_REPR);
  assert.ok(String(barrier).includes("filling"));

  const waiters: Task<void>[] = [];
  async function wait(barrier: Barrier) {
    await barrier.wait();
  }

  const incr = 2;
  for (let i = 0; i < incr; i++) {
    waiters.push(createTask(() => wait(barrier)));
  }
  await sleep(0);

  assert.match(String(barrier), RGX_REPR);
  assert.ok(String(barrier).includes(`waiters:${incr}/${N}`));
  assert.ok(String(barrier).includes("filling"));

  // create missing waiters
  const missing = barrier.parties - barrier.nWaiting;
  for (let i = 0; i < missing; i++) {
    waiters.push(createTask(() => wait(barrier)));
  }
  await sleep(0);

  assert.match(String(barrier), RGX_REPR);
  assert.ok(String(barrier).includes("draining"));

  // add a part of waiters
  for (let i = 0; i < incr; i++) {
    waiters.push(createTask(() => wait(barrier)));
  }
  await sleep(0);
  // and reset
  await barrier.reset();

  assert.match(String(barrier), RGX_REPR);
  assert.ok(String(barrier).includes("resetting"));

  // add a part of waiters again
  for (let i = 0; i < incr; i++) {
    waiters.push(createTask(() => wait(barrier)));
  }
  await sleep(0);
  // and abort
  await barrier.abort();

  assert.match(String(barrier), RGX_REPR);
  assert.ok(String(barrier).includes("broken"));
  assert.ok(barrier.broken);

  // suppress unhandled exceptions
  await gather(...waiters, { returnExceptions: true });
});

asyncTest("test_locks.BarrierTests.test_barrier_parties", async () => {
  assert.throws(() => new Barrier(0), RangeError);
  assert.throws(() => new Barrier(-4), RangeError);

  assert.ok(new Barrier(N) instanceof Barrier);
});

asyncTest("test_locks.BarrierTests.test_context_manager", async () => {
  const N = 3;
  const barrier = new Barrier(N);
  const results: number[] = [];

  async function coro() {
    const i = await barrier.wait(); // async with barrier as i:
    results.push(i);
  }

  await gatherTasks(N, coro);

  assert.deepEqual(
    results.toSorted((a, b) => a - b),
    [...Array(N).keys()],
  );
  assert.equal(barrier.nWaiting, 0);
  assert.equal(barrier.broken, false);
});

asyncTest("test_locks.BarrierTests.test_filling_one_task", async () => {
  const barrier = new Barrier(1);

  async function f() {
    const _i = await barrier.wait(); // async with barrier as i:
    return true;
  }

  const ret = await f();

  assert.ok(ret);
  assert.equal(barrier.nWaiting, 0);
  assert.equal(barrier.broken, false);
});

asyncTest("test_locks.BarrierTests.test_filling_one_task_twice", async () => {
  const barrier = new Barrier(1);

  const t1 = createTask(() => barrier.wait());
  await sleep(0);
  assert.equal(barrier.nWaiting, 0);

  const t2 = createTask(() => barrier.wait());
  await sleep(0);

  assert.equal(t1.result(), t2.result());
  assert.equal(t1.done(), t2.done());

  assert.equal(barrier.nWaiting, 0);
  assert.equal(barrier.broken, false);
});

asyncTest("test_locks.BarrierTests.test_filling_task_by_task", async () => {
  const N = 3;
  const barrier = new Barrier(N);

  const t1 = createTask(() => barrier.wait());
  await sleep(0);
  assert.equal(barrier.nWaiting, 1);
  assert.ok(String(barrier).includes("filling"));

  const t2 = createTask(() => barrier.wait());
  await sleep(0);
  assert.equal(barrier.nWaiting, 2);
  assert.ok(String(barrier).includes("filling"));

  const t3 = createTask(() => barrier.wait());
  await sleep(0);

  await wait([t1, t2, t3]);

  assert.equal(barrier.nWaiting, 0);
  assert.equal(barrier.broken, false);
});

asyncTest(
  "test_locks.BarrierTests.test_filling_tasks_wait_twice",
  async () => {
    const barrier = new Barrier(N);
    const results: boolean[] = [];

    async function coro() {
      await barrier.wait(); // async with barrier:
      results.push(true);

      await barrier.wait(); // async with barrier:
      results.push(false);
    }

    await gatherTasks(N, coro);

    assert.equal(results.length, N * 2);
    assert.equal(results.filter((r) => r === true).length, N);
    assert.equal(results.filter((r) => r === false).length, N);

    assert.equal(barrier.nWaiting, 0);
    assert.equal(barrier.broken, false);
  },
);

asyncTest(
  "test_locks.BarrierTests.test_filling_tasks_check_return_value",
  async () => {
    const barrier = new Barrier(N);
    const results1: boolean[] = [];
    const results2: boolean[] = [];

    async function coro() {
      await barrier.wait(); // async with barrier:
      results1.push(true);

      const i = await barrier.wait(); // async with barrier as i:
      results2.push(true);
      return i;
    }

    const [res] = await gatherTasks(N, coro);

    assert.equal(results1.length, N);
    assert.ok(results1.every(Boolean));
    assert.equal(results2.length, N);
    assert.ok(results2.every(Boolean));
    assert.deepEqual(res.toSorted((a, b) => a - b), [...Array(N).keys()]);

    assert.equal(barrier.nWaiting, 0);
    assert.equal(barrier.broken, false);
  },
);

asyncTest("test_locks.BarrierTests.test_draining_state", async () => {
  const barrier = new Barrier(N);
  const results: boolean[] = [];

  async function coro() {
    await barrier.wait(); // async with barrier:
    // barrier state change to filling for the last task release
    results.push(String(barrier).includes("draining"));
  }

  await gatherTasks(N, coro);

  assert.equal(results.length, N);
  assert.equal(results[results.length - 1], false);
  assert.ok(results.slice(0, N - 1).every(Boolean));

  assert.equal(barrier.nWaiting, 0);
  assert.equal(barrier.broken, false);
});

asyncTest(
  "test_locks.BarrierTests.test_blocking_tasks_while_draining",
  async () => {
    const rewait = 2;
    const barrier = new Barrier(N);
    const barrierNowaiting = new Barrier(N - rewait);
    let rewaitN = rewait;

    async function coro() {
      // first time waiting
      await barrier.wait();

      // after wainting once for all tasks
      if (rewaitN > 0) {
        rewaitN -= 1;
        // wait again only for rewait tasks
        await barrier.wait();
      } else {
        // wait for end of draining state`
        await barrierNowaiting.wait();
        // wait for other waiting tasks
        await barrier.wait();
      }
    }

    // a success means that barrier_nowaiting
    // was waited for exactly N-rewait=3 times
    await gatherTasks(N, coro);
  },
);

asyncTest(
  "test_locks.BarrierTests.test_filling_tasks_cancel_one",
  async () => {
    const N = 3;
    const barrier = new Barrier(N);
    const results: boolean[] = [];

    async function coro() {
      await barrier.wait();
      results.push(true);
    }

    const t1 = createTask(coro);
    await sleep(0);
    assert.equal(barrier.nWaiting, 1);

    const t2 = createTask(coro);
    await sleep(0);
    assert.equal(barrier.nWaiting, 2);

    t1.cancel();
    await sleep(0);
    assert.equal(barrier.nWaiting, 1);
    await raises(CancelledError, t1);
    assert.ok(t1.cancelled());

    const t3 = createTask(coro);
    await sleep(0);
    assert.equal(barrier.nWaiting, 2);

    const t4 = createTask(coro);
    await gather(t2, t3, t4);

    assert.equal(results.length, N);
    assert.ok(results.every(Boolean));

    assert.equal(barrier.nWaiting, 0);
    assert.equal(barrier.broken, false);
  },
);

asyncTest("test_locks.BarrierTests.test_reset_barrier", async () => {
  const barrier = new Barrier(1);

  createTask(() => barrier.reset());
  await sleep(0);

  assert.equal(barrier.nWaiting, 0);
  assert.equal(barrier.broken, false);
});

asyncTest(
  "test_locks.BarrierTests.test_reset_barrier_while_tasks_waiting",
  async () => {
    const barrier = new Barrier(N);
    const results: boolean[] = [];

    async function coro() {
      try {
        await barrier.wait();
      } catch (e) {
        if (!(e instanceof BrokenBarrierError)) throw e;
        results.push(true);
      }
    }

    async function coroReset() {
      await barrier.reset();
    }

    // N-1 tasks waiting on barrier with N parties
    const tasks = makeTasks(N - 1, coro);
    await sleep(0);

    // reset the barrier
    createTask(coroReset);
    await gather(...tasks);

    assert.equal(results.length, N - 1);
    assert.ok(results.every(Boolean));
    assert.equal(barrier.nWaiting, 0);
    assert.ok(!String(barrier).includes("resetting"));
    assert.equal(barrier.broken, false);
  },
);

asyncTest(
  "test_locks.BarrierTests.test_reset_barrier_when_tasks_half_draining",
  async () => {
    const barrier = new Barrier(N);
    const results1: boolean[] = [];
    const restOfTasks = Math.floor(N / 2);
    // barrier._count (private) is the number of tasks inside wait(): while
    // the barrier drains, N minus the tasks that returned from it.
    let returned = 0;

    async function coro() {
      try {
        await barrier.wait();
      } catch (e) {
        if (!(e instanceof BrokenBarrierError)) throw e;
        // catch here waiting tasks
        results1.push(true);
        return;
      }
      returned += 1;
      // here drained task outside the barrier
      if (restOfTasks === N - returned) { // == barrier._count
        // tasks outside the barrier
        await barrier.reset();
      }
    }

    await gatherTasks(N, coro);

    assert.deepEqual(results1, Array(restOfTasks).fill(true));
    assert.equal(barrier.nWaiting, 0);
    assert.ok(!String(barrier).includes("resetting"));
    assert.equal(barrier.broken, false);
  },
);

asyncTest(
  "test_locks.BarrierTests.test_reset_barrier_when_tasks_half_draining_half_blocking",
  async () => {
    const barrier = new Barrier(N);
    const results1: boolean[] = [];
    const results2: boolean[] = [];
    const blockingTasks = Math.floor(N / 2);
    let count = 0;

    async function coro() {
      try {
        await barrier.wait();
      } catch (e) {
        if (!(e instanceof BrokenBarrierError)) throw e;
        // here catch still waiting tasks
        results1.push(true);

        // so now waiting again to reach nb_parties
        await barrier.wait();
        return;
      }
      count += 1;
      if (count > blockingTasks) {
        // reset now: raise asyncio.BrokenBarrierError for waiting tasks
        await barrier.reset();

        // so now waiting again to reach nb_parties
        await barrier.wait();
      } else {
        try {
          await barrier.wait();
        } catch (e) {
          if (!(e instanceof BrokenBarrierError)) throw e;
          // here no catch - blocked tasks go to wait
          results2.push(true);
        }
      }
    }

    await gatherTasks(N, coro);

    assert.deepEqual(results1, Array(blockingTasks).fill(true));
    assert.deepEqual(results2, []);
    assert.equal(barrier.nWaiting, 0);
    assert.ok(!String(barrier).includes("resetting"));
    assert.equal(barrier.broken, false);
  },
);

asyncTest(
  "test_locks.BarrierTests.test_reset_barrier_while_tasks_waiting_and_waiting_again",
  async () => {
    const barrier = new Barrier(N);
    const results1: boolean[] = [];
    const results2: boolean[] = [];

    async function coro1() {
      try {
        await barrier.wait();
      } catch (e) {
        if (!(e instanceof BrokenBarrierError)) throw e;
        results1.push(true);
      } finally {
        await barrier.wait();
        results2.push(true);
      }
    }

    async function coro2() {
      await barrier.wait(); // async with barrier:
      results2.push(true);
    }

    const tasks = makeTasks(N - 1, coro1);

    // reset barrier, N-1 waiting tasks raise an BrokenBarrierError
    createTask(() => barrier.reset());
    await sleep(0);

    // complete waiting tasks in the `finally`
    createTask(coro2);

    await gather(...tasks);

    assert.equal(barrier.broken, false);
    assert.equal(results1.length, N - 1);
    assert.ok(results1.every(Boolean));
    assert.equal(results2.length, N);
    assert.ok(results2.every(Boolean));

    assert.equal(barrier.nWaiting, 0);
  },
);

asyncTest(
  "test_locks.BarrierTests.test_reset_barrier_while_tasks_draining",
  async () => {
    const barrier = new Barrier(N);
    const results1: boolean[] = [];
    const results2: boolean[] = [];
    const results3: boolean[] = [];
    let count = 0;

    async function coro() {
      await barrier.wait();
      count += 1;
      if (count === N) {
        // last task exited from barrier
        await barrier.reset();

        // wait here to reach the `parties`
        await barrier.wait();
      } else {
        try {
          // second waiting
          await barrier.wait();

          // N-1 tasks here
          results1.push(true);
        } catch (e) {
          // `except Exception`: CancelledError is no Exception in Python
          if (e instanceof CancelledError) throw e;
          // never goes here
          results2.push(true);
        }
      }

      // Now, pass the barrier again
      // last wait, must be completed
      await barrier.wait();
      results3.push(true);
    }

    await gatherTasks(N, coro);

    assert.equal(barrier.broken, false);
    assert.ok(results1.every(Boolean));
    assert.equal(results1.length, N - 1);
    assert.equal(results2.length, 0);
    assert.equal(results3.length, N);
    assert.ok(results3.every(Boolean));

    assert.equal(barrier.nWaiting, 0);
  },
);

asyncTest("test_locks.BarrierTests.test_abort_barrier", async () => {
  const barrier = new Barrier(1);

  createTask(() => barrier.abort());
  await sleep(0);

  assert.equal(barrier.nWaiting, 0);
  assert.ok(barrier.broken);
});

asyncTest(
  "test_locks.BarrierTests.test_abort_barrier_when_tasks_half_draining_half_blocking",
  async () => {
    const barrier = new Barrier(N);
    const results1: boolean[] = [];
    const results2: boolean[] = [];
    const blockingTasks = Math.floor(N / 2);
    let count = 0;

    async function coro() {
      try {
        await barrier.wait();
      } catch (e) {
        if (!(e instanceof BrokenBarrierError)) throw e;
        // here catch tasks waiting to drain
        results1.push(true);
        return;
      }
      count += 1;
      if (count > blockingTasks) {
        // abort now: raise asyncio.BrokenBarrierError for all tasks
        await barrier.abort();
      } else {
        try {
          await barrier.wait();
        } catch (e) {
          if (!(e instanceof BrokenBarrierError)) throw e;
          // here catch blocked tasks (already drained)
          results2.push(true);
        }
      }
    }

    await gatherTasks(N, coro);

    assert.ok(barrier.broken);
    assert.deepEqual(results1, Array(blockingTasks).fill(true));
    assert.deepEqual(results2, Array(N - blockingTasks - 1).fill(true));
    assert.equal(barrier.nWaiting, 0);
    assert.ok(!String(barrier).includes("resetting"));
  },
);

asyncTest(
  "test_locks.BarrierTests.test_abort_barrier_when_exception",
  async () => {
    // test from threading.Barrier: see `lock_tests.test_reset`
    const barrier = new Barrier(N);
    const results1: boolean[] = [];
    const results2: boolean[] = [];

    async function coro() {
      try {
        const i = await barrier.wait(); // async with barrier as i:
        if (i === Math.floor(N / 2)) throw new Error(); // RuntimeError
        await barrier.wait(); // async with barrier:
        results1.push(true);
      } catch (e) {
        if (e instanceof BrokenBarrierError) {
          results2.push(true);
        } else if (isRuntimeError(e)) {
          await barrier.abort();
        } else {
          throw e;
        }
      }
    }

    await gatherTasks(N, coro);

    assert.ok(barrier.broken);
    assert.equal(results1.length, 0);
    assert.equal(results2.length, N - 1);
    assert.ok(results2.every(Boolean));
    assert.equal(barrier.nWaiting, 0);
  },
);

asyncTest(
  "test_locks.BarrierTests.test_abort_barrier_when_exception_then_resetting",
  async () => {
    // test from threading.Barrier: see `lock_tests.test_abort_and_reset``
    const barrier1 = new Barrier(N);
    const barrier2 = new Barrier(N);
    const results1: boolean[] = [];
    const results2: boolean[] = [];
    const results3: boolean[] = [];

    async function coro() {
      try {
        const i = await barrier1.wait();
        if (i === Math.floor(N / 2)) throw new Error(); // RuntimeError
        await barrier1.wait();
        results1.push(true);
      } catch (e) {
        if (e instanceof BrokenBarrierError) {
          results2.push(true);
        } else if (isRuntimeError(e)) {
          await barrier1.abort();
        } else {
          throw e;
        }
      }

      // Synchronize and reset the barrier.  Must synchronize first so
      // that everyone has left it when we reset, and after so that no
      // one enters it before the reset.
      const i = await barrier2.wait();
      if (i === Math.floor(N / 2)) await barrier1.reset();
      await barrier2.wait();
      await barrier1.wait();
      results3.push(true);
    }

    await gatherTasks(N, coro);

    assert.equal(barrier1.broken, false);
    assert.equal(results1.length, 0);
    assert.equal(results2.length, N - 1);
    assert.ok(results2.every(Boolean));
    assert.equal(results3.length, N);
    assert.ok(results3.every(Boolean));

    assert.equal(barrier1.nWaiting, 0);
  },
);
