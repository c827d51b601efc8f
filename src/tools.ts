/**
 * The task tree: what every task of a loop is doing now, as plain data
 * (`taskTree`), and as the table and the tree of Python 3.14's
 * `python -m asyncio ps` / `pstree` (`formatPs`, `formatPstree`).
 *
 * Everything is read when asked, from what the loop keeps anyway: its
 * pending tasks, the future each is suspended on, what awaits each task
 * (the call graph's "awaited by"), and what a waiter line, a sleep or a
 * stream read stands for (`_labels.ts`). How long a task has been
 * suspended is known only while suspensions are recorded (debug mode, or
 * a loop being inspected, see `_inspect.ts`).
 *
 * @module
 */
import { waitLabelOf } from "./_labels.ts";
import { coroName } from "./_repr.ts";
import {
  type AbstractEventLoop,
  getRunningLoop,
  internal,
  kReadyItems,
  kTasks,
  type LoopInternal,
  runningLoopOrNull,
} from "./events.ts";
import { type Future, kAwaitedBy } from "./futures.ts";
import { type CallFrame, idOf, stackOf } from "./graph.ts";
import {
  GatheringFuture,
  kAwaiting,
  kStarted,
  kSuspension,
  recordingSuspensions,
  Task,
  taskOf,
  yieldingTaskOf,
} from "./tasks.ts";
import { describeSpec, type FunctionSpec } from "./workers/functions.ts";
import { kTaskTree, workerLoops } from "./workers/worker_loop.ts";

/**
 * Where a task is: `running` (it is the task calling `taskTree`),
 * `scheduled` (created, its first step not run yet), `ready` (woken, or
 * in `sleep(0)`: it runs in this or the next loop iteration), `suspended`
 * (awaiting a future of this library), or `foreign` (awaiting a promise
 * that is not one: `fetch`, a Deno API; the loop cannot see what it is).
 *
 * @example
 * ```ts
 * import { type TaskState, taskTree, run } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const state: TaskState = taskTree().tasks[0].state;
 *   console.log(state); // running
 * });
 * ```
 */
export type TaskState =
  | "running"
  | "scheduled"
  | "ready"
  | "suspended"
  | "foreign";

/**
 * What kind of thing a task waits on ({@link WaitTarget.kind}).
 *
 * @example
 * ```ts
 * import type { WaitKind } from "@aio/asyncio";
 *
 * const kind: WaitKind = "queue";
 * console.log(kind);
 * ```
 */
export type WaitKind =
  | "task"
  | "gather"
  | "taskgroup"
  | "timer"
  | "yield"
  | "lock"
  | "event"
  | "condition"
  | "semaphore"
  | "barrier"
  | "queue"
  | "stream"
  | "server"
  | "process"
  | "executor"
  | "promise"
  | "future";

/**
 * What a task waits on, as precisely as the loop knows it.
 *
 * @example A task waiting for a queue
 * ```ts
 * import { createTask, Queue, run, sleep, taskTree } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const queue = new Queue<number>();
 *   const consumer = createTask(() => queue.get(), { name: "consumer" });
 *   await sleep(0);
 *   const info = taskTree().tasks.find((t) => t.name === "consumer")!;
 *   console.log(info.awaiting?.kind, info.awaiting?.operation); // queue Queue.get
 *   queue.putNowait(1);
 *   await consumer;
 * });
 * ```
 */
export interface WaitTarget {
  /** What kind of thing it is. */
  readonly kind: WaitKind;
  /**
   * The operation: `"Queue.get"`, `"Lock.acquire"`, `"sleep"`,
   * `"StreamReader.readuntil"`, `"executor job"`, `"await"` (a task or a
   * future), `"gather"`, ...
   */
  readonly operation: string;
  /**
   * The object waited on, as its repr (`<Lock [locked, waiters:1]>`, a
   * stream reader, a job's function), or null.
   */
  readonly object: string | null;
  /** More about it (a stream's peer, a job's state), or null. */
  readonly detail: string | null;
  /** A timer's seconds left on the loop's clock, or null. */
  readonly remaining: number | null;
  /** The ids of the tasks it waits for (a task, a gather, a task group). */
  readonly tasks: readonly string[];
}

/**
 * One pending task of a {@link TaskTree}.
 *
 * @example
 * ```ts
 * import { createTask, run, sleep, type TaskInfo, taskTree } from "@aio/asyncio";
 *
 * await run(async () => {
 *   createTask(() => sleep(1), { name: "sleeper" });
 *   await sleep(0);
 *   const info: TaskInfo = taskTree().tasks.find((t) => t.name === "sleeper")!;
 *   console.log(info.state, info.awaiting?.kind); // suspended timer
 * }, { virtualTime: true });
 * ```
 */
export interface TaskInfo {
  /** Its id, as the call graph shows it (`0x1003`), stable for its life. */
  readonly id: string;
  /** Its name (`Task-3` unless one was given). */
  readonly name: string;
  /** The name of its coroutine function. */
  readonly coro: string;
  /** Where it is: running, scheduled, ready, suspended, foreign. */
  readonly state: TaskState;
  /** What it waits on (null while running or not started). */
  readonly awaiting: WaitTarget | null;
  /**
   * How long it has been suspended, in seconds of the loop's clock; null
   * when unknown (suspensions are recorded in debug mode and while the
   * loop is inspected), or when it is not suspended.
   */
  readonly suspendedFor: number | null;
  /** How many cancellation requests are pending (`task.cancelling()`). */
  readonly cancelling: number;
  /**
   * Its call stack, innermost frame first: where it suspended (recorded
   * in debug mode and while the loop is inspected), else its coroutine
   * function alone; the live stack for the task calling `taskTree`.
   */
  readonly stack: readonly CallFrame[];
  /** The ids of the tasks that await it (gather, TaskGroup, `await task`). */
  readonly awaitedBy: readonly string[];
  /** The ids of the tasks it awaits (the inverse of `awaitedBy`). */
  readonly children: readonly string[];
}

/**
 * A snapshot of one event loop's pending tasks: plain data, JSON as it
 * is (what `deno task ps` receives from another process). `workers` holds
 * the trees of the {@link WorkerLoop}s started from this thread, filled
 * by {@link taskTreeWithWorkers}.
 *
 * @example
 * ```ts
 * import { run, type TaskTree, taskTree } from "@aio/asyncio";
 *
 * await run(async function main() {
 *   const tree: TaskTree = taskTree();
 *   console.log(tree.tasks.map((t) => t.coro)); // [ "main" ]
 *   console.log(JSON.parse(JSON.stringify(tree)).tasks.length); // 1
 * });
 * ```
 */
export interface TaskTree {
  /** The process id. */
  readonly pid: number;
  /** The thread: `main`, or the Worker's name. */
  readonly thread: string;
  /** The loop's time when it was taken (seconds). */
  readonly time: number;
  /** Whether the loop runs on a virtual clock. */
  readonly virtualTime: boolean;
  /**
   * Whether suspensions are recorded (debug mode, or the loop is
   * inspected): only then are `suspendedFor` and the stacks known.
   */
  readonly recorded: boolean;
  /** Its pending tasks, oldest id first. */
  readonly tasks: readonly TaskInfo[];
  /** The trees of the Worker loops started from this thread. */
  readonly workers: readonly TaskTree[];
  /** Why the tree is empty: the loop (a Worker's) did not answer. */
  readonly error?: string;
}

/**
 * The tasks of `loop` (default: the running loop), what each is doing and
 * who awaits whom, now. Plain data: print it with {@link formatPs} or
 * {@link formatPstree}, or send it as JSON.
 *
 * @example Who waits for what
 * ```ts
 * import { createTask, Event, run, sleep, taskTree } from "@aio/asyncio";
 *
 * await run(async function main() {
 *   const ready = new Event();
 *   const waiter = createTask(() => ready.wait(), { name: "waiter" });
 *   await sleep(0);
 *   for (const task of taskTree().tasks) {
 *     console.log(task.name, task.state, task.awaiting?.operation ?? "-");
 *   }
 *   // Task-… running -
 *   // waiter suspended Event.wait
 *   ready.set();
 *   await waiter;
 * });
 * ```
 */
export function taskTree(loop?: AbstractEventLoop): TaskTree {
  return snapshot(internal(loop ?? getRunningLoop()), threadName());
}

/**
 * {@link taskTree} with the trees of the {@link WorkerLoop}s started from
 * this thread in `workers` (each asked through its channel; one that
 * does not answer within `options.timeout` seconds, default 2, appears
 * with an `error`).
 *
 * @example
 * ```ts
 * import { run, taskTreeWithWorkers, WorkerLoop } from "@aio/asyncio";
 *
 * await run(async () => {
 *   await using worker = await WorkerLoop.start({ name: "io" });
 *   const tree = await taskTreeWithWorkers();
 *   console.log(tree.workers.map((w) => w.thread)); // [ "io" ]
 * });
 * ```
 */
export async function taskTreeWithWorkers(
  loop?: AbstractEventLoop,
  options: { timeout?: number } = {},
): Promise<TaskTree> {
  const l = internal(loop ?? getRunningLoop());
  const tree = snapshot(l, threadName());
  return { ...tree, workers: await workerTrees(l, options.timeout ?? 2) };
}

/**
 * @ignore For the inspector and a WorkerLoop's Worker: the tree of
 * `loop` taken between two of its steps (from a callback on it, so no
 * task is halfway through one), with its Workers' trees.
 */
export async function answerTaskTree(
  loop: AbstractEventLoop,
  timeout: number,
  thread: string = threadName(),
): Promise<TaskTree> {
  const l = internal(loop);
  const tree = await betweenSteps(l, timeout, thread);
  return { ...tree, workers: await workerTrees(l, timeout * 0.8) };
}

function betweenSteps(
  loop: LoopInternal,
  timeout: number,
  thread: string,
): Promise<TaskTree> {
  if (loop.isClosed() || !loop.isRunning()) {
    return Promise.resolve(snapshot(loop, thread));
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve(
        loop.isRunning()
          ? emptyTree(thread, "the event loop did not answer (is it blocked?)")
          : snapshot(loop, thread),
      );
    }, timeout * 1000);
    Deno.unrefTimer(timer);
    loop.callSoonThreadsafe(() => {
      clearTimeout(timer);
      resolve(snapshot(loop, thread));
    });
  });
}

async function workerTrees(
  loop: AbstractEventLoop,
  timeout: number,
): Promise<TaskTree[]> {
  const asked = workerLoops()
    .filter(([, home]) => home === null || home === loop)
    .map(([worker]) => worker[kTaskTree](timeout));
  return (await Promise.all(asked)).map(([name, tree]) =>
    tree === null
      ? emptyTree(name, `the WorkerLoop did not answer within ${timeout} s`)
      : { ...(tree as TaskTree), thread: name }
  );
}

function emptyTree(thread: string, error: string): TaskTree {
  return {
    pid: Deno.pid,
    thread,
    time: 0,
    virtualTime: false,
    recorded: false,
    tasks: [],
    workers: [],
    error,
  };
}

function threadName(): string {
  const scope = globalThis as { WorkerGlobalScope?: unknown; name?: string };
  return scope.WorkerGlobalScope === undefined
    ? "main"
    : scope.name || "worker";
}

interface MutableInfo {
  id: string;
  name: string;
  coro: string;
  state: TaskState;
  awaiting: WaitTarget | null;
  suspendedFor: number | null;
  cancelling: number;
  stack: CallFrame[];
  awaitedBy: string[];
  children: string[];
}

function snapshot(loop: LoopInternal, thread: string): TaskTree {
  const now = loop.time();
  const tasks = loop[kTasks].slice();
  // Ids are given on first sight, in the loop's order; shown oldest first.
  for (const task of tasks) idOf(task);
  tasks.sort((a, b) => Number(idOf(a)) - Number(idOf(b)));
  const pending = new Set<Future<unknown>>(tasks);
  const current = runningLoopOrNull() === loop ? taskOf(loop) : null;
  const yielding = new Set<Task<unknown>>();
  if (typeof loop[kReadyItems] === "function") {
    for (const item of loop[kReadyItems]()) {
      const task = yieldingTaskOf(item);
      if (task !== null) yielding.add(task);
    }
  }
  const infos = new Map<string, MutableInfo>();
  for (const task of tasks) {
    const state = stateOf(task, current, yielding);
    const suspension = state === "running" ? null : task[kSuspension];
    infos.set(idOf(task), {
      id: idOf(task),
      name: task.getName(),
      coro: coroName(task.getCoro()),
      state,
      awaiting: null,
      suspendedFor: suspension === null
        ? null
        : Math.max(0, now - suspension.at),
      cancelling: task.cancelling(),
      stack: stackOf(task),
      awaitedBy: awaitingTasks(task, pending).map(idOf),
      children: [],
    });
  }
  for (const info of infos.values()) {
    for (const parent of info.awaitedBy) {
      infos.get(parent)?.children.push(info.id);
    }
  }
  for (const task of tasks) {
    const info = infos.get(idOf(task))!;
    info.awaiting = waitTarget(task, info, yielding.has(task), now);
  }
  return {
    pid: Deno.pid,
    thread,
    time: now,
    virtualTime: loop.clock?.virtual ?? false,
    recorded: recordingSuspensions(loop),
    tasks: [...infos.values()],
    workers: [],
  };
}

function stateOf(
  task: Task<unknown>,
  current: Task<unknown> | null,
  yielding: Set<Task<unknown>>,
): TaskState {
  if (task === current) return "running";
  if (!task[kStarted]) return "scheduled";
  const awaiting = task[kAwaiting];
  if (awaiting !== null) return awaiting.done() ? "ready" : "suspended";
  return yielding.has(task) ? "ready" : "foreign";
}

// The pending tasks that await `future`, through the futures that await
// it (a future awaited through futureAddToAwaitedBy, say).
function awaitingTasks(
  future: Future<unknown>,
  pending: Set<Future<unknown>>,
): Task<unknown>[] {
  const found: Task<unknown>[] = [];
  const seen = new Set<Future<unknown>>([future]);
  const visit = (fut: Future<unknown>) => {
    for (const by of fut[kAwaitedBy]()) {
      if (seen.has(by)) continue;
      seen.add(by);
      if (by instanceof Task) {
        if (pending.has(by)) found.push(by);
      } else visit(by);
    }
  };
  visit(future);
  return found;
}

const KINDS: Record<string, WaitKind> = {
  Lock: "lock",
  Event: "event",
  Condition: "condition",
  Semaphore: "semaphore",
  Barrier: "barrier",
  Queue: "queue",
  StreamReader: "stream",
  StreamWriter: "stream",
  Server: "server",
  Process: "process",
  TaskGroup: "taskgroup",
  sleep: "timer",
  "executor job": "executor",
  wrapFuture: "promise",
};

function waitTarget(
  task: Task<unknown>,
  info: MutableInfo,
  yielding: boolean,
  now: number,
): WaitTarget | null {
  if (info.state === "running" || info.state === "scheduled") return null;
  const target = (
    kind: WaitKind,
    operation: string,
    more: Partial<WaitTarget> = {},
  ): WaitTarget => ({
    kind,
    operation,
    object: null,
    detail: null,
    remaining: null,
    tasks: [],
    ...more,
  });
  const fut = task[kAwaiting];
  if (fut === null) {
    return yielding
      ? target("yield", "sleep(0)")
      : target("promise", "a foreign promise");
  }
  if (fut instanceof Task) {
    return target("task", "await", { tasks: [idOf(fut)] });
  }
  if (fut instanceof GatheringFuture) {
    return target("gather", "gather", { tasks: info.children });
  }
  const label = waitLabelOf(fut);
  if (label === null) {
    return target("future", "await", { object: shortRepr(fut) });
  }
  const kind = KINDS[label.operation] ?? KINDS[label.operation.split(".")[0]] ??
    "future";
  const more: { -readonly [K in keyof WaitTarget]?: WaitTarget[K] } = {
    detail: label.detail ?? null,
  };
  if (label.deadline !== undefined && label.deadline !== null) {
    more.remaining = Math.max(0, label.deadline - now);
  }
  if (kind === "taskgroup") more.tasks = info.children;
  else if (kind === "executor") {
    const job = label.object as {
      spec?: FunctionSpec;
      running?: () => boolean;
      channel?: unknown;
    };
    more.object = job.spec !== undefined
      ? describeSpec(job.spec)
      : shortRepr(job);
    more.detail = job.running?.() ? "running" : "queued";
    if (job.channel !== undefined) {
      // A WorkerLoop's runCoroutineThreadsafe, wrapped.
      return target("executor", "runCoroutineThreadsafe", more);
    }
  } else if (label.object !== undefined && label.object !== null) {
    more.object = shortRepr(label.object);
  }
  return target(kind, label.operation, more);
}

// A repr, cut to a line (a queue's repr lists its items).
function shortRepr(value: unknown): string {
  let text: string;
  try {
    text = String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

// ------------------------------------------------------------ printing

/**
 * What a task waits on, in words: `Lock.acquire <Lock [locked,
 * waiters:1]>`, `sleep, 1.5s left`, `task worker (0x1003)`.
 */
function awaitsText(task: TaskInfo, nameOf: (id: string) => string): string {
  if (task.state === "running") return "(running)";
  if (task.state === "scheduled") return "(not started)";
  const w = task.awaiting;
  if (w === null) return "-";
  switch (w.kind) {
    case "task":
      return `task ${nameOf(w.tasks[0])} (${w.tasks[0]})`;
    case "gather":
    case "taskgroup":
      return `${w.operation} of ${plural(w.tasks.length, "task")}`;
    case "timer":
      return w.remaining === null
        ? w.operation
        : `${w.operation}, ${seconds(w.remaining)} left`;
  }
  const parts = [w.operation];
  if (w.object !== null) parts.push(w.object);
  if (w.detail !== null) parts.push(`(${w.detail})`);
  return parts.join(" ");
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

function seconds(s: number): string {
  return `${Number(s.toFixed(s < 1 ? 3 : s < 100 ? 2 : 0))}s`;
}

// One task of the whole picture: threads (a process's loops and their
// Workers' loops) flattened, each task keyed by its thread's position so
// that ids given in different Workers never collide.
interface Flat {
  key: string;
  thread: string;
  task: TaskInfo;
  tree: TaskTree;
}

function flatten(
  trees: TaskTree | readonly TaskTree[],
): { tasks: Flat[]; threads: { tree: TaskTree; path: string }[] } {
  const tasks: Flat[] = [];
  const threads: { tree: TaskTree; path: string }[] = [];
  const visit = (tree: TaskTree, path: string) => {
    threads.push({ tree, path });
    for (const task of tree.tasks) {
      tasks.push({
        key: `${path}:${task.id}`,
        thread: tree.thread,
        task,
        tree,
      });
    }
    tree.workers.forEach((w, i) => visit(w, `${path}.${i}`));
  };
  (isTreeList(trees) ? trees : [trees]).forEach((t, i) => visit(t, `${i}`));
  return { tasks, threads };
}

function isTreeList(
  trees: TaskTree | readonly TaskTree[],
): trees is readonly TaskTree[] {
  return Array.isArray(trees);
}

// Python's `_format_stack_entry`: "name file:line", or the name alone.
function frameLabel(frame: CallFrame): string {
  return frame.file === null
    ? frame.name
    : `${frame.name} ${frame.file}:${frame.line}`;
}

// CPython's widths for its columns; ours (state, awaits, for) between.
const PS_COLUMNS: [string, number][] = [
  ["tid", 10],
  ["task id", 20],
  ["task name", 20],
  ["state", 10],
  ["awaits", 50],
  ["for", 8],
  ["coroutine stack", 50],
  ["awaiter chain", 50],
  ["awaiter name", 15],
  ["awaiter id", 15],
];

/**
 * The task table of `python -m asyncio ps`, adapted: one row per task and
 * task awaiting it (tid, task id, task name, coroutine stack, awaiter
 * chain, awaiter name, awaiter id, as CPython 3.14), with three columns
 * of ours after the name: the task's state, what it awaits and for how
 * long. Takes one tree or several (all of a process's loops).
 *
 * @example
 * ```ts
 * import { createTask, formatPs, Lock, run, sleep, taskTree } from "@aio/asyncio";
 *
 * await run(async function main() {
 *   const lock = new Lock();
 *   await lock.acquire();
 *   const stuck = createTask(() => lock.acquire(), { name: "stuck" });
 *   await sleep(0);
 *   console.log(formatPs(taskTree()));
 *   // tid   task id  task name  state      awaits                                   ...
 *   // ------------------------------------------------------------------------------...
 *   // main  0x…      Task-…     running    (running)                                ...
 *   // main  0x…      stuck      suspended  Lock.acquire <Lock [locked, waiters:1]>  ...
 *   lock.release();
 *   await stuck;
 * });
 * ```
 */
export function formatPs(trees: TaskTree | readonly TaskTree[]): string {
  const { tasks, threads } = flatten(trees);
  const byKey = new Map(tasks.map((t) => [t.key, t]));
  const pathOf = (flat: Flat) => flat.key.slice(0, flat.key.lastIndexOf(":"));
  const names = (flat: Flat) => (id: string) =>
    byKey.get(`${pathOf(flat)}:${id}`)?.task.name ?? "Unknown";
  const stackText = (stack: readonly CallFrame[]) =>
    stack.map((f) => f.name).join(" -> ");
  const rows: string[][] = [];
  for (const flat of tasks) {
    const t = flat.task;
    const head = [
      flat.thread,
      t.id,
      t.name,
      t.state,
      awaitsText(t, names(flat)),
      t.suspendedFor === null ? "-" : seconds(t.suspendedFor),
      stackText(t.stack),
    ];
    if (t.awaitedBy.length === 0) {
      rows.push([...head, "", "", "0x0"]);
      continue;
    }
    for (const parentId of t.awaitedBy) {
      const parent = byKey.get(`${pathOf(flat)}:${parentId}`);
      rows.push([
        ...head,
        parent === undefined ? "" : stackText(parent.task.stack),
        parent?.task.name ?? "Unknown",
        parentId,
      ]);
    }
  }
  for (const { tree } of threads) {
    if (tree.error !== undefined) {
      rows.push([tree.thread, "-", "-", "?", tree.error, "-", "", "", "", ""]);
    }
  }
  const line = (cells: string[]) =>
    cells.map((c, i) => c.padEnd(PS_COLUMNS[i][1])).join(" ").trimEnd();
  const header = line(PS_COLUMNS.map(([name]) => name));
  const width = PS_COLUMNS.reduce((n, [, w]) => n + w + 1, -1);
  return [header, "-".repeat(width), ...rows.map(line)].join("\n");
}

/**
 * The await graph has a cycle (tasks awaiting each other: a deadlock), so
 * it cannot be drawn as a tree: what {@link formatPstree} throws, with
 * CPython's message. `cycles` lists each cycle's task ids, the first
 * repeated at the end.
 *
 * @example
 * ```ts
 * import { CycleFoundError, formatPstree, type TaskTree } from "@aio/asyncio";
 *
 * const task = (id: string, name: string, awaitedBy: string[]) => ({
 *   id, name, coro: name, state: "suspended" as const, awaiting: null,
 *   suspendedFor: null, cancelling: 0, stack: [], awaitedBy, children: [],
 * });
 * const tree: TaskTree = {
 *   pid: 1, thread: "main", time: 0, virtualTime: false, recorded: false,
 *   tasks: [task("0x1", "a", ["0x2"]), task("0x2", "b", ["0x1"])],
 *   workers: [],
 * };
 * try {
 *   formatPstree(tree);
 * } catch (e) {
 *   console.log(e instanceof CycleFoundError && e.message);
 *   // ERROR: await-graph contains cycles - cannot print a tree!
 *   //
 *   // cycle: b → a → b
 * }
 * ```
 */
export class CycleFoundError extends Error {
  /** The cycles, as lists of task ids (the first one again at the end). */
  readonly cycles: readonly (readonly string[])[];

  /** Made by {@link formatPstree}; `names` gives each id's task name. */
  constructor(
    cycles: readonly (readonly string[])[],
    names: ReadonlyMap<string, string>,
  ) {
    super(
      [
        "ERROR: await-graph contains cycles - cannot print a tree!",
        "",
        ...cycles.map((c) =>
          `cycle: ${c.map((id) => names.get(id) ?? id).join(" → ")}`
        ),
      ].join("\n"),
    );
    this.name = "CycleFoundError";
    this.cycles = cycles;
  }
}

/**
 * The task tree of `python -m asyncio pstree`: each task that nothing
 * awaits is a root; under a task, the frames of its stack (outermost
 * first) lead to the tasks it awaits; a task that awaits no task shows
 * its own stack, and under it (our addition, marked `(W)`) what it waits
 * on and for how long. Worker loops follow, each under a `(thread)`
 * node. Throws {@link CycleFoundError} when tasks await each other, as
 * CPython refuses to draw that.
 *
 * @example
 * ```ts
 * import { createTask, formatPstree, gather, run, sleep, taskTree } from "@aio/asyncio";
 *
 * await run(async function main() {
 *   const work = createTask(async function parent() {
 *     await gather(() => sleep(1), () => sleep(2));
 *   }, { name: "parent" });
 *   await sleep(0.5);
 *   console.log(formatPstree(taskTree()));
 *   // └── (T) Task-…
 *   //     └──  main …
 *   //         └── (W) (running)
 *   // └── (T) parent
 *   //     └──  parent
 *   //         ├── (T) Task-…
 *   //         │   └──  sleep
 *   //         │       └── (W) sleep, 0.5s left
 *   //         └── (T) Task-…
 *   //             └──  sleep
 *   //                 └── (W) sleep, 1.5s left
 *   work.cancel();
 *   await work.then(undefined, () => {});
 * }, { virtualTime: true });
 * ```
 */
export function formatPstree(trees: TaskTree | readonly TaskTree[]): string {
  const { tasks, threads } = flatten(trees);
  const byKey = new Map(tasks.map((t) => [t.key, t]));
  const names = new Map(tasks.map((t) => [t.key, t.task.name]));
  const pathOf = (key: string) => key.slice(0, key.lastIndexOf(":"));
  // Python's `awaits`: (parent, the parent's stack, child), in task order.
  const awaits: [string, string[], string][] = [];
  for (const flat of tasks) {
    for (const parentId of flat.task.awaitedBy) {
      const parent = byKey.get(`${pathOf(flat.key)}:${parentId}`);
      if (parent === undefined) continue;
      awaits.push([parent.key, parent.task.stack.map(frameLabel), flat.key]);
    }
  }
  const cycles = findCycles(awaits);
  if (cycles.length > 0) {
    const idOfKey = (key: string) => key.slice(key.lastIndexOf(":") + 1);
    throw new CycleFoundError(
      cycles.map((c) => c.map(idOfKey)),
      new Map([...names].map(([key, name]) => [idOfKey(key), name])),
    );
  }
  // Python's `_build_tree`: task nodes, and frame nodes shared per parent.
  const labels = new Map<string, string>();
  const children = new Map<string, string[]>();
  const frameNodes = new Map<string, Map<string, string>>();
  let nextNode = 0;
  const childrenOf = (node: string) => {
    let list = children.get(node);
    if (list === undefined) children.set(node, list = []);
    return list;
  };
  const frameNode = (parent: string, label: string) => {
    let known = frameNodes.get(parent);
    if (known === undefined) frameNodes.set(parent, known = new Map());
    const found = known.get(label);
    if (found !== undefined) return found;
    const node = `c${++nextNode}`;
    labels.set(node, ` ${label}`);
    childrenOf(parent).push(node);
    known.set(label, node);
    return node;
  };
  const taskNode = (key: string) => `T${key}`;
  for (const flat of tasks) {
    labels.set(taskNode(flat.key), `(T) ${flat.task.name}`);
  }
  for (const [parent, stack, child] of awaits) {
    let node = taskNode(parent);
    for (const label of [...stack].reverse()) node = frameNode(node, label);
    const list = childrenOf(node);
    if (!list.includes(taskNode(child))) list.push(taskNode(child));
  }
  const awaiting = new Set(awaits.map(([parent]) => parent));
  for (const flat of tasks) {
    if (awaiting.has(flat.key)) continue;
    let node = taskNode(flat.key);
    for (const frame of [...flat.task.stack].reverse()) {
      node = frameNode(node, frameLabel(frame));
    }
    // Ours: what the task waits on, and for how long.
    const awaits = awaitsText(
      flat.task,
      (id) => names.get(`${pathOf(flat.key)}:${id}`) ?? "Unknown",
    );
    if (awaits === "-") continue;
    const since = flat.task.suspendedFor;
    const waitNode = `w${++nextNode}`;
    labels.set(
      waitNode,
      `(W) ${awaits}${
        since === null ? "" : `, suspended for ${seconds(since)}`
      }`,
    );
    childrenOf(node).push(waitNode);
  }
  const isChild = new Set([...children.values()].flat());
  const render = (
    node: string,
    prefix: string,
    last: boolean,
    out: string[],
  ) => {
    out.push(`${prefix}${last ? "└── " : "├── "}${labels.get(node)}`);
    const next = prefix + (last ? "    " : "│   ");
    const kids = children.get(node) ?? [];
    kids.forEach((kid, i) => render(kid, next, i === kids.length - 1, out));
  };
  const out: string[] = [];
  const rootsOf = (path: string) =>
    tasks.filter((t) => pathOf(t.key) === path)
      .map((t) => taskNode(t.key))
      .filter((node) => !isChild.has(node));
  for (const { tree, path } of threads) {
    const roots = rootsOf(path);
    if (!path.includes(".")) {
      // A loop of the process itself: its roots, as CPython prints them.
      for (const root of roots) render(root, "", true, out);
      continue;
    }
    // A Worker's loop: its roots under a node of its own.
    const thread = `t${++nextNode}`;
    labels.set(
      thread,
      `(thread) ${tree.thread}${tree.error ? ` (${tree.error})` : ""}`,
    );
    children.set(thread, roots);
    render(thread, "", true, out);
  }
  return out.join("\n");
}

// Python's `_find_cycles`: depth-first search for back edges in the graph
// of parent task -> awaited task; each cycle ends with its first task.
function findCycles(awaits: [string, string[], string][]): string[][] {
  const graph = new Map<string, Set<string>>();
  for (const [parent, , child] of awaits) {
    let set = graph.get(parent);
    if (set === undefined) graph.set(parent, set = new Set());
    set.add(child);
  }
  const WHITE = 0, GREY = 1, BLACK = 2;
  const color = new Map<string, number>();
  const path: string[] = [];
  const cycles: string[][] = [];
  const dfs = (v: string) => {
    color.set(v, GREY);
    path.push(v);
    for (const w of graph.get(v) ?? []) {
      const c = color.get(w) ?? WHITE;
      if (c === WHITE) dfs(w);
      else if (c === GREY) cycles.push([...path.slice(path.indexOf(w)), w]);
    }
    color.set(v, BLACK);
    path.pop();
  };
  for (const v of [...graph.keys()]) {
    if ((color.get(v) ?? WHITE) === WHITE) dfs(v);
  }
  return cycles;
}
