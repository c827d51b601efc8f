// Tests of timeout() and timeoutAt() (src/timeouts.ts). Expected behaviour
// of nested scopes was checked against CPython 3.11 (see the comments).
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  currentTask,
  getRunningLoop,
  run,
  sleep,
  type Timeout,
  timeout,
  timeoutAt,
  TimeoutError,
} from "../mod.ts";

const VT = { virtualTime: true };
const now = () => getRunningLoop().time();

Deno.test("an await using timeout scope turns the expiry into a TimeoutError", async () => {
  await run(async () => {
    const log: string[] = [];
    let scope: Timeout | undefined;
    let caught: unknown;
    try {
      await using t = timeout(0.1);
      scope = t;
      await sleep(1);
      log.push("not reached");
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof TimeoutError, `got ${caught}`);
    assert.equal((caught as Error).name, "TimeoutError");
    assert.ok(!(caught instanceof CancelledError));
    assert.deepEqual(log, []);
    assert.equal(now(), 0.1);
    assert.equal(scope!.expired(), true);
  }, VT);
});

Deno.test("the TimeoutError of a timeout scope has the CancelledError as its cause", async () => {
  // CPython: `raise TimeoutError from exc_val` (the CancelledError).
  await run(async () => {
    try {
      await using _t = timeout(0.1);
      await sleep(1);
    } catch (e) {
      assert.ok(e instanceof TimeoutError);
      assert.ok(e.cause instanceof CancelledError);
      return;
    }
    assert.fail("no TimeoutError");
  }, VT);
});

Deno.test("a timeout scope that finishes in time does not expire and its timer is cancelled", async () => {
  await run(async () => {
    let scope: Timeout | undefined;
    {
      await using t = timeout(0.5);
      scope = t;
      assert.equal(t.when(), 0.5);
      await sleep(0.2);
    }
    assert.equal(scope.expired(), false);
    // Past the old deadline, nothing is cancelled any more.
    await sleep(1);
    assert.equal(now(), 1.2);
    assert.equal(currentTask()!.cancelling(), 0);
  }, VT);
});

Deno.test("expired() turns true when the deadline passes", async () => {
  await run(async () => {
    let scope: Timeout | undefined;
    try {
      await using t = timeout(0.1);
      scope = t;
      assert.equal(t.expired(), false);
      await sleep(1);
    } catch (e) {
      assert.ok(e instanceof TimeoutError);
    }
    assert.equal(scope!.expired(), true);
  }, VT);
});

Deno.test("reschedule() moves the deadline later, so the scope no longer times out", async () => {
  await run(async () => {
    await using t = timeout(0.1);
    t.reschedule(now() + 2);
    assert.equal(t.when(), 2);
    await sleep(1);
    assert.equal(t.expired(), false);
  }, VT);
});

Deno.test("reschedule() can bring the deadline closer", async () => {
  await run(async () => {
    await assert.rejects(async () => {
      await using t = timeout(10);
      t.reschedule(now() + 0.3);
      await sleep(5);
    }, TimeoutError);
    assert.equal(now(), 0.3);
  }, VT);
});

Deno.test("reschedule(null) removes the deadline", async () => {
  await run(async () => {
    await using t = timeout(0.1);
    t.reschedule(null);
    assert.equal(t.when(), null);
    await sleep(1);
    assert.equal(t.expired(), false);
  }, VT);
});

Deno.test("timeout(null) never expires until a deadline is set with reschedule()", async () => {
  await run(async () => {
    let scope: Timeout | undefined;
    await assert.rejects(async () => {
      await using t = timeout(null);
      scope = t;
      assert.equal(t.when(), null);
      await sleep(100);
      assert.equal(t.expired(), false);
      t.reschedule(now() + 0.5);
      await sleep(100);
    }, TimeoutError);
    assert.equal(now(), 100.5);
    assert.equal(scope!.expired(), true);
  }, VT);
});

Deno.test("timeoutAt() takes an absolute loop time", async () => {
  await run(async () => {
    await sleep(1);
    await assert.rejects(async () => {
      await using t = timeoutAt(now() + 0.25);
      assert.equal(t.when(), 1.25);
      await sleep(10);
    }, TimeoutError);
    assert.equal(now(), 1.25);
  }, VT);
});

Deno.test("a deadline already in the past expires at the next await", async () => {
  await run(async () => {
    await sleep(1);
    await assert.rejects(async () => {
      await using _t = timeoutAt(0.5);
      await sleep(10);
    }, TimeoutError);
    assert.equal(now(), 1);
    await assert.rejects(async () => {
      await using _t = timeout(0);
      await sleep(10);
    }, TimeoutError);
    assert.equal(now(), 1);
  }, VT);
});

Deno.test("in nested timeouts, the inner one expiring leaves the outer one running", async () => {
  // CPython 3.11: inner timeout True False CancelledError 0.1; after False 0.
  await run(async () => {
    let innerScope: Timeout | undefined;
    await using outer = timeout(1);
    try {
      await using inner = timeout(0.1);
      innerScope = inner;
      await sleep(10);
    } catch (e) {
      assert.ok(e instanceof TimeoutError);
    }
    assert.equal(now(), 0.1);
    assert.equal(innerScope!.expired(), true);
    assert.equal(outer.expired(), false);
    await sleep(0.2);
    assert.equal(outer.expired(), false);
    assert.equal(currentTask()!.cancelling(), 0);
  }, VT);
});

Deno.test("in nested timeouts, the outer one expiring passes through the inner scope", async () => {
  // CPython 3.11: outer timeout False True 0.
  await run(async () => {
    let outerScope: Timeout | undefined;
    let innerScope: Timeout | undefined;
    let cancelledInside: boolean | null = null;
    try {
      await using outer = timeout(0.1);
      outerScope = outer;
      try {
        await using inner = timeout(1);
        innerScope = inner;
        await sleep(10);
      } catch (e) {
        cancelledInside = e instanceof CancelledError;
        throw e;
      }
    } catch (e) {
      assert.ok(e instanceof TimeoutError);
    }
    // Inside the outer scope the error was still a cancellation.
    assert.equal(cancelledInside, true);
    assert.equal(innerScope!.expired(), false);
    assert.equal(outerScope!.expired(), true);
    assert.equal(currentTask()!.cancelling(), 0);
  }, VT);
});

Deno.test("a cancellation from outside passes through a timeout scope as CancelledError", async () => {
  await run(async () => {
    const t = createTask(async () => {
      await using _t = timeout(10);
      await sleep(5);
    });
    await sleep(1);
    t.cancel();
    await assert.rejects(
      async () => await t,
      (e) => e instanceof CancelledError && !(e instanceof TimeoutError),
    );
    assert.equal(t.cancelled(), true);
  }, VT);
});

Deno.test("another error leaving a timeout scope passes through unchanged", async () => {
  await run(async () => {
    const err = new RangeError("body failed");
    let scope: Timeout | undefined;
    await assert.rejects(async () => {
      await using t = timeout(1);
      scope = t;
      await sleep(0.1);
      throw err;
    }, (e) => e === err);
    assert.equal(scope!.expired(), false);
    await sleep(2); // the deadline's timer was cancelled with the scope
    assert.equal(now(), 2.1);
  }, VT);
});

Deno.test("a body that swallows the expiry's cancellation leaves the scope normally", async () => {
  await run(async () => {
    let scope: Timeout | undefined;
    {
      await using t = timeout(0.1);
      scope = t;
      try {
        await sleep(10);
      } catch (e) {
        assert.ok(e instanceof CancelledError);
      }
    }
    assert.equal(scope.expired(), true);
    assert.equal(currentTask()!.cancelling(), 0);
    await sleep(1); // not cancelled again
    assert.equal(now(), 1.1);
  }, VT);
});

Deno.test("reschedule() after the scope was left is an error", async () => {
  await run(async () => {
    let scope: Timeout | undefined;
    {
      await using t = timeout(1);
      scope = t;
    }
    assert.throws(() => scope.reschedule(5), /finished/);
  }, VT);
});

Deno.test("timeout scopes work in child tasks independently of each other", async () => {
  await run(async () => {
    const worker = (limit: number, work: number) => async () => {
      try {
        await using _t = timeout(limit);
        await sleep(work);
        return "done";
      } catch (e) {
        if (e instanceof TimeoutError) return "timed out";
        throw e;
      }
    };
    const a = createTask(worker(0.5, 1));
    const b = createTask(worker(2, 1));
    assert.deepEqual([await a, await b], ["timed out", "done"]);
  }, VT);
});
