// Coroutine functions must be async even when they do not await.
// deno-lint-ignore-file require-await
// Tests of TaskGroup (src/taskgroups.ts). Expected behaviour was checked
// against CPython 3.11's asyncio.TaskGroup (see the comments).
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  currentTask,
  ExceptionGroup,
  getRunningLoop,
  run,
  sleep,
  type Task,
  TaskGroup,
} from "../mod.ts";

const VT = { virtualTime: true };
const now = () => getRunningLoop().time();

function after<T>(delay: number, value: T): () => Promise<T> {
  return async () => {
    await sleep(delay);
    return value;
  };
}

function failAfter(delay: number, error: unknown): () => Promise<never> {
  return async () => {
    await sleep(delay);
    throw error;
  };
}

Deno.test("leaving a TaskGroup scope waits for all of its tasks", async () => {
  await run(async () => {
    let a: Task<string>, b: Task<string>;
    {
      await using tg = new TaskGroup();
      a = tg.createTask(after(0.1, "a"));
      b = tg.createTask(after(0.3, "b"));
      assert.equal(a.done(), false);
    }
    assert.equal(now(), 0.3);
    assert.equal(a.result(), "a");
    assert.equal(b.result(), "b");
  }, VT);
});

Deno.test("a failing child cancels its siblings and the group raises an ExceptionGroup with every error", async () => {
  // CPython 3.11: both errors are in the group, the sibling saw
  // CancelledError, the body's sleep was interrupted, cancelling() is 0.
  await run(async () => {
    const log: string[] = [];
    const a = new RangeError("a");
    const b = new TypeError("b");
    const sibling = async () => {
      try {
        await sleep(10);
      } catch (e) {
        log.push(`sibling saw ${(e as Error).name}`);
        throw e;
      }
    };
    let caught: unknown;
    let sib: Task<void> | undefined;
    try {
      await using tg = new TaskGroup();
      tg.createTask(failAfter(0.1, a));
      tg.createTask(failAfter(0.1, b));
      sib = tg.createTask(sibling);
      await sleep(5);
      log.push("body after sleep");
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof ExceptionGroup, `got ${caught}`);
    assert.ok(caught instanceof AggregateError);
    assert.deepEqual(caught.errors, [a, b]);
    assert.deepEqual(caught.exceptions, [a, b]);
    assert.equal(
      caught.message,
      "unhandled errors in a TaskGroup (2 sub-exceptions)",
    );
    assert.deepEqual(log, ["sibling saw CancelledError"]);
    assert.equal(sib!.cancelled(), true);
    assert.equal(now(), 0.1);
    assert.equal(currentTask()!.cancelling(), 0);
    await sleep(1); // the parent task is not left cancelled
  }, VT);
});

Deno.test("one failing child gives an ExceptionGroup of one sub-exception", async () => {
  await run(async () => {
    const err = new Error("only one");
    await assert.rejects(async () => {
      await using tg = new TaskGroup();
      tg.createTask(failAfter(0.1, err));
      tg.createTask(after(1, "cancelled"));
    }, (e) =>
      e instanceof ExceptionGroup && e.errors.length === 1 &&
      e.errors[0] === err &&
      e.message === "unhandled errors in a TaskGroup (1 sub-exception)");
    assert.equal(now(), 0.1);
  }, VT);
});

Deno.test("a child failing while the scope is already exiting cancels the others", async () => {
  await run(async () => {
    let slow: Task<string> | undefined;
    await assert.rejects(async () => {
      await using tg = new TaskGroup();
      slow = tg.createTask(after(10, "slow"));
      tg.createTask(failAfter(0.5, new Error("late failure")));
    }, ExceptionGroup);
    assert.equal(slow!.cancelled(), true);
    assert.equal(now(), 0.5);
  }, VT);
});

Deno.test("createTask on a TaskGroup after its scope ended is an error", async () => {
  // CPython: RuntimeError('TaskGroup ... is finished').
  await run(async () => {
    let group: TaskGroup | undefined;
    {
      await using tg = new TaskGroup();
      group = tg;
      tg.createTask(after(0.1, 1));
    }
    let ran = false;
    assert.throws(
      () =>
        group.createTask(async () => {
          ran = true;
        }),
      /TaskGroup .* is finished/,
    );
    await sleep(0.1);
    assert.equal(ran, false);
  }, VT);
});

Deno.test("cancelling the parent task cancels every child of its TaskGroup", async () => {
  // CPython 3.11: parent cancelled ['sib cancelled', 'sib cancelled'].
  await run(async () => {
    const log: string[] = [];
    const child = async () => {
      try {
        await sleep(10);
      } catch (e) {
        log.push(`child saw ${(e as Error).name}`);
        throw e;
      }
    };
    const parent = createTask(async () => {
      await using tg = new TaskGroup();
      tg.createTask(child);
      tg.createTask(child);
    });
    await sleep(0.1);
    parent.cancel();
    await assert.rejects(async () => await parent, CancelledError);
    assert.deepEqual(log, [
      "child saw CancelledError",
      "child saw CancelledError",
    ]);
    assert.equal(parent.cancelled(), true);
  }, VT);
});

Deno.test("cancelling the parent while its TaskGroup body awaits cancels the children too", async () => {
  await run(async () => {
    let kid: Task<string> | undefined;
    const parent = createTask(async () => {
      await using tg = new TaskGroup();
      kid = tg.createTask(after(10, "kid"));
      await sleep(5);
    });
    await sleep(1);
    parent.cancel();
    await assert.rejects(async () => await parent, CancelledError);
    assert.equal(kid!.cancelled(), true);
    assert.equal(now(), 1);
  }, VT);
});

Deno.test("a child cancelled on its own does not make the TaskGroup fail", async () => {
  await run(async () => {
    let other: Task<string> | undefined;
    {
      await using tg = new TaskGroup();
      const victim = tg.createTask(after(10, "victim"));
      other = tg.createTask(after(0.5, "other"));
      await sleep(0.1);
      victim.cancel();
    }
    assert.equal(other.result(), "other");
    assert.equal(now(), 0.5);
  }, VT);
});

Deno.test("a child can add tasks to its group while the scope is exiting", async () => {
  await run(async () => {
    const log: string[] = [];
    {
      await using tg = new TaskGroup();
      tg.createTask(async () => {
        await sleep(0.1);
        tg.createTask(async () => {
          await sleep(0.5);
          log.push("grandchild done");
        });
      });
    }
    assert.deepEqual(log, ["grandchild done"]);
    assert.equal(now(), 0.6);
  }, VT);
});

Deno.test("a TaskGroup passes task options such as the name on", async () => {
  await run(async () => {
    await using tg = new TaskGroup();
    const t = tg.createTask(after(0.1, 1), { name: "named-child" });
    assert.equal(t.getName(), "named-child");
  }, VT);
});

Deno.test("TaskGroups nest: an inner group's failure reaches the outer one as an ExceptionGroup", async () => {
  await run(async () => {
    const err = new Error("deep");
    await assert.rejects(
      async () => {
        await using outer = new TaskGroup();
        outer.createTask(async () => {
          await using inner = new TaskGroup();
          inner.createTask(failAfter(0.1, err));
        });
      },
      (e) =>
        e instanceof ExceptionGroup && e.errors[0] instanceof ExceptionGroup &&
        (e.errors[0] as ExceptionGroup).errors[0] === err,
    );
  }, VT);
});
