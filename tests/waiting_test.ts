// Coroutine functions must be async even when they do not await.
// deno-lint-ignore-file require-await
// Tests of the waiting combinators: gather, wait, waitFor, asCompleted and
// shield (src/tasks.ts). Expected behaviour that is not obvious was checked
// against CPython 3.11 (see the comments).
import assert from "node:assert/strict";
import {
  ALL_COMPLETED,
  asCompleted,
  CancelledError,
  coroutine,
  createTask,
  currentTask,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  type Future,
  gather,
  getRunningLoop,
  run,
  shield,
  sleep,
  Task,
  TimeoutError,
  wait,
  waitFor,
} from "../mod.ts";

const VT = { virtualTime: true };

/** A coroutine function that sleeps `delay` seconds and returns `value`. */
function after<T>(delay: number, value: T): () => Promise<T> {
  return async () => {
    await sleep(delay);
    return value;
  };
}

/** A coroutine function that sleeps `delay` seconds and throws `error`. */
function failAfter(delay: number, error: unknown): () => Promise<never> {
  return async () => {
    await sleep(delay);
    throw error;
  };
}

const now = () => getRunningLoop().time();

// gather

Deno.test("gather returns results in argument order, not completion order", async () => {
  await run(async () => {
    const results = await gather(
      after(0.3, "a"),
      after(0.1, "b"),
      after(0.2, "c"),
    );
    assert.deepEqual(results, ["a", "b", "c"]);
    assert.equal(now(), 0.3); // the three ran concurrently
  }, VT);
});

Deno.test("gather resolves to a typed tuple of mixed awaitables", async () => {
  await run(async () => {
    const fut = getRunningLoop().createFuture<boolean>();
    getRunningLoop().callLater(0.1, () => fut.setResult(true));
    const task = createTask(after(0.2, 10n));
    const two = coroutine(async () => "two");
    const results: [number, string, boolean, bigint] = await gather(
      after(0.1, 1),
      two(),
      fut,
      task,
    );
    assert.deepEqual(results, [1, "two", true, 10n]);
  }, VT);
});

Deno.test("gather with returnExceptions puts errors and cancellations in the results", async () => {
  await run(async () => {
    const err = new RangeError("failed");
    const toCancel = createTask(after(10, "never"));
    getRunningLoop().callLater(0.1, () => toCancel.cancel());
    const results = await gather(
      after(0.2, "ok"),
      failAfter(0.1, err),
      toCancel,
      { returnExceptions: true },
    );
    assert.equal(results[0], "ok");
    assert.equal(results[1], err);
    assert.ok(results[2] instanceof CancelledError);
    assert.equal(now(), 0.2);
  }, VT);
});

Deno.test("gather raises the first error and leaves the other children running", async () => {
  await run(async () => {
    const err = new TypeError("first failure");
    const slow = createTask(after(1, "slow"));
    await assert.rejects(
      async () => await gather(slow, failAfter(0.1, err), failAfter(0.5, 2)),
      (e) => e === err,
    );
    assert.equal(now(), 0.1);
    assert.equal(slow.cancelled(), false);
    assert.equal(await slow, "slow");
  }, VT);
});

Deno.test("cancelling a gather cancels its children and makes it raise CancelledError", async () => {
  // CPython 3.11: g.cancel() is True; both children end cancelled.
  await run(async () => {
    const a = createTask(after(1, "a"));
    const b = createTask(after(0.5, "b"));
    const g = gather(a, b);
    await sleep(0);
    assert.equal(g.cancel(), true);
    await assert.rejects(async () => await g, CancelledError);
    assert.equal(a.cancelled(), true);
    assert.equal(b.cancelled(), true);
  }, VT);
});

Deno.test("cancelling the task that awaits a gather cancels the gathered children", async () => {
  await run(async () => {
    const a = createTask(after(1, "a"));
    const b = createTask(after(2, "b"));
    const waiter = createTask(async () => await gather(a, b));
    await sleep(0.1);
    waiter.cancel();
    await assert.rejects(async () => await waiter, CancelledError);
    assert.equal(a.cancelled(), true);
    assert.equal(b.cancelled(), true);
  }, VT);
});

Deno.test("a cancelled child makes gather raise CancelledError without cancelling its siblings", async () => {
  // CPython 3.11: gather raises CancelledError; the sibling is not cancelled.
  await run(async () => {
    const sibling = createTask(after(1, "a"));
    const child = createTask(after(0.5, "b"));
    const g = gather(sibling, child);
    await sleep(0);
    child.cancel();
    await assert.rejects(async () => await g, CancelledError);
    assert.equal(sibling.cancelled(), false);
    assert.equal(await sibling, "a");
  }, VT);
});

Deno.test("gather of nothing is an already finished future with an empty list", async () => {
  await run(async () => {
    const g = gather();
    assert.equal(g.done(), true);
    assert.deepEqual(await g, []);
  }, VT);
});

Deno.test("gather given the same future twice awaits it once and repeats its result", async () => {
  // CPython 3.11: gather(fut, fut) -> [7, 7].
  await run(async () => {
    const loop = getRunningLoop();
    const fut = loop.createFuture<number>();
    loop.callLater(0.1, () => fut.setResult(7));
    assert.deepEqual(await gather(fut, fut), [7, 7]);
  }, VT);
});

Deno.test("gather given the same coroutine function twice runs it twice", async () => {
  await run(async () => {
    let runs = 0;
    const fn = async () => {
      await sleep(0.1);
      return ++runs;
    };
    assert.deepEqual(await gather(fn, fn), [1, 2]);
  }, VT);
});

Deno.test("gather wraps coroutine functions in tasks that run concurrently", async () => {
  await run(async () => {
    const log: string[] = [];
    const worker = (name: string, delay: number) => async () => {
      log.push(`start ${name}`);
      await sleep(delay);
      log.push(`end ${name}`);
    };
    await gather(worker("a", 0.2), worker("b", 0.1));
    assert.deepEqual(log, ["start a", "start b", "end b", "end a"]);
  }, VT);
});

// wait

Deno.test("wait with ALL_COMPLETED returns every future in the done set", async () => {
  await run(async () => {
    const tasks = [after(0.1, 1), after(0.3, 2)].map((f) => createTask(f));
    const [done, pending] = await wait(tasks, { returnWhen: ALL_COMPLETED });
    assert.deepEqual(done, new Set(tasks));
    assert.equal(pending.size, 0);
    assert.equal(now(), 0.3);
  }, VT);
});

Deno.test("wait defaults to ALL_COMPLETED and does not raise the children's errors", async () => {
  await run(async () => {
    const bad = createTask(failAfter(0.2, new Error("x")));
    const good = createTask(after(0.1, 1));
    const [done, pending] = await wait([bad, good]);
    assert.equal(done.size, 2);
    assert.equal(pending.size, 0);
    assert.ok(bad.exception() instanceof Error);
  }, VT);
});

Deno.test("wait with FIRST_COMPLETED returns as soon as one future finishes", async () => {
  await run(async () => {
    const fast = createTask(after(0.1, "fast"));
    const slow = createTask(after(1, "slow"));
    const [done, pending] = await wait([fast, slow], {
      returnWhen: FIRST_COMPLETED,
    });
    assert.equal(now(), 0.1);
    assert.deepEqual(done, new Set([fast]));
    assert.deepEqual(pending, new Set([slow]));
    assert.equal(slow.cancelled(), false);
    assert.equal(await slow, "slow");
  }, VT);
});

Deno.test("wait with FIRST_EXCEPTION returns when a future fails", async () => {
  await run(async () => {
    const ok = createTask(after(0.1, "ok"));
    const bad = createTask(failAfter(0.2, new Error("bad")));
    const slow = createTask(after(1, "slow"));
    const [done, pending] = await wait([ok, bad, slow], {
      returnWhen: FIRST_EXCEPTION,
    });
    assert.equal(now(), 0.2);
    assert.deepEqual(done, new Set([ok, bad]));
    assert.deepEqual(pending, new Set([slow]));
    assert.equal((bad.exception() as Error).message, "bad");
    slow.cancel();
    await assert.rejects(async () => await slow, CancelledError);
  }, VT);
});

Deno.test("wait with FIRST_EXCEPTION and no failure waits for all", async () => {
  await run(async () => {
    const a = createTask(after(0.1, "a"));
    const b = createTask(after(0.4, "b"));
    const [done, pending] = await wait([a, b], { returnWhen: FIRST_EXCEPTION });
    assert.equal(now(), 0.4);
    assert.equal(done.size, 2);
    assert.equal(pending.size, 0);
  }, VT);
});

Deno.test("wait with a timeout returns the partial sets and cancels nothing", async () => {
  // CPython 3.11: wait(ts, timeout=1) -> 1 done, 1 pending, none cancelled.
  await run(async () => {
    const fast = createTask(after(0.1, "fast"));
    const slow = createTask(after(5, "slow"));
    const [done, pending] = await wait([fast, slow], { timeout: 1 });
    assert.equal(now(), 1);
    assert.deepEqual(done, new Set([fast]));
    assert.deepEqual(pending, new Set([slow]));
    assert.equal(slow.cancelled(), false);
    assert.equal(await slow, "slow");
  }, VT);
});

Deno.test("wait wraps coroutine functions in tasks and returns those tasks", async () => {
  await run(async () => {
    const [done] = await wait([after(0.1, "x"), after(0.2, "y")]);
    const results = [...done].map((f) => {
      assert.ok(f instanceof Task);
      return f.result();
    }).sort();
    assert.deepEqual(results, ["x", "y"]);
  }, VT);
});

Deno.test("wait on an empty set raises RangeError", async () => {
  // CPython: ValueError('Set of Tasks/Futures is empty.').
  await run(async () => {
    assert.throws(() => wait([]), RangeError);
  }, VT);
});

// waitFor

Deno.test("waitFor returns the result when the awaitable finishes in time", async () => {
  await run(async () => {
    assert.equal(await waitFor(after(0.5, "in time"), 1), "in time");
    assert.equal(now(), 0.5);
  }, VT);
});

Deno.test("waitFor raises TimeoutError after cancelling the awaitable and waiting for its cleanup", async () => {
  // CPython 3.11: ['inner cancelled', 'cleanup done'] after 0.6 s.
  await run(async () => {
    const log: string[] = [];
    const inner = async () => {
      try {
        await sleep(10);
      } catch (e) {
        log.push(`inner saw ${(e as Error).name}`);
        await sleep(0.5);
        log.push("cleanup done");
        throw e;
      }
    };
    await assert.rejects(
      () => waitFor(inner, 0.1),
      (e) => e instanceof TimeoutError,
    );
    assert.deepEqual(log, ["inner saw CancelledError", "cleanup done"]);
    assert.equal(now(), 0.6);
    assert.equal(getRunningLoop().time(), 0.6);
  }, VT);
});

Deno.test("waitFor's timeout leaves the waiting task with no pending cancellation", async () => {
  // CPython 3.11: current_task().cancelling() is 0 after the TimeoutError.
  await run(async () => {
    await assert.rejects(() => waitFor(after(10, 1), 0.1), TimeoutError);
    assert.equal(currentTask()!.cancelling(), 0);
    await sleep(0.1); // would throw if a cancellation were left over
    assert.equal(now(), 0.2);
  }, VT);
});

Deno.test("waitFor cancels a task it times out on", async () => {
  // CPython 3.11: wait_for(t, 0) -> TimeoutError, t.cancelled() True.
  await run(async () => {
    const t = createTask(after(1, "x"));
    await assert.rejects(() => waitFor(t, 0), TimeoutError);
    assert.equal(t.cancelled(), true);
  }, VT);
});

Deno.test("waitFor returns the value of an awaitable that swallows the cancellation", async () => {
  // CPython 3.11 prints 'swallowed'.
  await run(async () => {
    const swallow = async () => {
      try {
        await sleep(10);
      } catch {
        // ignored
      }
      return "swallowed";
    };
    assert.equal(await waitFor(swallow, 0.1), "swallowed");
  }, VT);
});

Deno.test("waitFor with timeout 0 returns the result of a finished future", async () => {
  await run(async () => {
    const fut = getRunningLoop().createFuture<number>();
    fut.setResult(3);
    assert.equal(await waitFor(fut, 0), 3);
  }, VT);
});

Deno.test("waitFor with a null timeout waits as long as it takes", async () => {
  await run(async () => {
    assert.equal(await waitFor(after(1000, "late"), null), "late");
    assert.equal(now(), 1000);
  }, VT);
});

Deno.test("waitFor passes on the awaitable's own error", async () => {
  await run(async () => {
    const err = new Error("inner failure");
    await assert.rejects(
      () => waitFor(failAfter(0.1, err), 1),
      (e) => e === err,
    );
  }, VT);
});

Deno.test("cancelling the task in waitFor cancels the awaitable and raises CancelledError, not TimeoutError", async () => {
  // CPython 3.11: waiter cancelled ['inner cancelled', 'cleanup done'].
  await run(async () => {
    const log: string[] = [];
    const inner = async () => {
      try {
        await sleep(10);
      } catch (e) {
        log.push("inner cancelled");
        await sleep(0.5);
        log.push("cleanup done");
        throw e;
      }
    };
    const waiter = createTask(() => waitFor(inner, 5));
    await sleep(0.1);
    waiter.cancel();
    await assert.rejects(
      async () => await waiter,
      (e) => e instanceof CancelledError && !(e instanceof TimeoutError),
    );
    assert.deepEqual(log, ["inner cancelled", "cleanup done"]);
  }, VT);
});

// asCompleted

Deno.test("asCompleted yields awaitables that resolve in completion order", async () => {
  // CPython 3.11: [0.1, 0.2, 0.3].
  await run(async () => {
    const results: number[] = [];
    for (
      const next of asCompleted([after(0.3, 3), after(0.1, 1), after(0.2, 2)])
    ) {
      results.push(await next);
      results.push(now());
    }
    assert.deepEqual(results, [1, 0.1, 2, 0.2, 3, 0.3]);
  }, VT);
});

Deno.test("asCompleted works with for await, yielding results in completion order", async () => {
  await run(async () => {
    const results: string[] = [];
    const tasks = [after(0.2, "b"), after(0.1, "a")].map((f) => createTask(f));
    for await (const r of asCompleted(tasks)) results.push(r);
    assert.deepEqual(results, ["a", "b"]);
  }, VT);
});

Deno.test("asCompleted re-raises a failed awaitable's error at its turn", async () => {
  await run(async () => {
    const err = new Error("second to finish");
    const results: unknown[] = [];
    for (const next of asCompleted([after(0.1, "ok"), failAfter(0.2, err)])) {
      try {
        results.push(await next);
      } catch (e) {
        results.push(e);
      }
    }
    assert.deepEqual(results, ["ok", err]);
  }, VT);
});

Deno.test("asCompleted with a timeout raises TimeoutError once it passes and cancels nothing", async () => {
  // CPython 3.11: [0.1, 0.3] then TimeoutError; no task cancelled.
  await run(async () => {
    const tasks = [after(0.3, 0.3), after(0.1, 0.1), after(5, 5)].map((f) =>
      createTask(f)
    );
    const results: number[] = [];
    await assert.rejects(async () => {
      for (const next of asCompleted(tasks, { timeout: 1 })) {
        results.push(await next);
      }
    }, TimeoutError);
    assert.deepEqual(results, [0.1, 0.3]);
    assert.equal(now(), 1);
    assert.deepEqual(tasks.map((t) => t.cancelled()), [false, false, false]);
    tasks[2].cancel();
    await assert.rejects(async () => await tasks[2], CancelledError);
  }, VT);
});

Deno.test("asCompleted of nothing yields nothing", async () => {
  await run(async () => {
    let count = 0;
    for (const _ of asCompleted([])) count++;
    for await (const _ of asCompleted([])) count++;
    assert.equal(count, 0);
  }, VT);
});

// shield

Deno.test("cancelling a shield's outer future does not cancel the inner task", async () => {
  await run(async () => {
    const inner = createTask(after(0.2, "inner result"));
    const outer = shield(inner);
    await sleep(0);
    assert.equal(outer.cancel(), true);
    await assert.rejects(async () => await outer, CancelledError);
    assert.equal(inner.cancelled(), false);
    assert.equal(await inner, "inner result");
  }, VT);
});

Deno.test("a task cancelled while awaiting a shield is cancelled, and the shielded task runs on", async () => {
  // CPython 3.11: shield outer cancelled; inner False inner.
  await run(async () => {
    const inner = createTask(after(0.2, "inner"));
    const waiter = createTask(async () => await shield(inner));
    await sleep(0.1);
    waiter.cancel();
    await assert.rejects(async () => await waiter, CancelledError);
    assert.equal(now(), 0.1);
    assert.equal(inner.cancelled(), false);
    assert.equal(await inner, "inner");
    assert.equal(now(), 0.2);
  }, VT);
});

Deno.test("cancelling the inner task cancels the shield's outer future", async () => {
  // CPython 3.11: outer cancelled since inner cancelled True.
  await run(async () => {
    const inner = createTask(after(1, "x"));
    const outer = shield(inner);
    await sleep(0);
    inner.cancel();
    await assert.rejects(async () => await outer, CancelledError);
    assert.equal(outer.cancelled(), true);
  }, VT);
});

Deno.test("a shield passes on the inner task's result and error", async () => {
  await run(async () => {
    assert.equal(await shield(after(0.1, "through")), "through");
    const err = new Error("inner error");
    await assert.rejects(
      async () => await shield(failAfter(0.1, err)),
      (e) => e === err,
    );
  }, VT);
});

Deno.test("shield of a finished future returns that future", async () => {
  await run(async () => {
    const fut: Future<number> = getRunningLoop().createFuture<number>();
    fut.setResult(1);
    assert.equal(shield(fut), fut);
  }, VT);
});
