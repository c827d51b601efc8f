// The tests of CPython 3.13's test_runners.py that interrupt the main
// thread (_thread.interrupt_main(), a SIGINT): tests/cpython/runners_test.ts
// runs each in a child process, `deno run _runners_interrupt.ts <method>`,
// so that a SIGINT the library does not catch, or the process exit that
// run() makes on KeyboardInterrupt, ends the child and not the test
// runner. A test prints "ok" when its assertions hold; an assertion
// that fails throws, and the child exits with status 1 and the error on
// stderr. Not a test file.
import assert from "node:assert/strict";
import * as asyncio from "../../mod.ts";
import {
  type AbstractEventLoop,
  CancelledError,
  type Coroutine,
  type CoroutineFunction,
  createTask,
  currentTask,
  Event,
  type Future,
  KeyboardInterrupt,
  run,
  Runner,
  sleep,
  Task,
  type TaskFactory,
  type TaskOptions,
} from "../../mod.ts";

// _thread.interrupt_main() "simulates the effect of a signal arriving in
// the main thread": Python runs the SIGINT handler before the interrupted
// code goes on. Deno delivers a real signal to its listeners later, on a
// turn of its own event loop, by which time the code under test has moved
// on (the main task may be done). So the SIGINT listeners are recorded as
// they are added, and interruptSelf() calls them at once, as Python does.
// With none added, a real SIGINT is sent (and ends this process, as
// Python's default handler raises KeyboardInterrupt).
type SignalListener = () => void;
const sigintListeners = new Set<SignalListener>();
const denoSignals = Deno as unknown as {
  addSignalListener(signal: Deno.Signal, handler: SignalListener): void;
  removeSignalListener(signal: Deno.Signal, handler: SignalListener): void;
};
const addSignalListener = denoSignals.addSignalListener;
const removeSignalListener = denoSignals.removeSignalListener;
denoSignals.addSignalListener = (signal, handler) => {
  addSignalListener(signal, handler);
  if (signal === "SIGINT") sigintListeners.add(handler);
};
denoSignals.removeSignalListener = (signal, handler) => {
  removeSignalListener(signal, handler);
  if (signal === "SIGINT") sigintListeners.delete(handler);
};

/** _thread.interrupt_main() */
function interruptSelf(): void {
  if (sigintListeners.size === 0) {
    Deno.kill(Deno.pid, "SIGINT");
    return;
  }
  for (const handler of [...sigintListeners]) handler();
}

/**
 * BaseTest: the loop asyncio.run() and Runner make is checked to be closed
 * at the end. `track` wraps the main coroutine function to note the loop
 * it runs on. (The check that shutdown_asyncgens() ran is Python's async
 * generator hooks, dropped.)
 */
class BaseTest {
  readonly loops = new Set<AbstractEventLoop>();

  track<T>(main: () => Promise<T>): () => Promise<T> {
    return () => {
      this.loops.add(asyncio.getRunningLoop());
      return main();
    };
  }

  tearDown(): void {
    for (const loop of this.loops) assert.ok(loop.isClosed());
  }
}

const tests: Record<string, () => Promise<void>> = {
  // RunTests.test_asyncio_run_without_uncancel
  async test_asyncio_run_without_uncancel() {
    // See https://github.com/python/cpython/issues/95097
    class TaskWrapper {
      readonly _task: Task<unknown>;

      constructor(
        loop: AbstractEventLoop,
        coro: CoroutineFunction<unknown> | Coroutine<unknown>,
        options: Omit<TaskOptions, "loop"> = {},
      ) {
        this._task = new Task(coro, { ...options, loop }, loop);
      }

      cancel(msg?: string) {
        return this._task.cancel(msg);
      }

      addDoneCallback(cb: (f: Future<unknown>) => void) {
        return this._task.addDoneCallback(cb);
      }

      removeDoneCallback(cb: (f: Future<unknown>) => void) {
        return this._task.removeDoneCallback(cb);
      }

      // _asyncio_future_blocking: what makes it awaitable as a future.
      then<R1, R2>(
        onFulfilled?: (value: unknown) => R1 | PromiseLike<R1>,
        onRejected?: (reason: unknown) => R2 | PromiseLike<R2>,
      ) {
        return this._task.then(onFulfilled, onRejected);
      }

      result() {
        return this._task.result();
      }

      done() {
        return this._task.done();
      }

      cancelled() {
        return this._task.cancelled();
      }

      exception() {
        return this._task.exception();
      }

      getLoop() {
        return this._task.getLoop();
      }

      setName(name: string) {
        return this._task.setName(name);
      }
    }

    async function main() {
      interruptSelf();
      await new Event().wait();
    }

    const base = new BaseTest();
    function newEventLoop() {
      const loop = asyncio.newEventLoop();
      const factory = (
        loop: AbstractEventLoop,
        coro: CoroutineFunction<unknown> | Coroutine<unknown>,
        options: Omit<TaskOptions, "loop">,
      ) => new TaskWrapper(loop, coro, options);
      // A TaskWrapper is not a Task (it has no uncancel(), which is the
      // point): CPython's task factory may return any future-like object.
      loop.setTaskFactory(factory as unknown as TaskFactory);
      return loop;
    }

    // asyncio.set_event_loop_policy(TestPolicy(new_event_loop)): the
    // policy's loop factory is passed as run()'s loopFactory.
    await assert.rejects(
      run(base.track(main), { loopFactory: newEventLoop }),
      CancelledError,
    );
    base.tearDown();
  },

  // RunnerTests.test_interrupt_call_soon
  async test_interrupt_call_soon() {
    // The only case when task is not suspended by waiting a future or
    // another task
    async function coro() {
      await assert.rejects(async () => {
        while (true) {
          await sleep(0);
        }
      }, CancelledError);
      throw new CancelledError();
    }

    const base = new BaseTest();
    {
      await using runner = new Runner();
      runner.getLoop().callLater(0.1, interruptSelf);
      await assert.rejects(runner.run(base.track(coro)), KeyboardInterrupt);
    }
    base.tearDown();
  },

  // RunnerTests.test_interrupt_wait
  async test_interrupt_wait() {
    // interrupting when waiting a future cancels both future and main task
    async function coro(fut: Future<unknown>) {
      await assert.rejects(async () => {
        await fut;
      }, CancelledError);
      throw new CancelledError();
    }

    const base = new BaseTest();
    {
      await using runner = new Runner();
      const fut = runner.getLoop().createFuture();
      runner.getLoop().callLater(0.1, interruptSelf);

      await assert.rejects(
        runner.run(base.track(() => coro(fut))),
        KeyboardInterrupt,
      );

      assert.ok(fut.cancelled());
    }
    base.tearDown();
  },

  // RunnerTests.test_interrupt_cancelled_task
  async test_interrupt_cancelled_task() {
    // interrupting cancelled main task doesn't raise KeyboardInterrupt
    async function subtask(task: Task<unknown>) {
      await sleep(0);
      task.cancel();
      interruptSelf();
    }

    async function coro() {
      // current_task() is evaluated in coro, before the task is created.
      const task = currentTask()!;
      createTask(() => subtask(task));
      await sleep(10);
    }

    const base = new BaseTest();
    {
      await using runner = new Runner();
      await assert.rejects(runner.run(base.track(coro)), (e) => {
        assert.ok(
          e instanceof CancelledError,
          `expected CancelledError, got ${e}`,
        );
        return true;
      });
    }
    base.tearDown();
  },
};

if (import.meta.main) {
  const name = Deno.args[0];
  const test = tests[name];
  if (test === undefined) throw new Error(`no test ${name}`);
  await test();
  console.log("ok");
}
