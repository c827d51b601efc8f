// Coroutine functions must be async even when they do not await.
// deno-lint-ignore-file require-await
// Call graphs (issue 16): Python 3.14's capture_call_graph /
// format_call_graph / print_call_graph and future_add_to_awaited_by, with
// "awaited by" across await, gather, shield, wait, asCompleted and task
// groups. Expected layouts are written from CPython 3.14's graph.py
// (render_level): "* Task(name=..., id=0x...)", "  + Call stack:",
// "  |   File '...', line N, in async f()", "  + Awaited by:", four more
// spaces per level.
import assert from "node:assert/strict";
import {
  asCompleted,
  captureCallGraph,
  createTask,
  currentTask,
  formatCallGraph,
  type Future,
  futureAddToAwaitedBy,
  futureDiscardFromAwaitedBy,
  gather,
  getRunningLoop,
  newEventLoop,
  printCallGraph,
  run,
  shield,
  sleep,
  type Task,
  TaskGroup,
  wait,
} from "../mod.ts";

const FILE = new URL(import.meta.url).pathname;

// Line numbers of marked lines of this file, so that the expected text
// names them.
const source = Deno.readTextFileSync(FILE).split("\n");
function lineOf(marker: string): number {
  const i = source.findIndex((line) =>
    line.includes(`// ${marker}`) && !line.includes("lineOf(")
  );
  assert.ok(i >= 0, marker);
  return i + 1;
}

// Ids differ from run to run, as in Python.
const normalize = (text: string) => text.replace(/id=0x[0-9a-f]+/g, "id=0x…");

function names(futures: readonly { future: Future<unknown> }[]): string[] {
  return futures.map(({ future }) => (future as Task<unknown>).getName());
}

Deno.test("printCallGraph from a task group's child: CPython 3.14's layout, with the parent's frame where it waits (debug mode)", async () => {
  let printed = "";
  async function test() {
    printCallGraph(undefined, { file: (t) => printed = t }); // mark:print
  }
  await run(async function main() {
    await using g = new TaskGroup();
    g.createTask(test, { name: "test" });
    await sleep(0); // mark:main-waits
  }, { debug: true });
  assert.equal(
    normalize(printed),
    [
      `* Task(name='test', id=0x…)`,
      `  + Call stack:`,
      `  |   File '${FILE}', line ${lineOf("mark:print")}, in async test()`,
      `  + Awaited by:`,
      `    * Task(name='${printed.match(/name='(Task-\d+)'/)![1]}', id=0x…)`,
      `      + Call stack:`,
      `      |   File '${FILE}', line ${
        lineOf("mark:main-waits")
      }, in async main()`,
    ].join("\n"),
  );
});

Deno.test("a suspended task's stack runs through its awaits, innermost first (debug mode); without debug mode, its coroutine's name", async () => {
  async function leaf() {
    await sleep(1); // mark:leaf
  }
  async function middle() {
    await leaf(); // mark:middle
  }
  for (const debug of [true, false]) {
    await run(async () => {
      const task = createTask(middle, { name: "worker" });
      await sleep(0);
      const text = normalize(formatCallGraph(task));
      task.cancel();
      await task.then(undefined, () => {});
      const frames = debug
        ? [
          `  |   File '${FILE}', line ${lineOf("mark:leaf")}, in async leaf()`,
          `  |   File '${FILE}', line ${
            lineOf("mark:middle")
          }, in async middle()`,
        ]
        : [`  |   File '<unknown>', line ?, in async middle()`];
      assert.equal(
        text,
        [`* Task(name='worker', id=0x…)`, `  + Call stack:`, ...frames]
          .join("\n"),
        `debug ${debug}`,
      );
    }, { debug });
  }
});

Deno.test("awaited by: await task, gather, shield, wait and asCompleted name the awaiting task; the edge goes when the wait ends", async () => {
  await run(async function main() {
    const target = () => createTask(() => sleep(0.05), { name: "target" });
    const awaiting = (name: string, body: () => Promise<unknown>) =>
      createTask(body, { name });

    let t = target();
    const viaAwait = awaiting("awaits", async () => await t);
    await sleep(0);
    assert.deepEqual(names(captureCallGraph(t)!.awaitedBy), ["awaits"]);
    await viaAwait;
    assert.deepEqual(captureCallGraph(t)!.awaitedBy, [], "done: no edge");

    for (
      const [name, wrap] of [
        ["gathers", (x: Task<unknown>) => gather(x)],
        ["shields", (x: Task<unknown>) => shield(x)],
        ["waits", (x: Task<unknown>) => wait([x])],
        ["iterates", async (x: Task<unknown>) => {
          for await (const _ of asCompleted([x]));
        }],
      ] as const
    ) {
      t = target();
      const parent = awaiting(name, () => wrap(t) as Promise<unknown>);
      await sleep(0);
      assert.deepEqual(names(captureCallGraph(t)!.awaitedBy), [name], name);
      await parent;
      assert.deepEqual(captureCallGraph(t)!.awaitedBy, [], `${name}: done`);
    }
  });
});

Deno.test("awaited by: a task group's tasks are awaited by the task that entered it", async () => {
  await run(async function main() {
    const me = currentTask()!;
    await using tg = new TaskGroup();
    const child = tg.createTask(() => sleep(0.01), { name: "child" });
    const graph = captureCallGraph(child)!;
    assert.equal(graph.awaitedBy.length, 1);
    assert.equal(graph.awaitedBy[0].future, me);
  });
});

Deno.test("futureAddToAwaitedBy / futureDiscardFromAwaitedBy record what the library cannot see; non-futures are ignored", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const fut = loop.createFuture<number>();
    const waiter = loop.createFuture<number>();
    futureAddToAwaitedBy(fut, waiter);
    futureAddToAwaitedBy(fut, waiter); // a set: once
    futureAddToAwaitedBy(fut, {} as Future<unknown>);
    const graph = captureCallGraph(fut)!;
    assert.deepEqual(graph.awaitedBy.map((g) => g.future), [waiter]);
    assert.equal(
      normalize(formatCallGraph(fut)),
      "* Future(id=0x…)\n  + Awaited by:\n    * Future(id=0x…)",
    );
    futureDiscardFromAwaitedBy(fut, waiter);
    assert.equal(captureCallGraph(fut)!.awaitedBy.length, 0);
  });
});

Deno.test("limit: 0 captures no stack, a positive limit keeps the outermost frames, a negative one the innermost", async () => {
  async function leaf() {
    await sleep(1);
  }
  async function middle() {
    await leaf();
  }
  await run(async () => {
    const task = createTask(middle);
    await sleep(0);
    const frames = (limit: number | null) =>
      captureCallGraph(task, { limit })!.callStack.map((e) => e.frame.name);
    assert.deepEqual(frames(null), ["leaf", "middle"]);
    assert.deepEqual(frames(0), []);
    assert.deepEqual(frames(1), ["middle"]);
    assert.deepEqual(frames(-1), ["leaf"]);
    assert.throws(() => captureCallGraph(task, { limit: 1.5 }), TypeError);
    task.cancel();
    await task.then(undefined, () => {});
  }, { debug: true });
});

Deno.test("a cycle of tasks awaiting each other (a deadlock) gives a finite graph", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const a = loop.createFuture();
    const b = loop.createFuture();
    futureAddToAwaitedBy(a, b);
    futureAddToAwaitedBy(b, a);
    const graph = captureCallGraph(a)!;
    assert.equal(graph.awaitedBy[0].future, b);
    assert.equal(graph.awaitedBy[0].awaitedBy.length, 0, "cut where it closes");
  });
});

Deno.test("captureCallGraph: null outside a task, an error outside a loop without a future, a TypeError for a non-future", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const inCallback = await new Promise((resolve) =>
      loop.callSoon(() => resolve(captureCallGraph()))
    );
    assert.equal(inCallback, null);
  });
  assert.throws(() => captureCallGraph(), /outside of a running event loop/);
  assert.throws(
    () => captureCallGraph(Promise.resolve() as never),
    /does not appear to be compatible with asyncio.Future/,
  );
  const loop = newEventLoop();
  assert.equal(captureCallGraph(loop.createFuture())!.callStack.length, 0);
  loop.close();
});
