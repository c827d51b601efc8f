// Coroutine functions must be async even when they do not await.
// deno-lint-ignore-file require-await
// Tests of Future (src/futures.ts).
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  Future,
  getRunningLoop,
  InvalidStateError,
  isFuture,
  newEventLoop,
  run,
  sleep,
  wrapFuture,
} from "../mod.ts";
import { recordExceptions, withLoop } from "./_helpers.ts";

Deno.test("a new future is pending: not done, not cancelled, no result yet", async () => {
  await withLoop((loop) => {
    const fut = loop.createFuture<number>();
    assert.equal(fut.done(), false);
    assert.equal(fut.cancelled(), false);
    assert.equal(fut.getLoop(), loop);
    assert.throws(
      () => fut.result(),
      (e) =>
        e instanceof InvalidStateError && e.message === "Result is not set.",
    );
    assert.throws(() => fut.exception(), InvalidStateError);
    assert.equal(String(fut), "<Future pending>");
  });
});

Deno.test("setResult makes the future done with that result and no exception", async () => {
  await withLoop((loop) => {
    const fut = loop.createFuture<string>();
    fut.setResult("xxx");
    assert.equal(fut.done(), true);
    assert.equal(fut.cancelled(), false);
    assert.equal(fut.result(), "xxx");
    assert.equal(fut.exception(), undefined);
    assert.equal(String(fut), "<Future finished result='xxx'>");
  });
});

Deno.test("setResult twice raises InvalidStateError and keeps the first result", async () => {
  await withLoop((loop) => {
    const fut = loop.createFuture<string>();
    fut.setResult("first");
    assert.throws(() => fut.setResult("second"), InvalidStateError);
    assert.throws(() => fut.setException(new Error("x")), InvalidStateError);
    assert.equal(fut.result(), "first");
  });
});

Deno.test("setException makes result() throw that error and exception() return it", async () => {
  await withLoop((loop) => {
    const fut = loop.createFuture<number>();
    const err = new RangeError("bad value");
    fut.setException(err);
    assert.equal(fut.done(), true);
    assert.throws(() => fut.result(), (e) => e === err);
    assert.equal(fut.exception(), err);
    assert.equal(
      String(fut),
      "<Future finished exception=RangeError('bad value')>",
    );
  });
});

Deno.test("cancel() cancels a pending future once and then returns false", async () => {
  await withLoop((loop) => {
    const fut = loop.createFuture();
    assert.equal(fut.cancel("stop it"), true);
    assert.equal(fut.cancelled(), true);
    assert.equal(fut.done(), true);
    assert.equal(fut.cancel(), false);
    assert.throws(
      () => fut.result(),
      (e) => e instanceof CancelledError && e.message === "stop it",
    );
    assert.throws(() => fut.exception(), CancelledError);
    assert.throws(() => fut.setResult(1), InvalidStateError);
    assert.equal(String(fut), "<Future cancelled>");
  });
});

Deno.test("cancel() of a finished future returns false and keeps its result", async () => {
  await withLoop((loop) => {
    const fut = loop.createFuture<number>();
    fut.setResult(3);
    assert.equal(fut.cancel(), false);
    assert.equal(fut.cancelled(), false);
    assert.equal(fut.result(), 3);
  });
});

Deno.test("done callbacks are scheduled through the loop, in registration order, never inline", async () => {
  await withLoop(async (loop) => {
    const log: string[] = [];
    const fut = loop.createFuture<number>();
    fut.addDoneCallback((f) => log.push(`cb1 ${f.result()}`));
    fut.addDoneCallback((f) => log.push(`cb2 ${f.result()}`));
    loop.callSoon(() => {
      fut.setResult(7);
      log.push("after setResult");
      loop.callSoon(() => loop.stop());
    });
    await loop.runForever();
    assert.deepEqual(log, ["after setResult", "cb1 7", "cb2 7"]);
  });
});

Deno.test("a done callback receives the future itself", async () => {
  await withLoop(async (loop) => {
    const fut = loop.createFuture<number>();
    let received: unknown;
    fut.addDoneCallback((f) => received = f);
    fut.setResult(1);
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    assert.equal(received, fut);
  });
});

Deno.test("a done callback added to a finished future is scheduled, not called at once", async () => {
  await withLoop(async (loop) => {
    const fut = loop.createFuture<number>();
    fut.setResult(1);
    const log: string[] = [];
    fut.addDoneCallback(() => log.push("callback"));
    log.push("after addDoneCallback");
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    assert.deepEqual(log, ["after addDoneCallback", "callback"]);
  });
});

Deno.test("done callbacks run when the future is cancelled too", async () => {
  await withLoop(async (loop) => {
    const fut = loop.createFuture();
    let sawCancelled: boolean | undefined;
    fut.addDoneCallback((f) => sawCancelled = f.cancelled());
    fut.cancel();
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    assert.equal(sawCancelled, true);
  });
});

Deno.test("removeDoneCallback removes every registration of the callback and returns the count", async () => {
  await withLoop(async (loop) => {
    const fut = loop.createFuture();
    const log: string[] = [];
    const a = () => log.push("a");
    const b = () => log.push("b");
    fut.addDoneCallback(a);
    fut.addDoneCallback(b);
    fut.addDoneCallback(a);
    assert.equal(fut.removeDoneCallback(a), 2);
    assert.equal(fut.removeDoneCallback(a), 0);
    assert.equal(fut.removeDoneCallback(() => {}), 0);
    fut.setResult(undefined);
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    assert.deepEqual(log, ["b"]);
  });
});

Deno.test("awaiting a future in a task suspends until its result is set", async () => {
  const result = await run(async () => {
    const loop = getRunningLoop();
    const fut = loop.createFuture<string>();
    loop.callLater(1, () => fut.setResult("the result"));
    const value = await fut;
    return [value, loop.time()] as const;
  }, { virtualTime: true });
  assert.deepEqual(result, ["the result", 1]);
});

Deno.test("awaiting a failed future throws its error", async () => {
  const err = new TypeError("failed");
  await run(async () => {
    const loop = getRunningLoop();
    const fut = loop.createFuture<string>();
    loop.callLater(1, () => fut.setException(err));
    await assert.rejects(async () => await fut, (e) => e === err);
  }, { virtualTime: true });
});

Deno.test("awaiting a cancelled future throws CancelledError with the message", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const fut = loop.createFuture();
    loop.callLater(1, () => fut.cancel("gone"));
    await assert.rejects(
      async () => await fut,
      (e) => e instanceof CancelledError && e.message === "gone",
    );
  }, { virtualTime: true });
});

Deno.test("tasks awaiting one future resume in the order they started awaiting", async () => {
  const log: string[] = [];
  await run(async () => {
    const loop = getRunningLoop();
    const fut = loop.createFuture<number>();
    const waiters = ["w1", "w2", "w3"].map((name) =>
      createTask(async () => {
        const v = await fut;
        log.push(`${name} ${v}`);
      })
    );
    await sleep(0);
    fut.setResult(5);
    for (const w of waiters) await w;
  }, { virtualTime: true });
  assert.deepEqual(log, ["w1 5", "w2 5", "w3 5"]);
});

Deno.test("awaiting a finished future does not suspend the task for a loop iteration", async () => {
  // CPython: `await fut` on a done future returns at once (no yield).
  const log: string[] = [];
  await run(async () => {
    const loop = getRunningLoop();
    await sleep(0); // not the task's first step: that is tested elsewhere
    const fut = loop.createFuture<number>();
    fut.setResult(1);
    loop.callSoon(() => log.push("callback"));
    await fut;
    log.push("after await");
    await sleep(0);
  }, { virtualTime: true });
  assert.deepEqual(log, ["after await", "callback"]);
});

Deno.test("a future can be awaited outside any task, from plain host code", async () => {
  await withLoop(async (loop) => {
    const fut = loop.createFuture<number>();
    loop.callLater(1, () => fut.setResult(9));
    const outside = (async () => await fut)();
    await loop.runUntilComplete(async () => {
      await sleep(2);
    });
    assert.equal(await outside, 9);
  });
});

Deno.test("awaiting a pending future of a closed loop fails with a clear error instead of hanging", async () => {
  const loop = newEventLoop({ virtualTime: true });
  const fut = loop.createFuture<number>();
  loop.close();
  await assert.rejects(
    async () => await fut,
    (e) =>
      e instanceof Error && /closed/.test(e.message) &&
      /createFuture|running loop/.test(e.message),
  );
});

Deno.test("awaiting a closed loop's future inside another loop's task fails with a clear error", async () => {
  const dead = newEventLoop({ virtualTime: true });
  const fut = dead.createFuture<number>();
  dead.close();
  await run(async () => {
    await assert.rejects(async () => await fut, /closed/);
  }, { virtualTime: true });
});

Deno.test("a future's exception that is never retrieved is reported when its loop closes", async () => {
  const loop = newEventLoop({ virtualTime: true });
  const seen = recordExceptions(loop);
  const unseen = loop.createFuture();
  const seenFut = loop.createFuture();
  const err = new Error("nobody looked");
  unseen.setException(err);
  seenFut.setException(new Error("looked at"));
  seenFut.exception();
  loop.close();
  assert.equal(seen.length, 1);
  assert.equal(seen[0].exception, err);
  assert.equal(seen[0].future, unseen);
  assert.match(seen[0].message, /Future exception was never retrieved/);
});

Deno.test("new Future() without a loop uses the running loop", async () => {
  await run(async () => {
    const fut = new Future<number>();
    assert.equal(fut.getLoop(), getRunningLoop());
    fut.setResult(1);
    assert.equal(await fut, 1);
  }, { virtualTime: true });
});

Deno.test("isFuture recognises futures and tasks but not promises", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    assert.equal(isFuture(loop.createFuture()), true);
    const task = createTask(async () => {});
    assert.equal(isFuture(task), true);
    assert.equal(isFuture(Promise.resolve()), false);
    assert.equal(isFuture({ then() {} }), false);
    await task;
  }, { virtualTime: true });
});

Deno.test("a future is a thenable that can be chained with then()", async () => {
  await withLoop(async (loop) => {
    const fut = loop.createFuture<number>();
    const chained = fut.then((v) => v * 2);
    fut.setResult(21);
    await loop.runUntilComplete(async () => {
      await sleep(0);
    });
    assert.equal(await chained, 42);
  });
});

Deno.test("wrapFuture wraps a host promise in a future with its result", async () => {
  await run(async () => {
    const fut = wrapFuture(
      new Promise<number>((resolve) => setTimeout(() => resolve(42), 1)),
    );
    assert.ok(fut instanceof Future);
    assert.equal(fut.getLoop(), getRunningLoop());
    assert.equal(await fut, 42);
    assert.equal(fut.result(), 42);
  }, { virtualTime: true });
});

Deno.test("wrapFuture passes a rejection on as the future's exception", async () => {
  const err = new Error("host failure");
  await run(async () => {
    const fut = wrapFuture(Promise.reject(err));
    await assert.rejects(async () => await fut, (e) => e === err);
    assert.equal(fut.exception(), err);
  }, { virtualTime: true });
});

Deno.test("wrapFuture returns a future unchanged", async () => {
  await withLoop((loop) => {
    const fut = loop.createFuture();
    assert.equal(wrapFuture(fut), fut);
  });
});

Deno.test("the virtual clock does not jump ahead while a wrapped promise is pending", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    let timerFired = false;
    loop.callLater(100, () => timerFired = true);
    const fut = wrapFuture(
      new Promise<string>((resolve) => setTimeout(() => resolve("io"), 5)),
    );
    assert.equal(await fut, "io");
    assert.equal(timerFired, false);
    assert.ok(loop.time() < 100);
  }, { virtualTime: true });
});

Deno.test("cancelling a wrapped future aborts its AbortController", async () => {
  await run(async () => {
    const abort = new AbortController();
    let clear: ReturnType<typeof setTimeout> | undefined;
    const promise = new Promise<string>((resolve) => {
      clear = setTimeout(() => resolve("late"), 10);
    });
    const fut = wrapFuture(promise, { abort });
    await sleep(0);
    fut.cancel("no longer needed");
    await sleep(0);
    assert.equal(abort.signal.aborted, true);
    assert.ok(abort.signal.reason instanceof CancelledError);
    clearTimeout(clear);
  });
});

Deno.test("a task awaiting a future of another loop gets a clear error", async () => {
  const other = newEventLoop();
  const foreign = other.createFuture<number>();
  const loop = newEventLoop();
  await assert.rejects(
    loop.runUntilComplete(async () => await foreign),
    /attached to a different loop/,
  );
  loop.close();
  other.close();
});
