// Coroutine functions must be async even when they do not await.
// deno-lint-ignore-file require-await
// Tests of Task, createTask, currentTask, allTasks and sleep (src/tasks.ts).
// Expected behaviour that is not obvious was checked against CPython 3.11.
import assert from "node:assert/strict";
import {
  allTasks,
  CancelledError,
  createTask,
  currentTask,
  ensureFuture,
  Future,
  gather,
  getRunningLoop,
  newEventLoop,
  run,
  sleep,
  Task,
  TimerHandle,
} from "../mod.ts";
import { errorOf, recordExceptions } from "./_helpers.ts";

const VT = { virtualTime: true };

function taskNumber(task: Task<unknown>): number {
  const m = /^Task-(\d+)$/.exec(task.getName());
  assert.ok(m, `unexpected default name ${task.getName()}`);
  return Number(m[1]);
}

Deno.test("tasks are named Task-N by default, numbered in creation order", async () => {
  await run(async () => {
    const a = createTask(async () => {});
    const b = createTask(async () => {});
    assert.equal(taskNumber(b), taskNumber(a) + 1);
    assert.ok(taskNumber(a) > taskNumber(currentTask()!));
    await a;
    await b;
  }, VT);
});

Deno.test("a task takes a custom name and can be renamed with setName", async () => {
  await run(async () => {
    const t = createTask(async () => {}, { name: "worker-1" });
    assert.equal(t.getName(), "worker-1");
    t.setName("renamed");
    assert.equal(t.getName(), "renamed");
    await t;
  }, VT);
});

Deno.test("currentTask() inside a task's coroutine is that task, across awaits", async () => {
  await run(async () => {
    let seen: (Task<unknown> | null)[] = [];
    const t = createTask(async () => {
      seen.push(currentTask());
      await sleep(0.1);
      seen.push(currentTask());
      await Promise.resolve();
      seen.push(currentTask());
    });
    await t;
    assert.deepEqual(seen, [t, t, t]);
    seen = [];
  }, VT);
});

Deno.test("a task's first step runs on a later loop iteration, not inside createTask", async () => {
  await run(async () => {
    const log: string[] = [];
    const t = createTask(async () => {
      log.push("body");
    });
    log.push("after createTask");
    await t;
    assert.deepEqual(log, ["after createTask", "body"]);
  }, VT);
});

Deno.test("eagerStart runs the task's first step inside createTask", async () => {
  await run(async () => {
    const log: string[] = [];
    const loop = getRunningLoop();
    const fut = loop.createFuture<string>();
    const t = createTask(async () => {
      log.push("first step");
      const v = await fut;
      log.push(`resumed with ${v}`);
      return v;
    }, { eagerStart: true });
    log.push("createTask returned");
    assert.equal(t.done(), false);
    fut.setResult("x");
    assert.equal(await t, "x");
    assert.deepEqual(log, [
      "first step",
      "createTask returned",
      "resumed with x",
    ]);
  }, VT);
});

Deno.test("an eager task suspended in its first step can be cancelled there", async () => {
  await run(async () => {
    let caught: unknown;
    const t = createTask(async () => {
      try {
        await sleep(10);
      } catch (e) {
        caught = e;
        throw e;
      }
    }, { eagerStart: true });
    t.cancel();
    await assert.rejects(async () => await t, CancelledError);
    assert.ok(caught instanceof CancelledError);
    assert.equal(getRunningLoop().time(), 0);
  }, VT);
});

Deno.test("a task's first step runs to its first real suspension before the next handle, as in CPython", async () => {
  // CPython 3.11: ['A start', 'A after helper', 'B start'] - awaiting a
  // coroutine that does not suspend keeps running the same step.
  const log: string[] = [];
  async function helper() {
    return 1;
  }
  await run(async () => {
    const a = createTask(async () => {
      log.push("A start");
      await helper();
      log.push("A after helper");
      await sleep(0);
    });
    const b = createTask(async () => {
      log.push("B start");
      await sleep(0);
    });
    await a;
    await b;
  }, VT);
  assert.deepEqual(log, ["A start", "A after helper", "B start"]);
});

Deno.test("a coroutine function may return a library awaitable: createTask(() => sleep(1, 'x'))", async () => {
  const loop = newEventLoop(VT);
  // Fail fast instead of hanging if the task never completes.
  const guard = setTimeout(() => loop.stop(), 1000);
  try {
    const result = await loop.runUntilComplete(async () => {
      const t = createTask(() => sleep(1, "x"));
      const y = createTask(() => sleep(0, "y"));
      return [await t, await y];
    });
    assert.deepEqual(result, ["x", "y"]);
    assert.equal(loop.time(), 1);
  } finally {
    clearTimeout(guard);
    loop.close();
  }
});

Deno.test("a task cancelled before its first step never runs its body", async () => {
  await run(async () => {
    let ran = false;
    const t = createTask(async () => {
      ran = true;
    });
    assert.equal(t.cancel(), true);
    await assert.rejects(async () => await t, CancelledError);
    assert.equal(ran, false);
    assert.equal(t.cancelled(), true);
  }, VT);
});

Deno.test("cancel() throws CancelledError exactly once, at the await the task is suspended on", async () => {
  // CPython 3.11: prints 'survived False 1'.
  await run(async () => {
    const caught: unknown[] = [];
    const t = createTask(async () => {
      try {
        await sleep(10);
      } catch (e) {
        caught.push(e);
      }
      await sleep(0.1); // not cancelled again
      await sleep(0);
      return "survived";
    });
    await sleep(0);
    assert.equal(t.cancel(), true);
    assert.equal(await t, "survived");
    assert.equal(caught.length, 1);
    assert.ok(caught[0] instanceof CancelledError);
    assert.equal(t.cancelled(), false);
    assert.equal(t.cancelling(), 1);
    assert.equal(getRunningLoop().time(), 0.1);
  }, VT);
});

Deno.test("cleanup that awaits in catch and finally runs after cancellation", async () => {
  await run(async () => {
    const log: string[] = [];
    const loop = getRunningLoop();
    const t = createTask(async () => {
      try {
        await sleep(10);
      } catch (e) {
        log.push(`catch ${(e as Error).name}`);
        await sleep(1);
        log.push("catch cleanup done");
        throw e;
      } finally {
        await sleep(1);
        log.push(`finally done at ${loop.time()}`);
      }
    });
    await sleep(0.5);
    t.cancel();
    await assert.rejects(async () => await t, CancelledError);
    assert.deepEqual(log, [
      "catch CancelledError",
      "catch cleanup done",
      "finally done at 2.5",
    ]);
    assert.equal(t.cancelled(), true);
  }, VT);
});

Deno.test("cancelling() counts cancel requests and uncancel() takes them back", async () => {
  // CPython 3.11: cancel(); cancel() -> cancelling() 2, uncancel() 1, 0, 0.
  await run(async () => {
    const t = createTask(async () => {
      await sleep(1);
    });
    await sleep(0);
    assert.equal(t.cancelling(), 0);
    assert.equal(t.cancel(), true);
    assert.equal(t.cancel(), true);
    assert.equal(t.cancelling(), 2);
    assert.equal(t.uncancel(), 1);
    assert.equal(t.uncancel(), 0);
    assert.equal(t.uncancel(), 0);
    // The sleep was already cancelled, so the task still ends cancelled.
    await assert.rejects(async () => await t, CancelledError);
  }, VT);
});

Deno.test("uncancel() before the cancellation is delivered keeps the task running", async () => {
  await run(async () => {
    let cancelledInside = false;
    const t = createTask(async () => {
      try {
        await sleep(1);
      } catch {
        cancelledInside = true;
      }
      return "finished";
    });
    // Not started yet: the request is pending until its first step.
    t.cancel();
    t.uncancel();
    assert.equal(await t, "finished");
    assert.equal(cancelledInside, false);
  }, VT);
});

Deno.test("the cancel message reaches the coroutine and whoever awaits the task", async () => {
  // CPython 3.11: inner got ('bye',); awaiter got ('bye',).
  await run(async () => {
    let inner: unknown;
    const t = createTask(async () => {
      try {
        await sleep(10);
      } catch (e) {
        inner = e;
        throw e;
      }
    });
    await sleep(0);
    t.cancel("bye");
    await assert.rejects(
      async () => await t,
      (e) => e instanceof CancelledError && e.message === "bye",
    );
    assert.ok(inner instanceof CancelledError);
    assert.equal(inner.message, "bye");
  }, VT);
});

Deno.test("cancelling a task that awaits another task cancels the inner task too", async () => {
  // CPython 3.11: outer cancelled; inner cancelled: True.
  await run(async () => {
    const inner = createTask(async () => {
      await sleep(10);
    });
    const outer = createTask(async () => {
      await inner;
    });
    await sleep(0.1);
    outer.cancel();
    await assert.rejects(async () => await outer, CancelledError);
    assert.equal(inner.cancelled(), true);
  }, VT);
});

Deno.test("a task that cancels itself and returns without awaiting ends cancelled", async () => {
  // CPython 3.11: the task is cancelled although its coroutine returned 5.
  await run(async () => {
    const t = createTask(async () => {
      currentTask()!.cancel();
      return 5;
    });
    await assert.rejects(async () => await t, CancelledError);
    assert.equal(t.cancelled(), true);
  }, VT);
});

Deno.test("a task cancelled while awaiting a foreign promise gets CancelledError at its next library await", async () => {
  await run(async () => {
    const log: string[] = [];
    const t = createTask(async () => {
      await new Promise((r) => setTimeout(r, 5));
      log.push("foreign promise done");
      try {
        await sleep(0);
        log.push("not cancelled");
      } catch (e) {
        log.push(`cancelled: ${(e as Error).name}`);
        throw e;
      }
    });
    await sleep(0);
    t.cancel();
    await assert.rejects(async () => await t, CancelledError);
    assert.deepEqual(log, [
      "foreign promise done",
      "cancelled: CancelledError",
    ]);
  });
});

Deno.test("cancel() of a finished task returns false", async () => {
  await run(async () => {
    const t = createTask(async () => 1);
    await t;
    assert.equal(t.cancel(), false);
    assert.equal(t.cancelled(), false);
    assert.equal(t.result(), 1);
  }, VT);
});

Deno.test("task.signal aborts with a CancelledError when the task is cancelled", async () => {
  await run(async () => {
    let signal: AbortSignal | undefined;
    const t = createTask(async () => {
      signal = currentTask()!.signal;
      await sleep(10);
    });
    await sleep(0);
    assert.ok(signal);
    assert.equal(signal.aborted, false);
    let abortEvents = 0;
    signal.addEventListener("abort", () => abortEvents++);
    t.cancel("stop");
    assert.equal(signal.aborted, true);
    assert.equal(abortEvents, 1);
    assert.ok(signal.reason instanceof CancelledError);
    assert.equal((signal.reason as CancelledError).message, "stop");
    await assert.rejects(async () => await t, CancelledError);
  }, VT);
});

Deno.test("task.signal read after cancel() is already aborted", async () => {
  await run(async () => {
    const t = createTask(async () => {
      await sleep(10);
    });
    await sleep(0);
    t.cancel();
    assert.equal(t.signal.aborted, true);
    await assert.rejects(async () => await t, CancelledError);
  }, VT);
});

Deno.test("a task's signal is not aborted when it finishes normally", async () => {
  await run(async () => {
    const t = createTask(async () => {
      await sleep(1);
      return currentTask()!.signal;
    });
    const signal = await t;
    assert.equal(signal.aborted, false);
  }, VT);
});

Deno.test("a task nobody keeps a reference to still runs to completion", async () => {
  const log: string[] = [];
  await run(async () => {
    createTask(async () => {
      await sleep(1);
      log.push("forgotten task finished");
    });
    await sleep(2);
  }, VT);
  assert.deepEqual(log, ["forgotten task finished"]);
});

Deno.test("allTasks() holds the pending tasks of the running loop, including the current one", async () => {
  await run(async () => {
    const me = currentTask()!;
    const a = createTask(async () => {
      await sleep(1);
    });
    const b = createTask(async () => {
      await sleep(2);
    });
    assert.deepEqual(allTasks(), new Set([me, a, b]));
    await a;
    assert.deepEqual(allTasks(), new Set([me, b]));
    await b;
    assert.deepEqual(allTasks(), new Set([me]));
  }, VT);
});

Deno.test("a task exception never retrieved is reported to the exception handler when the loop closes", async () => {
  const loop = newEventLoop(VT);
  const seen = recordExceptions(loop);
  const err = new RangeError("nobody saw this");
  let failing: Task<unknown> | undefined;
  let awaited: Task<unknown> | undefined;
  await loop.runUntilComplete(async () => {
    failing = createTask(async () => {
      throw err;
    });
    awaited = createTask(async () => {
      throw new Error("seen");
    });
    await assert.rejects(async () => await awaited!);
    await sleep(1);
  });
  assert.equal(seen.length, 0, "reported before the loop closed");
  loop.close();
  assert.equal(seen.length, 1);
  assert.equal(seen[0].exception, err);
  assert.equal(seen[0].future, failing);
  assert.equal(seen[0].message, "Task exception was never retrieved");
});

Deno.test("a task exception read with exception() is not reported at close", async () => {
  const loop = newEventLoop(VT);
  const seen = recordExceptions(loop);
  await loop.runUntilComplete(async () => {
    const t = createTask(async () => {
      throw new Error("read");
    });
    await sleep(1);
    assert.ok(t.exception() instanceof Error);
  });
  loop.close();
  assert.deepEqual(seen, []);
});

Deno.test("a task awaiting itself gets an error it can catch", async () => {
  // CPython: RuntimeError('Task cannot await on itself: <Task ...>').
  await run(async () => {
    const self = currentTask()!;
    await assert.rejects(
      async () => await self,
      (e) =>
        e instanceof Error && /^Task cannot await on itself/.test(e.message),
    );
    assert.equal(self.done(), false);
  }, VT);
});

Deno.test("a coroutine function that throws synchronously fails its task with that error", async () => {
  await run(async () => {
    const err = new Error("sync throw");
    const t = createTask((): Promise<number> => {
      throw err;
    });
    await assert.rejects(async () => await t, (e) => e === err);
    assert.equal(t.exception(), err);
  }, VT);
});

Deno.test("a function that returns no promise fails its task with a TypeError saying to declare it async", async () => {
  await run(async () => {
    const t = createTask((() => 5) as unknown as () => Promise<number>);
    await assert.rejects(
      async () => await t,
      (e) => e instanceof TypeError && /async/.test(e.message),
    );
  }, VT);
});

Deno.test("setResult and setException are not allowed on a task", async () => {
  await run(async () => {
    const t = createTask(async () => 1);
    assert.throws(() => t.setResult(2), /does not support setResult/);
    assert.throws(
      () => t.setException(new Error()),
      /does not support setException/,
    );
    assert.equal(await t, 1);
  }, VT);
});

Deno.test("a task's done callbacks run after it finishes, with the task", async () => {
  await run(async () => {
    const t = createTask(async () => "r");
    let got: unknown;
    t.addDoneCallback((f) => got = f.result());
    await t;
    await sleep(0);
    assert.equal(got, "r");
  }, VT);
});

Deno.test("getCoro() returns the coroutine function the task runs", async () => {
  await run(async () => {
    const fn = async () => 1;
    const t = createTask(fn);
    assert.equal(t.getCoro(), fn);
    await t;
  }, VT);
});

Deno.test("a task's repr follows Python: pending, finished with result or exception, cancelled", async () => {
  // CPython 3.11 (without the source locations):
  //   <Task pending name='Task-1' coro=<main()>>
  //   <Task finished name='Task-2' coro=<f()> result='x'>
  //   <Task finished name='Task-4' coro=<boom()> exception=ValueError('bad')>
  //   <Task cancelling name='Task-3' ...>, then <Task cancelled name='Task-3' ...>
  async function f() {
    return "x";
  }
  async function boom(): Promise<never> {
    throw new RangeError("bad");
  }
  async function sleeper() {
    await sleep(10);
  }
  await run(async function main() {
    const me = currentTask()!;
    assert.equal(
      String(me),
      `<Task pending name='${me.getName()}' coro=<main()> cb=[_run_until_complete_cb()]>`,
    );
    const a = createTask(f);
    await a;
    assert.equal(
      String(a),
      `<Task finished name='${a.getName()}' coro=<f()> result='x'>`,
    );
    const b = createTask(boom, { name: "b" });
    await assert.rejects(async () => await b);
    assert.equal(
      String(b),
      "<Task finished name='b' coro=<boom()> exception=RangeError('bad')>",
    );
    const c = createTask(sleeper, { name: "c" });
    await sleep(0);
    c.cancel();
    // CPython shows what it waits for: wait_for=<Future cancelled>.
    assert.equal(
      String(c),
      "<Task cancelling name='c' coro=<sleeper()> wait_for=<Future cancelled>>",
    );
    await assert.rejects(async () => await c);
    assert.equal(String(c), "<Task cancelled name='c' coro=<sleeper()>>");
    const d = createTask(() => sleeper(), { name: "d" });
    assert.equal(String(d), "<Task pending name='d' coro=<sleeper()>>");
    d.cancel();
    await assert.rejects(async () => await d);
  }, VT);
});

Deno.test("ensureFuture wraps a coroutine function in a task and returns futures unchanged", async () => {
  await run(async () => {
    const t = ensureFuture(async () => 1);
    assert.ok(t instanceof Task);
    assert.equal(await t, 1);
    const fut = getRunningLoop().createFuture<number>();
    assert.equal(ensureFuture(fut), fut);
    fut.cancel();
  }, VT);
});

Deno.test("ensureFuture wraps a non-promise thenable in a task", async () => {
  await run(async () => {
    const thenable: PromiseLike<number> = {
      then(onFulfilled) {
        return Promise.resolve(onFulfilled!(7));
      },
    };
    const f = ensureFuture(thenable);
    assert.ok(f instanceof Future);
    assert.equal(await f, 7);
  }, VT);
});

// sleep

Deno.test("sleep(0) yields exactly one loop iteration", async () => {
  // CPython 3.11 prints ['cb1', 'A', 'cb2']: the callback scheduled before
  // the sleep runs first, the one it schedules in turn runs after.
  const log: string[] = [];
  await run(async () => {
    const loop = getRunningLoop();
    loop.callSoon(() => {
      log.push("cb1");
      loop.callSoon(() => log.push("cb2"));
    });
    await sleep(0);
    log.push("A");
    await sleep(0);
  }, VT);
  assert.deepEqual(log, ["cb1", "A", "cb2"]);
});

Deno.test("sleep(0) lets other ready tasks take turns in round-robin order", async () => {
  const log: string[] = [];
  await run(async () => {
    const worker = (name: string) => async () => {
      for (let i = 0; i < 3; i++) {
        log.push(`${name}${i}`);
        await sleep(0);
      }
    };
    const a = createTask(worker("a"));
    const b = createTask(worker("b"));
    await a;
    await b;
  }, VT);
  assert.deepEqual(log, ["a0", "b0", "a1", "b1", "a2", "b2"]);
});

Deno.test("sleep(delay, value) resolves to value after delay seconds", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    assert.equal(await sleep(1.5, "value"), "value");
    assert.equal(loop.time(), 1.5);
    assert.deepEqual(await sleep(0, { a: 1 }), { a: 1 });
    assert.equal(await sleep(0.5), undefined);
    assert.equal(loop.time(), 2);
  }, VT);
});

Deno.test("a negative sleep behaves like sleep(0)", async () => {
  await run(async () => {
    assert.equal(await sleep(-5, "neg"), "neg");
    assert.equal(getRunningLoop().time(), 0);
  }, VT);
});

Deno.test("cancelling a sleeping task cancels its timer", async () => {
  const loop = newEventLoop(VT);
  // Keep the timers the loop hands out (sleep() schedules through callLater).
  const timers: TimerHandle[] = [];
  const callLater = loop.callLater.bind(loop);
  loop.callLater = (delay, callback, ...args) => {
    const timer = callLater(delay, callback, ...args);
    timers.push(timer);
    return timer;
  };
  try {
    await loop.runUntilComplete(async () => {
      const t = createTask(async () => {
        await sleep(100);
      });
      await sleep(0);
      // The loop's only timer is the sleep's.
      assert.equal(timers.length, 1);
      const timer = timers[0];
      assert.ok(timer instanceof TimerHandle);
      assert.equal(timer.when(), 100);
      assert.equal(timer.cancelled(), false);
      t.cancel();
      await assert.rejects(async () => await t, CancelledError);
      assert.equal(timer.cancelled(), true);
    });
    // And time never jumped to the cancelled timer.
    assert.equal(loop.time(), 0);
  } finally {
    loop.close();
  }
});

Deno.test("a cancelled sleep(0) raises CancelledError", async () => {
  await run(async () => {
    const t = createTask(async () => {
      await sleep(0);
      await sleep(0);
      return "not cancelled";
    });
    await sleep(0);
    t.cancel();
    await assert.rejects(async () => await t, CancelledError);
  }, VT);
});

Deno.test("sleep outside a running loop throws 'no running event loop'", () => {
  assert.throws(() => sleep(1), /no running event loop/);
});

Deno.test("a task waiting on a foreign promise does not hold up the loop", async () => {
  const order: string[] = [];
  await run(async () => {
    const foreign = createTask(async () => {
      await sleep(0);
      order.push("foreign: waiting on a host timer");
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push("foreign: resumed");
    });
    const busy = createTask(async () => {
      for (let i = 0; i < 3; i++) {
        await sleep(0);
        order.push(`busy ${i}`);
      }
    });
    await gather(foreign, busy);
  });
  assert.deepEqual(order, [
    "foreign: waiting on a host timer",
    "busy 0",
    "busy 1",
    "busy 2",
    "foreign: resumed",
  ]);
});

// ------------------------------------------------ signals and Promise types

Deno.test("createTask(fn, { signal }): an abort cancels the task with the reason as the message", async () => {
  await run(async () => {
    const controller = new AbortController();
    const task = createTask(() => sleep(10), { signal: controller.signal });
    await sleep(1);
    controller.abort(new Error("user went away"));
    const error = await errorOf(task);
    assert.ok(error instanceof CancelledError);
    assert.equal(error.message, "user went away");
    assert.equal(getRunningLoop().time(), 1);
  }, VT);
});

Deno.test("createTask with an already aborted signal never runs the body", async () => {
  await run(async () => {
    let ran = false;
    const task = createTask(async () => {
      ran = true;
    }, { signal: AbortSignal.abort("too late") });
    const error = await errorOf(task);
    assert.ok(error instanceof CancelledError);
    assert.equal(error.message, "too late");
    assert.equal(ran, false);
  }, VT);
});

Deno.test("run(main, { signal }) cancels main when the signal aborts; a finished task lets go of the signal", async () => {
  const controller = new AbortController();
  let cleanedUp = false;
  const error = await errorOf(run(async () => {
    getRunningLoop().callLater(2, () => controller.abort("stop"));
    try {
      await sleep(3600);
    } finally {
      cleanedUp = true;
    }
  }, { ...VT, signal: controller.signal }));
  assert.ok(error instanceof CancelledError);
  assert.equal(cleanedUp, true);
  // A task done before the abort is not cancelled by it later.
  await run(async () => {
    const late = new AbortController();
    const t = createTask(async () => 1, { signal: late.signal });
    assert.equal(await t, 1);
    late.abort();
    assert.equal(t.cancelled(), false);
  }, VT);
});

Deno.test("futures, tasks and coroutines fit where a Promise is expected", async () => {
  // A helper typed with Promise, as in many code bases.
  async function withDeadline<T>(p: Promise<T>): Promise<T> {
    return await p;
  }
  await run(async () => {
    assert.equal(await withDeadline(sleep(0.01, "slept")), "slept");
    assert.deepEqual(await withDeadline(gather(() => sleep(0, 1))), [1]);
    assert.equal(await withDeadline(createTask(async () => 2)), 2);
    const fut = getRunningLoop().createFuture<number>();
    fut.setException(new RangeError("bad"));
    assert.equal(
      await fut.catch((e) => (e as Error).message),
      "bad",
    );
    let finallyRan = false;
    assert.equal(await sleep(0, 3).finally(() => finallyRan = true), 3);
    assert.equal(finallyRan, true);
    assert.equal(Object.prototype.toString.call(fut), "[object Future]");
  }, VT);
});
