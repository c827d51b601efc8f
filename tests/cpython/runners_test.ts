// Coroutine functions must be async even when they do not await.
// deno-lint-ignore-file require-await
//
// A port of CPython 3.13's Lib/test/test_asyncio/test_runners.py: one Deno
// test per test method, in CPython's order, named
// "test_runners.<Class>.<method>". Each checks what the original checks,
// assertion for assertion; where the original uses a mock, the comment
// says what stands in for it (see README.md).
//
// BaseTest installs a policy whose loops are BaseEventLoops with a mocked
// selector, and checks in tearDown that the loop asyncio.run() or the
// Runner made was closed. Here the loops run on the virtual clock, made
// the default way (run's and Runner's own newEventLoop), and the `base`
// helper notes the loop each main coroutine function runs on, to check
// that it was closed. The tests that interrupt the main thread run in a
// child process (_runners_interrupt.ts).
import assert from "node:assert/strict";
import {
  type AbstractEventLoop,
  CancelledError,
  ContextVar,
  copyContext,
  createTask,
  EventLoop,
  type ExceptionContext,
  getEventLoop,
  getEventLoopPolicy,
  getRunningLoop,
  newEventLoop,
  run,
  Runner,
  sleep,
  type Task,
} from "../../mod.ts";

const VT = { virtualTime: true };

// ---------------------------------------------------------------- helpers

/** Python's RuntimeError is a plain Error (not a TypeError, RangeError...). */
function isRuntimeError(e: unknown): e is Error {
  return e instanceof Error &&
    ![TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError]
      .some((cls) => e instanceof cls);
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** assertRaisesRegex(RuntimeError, pattern), for a call or a promise. */
async function assertRaisesRuntimeError(
  fn: () => unknown,
  pattern: RegExp,
): Promise<void> {
  let error: unknown;
  let threw = false;
  try {
    await fn();
  } catch (e) {
    threw = true;
    error = e;
  }
  assert.ok(threw, "expected a RuntimeError (an Error), nothing was thrown");
  assert.ok(
    isRuntimeError(error),
    `expected a RuntimeError (a plain Error), got ${describe(error)}`,
  );
  assert.match(error.message, pattern);
}

/** assertRaisesRegex(ValueError, pattern): ValueError is a RangeError. */
async function assertRaisesValueError(
  fn: () => unknown,
  pattern: RegExp,
): Promise<void> {
  let error: unknown;
  let threw = false;
  try {
    await fn();
  } catch (e) {
    threw = true;
    error = e;
  }
  assert.ok(threw, "expected a ValueError (a RangeError), nothing was thrown");
  assert.ok(
    error instanceof RangeError,
    `expected a ValueError (a RangeError), got ${describe(error)}`,
  );
  assert.match(error.message, pattern);
}

/**
 * CPython raises ValueError for what is not a coroutine; the library
 * raises TypeError for every argument of the wrong type (its one voice,
 * see tests/cpython/README.md), with CPython's words.
 */
async function assertRaisesNotACoroutine(fn: () => unknown): Promise<void> {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  assert.ok(
    error instanceof TypeError,
    `expected a TypeError (CPython: ValueError), got ${describe(error)}`,
  );
  assert.match(error.message, /a coroutine was expected/);
}

/** re.escape */
function re(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * BaseTest: `track(main)` notes the loop `main` runs on; after the test,
 * every loop noted must be closed (tearDown). Its other check, that
 * shutdown_asyncgens() ran, is about Python's async generator hooks
 * (dropped).
 */
class BaseTest {
  readonly loops = new Set<AbstractEventLoop>();

  track<T>(main: () => Promise<T>): () => Promise<T> {
    return () => {
      this.loops.add(getRunningLoop());
      return main();
    };
  }

  /** Notes a loop the test got from a Runner. */
  note(loop: AbstractEventLoop): AbstractEventLoop {
    this.loops.add(loop);
    return loop;
  }

  /** self.new_loop(): a loop of the kind BaseTest's policy makes. */
  newLoop(): AbstractEventLoop {
    return newEventLoop(VT);
  }

  tearDown(): void {
    for (const loop of this.loops) {
      assert.ok(loop.isClosed(), "the loop was left open");
    }
  }
}

function baseTest(
  name: string,
  body: (base: BaseTest) => Promise<void>,
): void {
  Deno.test(name, async () => {
    const base = new BaseTest();
    await body(base);
    base.tearDown();
  });
}

const CHILD = new URL("./_runners_interrupt.ts", import.meta.url);

/**
 * Runs `method` of _runners_interrupt.ts in a child process (it sends
 * itself a SIGINT) and checks that its assertions held. The 60 s limit is
 * a guard against a hang, not a timing assertion.
 */
async function inChild(method: string): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-check",
      "--allow-read",
      "--allow-env",
      "--allow-run",
      CHILD.pathname,
      method,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  let output: Deno.CommandOutput;
  try {
    output = await child.output();
  } finally {
    clearTimeout(killer);
  }
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.ok(
    output.success && stdout === "ok\n",
    `the child exited with ${
      output.signal ? `signal ${output.signal}` : `status ${output.code}`
    }; stdout: ${JSON.stringify(stdout)}; stderr:\n${stderr}`,
  );
}

// --------------------------------------------------------------- RunTests

baseTest("test_runners.RunTests.test_asyncio_run_return", async (base) => {
  async function main() {
    await sleep(0);
    return 42;
  }

  assert.equal(await run(base.track(main), VT), 42);
});

baseTest("test_runners.RunTests.test_asyncio_run_raises", async (base) => {
  async function main() {
    await sleep(0);
    throw new RangeError("spam");
  }

  await assertRaisesValueError(() => run(base.track(main), VT), /spam/);
});

baseTest("test_runners.RunTests.test_asyncio_run_only_coro", async () => {
  // for o in {1, lambda: None}: a value that is not callable, and a plain
  // function that returns no coroutine (no promise).
  for (const o of [1, () => undefined]) {
    await assertRaisesNotACoroutine(() =>
      run(o as unknown as () => Promise<unknown>, VT)
    );
  }
});

baseTest("test_runners.RunTests.test_asyncio_run_debug", async (base) => {
  async function main(expected: boolean) {
    const loop = getEventLoop();
    assert.equal(loop.getDebug(), expected);
  }

  // mock.patch('asyncio.coroutines._is_debug_mode', lambda: True/False):
  // Python's debug mode from the environment (PYTHONASYNCIODEBUG), here
  // ASYNCIO_DEBUG (named like ASYNCIO_VIRTUAL_TIME).
  function withDebugMode(on: boolean, fn: () => Promise<void>) {
    return async () => {
      const saved = Deno.env.get("ASYNCIO_DEBUG");
      if (on) Deno.env.set("ASYNCIO_DEBUG", "1");
      else Deno.env.delete("ASYNCIO_DEBUG");
      try {
        await fn();
      } finally {
        if (saved === undefined) Deno.env.delete("ASYNCIO_DEBUG");
        else Deno.env.set("ASYNCIO_DEBUG", saved);
      }
    };
  }

  await run(base.track(() => main(false)), { ...VT, debug: false });
  await run(base.track(() => main(true)), { ...VT, debug: true });
  await withDebugMode(true, async () => {
    await run(base.track(() => main(true)), VT);
    await run(base.track(() => main(false)), { ...VT, debug: false });
  })();
  await withDebugMode(false, async () => {
    await run(base.track(() => main(true)), { ...VT, debug: true });
    await run(base.track(() => main(false)), VT);
  })();
});

baseTest(
  "test_runners.RunTests.test_asyncio_run_from_running_loop",
  async (base) => {
    async function main(): Promise<void> {
      // coro = main(); asyncio.run(coro); finally: coro.close(), to
      // suppress a ResourceWarning (a coroutine function needs no closing).
      await run(() => main(), VT);
    }

    await assertRaisesRuntimeError(
      () => run(base.track(main), VT),
      /cannot be called from a running/,
    );
  },
);

baseTest(
  "test_runners.RunTests.test_asyncio_run_cancels_hanging_tasks",
  async (base) => {
    let loTask = null as Task<void> | null;

    async function leftover() {
      await sleep(0.1);
    }

    async function main() {
      loTask = createTask(() => leftover());
      return 123;
    }

    assert.equal(await run(base.track(main), VT), 123);
    assert.ok(loTask!.done());
  },
);

baseTest(
  "test_runners.RunTests.test_asyncio_run_reports_hanging_tasks_errors",
  async (base) => {
    let loTask = null as Task<unknown> | null;
    // call_exc_handler_mock = mock.Mock()
    const calls: ExceptionContext[] = [];

    async function leftover() {
      try {
        await sleep(0.1);
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
        return 1n / 0n; // 1 / 0: a RangeError (ZeroDivisionError)
      }
    }

    async function main() {
      const loop = getRunningLoop();
      loop.callExceptionHandler = (context) => {
        calls.push(context);
      };

      loTask = createTask(() => leftover());
      return 123;
    }

    assert.equal(await run(base.track(main), VT), 123);
    assert.ok(loTask!.done());

    // call_exc_handler_mock.assert_called_with({...}): the last call, with
    // exactly these keys.
    assert.ok(calls.length > 0, "call_exception_handler was not called");
    const context = calls.at(-1)!;
    assert.deepEqual(Object.keys(context).sort(), [
      "exception",
      "message",
      "task",
    ]);
    assert.match(context.message, /asyncio.run.*shutdown/s);
    assert.equal(context.task, loTask);
    assert.ok(
      context.exception instanceof RangeError,
      `exception: ${describe(context.exception)}`,
    );
  },
);

baseTest(
  "test_runners.RunTests.test_asyncio_run_closes_gens_after_hanging_tasks_errors",
  async (base) => {
    let spinner = null as AsyncGenerator<number> | null;
    let lazyboy = null as Task<unknown> | null;

    class FancyExit extends Error {}

    async function* fidget() {
      while (true) {
        yield 1;
        await sleep(1);
      }
    }

    async function spin() {
      spinner = fidget();
      try {
        for await (const _theMeaningOfLife of spinner) {
          // pass
        }
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
        return 1n / 0n; // 1 / 0
      }
    }

    async function main() {
      const loop = getRunningLoop();
      loop.callExceptionHandler = () => {}; // mock.Mock()

      lazyboy = createTask(() => spin());
      throw new FancyExit();
    }

    await assert.rejects(run(base.track(main), VT), FancyExit);

    assert.ok(lazyboy!.done());

    // assertIsNone(spinner.ag_frame), assertFalse(spinner.ag_running): the
    // generator has finished, so next() resolves to done without running
    // any of its code.
    assert.ok(spinner !== null, "spin() never ran");
    assert.deepEqual(await spinner!.next(), { value: undefined, done: true });
  },
);

baseTest("test_runners.RunTests.test_asyncio_run_set_event_loop", async () => {
  // See https://github.com/python/cpython/issues/93896

  async function main() {
    await sleep(0);
    return 42;
  }

  const policy = getEventLoopPolicy();
  const setEventLoop = policy.setEventLoop;
  let called = false;
  policy.setEventLoop = () => { // mock.Mock()
    called = true;
  };
  try {
    await run(main, VT);
    assert.ok(called);
  } finally {
    policy.setEventLoop = setEventLoop;
  }
});

Deno.test("test_runners.RunTests.test_asyncio_run_without_uncancel", async () => {
  await inChild("test_asyncio_run_without_uncancel");
});

baseTest(
  "test_runners.RunTests.test_asyncio_run_loop_factory",
  async (base) => {
    // factory = mock.Mock(), returning self.new_loop()
    const calls: unknown[][] = [];
    const loop = base.newLoop();
    const factory = (...args: unknown[]) => {
      calls.push(args);
      return loop;
    };

    async function main() {
      assert.equal(getRunningLoop(), loop);
    }

    await run(main, { loopFactory: factory });
    assert.deepEqual(calls, [[]]); // factory.assert_called_once_with()
  },
);

baseTest(
  "test_runners.RunTests.test_loop_factory_default_event_loop",
  async () => {
    async function main() {
      // SelectorEventLoop (ProactorEventLoop on Windows): the one loop
      // class there is.
      assert.ok(getRunningLoop() instanceof EventLoop);
    }

    // loop_factory=asyncio.EventLoop: the class is the factory; a
    // JavaScript class is called with `new`.
    await run(main, { loopFactory: () => new EventLoop() });
  },
);

// ------------------------------------------------------------ RunnerTests

baseTest("test_runners.RunnerTests.test_non_debug", async (base) => {
  await using runner = new Runner({ ...VT, debug: false });
  assert.equal(base.note(runner.getLoop()).getDebug(), false);
});

baseTest("test_runners.RunnerTests.test_debug", async (base) => {
  await using runner = new Runner({ ...VT, debug: true });
  assert.equal(base.note(runner.getLoop()).getDebug(), true);
});

baseTest("test_runners.RunnerTests.test_custom_factory", async () => {
  // loop = mock.Mock(): a loop of our own stands in for it.
  const loop = newEventLoop(VT);
  try {
    await using runner = new Runner({ loopFactory: () => loop });
    assert.equal(runner.getLoop(), loop);
  } finally {
    if (!loop.isClosed()) loop.close();
  }
});

baseTest("test_runners.RunnerTests.test_run", async (base) => {
  async function f() {
    await sleep(0);
    return "done";
  }

  const runner = new Runner(VT);
  let loop: AbstractEventLoop;
  {
    await using _ = runner;
    assert.equal("done", await runner.run(base.track(f)));
    loop = runner.getLoop();
  }

  await assertRaisesRuntimeError(() => runner.getLoop(), /Runner is closed/);

  assert.ok(loop.isClosed());
});

baseTest("test_runners.RunnerTests.test_run_non_coro", async (base) => {
  await using runner = new Runner(VT);
  base.note(runner.getLoop());
  await assertRaisesNotACoroutine(() =>
    runner.run(123 as unknown as () => Promise<unknown>)
  );
});

baseTest("test_runners.RunnerTests.test_run_future", async (base) => {
  await using runner = new Runner(VT);
  await assertRaisesNotACoroutine(() => {
    const fut = base.note(runner.getLoop()).createFuture();
    return runner.run(fut as unknown as () => Promise<unknown>);
  });
});

baseTest("test_runners.RunnerTests.test_explicit_close", async (base) => {
  const runner = new Runner(VT);
  const loop = base.note(runner.getLoop());
  await runner.close();
  await assertRaisesRuntimeError(() => runner.getLoop(), /Runner is closed/);

  assert.ok(loop.isClosed());
});

baseTest("test_runners.RunnerTests.test_double_close", async (base) => {
  const runner = new Runner(VT);
  const loop = base.note(runner.getLoop());

  await runner.close();
  assert.ok(loop.isClosed());

  // the second call is no-op
  await runner.close();
  assert.ok(loop.isClosed());
});

baseTest(
  "test_runners.RunnerTests.test_second_with_block_raises",
  async (base) => {
    const ret: number[] = [];

    async function f(arg: number) {
      ret.push(arg);
    }

    const runner = new Runner(VT);
    {
      await using _ = runner;
      await runner.run(base.track(() => f(1)));
    }

    // `with runner:` raises on entry (__enter__ makes the loop);
    // `await using` calls nothing on entry, so the error comes from the
    // first use of the runner in the block.
    await assertRaisesRuntimeError(async () => {
      await using _ = runner;
      await runner.run(() => f(2));
    }, /Runner is closed/);

    assert.deepEqual([1], ret);
  },
);

baseTest("test_runners.RunnerTests.test_run_keeps_context", async (base) => {
  const cvar = new ContextVar<number>("cvar", { default: -1 });

  async function f(val: number) {
    const old = cvar.get();
    await sleep(0);
    cvar.set(val);
    return old;
  }

  async function getContext() {
    return copyContext();
  }

  await using runner = new Runner(VT);
  assert.equal(-1, await runner.run(base.track(() => f(1))));
  assert.equal(1, await runner.run(() => f(2)));

  assert.equal(2, (await runner.run(() => getContext())).get(cvar));
});

baseTest("test_runners.RunnerTests.test_recursive_run", async (base) => {
  async function g() {}

  async function f() {
    await runner.run(() => g());
  }

  await using runner = new Runner(VT);
  // assertWarnsRegex(RuntimeWarning, "coroutine .+ was never awaited"):
  // g is a coroutine function that is never called (dropped).
  await assertRaisesRuntimeError(
    () => runner.run(base.track(f)),
    new RegExp(
      re("Runner.run() cannot be called from a running event loop"),
    ),
  );
});

Deno.test("test_runners.RunnerTests.test_interrupt_call_soon", async () => {
  await inChild("test_interrupt_call_soon");
});

Deno.test("test_runners.RunnerTests.test_interrupt_wait", async () => {
  await inChild("test_interrupt_wait");
});

Deno.test("test_runners.RunnerTests.test_interrupt_cancelled_task", async () => {
  await inChild("test_interrupt_cancelled_task");
});

baseTest(
  "test_runners.RunnerTests.test_signal_install_not_supported_ok",
  async (base) => {
    // signal.signal() can throw if the "main thread" doesn't have signals
    // enabled: patch.object(signal, "signal", side_effect=ValueError(...))
    // is Deno.addSignalListener throwing a RangeError.
    async function coro() {}

    await using runner = new Runner(VT);
    const deno = Deno as unknown as { addSignalListener: unknown };
    const addSignalListener = deno.addSignalListener;
    deno.addSignalListener = () => {
      throw new RangeError(
        "signal only works in main thread of the main interpreter",
      );
    };
    try {
      await runner.run(base.track(coro));
    } finally {
      deno.addSignalListener = addSignalListener;
    }
  },
);

baseTest(
  "test_runners.RunnerTests.test_set_event_loop_called_once",
  async () => {
    // See https://github.com/python/cpython/issues/95736
    async function coro() {}

    const policy = getEventLoopPolicy();
    const setEventLoop = policy.setEventLoop;
    let callCount = 0;
    policy.setEventLoop = () => { // mock.Mock()
      callCount++;
    };
    try {
      const runner = new Runner(VT);
      await runner.run(coro);
      await runner.run(coro);

      assert.equal(1, callCount);
      await runner.close();
    } finally {
      policy.setEventLoop = setEventLoop;
    }
  },
);

baseTest(
  "test_runners.RunnerTests.test_no_repr_is_call_on_the_task_result",
  async (base) => {
    // See https://github.com/python/cpython/issues/112559.
    // __repr__ is toString (what the library's reprs call).
    class MyResult {
      reprCount = 0;

      toString() {
        this.reprCount += 1;
        return "<MyResult>";
      }
    }

    async function coro() {
      return new MyResult();
    }

    let result: MyResult;
    {
      await using runner = new Runner(VT);
      result = await runner.run(base.track(coro));
    }

    assert.equal(0, result.reprCount);
  },
);
