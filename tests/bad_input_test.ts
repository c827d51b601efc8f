// Coroutine functions must be async even when they do not await.
// deno-lint-ignore-file require-await
// Bad input gets a clear error at the call, never a hang or a silent wrong
// answer (design section 8). Where Python raises ValueError, the library
// raises RangeError; TypeError stays TypeError.
import assert from "node:assert/strict";
import {
  asCompleted,
  Barrier,
  blockingSleep,
  createTask,
  ensureFuture,
  gather,
  getRunningLoop,
  run,
  Runner,
  Semaphore,
  setEventLoop,
  sleep,
  StreamReader,
  Task,
  TaskGroup,
  timeout,
  timeoutAt,
  wait,
  waitFor,
  wrapFuture,
} from "../mod.ts";
import { startedPromise, withLoop } from "./_helpers.ts";

const VT = { virtualTime: true };

/** Passes a value the types would reject, to test the runtime check. */
const unchecked = (value: unknown): never => value as never;

/** The error for a started promise: a TypeError that shows the fix. */
function showsTheFix(e: unknown): boolean {
  return e instanceof TypeError && e.message.includes("() =>");
}

// Started promises where a coroutine function belongs

Deno.test("createTask given a started promise throws a TypeError that shows the () => fix", async () => {
  await run(async () => {
    assert.throws(() => createTask(unchecked(startedPromise())), showsTheFix);
    const loop = getRunningLoop();
    assert.throws(
      () => loop.createTask(unchecked(startedPromise())),
      showsTheFix,
    );
    assert.throws(
      () => new Task(unchecked(startedPromise())),
      showsTheFix,
    );
  }, VT);
});

Deno.test("createTask given a started promise outside a loop still gets the TypeError", () => {
  assert.throws(() => createTask(unchecked(startedPromise())), showsTheFix);
});

Deno.test("run given a started promise rejects with a TypeError that shows the fix", async () => {
  await assert.rejects(run(unchecked(startedPromise()), VT), showsTheFix);
});

Deno.test("runUntilComplete given a started promise rejects with a TypeError that shows the fix", async () => {
  await withLoop(async (loop) => {
    await assert.rejects(
      loop.runUntilComplete(unchecked(startedPromise())),
      showsTheFix,
    );
    assert.equal(loop.isRunning(), false);
    // The loop is still usable afterwards.
    assert.equal(await loop.runUntilComplete(async () => 1), 1);
  });
});

Deno.test("ensureFuture given a started promise throws a TypeError that shows the fix", async () => {
  await run(async () => {
    assert.throws(() => ensureFuture(startedPromise()), showsTheFix);
  }, VT);
});

Deno.test("Runner.run given a started promise rejects with a TypeError that shows the fix", async () => {
  await using runner = new Runner(VT);
  await assert.rejects(runner.run(unchecked(startedPromise())), showsTheFix);
});

Deno.test("TaskGroup.createTask given a started promise throws a TypeError that shows the fix", async () => {
  await run(async () => {
    await using tg = new TaskGroup();
    assert.throws(
      () => tg.createTask(unchecked(startedPromise())),
      showsTheFix,
    );
  }, VT);
});

Deno.test("createTask given something that is neither a function nor a promise throws TypeError", async () => {
  await run(async () => {
    assert.throws(() => createTask(unchecked(42)), TypeError);
    assert.throws(() => createTask(unchecked(null)), TypeError);
  }, VT);
});

// Delays

Deno.test("blockingSleep with a negative duration throws RangeError", () => {
  // CPython: time.sleep(-1) raises ValueError('sleep length must be non-negative').
  assert.throws(() => blockingSleep(-1), RangeError);
});

Deno.test("blockingSleep(NaN) throws RangeError", () => {
  // CPython: time.sleep(nan) raises ValueError('Invalid value NaN (not a number)').
  assert.throws(() => blockingSleep(NaN), RangeError);
});

Deno.test("sleep(NaN) throws RangeError instead of sleeping forever", async () => {
  // CPython 3.13: asyncio.sleep(nan) raises ValueError (3.11 hangs forever).
  await run(async () => {
    assert.throws(() => sleep(NaN), RangeError);
  }, VT);
});

Deno.test("sleep with a non-number delay throws TypeError", async () => {
  await run(async () => {
    assert.throws(() => sleep(unchecked("1")), TypeError);
  }, VT);
});

Deno.test("callLater and callAt with NaN throw RangeError", async () => {
  await withLoop((loop) => {
    assert.throws(() => loop.callLater(NaN, () => {}), RangeError);
    assert.throws(() => loop.callAt(NaN, () => {}), RangeError);
    assert.throws(() => loop.callLater(unchecked("1"), () => {}), TypeError);
  });
});

Deno.test("NaN timeouts are rejected at the call by waitFor, wait, timeout and timeoutAt", async () => {
  const isArgumentError = (e: unknown) =>
    e instanceof TypeError || e instanceof RangeError;
  await run(async () => {
    const loop = getRunningLoop();
    const fut = loop.createFuture<number>();
    assert.throws(() => waitFor(fut, NaN), isArgumentError);
    assert.throws(() => wait([fut], { timeout: NaN }), isArgumentError);
    assert.throws(() => timeout(NaN), isArgumentError);
    assert.throws(() => timeoutAt(NaN), isArgumentError);
    assert.throws(() => asCompleted([fut], { timeout: NaN }), isArgumentError);
    // Nothing was left waiting on the future.
    assert.equal(fut.done(), false);
    fut.cancel();
    assert.equal(loop.time(), 0);
  }, VT);
});

// wait

Deno.test("wait on an empty set raises RangeError, not a hang", async () => {
  // CPython: ValueError('Set of Tasks/Futures is empty.').
  await run(async () => {
    assert.throws(() => wait([]), RangeError);
    assert.throws(() => wait(new Set<Task<number>>()), RangeError);
  }, VT);
});

Deno.test("wait given a single future instead of an iterable raises TypeError", async () => {
  await run(async () => {
    const fut = getRunningLoop().createFuture();
    assert.throws(() => wait(unchecked(fut)), TypeError);
    fut.cancel();
  }, VT);
});

Deno.test("wait with an unknown returnWhen raises RangeError", async () => {
  // CPython: ValueError('Invalid return_when value: ...').
  await run(async () => {
    const fut = getRunningLoop().createFuture();
    assert.throws(
      () => wait([fut], { returnWhen: unchecked("FIRST") }),
      RangeError,
    );
    fut.cancel();
  }, VT);
});

// gather

Deno.test("gather given an array instead of spread arguments throws a TypeError that shows the fix", async () => {
  await run(async () => {
    const a = createTask(async () => 1);
    const b = createTask(async () => 2);
    assert.throws(
      () => gather(unchecked([a, b])),
      (e) => e instanceof TypeError && e.message.includes("gather(...list)"),
    );
    await a;
    await b;
  }, VT);
});

Deno.test("gather given something that is not awaitable throws TypeError", async () => {
  await run(async () => {
    assert.throws(() => gather(unchecked(42)), TypeError);
  }, VT);
});

// TaskGroup

Deno.test("reusing a finished TaskGroup is an error: no new tasks, no second exit", async () => {
  await run(async () => {
    let group: TaskGroup | undefined;
    {
      await using tg = new TaskGroup();
      group = tg;
      tg.createTask(async () => {});
    }
    assert.throws(() => group.createTask(async () => {}), /finished/);
    // Leaving it again is entering it again, as in Python.
    assert.throws(
      () => group[Symbol.asyncDispose](),
      /has already been entered/,
    );
  }, VT);
});

Deno.test("a TaskGroup outside a task is an error", async () => {
  assert.throws(() => new TaskGroup(), /no running event loop/);
  await withLoop(async (loop) => {
    let error: unknown;
    loop.callSoon(() => {
      try {
        new TaskGroup();
      } catch (e) {
        error = e;
      }
      loop.stop();
    });
    await loop.runForever();
    assert.ok(error instanceof Error);
    assert.match(error.message, /inside a task/);
  });
});

// Timeout

Deno.test("a timeout outside a task is an error", async () => {
  // CPython: RuntimeError('Timeout should be used inside a task').
  assert.throws(() => timeout(1), /no running event loop/);
  await withLoop(async (loop) => {
    let error: unknown;
    loop.callSoon(() => {
      try {
        timeout(1);
      } catch (e) {
        error = e;
      }
      loop.stop();
    });
    await loop.runForever();
    assert.ok(error instanceof Error);
    assert.match(error.message, /Timeout should be used inside a task/);
  });
});

Deno.test("timeout with a non-number delay throws TypeError", async () => {
  await run(async () => {
    assert.throws(() => timeout(unchecked("5")), TypeError);
  }, VT);
});

// Callbacks and other arguments

Deno.test("callSoon, callLater and addDoneCallback given a non-function throw TypeError", async () => {
  await withLoop((loop) => {
    assert.throws(() => loop.callSoon(unchecked("cb")), TypeError);
    assert.throws(() => loop.callLater(1, unchecked(null)), TypeError);
    const fut = loop.createFuture();
    assert.throws(() => fut.addDoneCallback(unchecked(1)), TypeError);
  });
});

Deno.test("setExceptionHandler given a non-function throws TypeError", async () => {
  await withLoop((loop) => {
    assert.throws(() => loop.setExceptionHandler(unchecked("x")), TypeError);
  });
});

Deno.test("setEventLoop given something that is not a loop throws TypeError", () => {
  assert.throws(() => setEventLoop(unchecked({})), TypeError);
});

Deno.test("asCompleted given something that is not iterable throws TypeError", async () => {
  await run(async () => {
    assert.throws(() => asCompleted(unchecked(5)), TypeError);
  }, VT);
});

Deno.test("wrapFuture given something that is not a promise throws TypeError", async () => {
  await run(async () => {
    assert.throws(() => wrapFuture(unchecked(5)), TypeError);
  }, VT);
});

Deno.test("createTask and sleep outside a running loop throw 'no running event loop'", () => {
  assert.throws(() => createTask(async () => {}), /no running event loop/);
  assert.throws(() => sleep(0), /no running event loop/);
});

// One voice: a wrong type is a TypeError, a wrong value a RangeError, and
// the message reads "<call>: <parameter> must be <what>, got <value>".

/** Checks the class and the message of the error `fn` throws. */
function throwsInOneVoice(
  fn: () => unknown,
  errorClass: typeof TypeError | typeof RangeError,
  message: RegExp,
): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof errorClass, `${e} is not a ${errorClass.name}`);
    assert.match((e as Error).message, message);
    return true;
  });
}

Deno.test("seconds are checked in one voice: NaN is a RangeError, a string a TypeError, everywhere", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const cases: [string, (v: unknown) => unknown][] = [
      ["sleep\\(\\): delay", (v) => sleep(unchecked(v))],
      ["callLater\\(\\): delay", (v) => loop.callLater(unchecked(v), () => {})],
      ["callAt\\(\\): when", (v) => loop.callAt(unchecked(v), () => {})],
      ["timeout\\(\\): delay", (v) => timeout(unchecked(v))],
      ["timeoutAt\\(\\): when", (v) => timeoutAt(unchecked(v))],
      [
        "asCompleted\\(\\): timeout",
        (v) => asCompleted([], { timeout: unchecked(v) }),
      ],
      ["blockingSleep\\(\\): seconds", (v) => blockingSleep(unchecked(v))],
    ];
    for (const [call, fn] of cases) {
      throwsInOneVoice(
        () => fn(NaN),
        RangeError,
        new RegExp(`^${call} must be a number of seconds.*, got NaN$`),
      );
      throwsInOneVoice(
        () => fn("1"),
        TypeError,
        new RegExp(`^${call} must be a number of seconds.*, got "1"$`),
      );
    }
    // The coroutines check at the call too.
    for (
      const [call, fn] of [
        [
          "waitFor\\(\\): timeout",
          (v: unknown) => waitFor(() => sleep(0), unchecked(v)),
        ],
        [
          "wait\\(\\): timeout",
          (v: unknown) => wait([() => sleep(0)], { timeout: unchecked(v) }),
        ],
      ] as const
    ) {
      throwsInOneVoice(
        () => fn(NaN),
        RangeError,
        new RegExp(`^${call} must be .*, got NaN$`),
      );
      throwsInOneVoice(
        () => fn("1"),
        TypeError,
        new RegExp(`^${call} must be .*, got "1"$`),
      );
    }
  }, VT);
});

Deno.test("StreamReader.read and feedData refuse bad arguments at the call, dropping nothing", async () => {
  await run(async () => {
    const reader = new StreamReader();
    reader.feedData(new TextEncoder().encode("abcdef"));
    throwsInOneVoice(
      () => reader.read(NaN),
      RangeError,
      /^read\(\): n must be an integer \(-1: to the end\), got NaN$/,
    );
    assert.throws(() => reader.read(1.5), RangeError);
    throwsInOneVoice(
      () => reader.read(unchecked("3")),
      TypeError,
      /got "3"$/,
    );
    throwsInOneVoice(
      () => reader.feedData(unchecked("abc")),
      TypeError,
      /^feedData\(\): data must be bytes \(a Uint8Array\), got "abc"$/,
    );
    assert.throws(() => reader.readexactly(-1), RangeError);
    assert.throws(() => reader.readexactly(unchecked("2")), TypeError);
    // Nothing was dropped or added.
    assert.equal(reader.statistics().bufferedBytes, 6);
    assert.equal(new TextDecoder().decode(await reader.read(6)), "abcdef");
  }, VT);
});

Deno.test("counts and sizes are checked in one voice", () => {
  throwsInOneVoice(
    () => new Semaphore(-1),
    RangeError,
    /^new Semaphore\(\): value must be an integer >= 0, got -1$/,
  );
  throwsInOneVoice(
    () => new Semaphore(unchecked("1")),
    TypeError,
    /^new Semaphore\(\): value must be an integer >= 0, got "1"$/,
  );
  throwsInOneVoice(
    () => new Barrier(0),
    RangeError,
    /^new Barrier\(\): parties must be an integer >= 1, got 0$/,
  );
  throwsInOneVoice(
    () => new StreamReader({ limit: 0 }),
    RangeError,
    /^new StreamReader\(\): limit must be an integer >= 1, got 0$/,
  );
});
