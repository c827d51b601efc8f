// Coroutine functions must be async even when they do not await, and the
// ports keep CPython's `finally: raise ...` blocks.
// deno-lint-ignore-file require-await no-unsafe-finally
//
// A port of CPython 3.13's Lib/test/test_asyncio/test_waitfor.py: one
// Deno test per test method, in CPython's order, named
// "test_waitfor.<Class>.<method>". Each checks what the original checks,
// assertion for assertion (see README.md).
//
// `asyncio.wait_for(coro(), t)` is `waitFor(() => coro(), t)`: as in
// CPython 3.12+, the coroutine runs in the caller's task under a timeout
// scope, and a Future or Task is awaited under it.
// `time.monotonic()` is the loop's clock (virtual here), and
// `support.LONG_TIMEOUT` is its value, 5 minutes.
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  type Future,
  getRunningLoop,
  shield,
  sleep,
  TimeoutError,
  wait,
  waitFor,
} from "../../mod.ts";
import { asyncTest, raises } from "./_scopes_harness.ts";

// The following value can be used as a very small timeout:
// it passes check "timeout > 0", but has almost
// no effect on the test performance
const _EPSILON = 0.0001;

const LONG_TIMEOUT = 5 * 60; // support.LONG_TIMEOUT

/** Task will run for this defined time, ignoring cancel requests */
class SlowTask {
  static readonly TASK_TIMEOUT = 0.2;

  exited = false;

  async run() {
    const loop = getRunningLoop(); // time.monotonic(): the loop's clock
    const exitat = loop.time() + SlowTask.TASK_TIMEOUT;

    while (true) {
      const tosleep = exitat - loop.time();
      if (tosleep <= 0) break;

      try {
        await sleep(tosleep);
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
      }
    }

    this.exited = true;
  }
}

// ------------------------------------------------------ AsyncioWaitForTest

asyncTest(
  "test_waitfor.AsyncioWaitForTest.test_asyncio_wait_for_cancelled",
  async () => {
    const t = new SlowTask();

    const waitfortask = createTask(() =>
      waitFor(() => t.run(), SlowTask.TASK_TIMEOUT * 2)
    );
    await sleep(0);
    waitfortask.cancel();
    await wait(new Set([waitfortask]));

    assert.ok(t.exited);
  },
);

asyncTest(
  "test_waitfor.AsyncioWaitForTest.test_asyncio_wait_for_timeout",
  async () => {
    const t = new SlowTask();

    try {
      await waitFor(() => t.run(), SlowTask.TASK_TIMEOUT / 2);
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
    }

    assert.ok(t.exited);
  },
);

asyncTest(
  "test_waitfor.AsyncioWaitForTest.test_wait_for_timeout_less_then_0_or_0_future_done",
  async () => {
    const loop = getRunningLoop();

    const fut = loop.createFuture<string>();
    fut.setResult("done");

    const ret = await waitFor(fut, 0);

    assert.equal(ret, "done");
    assert.ok(fut.done());
  },
);

asyncTest(
  "test_waitfor.AsyncioWaitForTest.test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started",
  async () => {
    let fooStarted = false;

    async function foo() {
      fooStarted = true;
    }

    await raises(TimeoutError, () => waitFor(() => foo(), 0));

    assert.equal(fooStarted, false);
  },
);

asyncTest(
  "test_waitfor.AsyncioWaitForTest.test_wait_for_timeout_less_then_0_or_0",
  async () => {
    const loop = getRunningLoop();

    for (const timeout of [0, -1]) {
      // with self.subTest(timeout=timeout): the messages name it.
      const sub = `timeout=${timeout}`;
      let fooRunning: boolean | null = null;
      const started = loop.createFuture<null>();

      const foo = async () => {
        fooRunning = true;
        started.setResult(null);
        try {
          await sleep(10);
        } finally {
          fooRunning = false;
        }
        return "done";
      };

      const fut = createTask(() => foo());
      await started;

      await raises(TimeoutError, () => waitFor(fut, timeout));

      assert.ok(fut.done(), sub);
      // it should have been cancelled due to the timeout
      assert.ok(fut.cancelled(), sub);
      assert.equal(fooRunning, false, sub);
    }
  },
);

asyncTest("test_waitfor.AsyncioWaitForTest.test_wait_for", async () => {
  let fooRunning: boolean | null = null;

  async function foo() {
    fooRunning = true;
    try {
      await sleep(LONG_TIMEOUT);
    } finally {
      fooRunning = false;
    }
    return "done";
  }

  const fut = createTask(() => foo());

  await raises(TimeoutError, () => waitFor(fut, 0.1));
  assert.ok(fut.done());
  // it should have been cancelled due to the timeout
  assert.ok(fut.cancelled());
  assert.equal(fooRunning, false);
});

asyncTest(
  "test_waitfor.AsyncioWaitForTest.test_wait_for_blocking",
  async () => {
    async function coro() {
      return "done";
    }

    const res = await waitFor(() => coro(), null); // timeout=None
    assert.equal(res, "done");
  },
);

asyncTest(
  "test_waitfor.AsyncioWaitForTest.test_wait_for_race_condition",
  async () => {
    const loop = getRunningLoop();

    const fut = loop.createFuture<string>();
    const task = waitFor(fut, 0.2);
    loop.callSoon(() => fut.setResult("ok"));
    const res = await task;
    assert.equal(res, "ok");
  },
);

asyncTest(
  "test_waitfor.AsyncioWaitForTest.test_wait_for_cancellation_race_condition",
  async () => {
    async function inner() {
      await raises(CancelledError, () => sleep(1));
      return 1;
    }

    const result = await waitFor(() => inner(), 0.01);
    assert.equal(result, 1);
  },
);

asyncTest(
  "test_waitfor.AsyncioWaitForTest.test_wait_for_waits_for_task_cancellation",
  async () => {
    let taskDone = false;

    async function inner() {
      try {
        await sleep(10);
      } catch (e) {
        if (e instanceof CancelledError) await sleep(_EPSILON);
        throw e;
      } finally {
        taskDone = true;
      }
    }

    const innerTask = createTask(() => inner());

    const e = await raises(TimeoutError, () => waitFor(innerTask, _EPSILON));

    assert.ok(taskDone);
    // cm.exception.__context__: the CancelledError the TimeoutError was
    // raised from, its cause.
    const chained = e.cause;
    assert.equal((chained as object | undefined)?.constructor, CancelledError);
  },
);

asyncTest(
  "test_waitfor.AsyncioWaitForTest.test_wait_for_waits_for_task_cancellation_w_timeout_0",
  async () => {
    let taskDone = false;

    async function foo() {
      async function inner() {
        try {
          await sleep(10);
        } catch (e) {
          if (e instanceof CancelledError) await sleep(_EPSILON);
          throw e;
        } finally {
          taskDone = true;
        }
      }

      const innerTask = createTask(() => inner());
      await sleep(_EPSILON);
      await waitFor(innerTask, 0);
    }

    const e = await raises(TimeoutError, () => foo());

    assert.ok(taskDone);
    // cm.exception.__context__: the CancelledError the TimeoutError was
    // raised from, its cause.
    const chained = e.cause;
    assert.equal((chained as object | undefined)?.constructor, CancelledError);
  },
);

asyncTest(
  "test_waitfor.AsyncioWaitForTest.test_wait_for_reraises_exception_during_cancellation",
  async () => {
    class FooException extends Error {
      override name = "FooException";
    }

    async function foo() {
      async function inner() {
        try {
          await sleep(0.2);
        } finally {
          throw new FooException();
        }
      }

      const innerTask = createTask(() => inner());

      await waitFor(innerTask, _EPSILON);
    }

    await raises(FooException, () => foo());
  },
);

/** _test_cancel_wait_for(self, timeout) */
async function testCancelWaitFor(timeout: number | null) {
  const loop = getRunningLoop();

  async function blockingCoroutine() {
    const fut = loop.createFuture();
    // Block: fut result is never set
    await fut;
  }

  const task = createTask(() => blockingCoroutine());

  const waitTask = createTask(() => waitFor(task, timeout));
  loop.callSoon(() => waitTask.cancel());

  await raises(CancelledError, waitTask);

  // Python issue #23219: cancelling the wait must also cancel the task
  assert.ok(task.cancelled());
}

asyncTest(
  "test_waitfor.AsyncioWaitForTest.test_cancel_blocking_wait_for",
  async () => {
    await testCancelWaitFor(null);
  },
);

asyncTest("test_waitfor.AsyncioWaitForTest.test_cancel_wait_for", async () => {
  await testCancelWaitFor(60.0);
});

asyncTest(
  "test_waitfor.AsyncioWaitForTest.test_wait_for_cancel_suppressed",
  async () => {
    // GH-86296: Suppressing CancelledError is discouraged
    // but if a task suppresses CancelledError and returns a value,
    // `wait_for` should return the value instead of raising CancelledError.
    // This is the same behavior as `asyncio.timeout`.

    async function return42() {
      try {
        await sleep(10);
      } catch (e) {
        if (e instanceof CancelledError) return 42;
        throw e;
      }
    }

    const res = await waitFor(() => return42(), 0.1);
    assert.equal(res, 42);
  },
);

asyncTest(
  "test_waitfor.AsyncioWaitForTest.test_wait_for_issue86296",
  async () => {
    // GH-86296: The task should get cancelled and not run to completion.
    // inner completes in one cycle of the event loop so it
    // completes before the task is cancelled.

    async function inner() {
      return "done";
    }

    const innerTask = createTask(() => inner());
    let reachedEnd = false;

    async function waitForCoro() {
      await waitFor(innerTask, 100);
      await sleep(1);
      reachedEnd = true;
    }

    const task = createTask(() => waitForCoro());
    assert.ok(!task.done());
    // Run the task
    await sleep(0);
    task.cancel();
    await raises(CancelledError, task);
    assert.ok(innerTask.done());
    assert.equal(await innerTask, "done");
    assert.ok(!reachedEnd);
  },
);

// ------------------------------------------------------ WaitForShieldTests

asyncTest("test_waitfor.WaitForShieldTests.test_zero_timeout", async () => {
  // `asyncio.shield` creates a new task which wraps the passed in
  // awaitable and shields it from cancellation so with timeout=0
  // the task returned by `asyncio.shield` aka shielded_task gets
  // cancelled immediately and the task wrapped by it is scheduled
  // to run.

  async function coro() {
    await sleep(0.01);
    return "done";
  }

  const task = createTask(() => coro());
  let shieldedTask!: Future<string>;
  await raises(TimeoutError, () => {
    shieldedTask = shield(task);
    return waitFor(shieldedTask, 0);
  });

  // Task is running in background
  assert.ok(!task.done());
  assert.ok(!task.cancelled());
  assert.ok(shieldedTask.cancelled());

  // Wait for the task to complete
  await sleep(0.1);
  assert.ok(task.done());
});

asyncTest("test_waitfor.WaitForShieldTests.test_none_timeout", async () => {
  // With timeout=None the timeout is disabled so it
  // runs till completion.
  async function coro() {
    await sleep(0.1);
    return "done";
  }

  const task = createTask(() => coro());
  await waitFor(shield(task), null);

  assert.ok(task.done());
  assert.equal(await task, "done");
});

asyncTest("test_waitfor.WaitForShieldTests.test_shielded_timeout", async () => {
  // shield prevents the task from being cancelled.
  async function coro() {
    await sleep(0.1);
    return "done";
  }

  const task = createTask(() => coro());
  await raises(TimeoutError, () => waitFor(shield(task), 0.01));

  assert.ok(!task.done());
  assert.ok(!task.cancelled());
  assert.equal(await task, "done");
});
