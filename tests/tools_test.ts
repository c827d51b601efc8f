// The task tree in-process (src/tools.ts): taskTree's states and what each
// task awaits (timers on the virtual clock, locks, queues, events,
// conditions, semaphores, barriers, stream reads, executor jobs, foreign
// promises, other tasks, gather, TaskGroup), who awaits whom, and the
// ps / pstree layouts of CPython 3.14's asyncio.tools (its own test
// inputs, written as our snapshots).
import assert from "node:assert/strict";
import {
  Barrier,
  Condition,
  createTask,
  CycleFoundError,
  Event,
  formatPs,
  formatPstree,
  futureAddToAwaitedBy,
  gather,
  getRunningLoop,
  Lock,
  openConnection,
  Queue,
  run,
  Semaphore,
  sleep,
  startServer,
  type Task,
  type TaskInfo,
  type TaskTree,
  taskTree,
  taskTreeWithWorkers,
  toThread,
  WorkerLoop,
  wrapFuture,
} from "../mod.ts";
import { workerTest } from "./_helpers.ts";

function find(tree: TaskTree, name: string): TaskInfo {
  const found = tree.tasks.find((t) => t.name === name);
  assert.ok(found, `no task named ${name} in ${tree.tasks.map((t) => t.name)}`);
  return found;
}

Deno.test("taskTree() tells running, scheduled, ready, suspended and foreign tasks apart", async () => {
  await run(async function main() {
    const host = Promise.withResolvers<void>();
    const suspended = createTask(() => sleep(10), { name: "suspended" });
    const foreign = createTask(async function foreignWait() {
      await host.promise;
    }, { name: "foreign" });
    const yielder = createTask(async function yielder() {
      for (;;) await sleep(0);
    }, { name: "yielder" });
    await sleep(0);
    await sleep(0);
    const scheduled = createTask(() => sleep(1), { name: "scheduled" });
    const tree = taskTree();
    const main = tree.tasks.find((t) => t.coro === "main");
    assert.equal(main?.state, "running");
    assert.equal(main?.awaiting, null);
    assert.equal(find(tree, "suspended").state, "suspended");
    assert.equal(find(tree, "scheduled").state, "scheduled");
    assert.equal(find(tree, "scheduled").awaiting, null);
    assert.equal(find(tree, "yielder").state, "ready");
    assert.equal(find(tree, "yielder").awaiting?.kind, "yield");
    assert.equal(find(tree, "foreign").state, "foreign");
    assert.equal(find(tree, "foreign").awaiting?.kind, "promise");
    host.resolve();
    for (const t of [suspended, foreign, yielder, scheduled]) t.cancel();
    await gather(suspended, foreign, yielder, scheduled, {
      returnExceptions: true,
    });
  }, { virtualTime: true });
});

Deno.test("a sleeping task shows its timer's time left on the virtual clock", async () => {
  await run(async () => {
    const sleeper = createTask(async function nap() {
      await sleep(10);
    }, { name: "nap" });
    await sleep(3);
    const tree = taskTree();
    assert.equal(tree.virtualTime, true);
    assert.equal(tree.time, 3);
    const nap = find(tree, "nap");
    assert.equal(nap.awaiting?.kind, "timer");
    assert.equal(nap.awaiting?.operation, "sleep");
    assert.equal(nap.awaiting?.remaining, 7);
    // Not recorded outside debug mode and inspection.
    assert.equal(tree.recorded, false);
    assert.equal(nap.suspendedFor, null);
    sleeper.cancel();
    await sleeper.then(undefined, () => {});
  }, { virtualTime: true });
});

Deno.test("in debug mode a task's suspension time and frames are recorded", async () => {
  await run(async () => {
    const sleeper = createTask(async function nap() {
      await sleep(10);
    }, { name: "nap" });
    await sleep(3);
    const tree = taskTree();
    assert.equal(tree.recorded, true);
    const nap = find(tree, "nap");
    assert.equal(nap.suspendedFor, 3);
    assert.equal(nap.stack[0].name, "nap");
    assert.match(nap.stack[0].file ?? "", /tools_test\.ts$/);
    sleeper.cancel();
    await sleeper.then(undefined, () => {});
  }, { virtualTime: true, debug: true });
});

Deno.test("each primitive's wait is named with its operation and its object", async () => {
  await run(async () => {
    const lock = new Lock();
    await lock.acquire();
    const event = new Event();
    const cond = new Condition();
    const sem = new Semaphore(0);
    const barrier = new Barrier(3);
    const getQueue = new Queue<number>();
    const putQueue = new Queue<number>(1);
    putQueue.putNowait(1);
    const joinQueue = new Queue<number>();
    joinQueue.putNowait(1);
    const tasks: Task<unknown>[] = [
      createTask(() => lock.acquire(), { name: "lock" }),
      createTask(() => event.wait(), { name: "event" }),
      createTask(async () => {
        await cond.acquire();
        await cond.wait();
      }, { name: "condition" }),
      createTask(() => sem.acquire(), { name: "semaphore" }),
      createTask(() => barrier.wait(), { name: "barrier" }),
      createTask(() => getQueue.get(), { name: "get" }),
      createTask(() => putQueue.put(2), { name: "put" }),
      createTask(() => joinQueue.join(), { name: "join" }),
    ];
    await sleep(0.1);
    const tree = taskTree();
    const expect: [string, string, string, RegExp][] = [
      ["lock", "lock", "Lock.acquire", /^<Lock \[locked, waiters:1\]>$/],
      ["event", "event", "Event.wait", /^<Event \[unset, waiters:1\]>$/],
      ["condition", "condition", "Condition.wait", /^<Condition /],
      ["semaphore", "semaphore", "Semaphore.acquire", /^<Semaphore /],
      ["barrier", "barrier", "Barrier.wait", /^<Barrier \[filling/],
      ["get", "queue", "Queue.get", /^<Queue maxsize=0 _getters\[1\]>$/],
      ["put", "queue", "Queue.put", /^<Queue maxsize=1 .*_putters\[1\]/],
      ["join", "queue", "Queue.join", /^<Queue maxsize=0 /],
    ];
    for (const [name, kind, operation, object] of expect) {
      const awaiting = find(tree, name).awaiting;
      assert.equal(awaiting?.kind, kind, name);
      assert.equal(awaiting?.operation, operation, name);
      assert.match(awaiting?.object ?? "", object, name);
    }
    assert.match(
      formatPs(tree),
      /lock +suspended +Lock\.acquire <Lock \[locked, waiters:1\]>/,
    );
    for (const task of tasks) task.cancel();
    await gather(...tasks, { returnExceptions: true });
  }, { virtualTime: true });
});

Deno.test("a stream read shows the reader's operation and its peer", async () => {
  await run(async () => {
    const server = await startServer(
      async (reader, writer) => {
        await reader.read(100);
        writer.close();
      },
      "127.0.0.1",
      0,
    );
    const port = (server.sockets[0].getsockname() as [string, number])[1];
    const [reader, writer] = await openConnection("127.0.0.1", port);
    const client = createTask(() => reader.readline(), { name: "client" });
    // Until both the client's read and the handler's wait for data.
    let tree = taskTree();
    while (
      tree.tasks.filter((t) => t.awaiting?.kind === "stream").length < 2
    ) {
      await sleep(0.01);
      tree = taskTree();
    }
    const read = find(tree, "client").awaiting!;
    assert.equal(read.operation, "StreamReader.readuntil");
    assert.equal(read.detail, `from 127.0.0.1:${port}`);
    const handler = tree.tasks.find((t) =>
      t.awaiting?.operation === "StreamReader.read"
    );
    assert.match(handler?.awaiting?.detail ?? "", /^from 127\.0\.0\.1:\d+$/);
    writer.write("bye\n");
    await client;
    writer.close();
    server.close();
    await server.waitClosed();
  });
});

Deno.test("an executor job and a wrapped promise are named as such", async () => {
  await run(async () => {
    const { promise: release, resolve } = Promise.withResolvers<void>();
    const job = createTask(
      () => toThread(() => new Promise((r) => setTimeout(() => r(1), 200))),
      { name: "job" },
    );
    const wrapped = createTask(() => wrapFuture(release), { name: "wrapped" });
    await sleep(0.05);
    const tree = taskTree();
    const awaiting = find(tree, "job").awaiting!;
    assert.equal(awaiting.kind, "executor");
    assert.equal(awaiting.operation, "executor job");
    assert.equal(awaiting.object, "an anonymous function");
    assert.match(awaiting.detail ?? "", /^(running|queued)$/);
    assert.equal(find(tree, "wrapped").awaiting?.kind, "promise");
    assert.equal(find(tree, "wrapped").awaiting?.operation, "wrapFuture");
    resolve();
    assert.equal(await job, 1);
    await wrapped;
  });
});

Deno.test("awaitedBy and children follow await task, gather and TaskGroup", async () => {
  await run(async function main() {
    const leaf = createTask(() => sleep(5), { name: "leaf" });
    const awaiter = createTask(async function awaitLeaf() {
      await leaf;
    }, { name: "awaiter" });
    const gatherer = createTask(async function gatherTwo() {
      await gather(() => sleep(5), () => sleep(5));
    }, { name: "gatherer" });
    const grouped = createTask(async function group() {
      const { taskGroup } = await import("../mod.ts");
      await taskGroup((tg) => {
        tg.createTask(() => sleep(5), { name: "member-1" });
        tg.createTask(() => sleep(5), { name: "member-2" });
        return Promise.resolve();
      });
    }, { name: "grouped" });
    await sleep(1);
    const tree = taskTree();
    const ids = (names: string[]) => names.map((n) => find(tree, n).id);
    assert.deepEqual(find(tree, "leaf").awaitedBy, ids(["awaiter"]));
    assert.deepEqual(find(tree, "awaiter").children, ids(["leaf"]));
    assert.deepEqual(find(tree, "awaiter").awaiting?.kind, "task");
    assert.deepEqual(find(tree, "awaiter").awaiting?.tasks, ids(["leaf"]));
    const gathered = find(tree, "gatherer");
    assert.equal(gathered.awaiting?.kind, "gather");
    assert.equal(gathered.children.length, 2);
    for (const id of gathered.children) {
      assert.deepEqual(
        tree.tasks.find((t) => t.id === id)?.awaitedBy,
        [gathered.id],
      );
    }
    const group = find(tree, "grouped");
    assert.equal(group.awaiting?.kind, "taskgroup");
    assert.deepEqual(group.children, ids(["member-1", "member-2"]));
    assert.deepEqual(group.awaiting?.tasks, ids(["member-1", "member-2"]));
    // Plain data.
    assert.deepEqual(JSON.parse(JSON.stringify(tree)), tree);
    const pstree = formatPstree(tree);
    assert.match(pstree, /└── \(T\) grouped\n {4}└── {2}group\n/);
    assert.match(pstree, / {8}├── \(T\) member-1\n/);
    assert.match(pstree, /\(W\) sleep, 4s left/);
    for (const t of [leaf, awaiter, gatherer, grouped]) t.cancel();
    await gather(leaf, awaiter, gatherer, grouped, { returnExceptions: true });
  }, { virtualTime: true });
});

Deno.test("formatPstree reports tasks awaiting each other as CPython does", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const a = createTask(() => sleep(5), { name: "a" });
    const b = createTask(() => sleep(5), { name: "b" });
    futureAddToAwaitedBy(a, b);
    futureAddToAwaitedBy(b, a);
    await sleep(0);
    const error = (() => {
      try {
        formatPstree(taskTree(loop));
      } catch (e) {
        return e;
      }
    })();
    assert.ok(error instanceof CycleFoundError);
    assert.equal(
      error.message,
      "ERROR: await-graph contains cycles - cannot print a tree!\n\n" +
        "cycle: b → a → b",
    );
    assert.deepEqual(error.cycles, [[
      find(taskTree(loop), "b").id,
      find(taskTree(loop), "a").id,
      find(taskTree(loop), "b").id,
    ]]);
    // The table has no tree to draw: it shows them.
    assert.match(formatPs(taskTree(loop)), /\ba +suspended .* b +0x/);
    a.cancel();
    b.cancel();
    await gather(a, b, { returnExceptions: true });
  }, { virtualTime: true });
});

workerTest(
  "taskTreeWithWorkers() asks each WorkerLoop for its tree",
  async () => {
    await run(async () => {
      await using worker = await WorkerLoop.start({ name: "side" });
      const job = worker.runCoroutineThreadsafe(async function sideWork() {
        await new Promise((r) => setTimeout(r, 300));
        return 1;
      });
      await sleep(0.05);
      const tree = await taskTreeWithWorkers();
      assert.equal(tree.thread, "main");
      assert.deepEqual(tree.workers.map((w) => w.thread), ["side"]);
      assert.deepEqual(tree.workers[0].tasks.map((t) => t.state), ["foreign"]);
      assert.match(
        formatPstree(tree),
        /└── \(thread\) side\n {4}└── \(T\) Task-/,
      );
      assert.match(formatPs(tree), /^side +0x1000 +Task-\d+ +foreign/m);
      assert.equal(await wrapFuture(job), 1);
    });
  },
);

// ------------------------------------------------ CPython's test inputs

// CPython 3.14's Lib/test/test_asyncio/test_tools.py describes tasks as
// (id, name, [[awaiter's stack, awaiter id], ...]); the same as ours.
type PyFrame = string | [string, string, number];
type PyTask = [number, string, [PyFrame[], number][]];

function treeOf(tasks: PyTask[], thread = "1"): TaskTree {
  const hex = (n: number) => `0x${n.toString(16)}`;
  const frame = (f: PyFrame) =>
    typeof f === "string"
      ? { name: f, file: null, line: null, column: null, async: true }
      : { name: f[0], file: f[1], line: f[2], column: null, async: true };
  // A task's own stack is what it shows where it awaits another.
  const stacks = new Map<number, PyFrame[]>();
  for (const [, , awaitedBy] of tasks) {
    for (const [stack, parent] of awaitedBy) stacks.set(parent, stack);
  }
  return {
    pid: 1,
    thread,
    time: 0,
    virtualTime: false,
    recorded: false,
    tasks: tasks.map(([id, name, awaitedBy]) => ({
      id: hex(id),
      name,
      coro: name,
      state: "suspended",
      awaiting: null,
      suspendedFor: null,
      cancelling: 0,
      stack: (stacks.get(id) ?? []).map(frame),
      awaitedBy: awaitedBy.map(([, parent]) => hex(parent)),
      children: [],
    })),
    workers: [],
  };
}

const TIMER_CASE: PyTask[] = [
  [2, "Task-1", []],
  [3, "timer", [
    [[
      ["awaiter3", "/path/to/app.py", 130],
      ["awaiter2", "/path/to/app.py", 120],
      ["awaiter", "/path/to/app.py", 110],
    ], 4],
    [[
      ["awaiterB3", "/path/to/app.py", 190],
      ["awaiterB2", "/path/to/app.py", 180],
      ["awaiterB", "/path/to/app.py", 170],
    ], 5],
    [[
      ["awaiterB3", "/path/to/app.py", 190],
      ["awaiterB2", "/path/to/app.py", 180],
      ["awaiterB", "/path/to/app.py", 170],
    ], 6],
    [[
      ["awaiter3", "/path/to/app.py", 130],
      ["awaiter2", "/path/to/app.py", 120],
      ["awaiter", "/path/to/app.py", 110],
    ], 7],
  ]],
  [8, "root1", [[["_aexit", "__aexit__", "main"], 2]]],
  [9, "root2", [[["_aexit", "__aexit__", "main"], 2]]],
  [4, "child1_1", [[["_aexit", "__aexit__", "blocho_caller", "bloch"], 8]]],
  [6, "child2_1", [[["_aexit", "__aexit__", "blocho_caller", "bloch"], 8]]],
  [7, "child1_2", [[["_aexit", "__aexit__", "blocho_caller", "bloch"], 9]]],
  [5, "child2_2", [[["_aexit", "__aexit__", "blocho_caller", "bloch"], 9]]],
];

Deno.test("formatPstree draws CPython's task tree for CPython's own test input", () => {
  assert.equal(
    formatPstree(treeOf(TIMER_CASE)),
    [
      "└── (T) Task-1",
      "    └──  main",
      "        └──  __aexit__",
      "            └──  _aexit",
      "                ├── (T) root1",
      "                │   └──  bloch",
      "                │       └──  blocho_caller",
      "                │           └──  __aexit__",
      "                │               └──  _aexit",
      "                │                   ├── (T) child1_1",
      "                │                   │   └──  awaiter /path/to/app.py:110",
      "                │                   │       └──  awaiter2 /path/to/app.py:120",
      "                │                   │           └──  awaiter3 /path/to/app.py:130",
      "                │                   │               └── (T) timer",
      "                │                   └── (T) child2_1",
      "                │                       └──  awaiterB /path/to/app.py:170",
      "                │                           └──  awaiterB2 /path/to/app.py:180",
      "                │                               └──  awaiterB3 /path/to/app.py:190",
      "                │                                   └── (T) timer",
      "                └── (T) root2",
      "                    └──  bloch",
      "                        └──  blocho_caller",
      "                            └──  __aexit__",
      "                                └──  _aexit",
      "                                    ├── (T) child1_2",
      "                                    │   └──  awaiter /path/to/app.py:110",
      "                                    │       └──  awaiter2 /path/to/app.py:120",
      "                                    │           └──  awaiter3 /path/to/app.py:130",
      "                                    │               └── (T) timer",
      "                                    └── (T) child2_2",
      "                                        └──  awaiterB /path/to/app.py:170",
      "                                            └──  awaiterB2 /path/to/app.py:180",
      "                                                └──  awaiterB3 /path/to/app.py:190",
      "                                                    └── (T) timer",
    ].join("\n"),
  );
});

Deno.test("formatPstree draws one tree per root, as CPython", () => {
  const trees = [
    treeOf([
      [5, "Task-5", []],
      [6, "Task-6", [[["main2"], 5]]],
      [7, "Task-7", [[["main2"], 5]]],
      [8, "Task-8", [[["main2"], 5]]],
    ], "9"),
    treeOf([
      [1, "Task-1", []],
      [2, "Task-2", [[["main"], 1]]],
      [3, "Task-3", [[["main"], 1]]],
      [4, "Task-4", [[["main"], 1]]],
    ], "10"),
  ];
  assert.equal(
    formatPstree(trees),
    [
      "└── (T) Task-5",
      "    └──  main2",
      "        ├── (T) Task-6",
      "        ├── (T) Task-7",
      "        └── (T) Task-8",
      "└── (T) Task-1",
      "    └──  main",
      "        ├── (T) Task-2",
      "        ├── (T) Task-3",
      "        └── (T) Task-4",
    ].join("\n"),
  );
});

Deno.test("formatPstree finds every cycle of CPython's two-cycle input", () => {
  const tree = treeOf([
    [2, "Task-1", []],
    [3, "A", [[["nested", "nested", "task_b"], 4]]],
    [4, "B", [
      [["nested", "nested", "task_c"], 5],
      [["nested", "nested", "task_a"], 3],
    ]],
    [5, "C", [[["nested", "nested"], 6]]],
    [6, "Task-2", [[["nested", "nested", "task_b"], 4]]],
  ]);
  assert.throws(() => formatPstree(tree), (e: unknown) => {
    assert.ok(e instanceof CycleFoundError);
    assert.deepEqual(e.cycles, [["0x4", "0x3", "0x4"], [
      "0x4",
      "0x6",
      "0x5",
      "0x4",
    ]]);
    assert.equal(
      e.message,
      "ERROR: await-graph contains cycles - cannot print a tree!\n\n" +
        "cycle: B → A → B\ncycle: B → Task-2 → C → B",
    );
    return true;
  });
});

Deno.test("formatPs has CPython's columns and one row per task and awaiter", () => {
  const text = formatPs(treeOf(TIMER_CASE));
  const [header, ruler, ...rows] = text.split("\n");
  const columns = [
    "tid",
    "task id",
    "task name",
    "state",
    "awaits",
    "for",
    "coroutine stack",
    "awaiter chain",
    "awaiter name",
    "awaiter id",
  ];
  assert.deepEqual(header.split(/ {2,}/), columns);
  assert.match(ruler, /^-+$/);
  const starts = columns.map((c) => header.indexOf(c));
  const cells = (row: string) =>
    starts.map((at, i) => row.slice(at, starts[i + 1]).trim());
  const table = rows.map(cells).map((
    c,
  ) => [c[0], c[1], c[2], c[6], c[7], c[8], c[9]]);
  // CPython's expected rows (its 3.14 layout, with the coroutine stack).
  assert.deepEqual(table, [
    ["1", "0x2", "Task-1", "_aexit -> __aexit__ -> main", "", "", "0x0"],
    [
      "1",
      "0x3",
      "timer",
      "",
      "awaiter3 -> awaiter2 -> awaiter",
      "child1_1",
      "0x4",
    ],
    [
      "1",
      "0x3",
      "timer",
      "",
      "awaiterB3 -> awaiterB2 -> awaiterB",
      "child2_2",
      "0x5",
    ],
    [
      "1",
      "0x3",
      "timer",
      "",
      "awaiterB3 -> awaiterB2 -> awaiterB",
      "child2_1",
      "0x6",
    ],
    [
      "1",
      "0x3",
      "timer",
      "",
      "awaiter3 -> awaiter2 -> awaiter",
      "child1_2",
      "0x7",
    ],
    [
      "1",
      "0x8",
      "root1",
      "_aexit -> __aexit__ -> blocho_caller -> bloch",
      "_aexit -> __aexit__ -> main",
      "Task-1",
      "0x2",
    ],
    [
      "1",
      "0x9",
      "root2",
      "_aexit -> __aexit__ -> blocho_caller -> bloch",
      "_aexit -> __aexit__ -> main",
      "Task-1",
      "0x2",
    ],
    [
      "1",
      "0x4",
      "child1_1",
      "awaiter3 -> awaiter2 -> awaiter",
      "_aexit -> __aexit__ -> blocho_caller -> bloch",
      "root1",
      "0x8",
    ],
    [
      "1",
      "0x6",
      "child2_1",
      "awaiterB3 -> awaiterB2 -> awaiterB",
      "_aexit -> __aexit__ -> blocho_caller -> bloch",
      "root1",
      "0x8",
    ],
    [
      "1",
      "0x7",
      "child1_2",
      "awaiter3 -> awaiter2 -> awaiter",
      "_aexit -> __aexit__ -> blocho_caller -> bloch",
      "root2",
      "0x9",
    ],
    [
      "1",
      "0x5",
      "child2_2",
      "awaiterB3 -> awaiterB2 -> awaiterB",
      "_aexit -> __aexit__ -> blocho_caller -> bloch",
      "root2",
      "0x9",
    ],
  ]);
});
