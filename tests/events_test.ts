// Coroutine functions must be async even when they do not await.
// deno-lint-ignore-file require-await
// Tests of the event loop (src/events.ts). Expected orders that are not
// obvious were checked against CPython 3.11's asyncio (see the comments).
import assert from "node:assert/strict";
import {
  type AbstractEventLoop,
  blockingSleep,
  createTask,
  currentTask,
  gather,
  getEventLoop,
  getRunningLoop,
  Handle,
  Lock,
  newEventLoop,
  run,
  setEventLoop,
  setEventLoopPolicy,
  sleep,
  type Task,
  TimerHandle,
} from "../mod.ts";
import { captureConsole, recordExceptions, withLoop } from "./_helpers.ts";

Deno.test("callSoon runs callbacks in FIFO order with their arguments", async () => {
  await withLoop(async (loop) => {
    const log: string[] = [];
    loop.callSoon((x: string) => log.push(x), "a");
    loop.callSoon((x: string, y: string) => log.push(x + y), "b", "c");
    loop.callSoon(() => log.push("d"));
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    assert.deepEqual(log, ["a", "bc", "d"]);
  });
});

Deno.test("callLater and callAt run callbacks in deadline order, ties in scheduling order", async () => {
  await withLoop(async (loop) => {
    const log: [string, number][] = [];
    const rec = (name: string) => log.push([name, loop.time()]);
    loop.callLater(0.3, rec, "c");
    loop.callLater(0.1, rec, "a");
    loop.callAt(0.2, rec, "b1");
    loop.callLater(0.2, rec, "b2");
    loop.callSoon(rec, "soon");
    loop.callLater(0.4, () => loop.stop());
    await loop.runForever();
    assert.deepEqual(log, [
      ["soon", 0],
      ["a", 0.1],
      ["b1", 0.2],
      ["b2", 0.2],
      ["c", 0.3],
    ]);
  });
});

Deno.test("callLater returns a TimerHandle whose when() is the loop time it is due", async () => {
  await withLoop((loop) => {
    const timer = loop.callLater(2.5, () => {});
    assert.ok(timer instanceof TimerHandle);
    assert.equal(timer.when(), loop.time() + 2.5);
    const at = loop.callAt(7, () => {});
    assert.equal(at.when(), 7);
    timer.cancel();
    at.cancel();
  });
});

Deno.test("a cancelled handle or timer never runs and reports cancelled()", async () => {
  await withLoop(async (loop) => {
    const log: string[] = [];
    const soon = loop.callSoon(() => log.push("soon"));
    const later = loop.callLater(0.1, () => log.push("later"));
    const kept = loop.callLater(0.2, () => log.push("kept"));
    assert.equal(soon.cancelled(), false);
    soon.cancel();
    later.cancel();
    later.cancel(); // cancelling twice is harmless
    assert.equal(soon.cancelled(), true);
    assert.equal(later.cancelled(), true);
    assert.equal(String(soon), "<Handle cancelled>");
    loop.callLater(0.3, () => loop.stop());
    await loop.runForever();
    assert.deepEqual(log, ["kept"]);
    assert.equal(kept.cancelled(), false);
    assert.ok(soon instanceof Handle);
  });
});

Deno.test("a handle cancelled by an earlier callback of the same iteration does not run", async () => {
  await withLoop(async (loop) => {
    const log: string[] = [];
    loop.callSoon(() => {
      log.push("first");
      second.cancel();
    });
    const second = loop.callSoon(() => log.push("second"));
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    assert.deepEqual(log, ["first"]);
  });
});

Deno.test("callbacks scheduled during an iteration run in the next one, after stop() ends the current one", async () => {
  // CPython 3.11: ['a', 'b'] after the first run_forever(), then
  // ['a', 'b', 'c'] after the second.
  await withLoop(async (loop) => {
    const log: string[] = [];
    loop.callSoon(() => {
      log.push("a");
      loop.callSoon(() => log.push("c"));
      loop.stop();
    });
    loop.callSoon(() => log.push("b"));
    await loop.runForever();
    assert.deepEqual(log, ["a", "b"]);
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    assert.deepEqual(log, ["a", "b", "c"]);
  });
});

Deno.test("a callback that keeps rescheduling itself does not starve a due timer", async () => {
  await withLoop(async (loop) => {
    let spins = 0;
    let spinsWhenTimerRan = -1;
    const spin = () => {
      spins++;
      if (spinsWhenTimerRan < 0) loop.callSoon(spin);
    };
    loop.callSoon(spin);
    loop.callLater(0, () => {
      spinsWhenTimerRan = spins;
      loop.stop();
    });
    await loop.runForever();
    // The timer is due in the first iteration, behind the first spin.
    assert.equal(spinsWhenTimerRan, 1);
  });
});

Deno.test("after a callback blocks past several deadlines, the due timers run in deadline order", async () => {
  // CPython 3.11 prints ['block', 'soon-from-blocker', 't1', 't2', 't3'].
  await withLoop(async (loop) => {
    const log: string[] = [];
    const times: number[] = [];
    const rec = (name: string) => {
      log.push(name);
      times.push(loop.time());
    };
    loop.callLater(0.1, rec, "t1");
    loop.callLater(0.3, rec, "t3");
    loop.callLater(0.2, rec, "t2");
    loop.callSoon(() => {
      log.push("block");
      loop.callSoon(() => log.push("soon-from-blocker"));
      blockingSleep(0.4);
    });
    loop.callLater(0.35, () => loop.stop());
    await loop.runForever();
    assert.deepEqual(log, ["block", "soon-from-blocker", "t1", "t2", "t3"]);
    // All of them ran late, at the time the block ended.
    assert.deepEqual(times, [0.4, 0.4, 0.4]);
  });
});

Deno.test("a woken task runs to its next await before the loop's next handle (nested coroutines interleave as in CPython)", async () => {
  // CPython 3.11 prints: cb timer, A inner, A outer, cb soon, B inner, B outer.
  const log: string[] = [];
  async function inner(name: string, delay: number) {
    await sleep(delay);
    log.push(`${name} inner`);
  }
  async function outer(name: string, delay: number) {
    await inner(name, delay);
    log.push(`${name} outer`);
  }
  await run(async () => {
    const loop = getRunningLoop();
    const a = createTask(() => outer("A", 0.1));
    const b = createTask(() => outer("B", 0.2));
    loop.callLater(0.15, () => {
      log.push("cb timer");
      loop.callSoon(() => log.push("cb soon"));
    });
    await sleep(0);
    blockingSleep(0.3);
    await gather(a, b);
  }, { virtualTime: true });
  assert.deepEqual(log, [
    "cb timer",
    "A inner",
    "A outer",
    "cb soon",
    "B inner",
    "B outer",
  ]);
});

Deno.test("a task whose step awaits several plain promises still finishes that step before the next handle", async () => {
  const log: string[] = [];
  await run(async () => {
    const loop = getRunningLoop();
    const t = createTask(async () => {
      await sleep(0.1);
      log.push("task woke");
      await Promise.resolve();
      await Promise.resolve();
      log.push("task after microtasks");
    });
    await sleep(0); // the task's timer is now scheduled before ours
    loop.callLater(0.1, () => loop.callSoon(() => log.push("callback")));
    await t;
  }, { virtualTime: true });
  assert.deepEqual(log, ["task woke", "task after microtasks", "callback"]);
});

Deno.test("loop.time() never goes backwards on the real clock", async () => {
  await withLoop((loop) => {
    let last = loop.time();
    for (let i = 0; i < 10_000; i++) {
      const now = loop.time();
      assert.ok(now >= last, `time went back from ${last} to ${now}`);
      last = now;
    }
  }, {});
});

Deno.test("real clock: an idle loop wakes for a timer added before the one it waits for, and after one cancelled", async () => {
  await withLoop(async (loop) => {
    const fired: [string, number][] = [];
    const t0 = loop.time();
    const at = (name: string) => () => fired.push([name, loop.time() - t0]);
    await loop.runUntilComplete(async () => {
      // Idle, waiting for "late"; a host callback (I/O completing, say)
      // then adds an earlier timer: the loop must not sleep until "late".
      const late = loop.callLater(0.4, at("late"));
      setTimeout(() => loop.callLater(0.03, at("early")), 20);
      await sleep(0.15);
      // The timer the loop waits for is cancelled and a later one added.
      late.cancel();
      loop.callLater(0.6, at("later"));
      await sleep(0.7);
    });
    assert.deepEqual(fired.map(([name]) => name), ["early", "later"]);
    const [[, early], [, later]] = fired;
    assert.ok(early >= 0.045 && early < 0.14, `early fired at ${early}`);
    assert.ok(later >= 0.75 && later < 1.2, `later fired at ${later}`);
  }, {});
});

Deno.test("loop.time() on the virtual clock jumps to each timer's deadline", async () => {
  await withLoop(async (loop) => {
    assert.equal(loop.time(), 0);
    const seen: number[] = [];
    await loop.runUntilComplete(async () => {
      await sleep(5);
      seen.push(loop.time());
      await sleep(3600);
      seen.push(loop.time());
    });
    assert.deepEqual(seen, [5, 3605]);
  });
});

Deno.test("runUntilComplete returns the coroutine's result", async () => {
  await withLoop(async (loop) => {
    const result = await loop.runUntilComplete(async () => {
      await sleep(1);
      return { answer: 42 };
    });
    assert.deepEqual(result, { answer: 42 });
  });
});

Deno.test("runUntilComplete throws the error the coroutine raised", async () => {
  await withLoop(async (loop) => {
    const boom = new RangeError("boom");
    await assert.rejects(
      loop.runUntilComplete(async () => {
        await sleep(0.1);
        throw boom;
      }),
      (e) => e === boom,
    );
  });
});

Deno.test("runUntilComplete accepts a future and returns its result", async () => {
  await withLoop(async (loop) => {
    const fut = loop.createFuture<string>();
    loop.callLater(1, () => fut.setResult("done"));
    assert.equal(await loop.runUntilComplete(fut), "done");
    assert.equal(loop.time(), 1);
  });
});

Deno.test("runUntilComplete raises when the loop is stopped before the future completes", async () => {
  // CPython: RuntimeError('Event loop stopped before Future completed.')
  await withLoop(async (loop) => {
    const fut = loop.createFuture();
    loop.callSoon(() => loop.stop());
    await assert.rejects(
      loop.runUntilComplete(fut),
      /Event loop stopped before Future completed/,
    );
    fut.cancel();
  });
});

Deno.test("runForever runs until a callback calls stop(), then the loop can run again", async () => {
  await withLoop(async (loop) => {
    let ticks = 0;
    const tick = () => {
      ticks++;
      if (ticks === 3) loop.stop();
      else loop.callLater(1, tick);
    };
    loop.callSoon(tick);
    await loop.runForever();
    assert.equal(ticks, 3);
    assert.equal(loop.time(), 2);
    assert.equal(loop.isRunning(), false);
    assert.equal(await loop.runUntilComplete(async () => "again"), "again");
  });
});

Deno.test("isRunning() is true only while the loop runs", async () => {
  await withLoop(async (loop) => {
    assert.equal(loop.isRunning(), false);
    let inside: boolean | undefined;
    loop.callSoon(() => {
      inside = loop.isRunning();
      loop.stop();
    });
    await loop.runForever();
    assert.equal(inside, true);
    assert.equal(loop.isRunning(), false);
  });
});

Deno.test("close() on a running loop throws and leaves it open", async () => {
  await withLoop(async (loop) => {
    let error: unknown;
    loop.callSoon(() => {
      try {
        loop.close();
      } catch (e) {
        error = e;
      }
      loop.stop();
    });
    await loop.runForever();
    assert.ok(error instanceof Error);
    assert.match(error.message, /Cannot close a running event loop/);
    assert.equal(loop.isClosed(), false);
  });
});

Deno.test("a closed loop rejects callSoon, callLater, createTask and running", async () => {
  const loop = newEventLoop({ virtualTime: true });
  loop.close();
  assert.equal(loop.isClosed(), true);
  loop.close(); // closing twice is harmless
  assert.throws(() => loop.callSoon(() => {}), /Event loop is closed/);
  assert.throws(() => loop.callLater(1, () => {}), /Event loop is closed/);
  assert.throws(() => loop.callAt(1, () => {}), /Event loop is closed/);
  assert.throws(() => loop.createTask(async () => {}), /Event loop is closed/);
  await assert.rejects(
    loop.runUntilComplete(async () => {}),
    /Event loop is closed/,
  );
  assert.throws(() => loop.runForever(), /Event loop is closed/);
});

Deno.test("close() drops callbacks that never ran", async () => {
  const log: string[] = [];
  const loop = newEventLoop({ virtualTime: true });
  loop.callSoon(() => log.push("soon"));
  loop.callLater(1, () => log.push("later"));
  loop.close();
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(log, []);
});

Deno.test("an error thrown by a callback goes to the exception handler and the loop keeps running", async () => {
  await withLoop(async (loop) => {
    const seen = recordExceptions(loop);
    const log: string[] = [];
    const err = new Error("callback failed");
    const handle = loop.callSoon(function failing() {
      throw err;
    });
    loop.callSoon(() => log.push("next callback"));
    loop.callLater(1, () => {
      log.push("timer");
      loop.stop();
    });
    await loop.runForever();
    assert.deepEqual(log, ["next callback", "timer"]);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].exception, err);
    assert.equal(seen[0].handle, handle);
    assert.match(seen[0].message, /^Exception in callback .*failing/);
  });
});

Deno.test("getExceptionHandler returns the handler that was set, and null by default", async () => {
  await withLoop((loop) => {
    assert.equal(loop.getExceptionHandler(), null);
    const handler = () => {};
    loop.setExceptionHandler(handler);
    assert.equal(loop.getExceptionHandler(), handler);
    loop.setExceptionHandler(null);
    assert.equal(loop.getExceptionHandler(), null);
  });
});

Deno.test("without a handler, a callback's error is logged with console.error", async () => {
  await withLoop(async (loop) => {
    const { lines } = await captureConsole("error", async () => {
      loop.callSoon(function noisy() {
        throw new Error("logged error");
      });
      loop.callSoon(() => loop.stop());
      await loop.runForever();
    });
    assert.equal(lines.length, 1);
    assert.match(lines[0], /Exception in callback/);
    assert.match(lines[0], /logged error/);
  });
});

Deno.test("an exception handler that throws falls back to the default handler", async () => {
  await withLoop(async (loop) => {
    loop.setExceptionHandler(() => {
      throw new Error("handler broke");
    });
    const { lines } = await captureConsole("error", async () => {
      loop.callSoon(() => {
        throw new Error("original");
      });
      loop.callSoon(() => loop.stop());
      await loop.runForever();
    });
    assert.equal(lines.length, 1);
    assert.match(lines[0], /Unhandled error in exception handler/);
    assert.match(lines[0], /handler broke/);
  });
});

Deno.test("debug mode warns about a callback slower than slowCallbackDuration", async () => {
  await withLoop(async (loop) => {
    assert.equal(loop.getDebug(), true);
    loop.slowCallbackDuration = 0.05;
    const { lines } = await captureConsole("warn", async () => {
      loop.callSoon(function slowCallback() {
        blockingSleep(0.1); // the real clock: a short real block
      });
      loop.callSoon(function fastCallback() {});
      loop.callSoon(() => loop.stop());
      await loop.runForever();
    });
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(
      lines[0],
      /^Executing .*slowCallback.* took \d+\.\d{3} seconds$/,
    );
  }, { debug: true });
});

Deno.test("debug mode measures slow callbacks on the loop's clock, so a virtual blockingSleep counts", async () => {
  // CPython measures a callback with loop.time(); on the virtual clock a
  // program must print what it prints on the real clock.
  await withLoop(async (loop) => {
    const { lines } = await captureConsole("warn", async () => {
      loop.callSoon(function slowCallback() {
        blockingSleep(0.5);
      });
      loop.callSoon(() => loop.stop());
      await loop.runForever();
    });
    assert.equal(lines.length, 1, `warnings: ${JSON.stringify(lines)}`);
    assert.match(lines[0], /slowCallback.* took 0\.500 seconds/);
  }, { virtualTime: true, debug: true });
});

Deno.test("debug mode's slow-step warning shows the slow task's call graph: where it suspended and who awaits it", async () => {
  await withLoop(async (loop) => {
    const { lines } = await captureConsole(
      "warn",
      () =>
        loop.runUntilComplete(async function main() {
          const worker = createTask(async function slowWorker() {
            await sleep(0);
            blockingSleep(0.5); // on the virtual clock
            await sleep(10);
          }, { name: "worker" });
          await sleep(1);
          worker.cancel();
          await worker.then(undefined, () => {});
          // Awaited: the graph names the awaiting task, where it awaits.
          await createTask(async function slowChild() {
            blockingSleep(0.25);
            await sleep(10);
          }, { name: "child" });
        }),
    );
    assert.equal(lines.length, 2, lines.join("\n---\n"));
    const [worker, child] = lines.map((l) => l.split("\n"));
    assert.match(
      worker[0],
      /^Executing <Task pending name='worker' coro=<slowWorker\(\)>.* took 0\.500 seconds$/,
    );
    assert.match(worker[1], /^\* Task\(name='worker', id=0x[0-9a-f]+\)$/);
    assert.equal(worker[2], "  + Call stack:");
    // Where the slow step left it: its next await.
    assert.match(
      worker[3],
      /^ {2}\| {3}File '.*events_test\.ts', line \d+, in async slowWorker\(\)$/,
    );
    assert.equal(worker.length, 4, worker.join("\n"));
    assert.match(child[0], /name='child'.* took 0\.250 seconds$/);
    assert.ok(child.includes("  + Awaited by:"), child.join("\n"));
    assert.match(
      child.at(-3)!,
      /^ {4}\* Task\(name='Task-\d+', id=0x[0-9a-f]+\)$/,
    );
    assert.match(
      child.at(-1)!,
      /events_test\.ts', line \d+, in async main\(\)$/,
    );
  }, { virtualTime: true, debug: true });
});

Deno.test("without debug mode a slow step is not reported", async () => {
  await withLoop(async (loop) => {
    const { lines } = await captureConsole(
      "warn",
      () =>
        loop.runUntilComplete(async function main() {
          await createTask(async () => {
            blockingSleep(0.5);
            await sleep(0);
          });
        }),
    );
    assert.deepEqual(lines, []);
  }, { virtualTime: true });
});

Deno.test("debug mode's 'Task was destroyed but it is pending!' shows where the task waits", async () => {
  const loop = newEventLoop({ debug: true, virtualTime: true });
  const lock = new Lock();
  await loop.runUntilComplete(() => lock.acquire());
  loop.createTask(async function stuckOnLock() {
    await lock.acquire();
  }, { name: "stuck" });
  await loop.runUntilComplete(() => sleep(0.1));
  const { lines } = await captureConsole("error", () => loop.close());
  assert.equal(lines.length, 1, lines.join("\n---\n"));
  const report = lines[0].split("\n");
  assert.equal(report[0], "Task was destroyed but it is pending!");
  assert.match(report[1], /^task: <Task pending name='stuck'/);
  assert.match(report[2], /^\* Task\(name='stuck', id=0x[0-9a-f]+\)$/);
  assert.equal(report[3], "  + Call stack:");
  assert.match(report[4], /line \d+, in async stuckOnLock\(\)$/);
  // A handler of its own gets the text as the context's callGraph.
  const again = newEventLoop({ debug: true, virtualTime: true });
  const seen = recordExceptions(again);
  again.createTask(() => sleep(1), { name: "sleeper" });
  await again.runUntilComplete(() => sleep(0.1));
  again.close();
  assert.equal(seen.length, 1);
  assert.match(
    String(seen[0].callGraph),
    /^\* Task\(name='sleeper', id=0x[0-9a-f]+\)\n {2}\+ Call stack:/,
  );
});

Deno.test("debug mode is off by default and setDebug toggles it", async () => {
  await withLoop((loop) => {
    assert.equal(loop.getDebug(), false);
    loop.setDebug(true);
    assert.equal(loop.getDebug(), true);
    loop.setDebug(false);
    assert.equal(loop.getDebug(), false);
  });
});

Deno.test("getRunningLoop throws 'no running event loop' outside a loop", () => {
  assert.throws(() => getRunningLoop(), {
    message: "no running event loop",
  });
});

Deno.test("getRunningLoop returns the running loop inside tasks and callbacks", async () => {
  await withLoop(async (loop) => {
    let fromCallback: AbstractEventLoop | undefined;
    const fromTask = await loop.runUntilComplete(async () => {
      getRunningLoop().callSoon(() => fromCallback = getRunningLoop());
      await sleep(0);
      return getRunningLoop();
    });
    assert.equal(fromTask, loop);
    assert.equal(fromCallback, loop);
  });
});

Deno.test("setEventLoop sets what getEventLoop returns outside a running loop", async () => {
  const loop = newEventLoop({ virtualTime: true });
  const other = newEventLoop({ virtualTime: true });
  try {
    setEventLoop(loop);
    assert.equal(getEventLoop(), loop);
    assert.equal(getEventLoop(), loop);
    // While a loop runs, getEventLoop returns the running loop.
    const inside = await other.runUntilComplete(async () => getEventLoop());
    assert.equal(inside, other);
    assert.equal(getEventLoop(), loop);
  } finally {
    setEventLoop(null);
    loop.close();
    other.close();
  }
});

Deno.test("getEventLoop creates and keeps a loop when none was ever set (Python 3.13)", () => {
  setEventLoopPolicy(null); // a fresh policy: setEventLoop() never called
  const created = getEventLoop();
  try {
    assert.equal(getEventLoop(), created);
    assert.equal(created.isClosed(), false);
    assert.equal(created.isRunning(), false);
  } finally {
    setEventLoop(null);
    created.close();
  }
});

Deno.test("newEventLoop returns a new loop each time", () => {
  const a = newEventLoop();
  const b = newEventLoop();
  assert.notEqual(a, b);
  a.close();
  b.close();
});

Deno.test("only one loop runs at a time: running a second loop inside the first is an error", async () => {
  await withLoop(async (outer) => {
    const inner = newEventLoop({ virtualTime: true });
    try {
      const error = await outer.runUntilComplete(async () => {
        try {
          await inner.runUntilComplete(async () => "never");
        } catch (e) {
          return e;
        }
      });
      assert.ok(error instanceof Error);
      assert.match(
        error.message,
        /Cannot run the event loop while another loop is running/,
      );
      assert.equal(inner.isRunning(), false);
    } finally {
      inner.close();
    }
  });
});

Deno.test("running a loop that is already running is an error", async () => {
  await withLoop(async (loop) => {
    const error = await loop.runUntilComplete(async () => {
      try {
        await loop.runUntilComplete(async () => "never");
      } catch (e) {
        return e;
      }
    });
    assert.ok(error instanceof Error);
    assert.match(error.message, /This event loop is already running/);
  });
});

Deno.test("currentTask() is null inside callbacks, even those a task scheduled", async () => {
  const seen: Record<string, Task<unknown> | null> = {};
  let main: Task<unknown> | null = null;
  await run(async () => {
    main = currentTask();
    const loop = getRunningLoop();
    loop.callSoon(() => seen.callSoon = currentTask());
    loop.callLater(0.1, () => seen.callLater = currentTask());
    const fut = loop.createFuture();
    fut.addDoneCallback(() => seen.doneCallback = currentTask());
    fut.setResult(1);
    await sleep(0.2);
    seen.task = currentTask();
  }, { virtualTime: true });
  assert.ok(main !== null);
  assert.deepEqual(seen, {
    callSoon: null,
    callLater: null,
    doneCallback: null,
    task: main,
  });
});

Deno.test("currentTask() is null inside a timer callback woken by a real host timer", async () => {
  const seen: (Task<unknown> | null)[] = [];
  await run(async () => {
    const loop = getRunningLoop();
    loop.callLater(0.002, () => seen.push(currentTask()));
    await sleep(0.01);
    loop.callLater(0.002, () => seen.push(currentTask()));
    await sleep(0.01);
  });
  assert.deepEqual(seen, [null, null]);
});

Deno.test("currentTask() outside any loop throws, as Python; with a loop given it is null", () => {
  assert.throws(() => currentTask(), /no running event loop/);
  const loop = newEventLoop();
  try {
    assert.equal(currentTask(loop), null);
  } finally {
    loop.close();
  }
});

Deno.test("the loop's repr shows running, closed and debug like Python", async () => {
  await withLoop(async (loop) => {
    assert.equal(
      String(loop),
      "<EventLoop running=False closed=False debug=False>",
    );
    const inside = await loop.runUntilComplete(async () => String(loop));
    assert.equal(inside, "<EventLoop running=True closed=False debug=False>");
  });
});

Deno.test("a real-clock loop with a pending timer wakes for it without busy waiting", async () => {
  await withLoop(async (loop) => {
    let fired = false;
    loop.callLater(0.02, () => {
      fired = true;
      loop.stop();
    });
    const start = loop.time();
    await loop.runForever();
    assert.equal(fired, true);
    assert.ok(loop.time() - start >= 0.019);
  }, {});
});

Deno.test("an async function started by a callback is not taken for the task that ran before it", async () => {
  // A callback runs right after task A's step in the same iteration; a
  // helper coroutine it starts awaits fut3. Cancelling A must cancel what A
  // awaits (fut2), not the helper's future.
  const loop = newEventLoop({ virtualTime: true });
  const fut1 = loop.createFuture<number>();
  const fut2 = loop.createFuture<number>();
  const fut3 = loop.createFuture<number>();
  const seen: string[] = [];
  const a = loop.createTask(async function taskA() {
    await fut1;
    try {
      await fut2;
    } catch (e) {
      seen.push(`A got ${(e as Error).name}`);
    }
  });
  loop.callSoon(() =>
    loop.callSoon(() => {
      fut1.setResult(1);
      loop.callSoon(() => {
        seen.push(`callback sees task ${currentTask()}`);
        (async () => {
          await fut3;
          seen.push("helper resumed");
        })();
      });
    })
  );
  loop.callLater(1, () => a.cancel());
  loop.callLater(2, () => fut3.setResult(3));
  await loop.runUntilComplete(() => sleep(3));
  loop.close();
  assert.deepEqual(seen, [
    "callback sees task null",
    "A got CancelledError",
    "helper resumed",
  ]);
  assert.equal(fut3.cancelled(), false);
});
