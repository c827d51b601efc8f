// Test support shared by the ports of CPython's test_taskgroups.py,
// test_timeouts.py and test_waitfor.py: IsolatedAsyncioTestCase,
// assertRaises / assertRaisesRegex, and utils.await_without_task.
import assert from "node:assert/strict";
import {
  type AbstractEventLoop,
  allTasks,
  gather,
  getRunningLoop,
  newEventLoop,
  sleep,
} from "../../mod.ts";

/**
 * IsolatedAsyncioTestCase: runs `body` as a task on a fresh virtual-time
 * loop, then cancels the tasks left over, waits for them, and closes the
 * loop, whatever happened.
 */
export function asyncTest(name: string, body: () => Promise<void>): void {
  Deno.test(name, async () => {
    const loop = newEventLoop({ virtualTime: true });
    // The body's error, if any, is the one reported, not the cleanup's.
    let failure: { error: unknown } | null = null;
    try {
      await runGuarded(loop, body, "the test");
    } catch (error) {
      failure = { error };
    }
    try {
      const left = [...allTasks(loop)];
      if (left.length > 0) {
        for (const task of left) task.cancel();
        await runGuarded(
          loop,
          () => gather(...left, { returnExceptions: true }),
          "cancelling the tasks left over",
        );
      }
    } catch (error) {
      failure ??= { error };
    } finally {
      loop.close();
    }
    if (failure !== null) throw failure.error;
  });
}

// On the virtual clock a deadlocked loop has nothing left to run and no
// timer to jump to; Deno would then end the test with the loop still
// marked running, and every later test would fail with "Cannot run the
// event loop while another loop is running". A host timer stops such a
// loop instead, so that the test fails alone and says why. (A guard
// against hangs, not a timing assertion: everything here runs on virtual
// time and finishes in milliseconds.)
const HANG_GUARD_MS = 2000;

/** `loop.runUntilComplete(fn)`, stopped with an error if the loop hangs. */
export async function runGuarded<T>(
  loop: AbstractEventLoop,
  fn: () => PromiseLike<T>,
  what: string,
): Promise<T> {
  let hung = false;
  const guard = setTimeout(() => {
    hung = true;
    loop.stop();
  }, HANG_GUARD_MS);
  try {
    return await loop.runUntilComplete(fn);
  } catch (e) {
    if (hung) {
      throw new Error(`${what} hung: the loop had nothing left to run`, {
        cause: e,
      });
    }
    throw e;
  } finally {
    clearTimeout(guard);
  }
}

// deno-lint-ignore no-explicit-any
export type ErrorClass<E> = abstract new (...args: any[]) => E;

/**
 * `with self.assertRaises(cls) as cm: await aw` (or `aw()`, which may also
 * throw at the call); returns `cm.exception`. As in Python, an error of
 * another class goes through unchanged.
 */
export async function raises<E>(
  cls: ErrorClass<E>,
  aw: PromiseLike<unknown> | (() => unknown),
): Promise<E> {
  try {
    await (typeof aw === "function" ? aw() : aw);
  } catch (e) {
    if (e instanceof cls) return e;
    throw e;
  }
  assert.fail(`${cls.name} not raised`);
}

/** `with self.assertRaisesRegex(cls, regex): await aw`. */
export async function raisesRegex<E extends Error>(
  cls: ErrorClass<E>,
  regex: RegExp,
  aw: PromiseLike<unknown> | (() => unknown),
): Promise<E> {
  const e = await raises(cls, aw);
  assert.match(String(e.message), regex);
  return e;
}

/** `with self.assertRaisesRegex(cls, regex): fn()`, for a plain call. */
export function raisesRegexSync<E extends Error>(
  cls: ErrorClass<E>,
  regex: RegExp,
  fn: () => unknown,
): E {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof cls)) throw e;
    assert.match(String(e.message), regex);
    return e;
  }
  assert.fail(`${cls.name} not raised`);
}

/**
 * utils.await_without_task: runs `fn` (entering a scope) in a callback of
 * the running loop, outside any task, and throws what it threw (or what
 * the promise it returned rejected with).
 */
export async function awaitWithoutTask(fn: () => unknown): Promise<void> {
  let failure: { error: unknown } | null = null;
  getRunningLoop().callSoon(() => {
    // Python drives the coroutine inside the callback: a coroutine object
    // starts here too (outside any task), when its `then` is called.
    try {
      const returned = fn();
      if (
        returned !== null && typeof returned === "object" &&
        typeof (returned as PromiseLike<unknown>).then === "function"
      ) {
        (returned as PromiseLike<unknown>).then(undefined, (error) => {
          failure ??= { error };
        });
      }
    } catch (error) {
      failure = { error };
    }
  });
  await sleep(0);
  if (failure !== null) throw (failure as { error: unknown }).error;
}
