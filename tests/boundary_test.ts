// Coroutine functions must be async even when they do not await.
// deno-lint-ignore-file require-await
// Where JavaScript's eager promises and `await using` meet asyncio's rules
// (issue 12): every waiting method returns a coroutine the library can
// cancel, started native promises are refused everywhere with the fix,
// `timeout()` turns every cancellation it caused into TimeoutError, and
// the function forms of the scopes have Python's exact semantics. Each
// test is one program a Python user writes first, which hung, lost an
// item or crashed before.
import assert from "node:assert/strict";
import {
  asCompleted,
  Barrier,
  CancelledError,
  Condition,
  Coroutine,
  coroutine,
  createSubprocessShell,
  createTask,
  currentTask,
  ensureFuture,
  Event,
  ExceptionGroup,
  gather,
  getRunningLoop,
  Lock,
  newEventLoop,
  PIPE,
  Queue,
  run,
  Semaphore,
  shield,
  sleep,
  StreamReader,
  TaskGroup,
  taskGroup,
  timeout,
  TimeoutError,
  wait,
  waitFor,
} from "../mod.ts";
import { errorOf, recordExceptions, startedPromise, tick } from "./_helpers.ts";

const VT = { virtualTime: true };

// ------------------------------------------------ coroutines of the library

Deno.test("waitFor(queue.get(), t) times out, leaves no getter behind and loses no item", async () => {
  await run(async () => {
    const queue = new Queue<string>();
    const get = queue.get();
    assert.ok(get instanceof Coroutine);
    // Not awaited yet: nothing waits.
    assert.equal(queue.statistics().gettersWaiting, 0);
    const error = await errorOf(waitFor(get, 1));
    assert.ok(error instanceof TimeoutError);
    assert.equal(getRunningLoop().time(), 1);
    assert.equal(queue.statistics().gettersWaiting, 0);
    // The next item goes to the next getter, not to the dead one.
    queue.putNowait("item");
    assert.equal(await queue.get(), "item");
  }, VT);
});

Deno.test("waitFor times out event.wait(), lock.acquire(), sem.acquire(), cond.wait() and barrier.wait(), and run() returns", async () => {
  await run(async () => {
    const event = new Event();
    const lock = new Lock();
    const held = await lock.acquire();
    const sem = new Semaphore(0);
    const cond = new Condition();
    const barrier = new Barrier(2);
    const makers: (() => Coroutine<unknown>)[] = [
      () => event.wait(),
      () => lock.acquire(),
      () => sem.acquire(),
      () => barrier.wait(),
    ];
    for (const make of makers) {
      assert.ok(await errorOf(waitFor(make(), 0.5)) instanceof TimeoutError);
    }
    {
      using _c = await cond.acquire();
      assert.ok(
        await errorOf(waitFor(cond.wait(), 0.5)) instanceof TimeoutError,
      );
      assert.equal(cond.locked(), true, "the lock is held again");
    }
    assert.equal(event.statistics().waiting, 0);
    assert.equal(lock.statistics().waiting, 0);
    assert.equal(sem.statistics().waiting, 0);
    assert.equal(cond.statistics().waiting, 0);
    assert.equal(barrier.nWaiting, 0);
    // No permit or wakeup was lost: the primitives work on.
    held.release();
    sem.release();
    event.set();
    (await lock.acquire()).release();
    (await sem.acquire()).release();
    assert.equal(await event.wait(), true);
    assert.equal(getRunningLoop().time(), 2.5);
  }, VT);
});

Deno.test("library coroutines run where they are handed: createTask, gather, wait's tasks, shield, asCompleted", async () => {
  await run(async () => {
    const queue = new Queue<number>();
    const t = createTask(queue.get());
    const both = gather(queue.get(), sleep(0.1, "slept"));
    const shielded = shield(queue.get());
    const next = [...asCompleted([queue.get()])];
    await sleep(0);
    assert.equal(queue.statistics().gettersWaiting, 4);
    for (const n of [1, 2, 3, 4]) queue.putNowait(n);
    assert.equal(await t, 1);
    assert.deepEqual(await both, [2, "slept"]);
    assert.equal(await shielded, 3);
    assert.equal(await next[0], 4);
    // wait() refuses coroutine objects, as Python: it names the fix.
    assert.throws(
      () => wait([queue.get()]),
      (e: unknown) => e instanceof TypeError && /createTask\(/.test(e.message),
    );
  }, VT);
});

Deno.test("a coroutine runs once: awaiting it again or handing it on after it started is a TypeError", async () => {
  await run(async () => {
    const work = coroutine(async (n: number) => n * 2);
    const c = work(21);
    assert.equal(await c, 42);
    await assert.rejects(
      async () => await c,
      /cannot reuse already awaited coroutine.*createTask\(coro\)/,
    );
    assert.throws(() => createTask(c), /has already started/);
    // A library wait alike: the second await could not have the item.
    const queue = new Queue<number>();
    queue.putNowait(1);
    queue.putNowait(2);
    const get = queue.get();
    assert.equal(await get, 1);
    await assert.rejects(async () => await get, /cannot reuse/);
    assert.equal(queue.qsize(), 1, "the second await took nothing");
    const d = work(1);
    const task = createTask(d);
    assert.equal(await task, 2);
    await assert.rejects(async () => await d, /already handed to a task/);
  }, VT);
});

Deno.test("a woken getter whose item was taken meanwhile waits again, at the end of the line, and gets a later item", async () => {
  await run(async () => {
    const queue = new Queue<string>();
    const order: string[] = [];
    const first = createTask(async () =>
      order.push(`first:${await queue.get()}`)
    );
    const second = createTask(async () =>
      order.push(`second:${await queue.get()}`)
    );
    await sleep(0);
    assert.equal(queue.statistics().gettersWaiting, 2);
    queue.putNowait("a"); // wakes the first getter...
    assert.equal(queue.getNowait(), "a"); // ...but the item is taken before it runs
    await sleep(0);
    assert.equal(queue.statistics().gettersWaiting, 2, "the first waits again");
    queue.putNowait("b");
    queue.putNowait("c");
    await gather(first, second);
    // The second getter was ahead in line by then, as in CPython.
    assert.deepEqual(order, ["second:b", "first:c"]);
  }, VT);
});

Deno.test("a woken lock waiter cancelled before it runs passes the lock on; the releaser releases once", async () => {
  await run(async () => {
    const lock = new Lock();
    const held = await lock.acquire();
    const a = createTask(async () => await lock.acquire());
    const b = createTask(async () => {
      using _ = await lock.acquire();
      return "b ran";
    });
    await sleep(0);
    held.release();
    a.cancel(); // woken and cancelled at once
    assert.equal(await b, "b ran");
    await assert.rejects(a, CancelledError);
    assert.equal(lock.locked(), false);
    assert.throws(() => held.release(), /already released/);
  }, VT);
});

// ------------------------------------------------ started native promises

Deno.test("one rule for started native promises: every function that starts or waits refuses them with the fix, and nothing rejects unhandled", async () => {
  const showsTheFix = (e: unknown) =>
    e instanceof TypeError && e.message.includes("() =>");
  await run(async () => {
    const loop = getRunningLoop();
    const rejected = () => Promise.reject(new Error("the user's error"));
    const calls: [string, (p: Promise<number>) => unknown][] = [
      ["createTask", (p) => createTask(p as never)],
      ["loop.createTask", (p) => loop.createTask(p as never)],
      ["ensureFuture", (p) => ensureFuture(p)],
      ["gather", (p) => gather(p, { returnExceptions: true })],
      ["wait", (p) => wait([p])],
      ["waitFor", (p) => waitFor(p, 1)],
      ["shield", (p) => shield(p)],
      ["asCompleted", (p) => asCompleted([p])],
    ];
    for (const [name, call] of calls) {
      assert.throws(() => call(startedPromise()), showsTheFix, name);
      // A rejected one is refused too, and does not crash the process.
      assert.throws(() => call(rejected() as Promise<number>), showsTheFix);
    }
    await tick();
  }, VT);
  const loop = newEventLoop(VT);
  try {
    await assert.rejects(
      loop.runUntilComplete(startedPromise() as never),
      showsTheFix,
    );
  } finally {
    loop.close();
  }
});

Deno.test("shield(() => save()) finishes the save when the caller is cancelled, and run() returns", async () => {
  const saved: string[] = [];
  await run(async () => {
    async function save() {
      await sleep(1);
      saved.push("half");
      await sleep(1);
      saved.push("all");
    }
    const caller = createTask(async () => {
      await shield(() => save());
    });
    await sleep(0.5);
    caller.cancel();
    assert.ok(await errorOf(caller) instanceof CancelledError);
    await sleep(3);
  }, VT);
  assert.deepEqual(saved, ["half", "all"]);
});

// ------------------------------------------------ timeouts

Deno.test("await using timeout() around gather(...) raises TimeoutError, not CancelledError", async () => {
  await run(async () => {
    const error = await errorOf((async () => {
      await using _t = timeout(1);
      await gather(() => sleep(5), () => sleep(5));
    })());
    assert.ok(error instanceof TimeoutError, String(error));
    // The function form too.
    const error2 = await errorOf(
      timeout(1, () => gather(() => sleep(5), () => sleep(5))),
    );
    assert.ok(error2 instanceof TimeoutError, String(error2));
  }, VT);
});

Deno.test("await using timeout() around foreign I/O given the task's signal raises TimeoutError", async () => {
  await run(async () => {
    const error = await errorOf((async () => {
      await using _t = timeout(0.05);
      // A foreign API that honours the signal, as fetch does.
      const signal = currentTask()!.signal;
      await new Promise((_resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("too late")), 5000);
        signal.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(signal.reason);
        });
      });
    })());
    assert.ok(error instanceof TimeoutError, String(error));
  });
});

Deno.test("a retry after a timeout in the same task gets a fresh signal: the next fetch is not aborted before it starts", async () => {
  // A fetch-like API on 127.0.0.1-free ground: resolves after `ms`
  // unless the signal aborts first.
  const slowFetch = (ms: number, signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const timer = setTimeout(() => resolve(`done in ${ms}`), ms);
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
    });
  await run(async () => {
    const outcomes: string[] = [];
    for (const ms of [200, 1]) {
      try {
        outcomes.push(
          await timeout(0.05, () => slowFetch(ms, currentTask()!.signal)),
        );
      } catch (e) {
        outcomes.push((e as Error).name);
      }
    }
    assert.deepEqual(outcomes, ["TimeoutError", "done in 1"]);
    assert.equal(currentTask()!.signal.aborted, false);
    assert.equal(currentTask()!.cancelling(), 0);
  });
});

Deno.test("timeout() around proc.communicate() raises TimeoutError", async () => {
  await run(async () => {
    const proc = await createSubprocessShell("sleep 5", { stdout: PIPE });
    try {
      const error = await errorOf((async () => {
        await using _t = timeout(0.1);
        await proc.communicate();
      })());
      assert.ok(error instanceof TimeoutError, String(error));
    } finally {
      proc.kill();
      await proc.wait();
    }
  });
});

Deno.test("waitFor(() => work(), t) raises at the deadline, and the coroutine runs in the caller's task", async () => {
  await run(async () => {
    const me = currentTask();
    let ranIn: unknown = null;
    async function work() {
      ranIn = currentTask();
      await sleep(2);
    }
    const error = await errorOf(waitFor(() => work(), 0.1));
    assert.ok(error instanceof TimeoutError);
    assert.equal(getRunningLoop().time(), 0.1);
    assert.equal(ranIn, me);
  }, VT);
});

Deno.test("waitFor of a task that finishes with an error as it is cancelled leaves no 'never retrieved' report", async () => {
  const seen: string[] = [];
  await run(async () => {
    const loop = getRunningLoop();
    recordExceptions(loop).push = (c) => seen.push(c.message);
    const inner = createTask(async () => {
      try {
        await sleep(10);
      } finally {
        // The cleanup fails as it is cancelled.
        // deno-lint-ignore no-unsafe-finally
        throw new RangeError("cleanup failed");
      }
    });
    const error = await errorOf(waitFor(inner, 0.1));
    assert.ok(error instanceof RangeError, String(error));
  }, VT);
  assert.deepEqual(seen, []);
});

// ------------------------------------------------ task groups

Deno.test("a taskGroup whose body throws cancels its children, and the error joins the group", async () => {
  await run(async () => {
    let childCancelled = false;
    const error = await errorOf(taskGroup(async (tg) => {
      tg.createTask(async () => {
        try {
          await sleep(3600); // a server loop, say
        } catch (e) {
          childCancelled = e instanceof CancelledError;
          throw e;
        }
      });
      await sleep(0.1);
      throw new RangeError("the body failed");
    }));
    assert.ok(error instanceof ExceptionGroup, String(error));
    assert.equal(error.errors.length, 1);
    assert.ok(error.errors[0] instanceof RangeError);
    assert.equal(childCancelled, true);
    assert.equal(getRunningLoop().time(), 0.1);
  }, VT);
});

Deno.test("taskGroup keeps a child's error when the body turns the cancellation into another error", async () => {
  await run(async () => {
    const error = await errorOf(taskGroup(async (tg) => {
      tg.createTask(async () => {
        await sleep(0.1);
        throw new RangeError("child");
      });
      try {
        await sleep(10);
      } finally {
        // A cleanup that fails: its error replaces the cancellation.
        // deno-lint-ignore no-unsafe-finally
        throw new TypeError("body cleanup");
      }
    }));
    assert.ok(error instanceof ExceptionGroup, String(error));
    const names = error.errors.map((e) => (e as Error).name).sort();
    assert.deepEqual(names, ["RangeError", "TypeError"]);
  }, VT);
});

Deno.test("nested task groups under cancellation never raise a group that contains itself", async () => {
  await run(async () => {
    const outer = createTask(async () => {
      await using tg1 = new TaskGroup();
      tg1.createTask(async () => {
        await using tg2 = new TaskGroup();
        tg2.createTask(async () => {
          try {
            await sleep(10);
          } finally {
            // deno-lint-ignore no-unsafe-finally
            throw new RangeError("inner child");
          }
        });
        await sleep(10);
      });
      await sleep(10);
    });
    await sleep(0.1);
    outer.cancel();
    const error = await errorOf(outer);
    const seen = new Set<unknown>();
    const walk = (e: unknown): void => {
      assert.ok(!seen.has(e), "an error contains itself");
      seen.add(e);
      if (e instanceof AggregateError) e.errors.forEach(walk);
    };
    walk(error);
    // The inner child's error is kept somewhere in the tree.
    const all = [...seen].filter((e) => e instanceof RangeError);
    assert.equal(all.length, 1, String(error));
  }, VT);
});

// ------------------------------------------------ asCompleted, streams

Deno.test("a task cancelled while awaiting an asCompleted() coroutine leaves no error behind", async () => {
  const seen: string[] = [];
  await run(async () => {
    recordExceptions(getRunningLoop()).push = (c) => seen.push(c.message);
    const xs = [() => sleep(1, "a"), () => sleep(2, "b")];
    const task = createTask(async () => {
      for (const next of asCompleted(xs)) await next;
    });
    await sleep(0.5);
    task.cancel();
    assert.ok(await errorOf(task) instanceof CancelledError);
    await sleep(3);
  }, VT);
  assert.deepEqual(seen, []);
});

Deno.test("StreamReader reads are coroutines: waitFor(reader.readline(), t) times out and the data stays", async () => {
  await run(async () => {
    const reader = new StreamReader();
    reader.feedData(new TextEncoder().encode("no newline yet"));
    assert.ok(
      await errorOf(waitFor(reader.readline(), 1)) instanceof TimeoutError,
    );
    reader.feedData(new TextEncoder().encode("!\n"));
    assert.equal(
      new TextDecoder().decode(await reader.readline()),
      "no newline yet!\n",
    );
  }, VT);
});
