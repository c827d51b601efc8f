// Coroutine functions must be async even when they do not await, and the
// ports keep CPython's `finally: raise ...` blocks.
// deno-lint-ignore-file require-await no-unsafe-finally
//
// A port of CPython 3.13's Lib/test/test_asyncio/test_taskgroups.py: one
// Deno test per test method, in CPython's order, named
// "test_taskgroups.TestTaskGroup.<method>". Each checks what the original
// checks, assertion for assertion (see README.md for what is skipped or
// ported differently).
//
// `async with taskgroups.TaskGroup() as g:` is ported to the function form,
// `await taskGroup(async (g) => { ... })`, which sees the body's error as
// Python's __aexit__ does; `tg = TaskGroup(); async with tg:` (the tests
// of entering a group object) is `new TaskGroup()` with `await using`.
//
// Errors: the errors the tests raise themselves keep Python's class names
// as local classes (ZeroDivisionError for `1 / 0`, RuntimeError, MyExc,
// ...), except ValueError, which is RangeError; the RuntimeError the
// library raises is an Error. JavaScript has no BaseException: MyBaseExc
// is an Error, and BaseExceptionGroup is the library's ExceptionGroup.
import assert from "node:assert/strict";
import {
  CancelledError,
  ContextVar,
  copyContext,
  createTask,
  currentTask,
  Event,
  ExceptionGroup,
  KeyboardInterrupt,
  newEventLoop,
  sleep,
  type Task,
  TaskGroup,
  taskGroup,
} from "../../mod.ts";
import {
  asyncTest,
  awaitWithoutTask,
  type ErrorClass,
  raises,
  raisesRegex,
  raisesRegexSync,
} from "./_scopes_harness.ts";

class MyExc extends Error {
  override name = "MyExc";
}

// class MyBaseExc(BaseException): JavaScript has no BaseException.
class MyBaseExc extends Error {
  override name = "MyBaseExc";
}

class ZeroDivisionError extends Error {
  override name = "ZeroDivisionError";
}

class RuntimeError extends Error {
  override name = "RuntimeError";
}

/** `1 / 0`. */
function divZero(): never {
  throw new ZeroDivisionError("division by zero");
}

/** get_error_types(eg): the classes of the group's errors, by name. */
function getErrorTypes(eg: unknown): string[] {
  assert.ok(eg instanceof ExceptionGroup, `not an ExceptionGroup: ${eg}`);
  const names = new Set(
    eg.exceptions.map((e) => (e as object).constructor.name),
  );
  return [...names].sort();
}

/** `len(g._tasks)`, read from the repr (CPython computes `tasks=N` from it). */
function groupTasks(g: TaskGroup): number {
  const m = /\btasks=(\d+)/.exec(String(g));
  return m === null ? 0 : Number(m[1]);
}

/** `except CancelledError: <handler>; raise`. */
async function onCancel<T>(
  body: () => PromiseLike<T>,
  handler: () => void | Promise<void>,
): Promise<T> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof CancelledError) await handler();
    throw e;
  }
}

// ------------------------------------------------------------- except*

/**
 * ExceptionGroup.split(cls): the part of `error` that matches `cls` and
 * the rest (null for none), keeping the nesting of groups; a naked error
 * is matched as a group of one, as `except*` does.
 */
function splitGroup(
  error: unknown,
  cls: ErrorClass<unknown>,
): [ExceptionGroup | null, unknown | null] {
  if (!(error instanceof ExceptionGroup)) {
    return error instanceof cls
      ? [new ExceptionGroup("", [error]), null]
      : [null, error];
  }
  if (error instanceof cls) return [error, null];
  const message = error.message.replace(/ \(\d+ sub-exceptions?\)$/, "");
  const matched: unknown[] = [];
  const rest: unknown[] = [];
  for (const e of error.exceptions) {
    if (e instanceof ExceptionGroup) {
      const [m, r] = splitGroup(e, cls);
      if (m !== null) matched.push(m);
      if (r !== null) rest.push(r);
    } else if (e instanceof cls) {
      matched.push(e);
    } else {
      rest.push(e);
    }
  }
  return [
    matched.length ? new ExceptionGroup(message, matched) : null,
    rest.length ? new ExceptionGroup(message, rest) : null,
  ];
}

/**
 * `try: await body() except* cls as eg: handler(eg)`: the rest of the
 * error is raised again; returns whether the handler ran (false: the
 * `else` branch).
 */
async function exceptStar(
  cls: ErrorClass<unknown>,
  body: () => PromiseLike<unknown>,
  handler: (eg: ExceptionGroup) => void | Promise<void>,
): Promise<boolean> {
  try {
    await body();
  } catch (error) {
    const [matched, rest] = splitGroup(error, cls);
    if (matched === null) throw error;
    await handler(matched);
    if (rest !== null) throw rest;
    return true;
  }
  return false;
}

// ---------------------------------------------------------------- tests

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_01", async () => {
  async function foo1() {
    await sleep(0.1);
    return 42;
  }

  async function foo2() {
    await sleep(0.2);
    return 11;
  }

  let t1!: Task<number>, t2!: Task<number>;
  await taskGroup(async (g) => {
    t1 = g.createTask(() => foo1());
    t2 = g.createTask(() => foo2());
  });

  assert.equal(t1.result(), 42);
  assert.equal(t2.result(), 11);
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_02", async () => {
  async function foo1() {
    await sleep(0.1);
    return 42;
  }

  async function foo2() {
    await sleep(0.2);
    return 11;
  }

  let t1!: Task<number>, t2!: Task<number>;
  await taskGroup(async (g) => {
    t1 = g.createTask(() => foo1());
    await sleep(0.15);
    t2 = g.createTask(() => foo2());
  });

  assert.equal(t1.result(), 42);
  assert.equal(t2.result(), 11);
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_03", async () => {
  async function foo1() {
    await sleep(1);
    return 42;
  }

  async function foo2() {
    await sleep(0.2);
    return 11;
  }

  let t1!: Task<number>, t2!: Task<number>;
  await taskGroup(async (g) => {
    t1 = g.createTask(() => foo1());
    await sleep(0.15);
    // cancel t1 explicitly, i.e. everything should continue
    // working as expected.
    t1.cancel();

    t2 = g.createTask(() => foo2());
  });

  assert.ok(t1.cancelled());
  assert.equal(t2.result(), 11);
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_04", async () => {
  let NUM = 0;
  let t2Cancel = false;
  let t2 = null as Task<void> | null;

  async function foo1() {
    await sleep(0.1);
    divZero();
  }

  async function foo2() {
    await onCancel(() => sleep(1), () => {
      t2Cancel = true;
    });
    NUM += 1;
  }

  async function runner() {
    await taskGroup(async (g) => {
      g.createTask(() => foo1());
      t2 = g.createTask(() => foo2());
    });

    NUM += 10;
  }

  const e = await raises(ExceptionGroup, createTask(() => runner()));

  assert.deepEqual(getErrorTypes(e), ["ZeroDivisionError"]);

  assert.equal(NUM, 0);
  assert.ok(t2Cancel);
  assert.ok(t2!.cancelled());
});

asyncTest(
  "test_taskgroups.TestTaskGroup.test_cancel_children_on_child_error",
  async () => {
    // When a child task raises an error, the rest of the children
    // are cancelled and the errors are gathered into an EG.

    let NUM = 0;
    let t2Cancel = false;
    let runnerCancel = false;

    async function foo1() {
      await sleep(0.1);
      divZero();
    }

    async function foo2() {
      await onCancel(() => sleep(5), () => {
        t2Cancel = true;
      });
      NUM += 1;
    }

    async function runner() {
      await taskGroup(async (g) => {
        g.createTask(() => foo1());
        g.createTask(() => foo1());
        g.createTask(() => foo1());
        g.createTask(() => foo2());
        await onCancel(() => sleep(10), () => {
          runnerCancel = true;
        });
      });

      NUM += 10;
    }

    // The 3 foo1 sub tasks can be racy when the host is busy - if the
    // cancellation happens in the middle, we'll see partial sub errors here
    const e = await raises(ExceptionGroup, createTask(() => runner()));

    assert.deepEqual(getErrorTypes(e), ["ZeroDivisionError"]);
    assert.equal(NUM, 0);
    assert.ok(t2Cancel);
    assert.ok(runnerCancel);
  },
);

asyncTest("test_taskgroups.TestTaskGroup.test_cancellation", async () => {
  let NUM = 0;

  async function foo() {
    await onCancel(() => sleep(5), () => {
      NUM += 1;
    });
  }

  async function runner() {
    await taskGroup(async (g) => {
      for (let i = 0; i < 5; i++) {
        g.createTask(() => foo());
      }
    });
  }

  const r = createTask(() => runner());
  await sleep(0.1);

  assert.ok(!r.done());
  r.cancel();
  await raises(CancelledError, r);

  assert.equal(NUM, 5);
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_07", async () => {
  let NUM = 0;

  async function foo() {
    await onCancel(() => sleep(5), () => {
      NUM += 1;
    });
  }

  async function runner() {
    await taskGroup(async (g) => {
      for (let i = 0; i < 5; i++) {
        g.createTask(() => foo());
      }

      await onCancel(() => sleep(10), () => {
        NUM += 10;
      });
    });
  }

  const r = createTask(() => runner());
  await sleep(0.1);

  assert.ok(!r.done());
  r.cancel();
  await raises(CancelledError, r);

  assert.equal(NUM, 15);
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_08", async () => {
  async function foo() {
    try {
      await sleep(10);
    } finally {
      divZero();
    }
  }

  async function runner() {
    await taskGroup(async (g) => {
      for (let i = 0; i < 5; i++) {
        g.createTask(() => foo());
      }

      await sleep(10);
    });
  }

  const r = createTask(() => runner());
  await sleep(0.1);

  assert.ok(!r.done());
  r.cancel();
  const e = await raises(ExceptionGroup, r);
  assert.deepEqual(getErrorTypes(e), ["ZeroDivisionError"]);
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_09", async () => {
  let t1 = null as Task<number> | null, t2 = null as Task<number> | null;

  async function foo1() {
    await sleep(1);
    return 42;
  }

  async function foo2() {
    await sleep(2);
    return 11;
  }

  async function runner() {
    await taskGroup(async (g) => {
      t1 = g.createTask(() => foo1());
      t2 = g.createTask(() => foo2());
      await sleep(0.1);
      divZero();
    });
  }

  // try: await runner() / except ExceptionGroup / else: self.fail(...)
  const t = await raises(ExceptionGroup, () => runner());
  assert.deepEqual(getErrorTypes(t), ["ZeroDivisionError"]);

  assert.ok(t1!.cancelled());
  assert.ok(t2!.cancelled());
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_10", async () => {
  let t1 = null as Task<number> | null, t2 = null as Task<number> | null;

  async function foo1() {
    await sleep(1);
    return 42;
  }

  async function foo2() {
    await sleep(2);
    return 11;
  }

  async function runner() {
    await taskGroup(async (g) => {
      t1 = g.createTask(() => foo1());
      t2 = g.createTask(() => foo2());
      divZero();
    });
  }

  const t = await raises(ExceptionGroup, () => runner());
  assert.deepEqual(getErrorTypes(t), ["ZeroDivisionError"]);

  assert.ok(t1!.cancelled());
  assert.ok(t2!.cancelled());
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_11", async () => {
  async function foo() {
    try {
      await sleep(10);
    } finally {
      divZero();
    }
  }

  async function runner() {
    await taskGroup(async () => {
      await taskGroup(async (g2) => {
        for (let i = 0; i < 5; i++) {
          g2.createTask(() => foo());
        }

        await sleep(10);
      });
    });
  }

  const r = createTask(() => runner());
  await sleep(0.1);

  assert.ok(!r.done());
  r.cancel();
  const e = await raises(ExceptionGroup, r);

  assert.deepEqual(getErrorTypes(e), ["ExceptionGroup"]);
  assert.deepEqual(getErrorTypes(e.exceptions[0]), ["ZeroDivisionError"]);
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_12", async () => {
  async function foo() {
    try {
      await sleep(10);
    } finally {
      divZero();
    }
  }

  async function runner() {
    await taskGroup(async (g1) => {
      g1.createTask(() => sleep(10));

      await taskGroup(async (g2) => {
        for (let i = 0; i < 5; i++) {
          g2.createTask(() => foo());
        }

        await sleep(10);
      });
    });
  }

  const r = createTask(() => runner());
  await sleep(0.1);

  assert.ok(!r.done());
  r.cancel();
  const e = await raises(ExceptionGroup, r);

  assert.deepEqual(getErrorTypes(e), ["ExceptionGroup"]);
  assert.deepEqual(getErrorTypes(e.exceptions[0]), ["ZeroDivisionError"]);
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_13", async () => {
  async function crashAfter(t: number) {
    await sleep(t);
    throw new RangeError(String(t)); // ValueError(t)
  }

  async function runner() {
    await taskGroup(async (g1) => {
      g1.createTask(() => crashAfter(0.1));

      await taskGroup(async (g2) => {
        g2.createTask(() => crashAfter(10));
      });
    });
  }

  const r = createTask(() => runner());
  const e = await raises(ExceptionGroup, r);

  assert.deepEqual(getErrorTypes(e), ["RangeError"]);
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_14", async () => {
  async function crashAfter(t: number) {
    await sleep(t);
    throw new RangeError(String(t)); // ValueError(t)
  }

  async function runner() {
    await taskGroup(async (g1) => {
      g1.createTask(() => crashAfter(10));

      await taskGroup(async (g2) => {
        g2.createTask(() => crashAfter(0.1));
      });
    });
  }

  const r = createTask(() => runner());
  const e = await raises(ExceptionGroup, r);

  assert.deepEqual(getErrorTypes(e), ["ExceptionGroup"]);
  assert.deepEqual(getErrorTypes(e.exceptions[0]), ["RangeError"]);
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_15", async () => {
  async function crashSoon() {
    await sleep(0.3);
    divZero();
  }

  async function runner() {
    await taskGroup(async (g1) => {
      g1.createTask(() => crashSoon());
      await onCancel(() => sleep(10), async () => {
        await sleep(0.5);
      });
    });
  }

  const r = createTask(() => runner());
  await sleep(0.1);

  assert.ok(!r.done());
  r.cancel();
  const e = await raises(ExceptionGroup, r);
  assert.deepEqual(getErrorTypes(e), ["ZeroDivisionError"]);
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_16", async () => {
  async function crashSoon() {
    await sleep(0.3);
    divZero();
  }

  async function nestedRunner() {
    await taskGroup(async (g1) => {
      g1.createTask(() => crashSoon());
      await onCancel(() => sleep(10), async () => {
        await sleep(0.5);
      });
    });
  }

  async function runner() {
    const t = createTask(() => nestedRunner());
    await t;
  }

  const r = createTask(() => runner());
  await sleep(0.1);

  assert.ok(!r.done());
  r.cancel();
  const e = await raises(ExceptionGroup, r);
  assert.deepEqual(getErrorTypes(e), ["ZeroDivisionError"]);
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_17", async () => {
  let NUM = 0;

  async function runner() {
    await taskGroup(async () => {
      await onCancel(() => sleep(10), () => {
        NUM += 10;
      });
    });
  }

  const r = createTask(() => runner());
  await sleep(0.1);

  assert.ok(!r.done());
  r.cancel();
  await raises(CancelledError, r);

  assert.equal(NUM, 10);
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_18", async () => {
  let NUM = 0;

  async function runner() {
    await taskGroup(async () => {
      try {
        await sleep(10);
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
        NUM += 10;
        // This isn't a good idea, but we have to support
        // this weird case.
        throw new MyExc();
      }
    });
  }

  const r = createTask(() => runner());
  await sleep(0.1);

  assert.ok(!r.done());
  r.cancel();

  // try: await r / except ExceptionGroup / else: self.fail(...)
  const t = await raises(ExceptionGroup, r);
  assert.deepEqual(getErrorTypes(t), ["MyExc"]);

  assert.equal(NUM, 10);
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_19", async () => {
  async function crashSoon() {
    await sleep(0.1);
    divZero();
  }

  async function nested() {
    try {
      await sleep(10);
    } finally {
      throw new MyExc();
    }
  }

  async function runner() {
    await taskGroup(async (g) => {
      g.createTask(() => crashSoon());
      await nested();
    });
  }

  const r = createTask(() => runner());
  const t = await raises(ExceptionGroup, r);
  assert.deepEqual(getErrorTypes(t), ["MyExc", "ZeroDivisionError"]);
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_20", async () => {
  async function crashSoon() {
    await sleep(0.1);
    divZero();
  }

  async function nested() {
    try {
      await sleep(10);
    } finally {
      throw new KeyboardInterrupt();
    }
  }

  async function runner() {
    await taskGroup(async (g) => {
      g.createTask(() => crashSoon());
      await nested();
    });
  }

  await raises(KeyboardInterrupt, () => runner());
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_20a", async () => {
  async function crashSoon() {
    await sleep(0.1);
    divZero();
  }

  async function nested() {
    try {
      await sleep(10);
    } finally {
      throw new MyBaseExc();
    }
  }

  async function runner() {
    await taskGroup(async (g) => {
      g.createTask(() => crashSoon());
      await nested();
    });
  }

  // BaseExceptionGroup: the library's ExceptionGroup.
  const e = await raises(ExceptionGroup, () => runner());

  assert.deepEqual(getErrorTypes(e), ["MyBaseExc", "ZeroDivisionError"]);
});

// _test_taskgroup_21 is disabled in CPython (a KeyboardInterrupt raised by
// a child crashes the event loop there): not a test method, not ported.

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_21a", async () => {
  async function crashSoon() {
    await sleep(0.1);
    throw new MyBaseExc();
  }

  async function nested() {
    try {
      await sleep(10);
    } finally {
      throw new TypeError();
    }
  }

  async function runner() {
    await taskGroup(async (g) => {
      g.createTask(() => crashSoon());
      await nested();
    });
  }

  // BaseExceptionGroup: the library's ExceptionGroup.
  const e = await raises(ExceptionGroup, () => runner());

  assert.deepEqual(getErrorTypes(e), ["MyBaseExc", "TypeError"]);
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_22", async () => {
  async function foo1() {
    await sleep(1);
    return 42;
  }

  async function foo2() {
    await sleep(2);
    return 11;
  }

  async function runner() {
    await taskGroup(async (g) => {
      g.createTask(() => foo1());
      g.createTask(() => foo2());
    });
  }

  const r = createTask(() => runner());
  await sleep(0.05);
  r.cancel();

  await raises(CancelledError, r);
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_23", async () => {
  async function doJob(delay: number) {
    await sleep(delay);
  }

  await taskGroup(async (g) => {
    for (let count = 0; count < 10; count++) {
      await sleep(0.1);
      g.createTask(() => doJob(0.3));
      if (count === 5) {
        assert.ok(groupTasks(g) < 5, String(g));
      }
    }
    await sleep(1.35);
    assert.equal(groupTasks(g), 0, String(g));
  });
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_24", async () => {
  async function root(g: TaskGroup) {
    await sleep(0.1);
    g.createTask(() => coro1(0.1));
    g.createTask(() => coro1(0.2));
  }

  async function coro1(delay: number) {
    await sleep(delay);
  }

  async function runner() {
    await taskGroup(async (g) => {
      g.createTask(() => root(g));
    });
  }

  await runner();
});

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_25", async () => {
  let nhydras = 0;

  async function hydra(g: TaskGroup): Promise<void> {
    nhydras += 1;
    await sleep(0.01);
    g.createTask(() => hydra(g));
    g.createTask(() => hydra(g));
  }

  async function hercules() {
    while (nhydras < 10) {
      await sleep(0.015);
    }
    divZero();
  }

  async function runner() {
    await taskGroup(async (g) => {
      g.createTask(() => hydra(g));
      g.createTask(() => hercules());
    });
  }

  const e = await raises(ExceptionGroup, () => runner());

  assert.deepEqual(getErrorTypes(e), ["ZeroDivisionError"]);
  assert.ok(nhydras >= 10);
});

asyncTest(
  "test_taskgroups.TestTaskGroup.test_taskgroup_task_name",
  async () => {
    async function coro() {
      await sleep(0);
    }
    await taskGroup(async (g) => {
      const t = g.createTask(() => coro(), { name: "yolo" });
      assert.equal(t.getName(), "yolo");
    });
  },
);

asyncTest(
  "test_taskgroups.TestTaskGroup.test_taskgroup_task_context",
  async () => {
    // contextvars: the library's ContextVar and copyContext();
    // `context=ctx` is the `context` option.
    const cvar = new ContextVar<number>("cvar");

    async function coro(val: number) {
      await sleep(0);
      cvar.set(val);
    }

    await taskGroup(async (g) => {
      const ctx = copyContext();
      assert.equal(ctx.get(cvar), undefined); // assertIsNone
      const withContext = { context: ctx };
      const t1 = g.createTask(() => coro(1), withContext);
      await t1;
      assert.equal(1, ctx.get(cvar));
      const t2 = g.createTask(() => coro(2), withContext);
      await t2;
      assert.equal(2, ctx.get(cvar));
    });
  },
);

asyncTest(
  "test_taskgroups.TestTaskGroup.test_taskgroup_no_create_task_after_failure",
  async () => {
    async function coro1() {
      await sleep(0.001);
      divZero();
    }
    async function coro2(g: TaskGroup) {
      try {
        await sleep(1);
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
        // with self.assertRaises(RuntimeError): the library's RuntimeError
        // is an Error.
        assert.throws(() => g.createTask(() => coro1()), Error);
      }
    }

    const e = await raises(ExceptionGroup, () =>
      taskGroup(async (g) => {
        g.createTask(() => coro1());
        g.createTask(() => coro2(g));
      }));

    assert.deepEqual(getErrorTypes(e), ["ZeroDivisionError"]);
  },
);

asyncTest(
  "test_taskgroups.TestTaskGroup.test_taskgroup_context_manager_exit_raises",
  async () => {
    // See https://github.com/python/cpython/issues/95289
    class CustomException extends Error {
      override name = "CustomException";
    }

    async function raiseExc() {
      throw new CustomException();
    }

    // @contextlib.asynccontextmanager
    // async def database():
    //     try:
    //         yield
    //     finally:
    //         raise CustomException
    //
    // as a scope in function form, like taskGroup(): its exit replaces the
    // error leaving its body. (With asyncContextManager and `await using`,
    // JavaScript would raise a SuppressedError holding both errors
    // instead, which is not what this test is about.)
    async function database<T>(body: () => Promise<T>): Promise<T> {
      try {
        return await body();
      } finally {
        throw new CustomException();
      }
    }

    async function main() {
      const task = currentTask()!;
      const handled = await exceptStar(
        CustomException,
        () =>
          taskGroup(async (tg) => {
            await database(async () => {
              tg.createTask(() => raiseExc());
              await sleep(1);
            });
          }),
        (err) => {
          assert.equal(task.cancelling(), 0);
          assert.equal(err.exceptions.length, 2);
        },
      );
      if (!handled) assert.fail("CustomException not raised");
    }

    await createTask(() => main());
  },
);

asyncTest(
  "test_taskgroups.TestTaskGroup.test_taskgroup_already_entered",
  async () => {
    // tg = TaskGroup(); async with tg: (the constructor enters the group,
    // `await using` leaves it at the end of the block)
    const tg = new TaskGroup();
    let again: unknown = "not raised";
    {
      await using _entered = tg;
      // async with tg: pass
      try {
        await using _again = tg;
      } catch (e) {
        again = e;
      }
    }
    assert.ok(again instanceof Error, `RuntimeError ${again}`);
    assert.match(again.message, /has already been entered/);
  },
);

asyncTest(
  "test_taskgroups.TestTaskGroup.test_taskgroup_double_enter",
  async () => {
    const tg = new TaskGroup();
    {
      await using _entered = tg;
    }
    await raisesRegex(Error, /has already been entered/, async () => {
      await using _again = tg;
    });
  },
);

asyncTest("test_taskgroups.TestTaskGroup.test_taskgroup_finished", async () => {
  async function createTaskAfterTgFinish() {
    const tg = new TaskGroup();
    {
      await using _entered = tg;
    }
    // coro = asyncio.sleep(0): the coroutine function records whether it
    // was ever called.
    let started = false;
    const coro = () => {
      started = true;
      return sleep(0);
    };
    raisesRegexSync(Error, /is finished/, () => tg.createTask(coro));
    return started;
  }

  // Make sure the coroutine was closed when submitted to the inactive tg
  // (in JavaScript: never started).
  assert.equal(await createTaskAfterTgFinish(), false);
});

Deno.test({
  name: "test_taskgroups.TestTaskGroup.test_taskgroup_not_entered",
  // Skipped: `new TaskGroup()` enters the group in the current task, so
  // there is no TaskGroup that has not been entered to call createTask()
  // on (a documented deviation, README.md).
  ignore: true,
  fn() {},
});

asyncTest(
  "test_taskgroups.TestTaskGroup.test_taskgroup_without_parent_task",
  async () => {
    // tg.__aenter__() outside a task: the constructor, which enters.
    await raisesRegex(
      Error,
      /parent task/,
      () => awaitWithoutTask(() => new TaskGroup()),
    );
    // `tg.create_task(coro)` then raises "has not been entered": with the
    // function form, the group is never entered and the body, which
    // would create the task, is never called.
    let bodyCalled = false;
    await raisesRegex(
      Error,
      /parent task/,
      () =>
        awaitWithoutTask(() =>
          taskGroup(async () => {
            bodyCalled = true;
          })
        ),
    );
    assert.equal(bodyCalled, false);
  },
);

Deno.test(
  "test_taskgroups.TestTaskGroup.test_coro_closed_when_tg_closed",
  async () => {
    async function runCoroAfterTgCloses() {
      let tg!: TaskGroup;
      await taskGroup(async (g) => {
        tg = g;
      });
      raisesRegexSync(
        Error,
        /is finished/,
        () => tg.createTask(() => sleep(0)),
      );
    }
    // A plain def test: loop.run_until_complete on a loop of its own.
    const loop = newEventLoop({ virtualTime: true });
    try {
      await loop.runUntilComplete(() => runCoroAfterTgCloses());
    } finally {
      loop.close();
    }
  },
);

asyncTest(
  "test_taskgroups.TestTaskGroup.test_cancelling_level_preserved",
  async () => {
    async function raiseAfter(t: number, E: new () => Error) {
      await sleep(t);
      throw new E();
    }

    await exceptStar(
      RuntimeError,
      () =>
        taskGroup(async (tg) => {
          tg.createTask(() => raiseAfter(0.0, RuntimeError));
        }),
      () => {},
    );
    assert.equal(currentTask()!.cancelling(), 0);
  },
);

asyncTest(
  "test_taskgroups.TestTaskGroup.test_nested_groups_both_cancelled",
  async () => {
    async function raiseAfter(t: number, E: new () => Error) {
      await sleep(t);
      throw new E();
    }

    const handledOuter = await exceptStar(
      RangeError, // ValueError
      () =>
        taskGroup(async (outerTg) => {
          const handledInner = await exceptStar(
            RuntimeError,
            () =>
              taskGroup(async (innerTg) => {
                innerTg.createTask(() => raiseAfter(0, RuntimeError));
                outerTg.createTask(() => raiseAfter(0, RangeError));
              }),
            () => {},
          );
          if (!handledInner) assert.fail("RuntimeError not raised");
          assert.equal(currentTask()!.cancelling(), 1);
        }),
      () => {},
    );
    if (!handledOuter) assert.fail("ValueError not raised");
    assert.equal(currentTask()!.cancelling(), 0);
  },
);

asyncTest("test_taskgroups.TestTaskGroup.test_error_and_cancel", async () => {
  const event = new Event();

  async function raiseError() {
    event.set();
    await sleep(0);
    throw new RuntimeError();
  }

  async function inner() {
    await exceptStar(
      RuntimeError,
      () =>
        taskGroup(async (tg) => {
          tg.createTask(() => raiseError());
          await sleep(1);
          assert.fail("Sleep in group should have been cancelled");
        }),
      () => {
        assert.equal(currentTask()!.cancelling(), 1);
      },
    );
    assert.equal(currentTask()!.cancelling(), 1);
    await sleep(1);
    assert.fail("Sleep after group should have been cancelled");
  }

  async function outer() {
    const t = createTask(() => inner());
    await event.wait();
    assert.equal(t.cancelling(), 0);
    t.cancel();
    assert.equal(t.cancelling(), 1);
    await raises(CancelledError, t);
    assert.ok(t.cancelled());
  }

  await outer();
});
