/**
 * Call graphs: who awaits whom, Python 3.14's `asyncio.graph`
 * (`captureCallGraph`, `formatCallGraph`, `printCallGraph`).
 *
 * "Awaited by" is exact: a task suspended on a future, `gather`, `shield`,
 * `wait`, `asCompleted` and task groups are seen by the futures they wait
 * for, and `futureAddToAwaitedBy` adds the rest. Call stacks come from
 * V8's async stack traces: for the current task always, for a suspended
 * task when the loop is in debug mode (it records where each task last
 * suspended); otherwise a task's stack is its coroutine function's name.
 *
 * @module
 */
import { pyRepr } from "./_repr.ts";
import { coroName } from "./_repr.ts";
import { typeError } from "./_validate.ts";
import { getRunningLoop, runningLoopOrNull } from "./events.ts";
import { Future, kAwaitedBy } from "./futures.ts";
import { kSuspension, Task, taskOf } from "./tasks.ts";

/**
 * A frame of a call stack: the function, and where it is (when known).
 *
 * @example
 * ```ts
 * import type { CallFrame } from "@aio/asyncio";
 *
 * const frame: CallFrame = {
 *   name: "main",
 *   file: "/app/main.ts",
 *   line: 3,
 *   column: 9,
 *   async: true,
 * };
 * console.log(frame.name);
 * ```
 */
export interface CallFrame {
  /** The function's name (`<anonymous>` if it has none). */
  readonly name: string;
  /** The file (a path, or a URL when not local), or null if unknown. */
  readonly file: string | null;
  /** The line in that file (1-based), or null. */
  readonly line: number | null;
  /** The column (1-based), or null. */
  readonly column: number | null;
  /** Whether it is an async function suspended at an `await`. */
  readonly async: boolean;
}

/**
 * One entry of a call stack, Python's `FrameCallGraphEntry`.
 *
 * @example
 * ```ts
 * import { captureCallGraph, run } from "@aio/asyncio";
 *
 * await run(async function main() {
 *   const entry = captureCallGraph()!.callStack[0];
 *   console.log(entry.frame.name); // main
 * });
 * ```
 */
export class FrameCallGraphEntry {
  /** Made by {@link captureCallGraph}. */
  constructor(readonly frame: CallFrame) {}
}

/**
 * A future (or task), its call stack (innermost frame first) and the
 * graphs of what awaits it, Python's `FutureCallGraph`.
 *
 * @example
 * ```ts
 * import { captureCallGraph, createTask, run, sleep } from "@aio/asyncio";
 *
 * await run(async function main() {
 *   const child = createTask(() => sleep(0.01));
 *   await sleep(0);
 *   const waiting = createTask(async function waiter() { await child; });
 *   await sleep(0);
 *   const graph = captureCallGraph(child)!;
 *   console.log(graph.awaitedBy[0].future === waiting); // true
 *   await waiting;
 * });
 * ```
 */
export class FutureCallGraph {
  /** Made by {@link captureCallGraph}. */
  constructor(
    readonly future: Future<unknown>,
    readonly callStack: readonly FrameCallGraphEntry[],
    readonly awaitedBy: readonly FutureCallGraph[],
  ) {}
}

/**
 * Options of {@link captureCallGraph} and {@link formatCallGraph}.
 *
 * @example Only the outermost frame of each stack
 * ```ts
 * import { type CallGraphOptions, formatCallGraph, run } from "@aio/asyncio";
 *
 * const options: CallGraphOptions = { limit: 1 };
 * await run(async () => console.log(formatCallGraph(undefined, options)));
 * ```
 */
export interface CallGraphOptions {
  /**
   * For the current task: how many frames to skip from the top (1, the
   * default, starts at the caller of `captureCallGraph`).
   */
  depth?: number;
  /**
   * At most `|limit|` frames per stack: a positive limit keeps the
   * outermost ones, a negative one the innermost; 0 captures no stack
   * (only "awaited by"). Default: all.
   */
  limit?: number | null;
}

// Where this library's modules are: their frames are the machinery, not
// the program, and are left out of stacks (as are the runtime's own).
const LIBRARY = new URL("./", import.meta.url).href;

function isMachinery(location: string): boolean {
  return location.startsWith(LIBRARY) || location.startsWith("ext:") ||
    location.startsWith("node:");
}

/**
 * The call graph of `future` (default: the current task): its call stack
 * and, recursively, what awaits it. Null when no future is given and no
 * task is running. Python 3.14's `asyncio.capture_call_graph`.
 *
 * @example What awaits a task
 * ```ts
 * import { captureCallGraph, createTask, gather, run, sleep, Task } from "@aio/asyncio";
 *
 * await run(async function main() {
 *   const worker = createTask(async function work() { await sleep(0.01); });
 *   const all = gather(worker);
 *   await sleep(0);
 *   const graph = captureCallGraph(worker)!;
 *   for (const { future } of graph.awaitedBy) {
 *     if (future instanceof Task) console.log(future.getName()); // main's task
 *   }
 *   await all;
 * });
 * ```
 */
export function captureCallGraph(
  future?: Future<unknown> | null,
  options: CallGraphOptions = {},
): FutureCallGraph | null {
  const { depth = 1, limit = null } = options;
  if (limit !== null && !Number.isInteger(limit)) {
    throw typeError("captureCallGraph()", "limit", "an integer or null", limit);
  }
  const loop = runningLoopOrNull();
  if (future !== undefined && future !== null) {
    if (!(future instanceof Future)) {
      throw new TypeError(
        `${
          pyRepr(future)
        } object does not appear to be compatible with asyncio.Future`,
      );
    }
    if (loop === null || future !== taskOf(loop)) {
      return buildGraph(future, limit, new Set());
    }
  } else {
    if (loop === null) {
      throw new Error(
        "captureCallGraph() is called outside of a running event loop and " +
          "no future to introspect was provided",
      );
    }
    const current = taskOf(getRunningLoop());
    if (current === null) return null;
    future = current;
  }
  // The current task: its live stack, from the caller down.
  const stack = limit === 0 ? [] : liveStack(future, depth);
  const seen = new Set<Future<unknown>>([future]);
  return new FutureCallGraph(
    future,
    limited(stack, limit),
    future[kAwaitedBy]().map((parent) => buildGraph(parent, limit, seen)),
  );
}

/**
 * The call graph of `future` (default: the current task) as text, in
 * Python 3.14's layout; empty when there is nothing to show.
 *
 * @example
 * ```ts
 * import { formatCallGraph, run } from "@aio/asyncio";
 *
 * await run(async function main() {
 *   console.log(formatCallGraph().split("\n")[0]); // * Task(name='Task-…', id=0x…)
 * });
 * ```
 */
export function formatCallGraph(
  future?: Future<unknown> | null,
  options: CallGraphOptions = {},
): string {
  // The library's own frames are skipped anyway: depth counts the
  // caller's frames only.
  const graph = captureCallGraph(future, options);
  if (graph === null) return "";
  const lines: string[] = [];
  renderLevel(graph, lines, 0);
  return lines.join("\n");
}

/**
 * Prints the call graph of `future` (default: the current task), Python
 * 3.14's `asyncio.print_call_graph`; `options.file` receives the text
 * instead of `console.log`.
 *
 * @example
 * ```ts
 * import { printCallGraph, run } from "@aio/asyncio";
 *
 * await run(async function main() {
 *   printCallGraph(); // * Task(name='Task-…', id=0x…) and main's frame
 * });
 * ```
 */
export function printCallGraph(
  future?: Future<unknown> | null,
  options: CallGraphOptions & { file?: (text: string) => void } = {},
): void {
  (options.file ?? console.log)(formatCallGraph(future, options));
}

function buildGraph(
  future: Future<unknown>,
  limit: number | null,
  seen: Set<Future<unknown>>,
): FutureCallGraph {
  const loop = runningLoopOrNull();
  // The task running now (awaiting, say, what it just made) shows where
  // it is now.
  const stack = limit === 0
    ? []
    : loop !== null && future === taskOf(loop)
    ? liveStack(future, 1)
    : suspendedStack(future);
  // A cycle (tasks awaiting each other: a deadlock) is cut where it
  // closes, so that the graph stays finite.
  const path = new Set(seen).add(future);
  const parents = future[kAwaitedBy]().filter((parent) => !path.has(parent));
  return new FutureCallGraph(
    future,
    limited(stack, limit),
    parents.map((parent) => buildGraph(parent, limit, path)),
  );
}

// The running task's stack, from here. V8 marks only the frames resumed
// from an await as async; the outermost is the task's coroutine, which is
// async too (Python says so of every coroutine frame).
function liveStack(
  task: Future<unknown>,
  depth: number,
): FrameCallGraphEntry[] {
  const stack = framesOf(new Error().stack ?? "", depth);
  const last = stack.at(-1);
  if (
    task instanceof Task && last !== undefined && !last.frame.async &&
    last.frame.name === coroName(task.getCoro())
  ) {
    stack[stack.length - 1] = new FrameCallGraphEntry({
      ...last.frame,
      async: true,
    });
  }
  return stack;
}

// A suspended task's stack: recorded at its suspension in debug mode, or
// its coroutine function alone.
function suspendedStack(future: Future<unknown>): FrameCallGraphEntry[] {
  if (!(future instanceof Task)) return [];
  const suspension = future[kSuspension];
  if (suspension !== null) {
    const frames = framesOf(suspension.stack, 1);
    if (frames.length > 0) return frames;
  }
  return [
    new FrameCallGraphEntry({
      name: coroName(future.getCoro()),
      file: null,
      line: null,
      column: null,
      async: true,
    }),
  ];
}

function limited(
  stack: FrameCallGraphEntry[],
  limit: number | null,
): FrameCallGraphEntry[] {
  if (limit === null) return stack;
  if (limit > 0) return stack.slice(-limit);
  if (limit < 0) return stack.slice(0, -limit);
  return [];
}

// V8's stack lines: "    at async name (file:line:col)", "    at name
// (file:line:col)", "    at file:line:col".
const FRAME =
  /^\s*at (async )?(?:(.*?) \()?((?:[a-z][\w+.-]*:)?[^()]*?):(\d+):(\d+)\)?$/;

/**
 * The program's frames of a V8 stack, innermost first: the library's own
 * frames on top are skipped, then `depth - 1` more, and the stack ends
 * where the library's frames begin again (the task that runs it).
 */
function framesOf(stack: string, depth: number): FrameCallGraphEntry[] {
  const frames: CallFrame[] = [];
  let started = false;
  for (const line of stack.split("\n").slice(1)) {
    const match = FRAME.exec(line);
    if (match === null) continue;
    const [, isAsync, name, location, lineNo, column] = match;
    if (isMachinery(location)) {
      if (started) break;
      continue;
    }
    started = true;
    frames.push({
      name: cleanName(name),
      file: displayFile(location),
      line: Number(lineNo),
      column: Number(column),
      async: isAsync !== undefined,
    });
  }
  return frames.slice(Math.max(depth - 1, 0)).map((frame) =>
    new FrameCallGraphEntry(frame)
  );
}

// "Object.then", "new Foo", "async main": the function's own name.
function cleanName(name: string | undefined): string {
  if (name === undefined || name === "") return "<anonymous>";
  return name.replace(/^new /, "").replace(/^Object\./, "");
}

function displayFile(location: string): string {
  if (!location.startsWith("file://")) return location;
  try {
    return decodeURIComponent(new URL(location).pathname);
  } catch {
    return location;
  }
}

// Python prints id(); ours is a number given to each future when first
// shown, stable for its life.
const ids = new WeakMap<object, number>();
let nextId = 0x1000;

function idOf(future: object): string {
  let id = ids.get(future);
  if (id === undefined) ids.set(future, id = nextId++);
  return `0x${id.toString(16)}`;
}

function renderLevel(
  graph: FutureCallGraph,
  lines: string[],
  level: number,
): void {
  const add = (line: string) => lines.push("    ".repeat(level) + line);
  const future = graph.future;
  if (future instanceof Task) {
    add(`* Task(name=${pyRepr(future.getName())}, id=${idOf(future)})`);
  } else {
    add(`* Future(id=${idOf(future)})`);
  }
  if (graph.callStack.length > 0) {
    add("  + Call stack:");
    for (const { frame } of graph.callStack) {
      const where = frame.file === null
        ? "File '<unknown>', line ?"
        : `File ${pyRepr(frame.file)}, line ${frame.line}`;
      add(`  |   ${where}, in ${frame.async ? "async " : ""}${frame.name}()`);
    }
  }
  if (graph.awaitedBy.length > 0) {
    add("  + Awaited by:");
    for (const parent of graph.awaitedBy) {
      renderLevel(parent, lines, level + 1);
    }
  }
}
