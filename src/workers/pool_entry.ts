/**
 * The entry module of a `ThreadPoolExecutor` Worker: runs the jobs the
 * pool sends, one at a time, in the order sent.
 *
 * @module
 */
import {
  checkSendable,
  describeSpec,
  type FunctionSpec,
  transferablesOf,
} from "./functions.ts";
import {
  DONE,
  ENDING,
  explainJobError,
  JOB_DONE,
  JOB_FAILED,
  JOB_SKIPPED,
  lockManager,
  QUEUED,
  resolvedFunction,
  resolveFunction,
  RUNNING,
  serializeError,
  WORKER_CLOSING,
  WORKER_CRASHED,
  WORKER_EXITING,
  WORKER_READY,
} from "./_protocol.ts";

interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
}
const scope = globalThis as unknown as WorkerScope;

let slots: Int32Array | undefined;
// The functions this Worker was sent, by number, found once each.
interface Known {
  spec: FunctionSpec;
  fn: ((...args: unknown[]) => unknown) | undefined;
}
const specs = new Map<number, Known>();
const queue: unknown[] = [];
let head = 0;
let busy = false;
let ending = false;

/**
 * This Worker ends on its own: say why, once, after every reply. ENDING
 * is set once the message is posted (if posting fails, the pool learns of
 * the end from the Web Lock, see pool.ts).
 */
function end(message: unknown[]): void {
  if (ending || slots === undefined) return;
  ending = true;
  scope.postMessage(message);
  Atomics.store(slots, ENDING, 1);
}

// A job that calls self.close() ends this Worker: tell the pool first.
const close = scope.close.bind(scope);
scope.close = () => {
  end([WORKER_CLOSING, -1]);
  close();
};

// Deno.exit() (and node:process's exit()) in a Worker ends only the
// Worker, silently for the pool; it dispatches "unload" first.
addEventListener("unload", () => {
  end([WORKER_EXITING, -1, Deno.exitCode]);
});

// An error nobody catches kills this Worker: report it to the pool (which
// fails the running job with it) instead of letting Deno print it.
function crash(event: Event, error: unknown): void {
  if (slots === undefined) return; // not started: the pool sees the error
  event.preventDefault();
  end([WORKER_CRASHED, -1, serializeError(error)]);
  close();
}
addEventListener("error", (event) => crash(event, event.error));
addEventListener("unhandledrejection", (event) => crash(event, event.reason));

scope.onmessage = (event: MessageEvent) => {
  const data = event.data as unknown[];
  if (slots === undefined) {
    start(data);
    return;
  }
  for (let i = 0; i < data.length; i++) queue.push(data[i]);
  if (!busy) drain();
};

/**
 * The pool's first message: the slots and the name of a lock this Worker
 * holds for its lifetime (the runtime releases it however the Worker
 * ends: that is how the pool learns of an end nobody announced, see
 * pool.ts). No job starts before the lock is held, or a job could end the
 * Worker before the pool has anything to watch.
 */
function start([shared, lock]: unknown[]): void {
  slots = new Int32Array(shared as SharedArrayBuffer);
  const locks = lockManager();
  if (locks === undefined) {
    scope.postMessage([WORKER_READY, -1]);
    return;
  }
  busy = true;
  locks.request(lock as string, () => {
    scope.postMessage([WORKER_READY, -1]);
    // Not in this callback: if it threw, the lock would be released.
    queueMicrotask(drain);
    return new Promise<never>(() => {});
  });
}

function drain(): void {
  busy = true;
  while (head < queue.length) {
    const slot = queue[head] as number;
    const ref = queue[head + 1] as number | [number, FunctionSpec];
    let known: Known;
    if (typeof ref === "number") known = specs.get(ref)!;
    else specs.set(ref[0], known = { spec: ref[1], fn: undefined });
    const args = queue[head + 2] as unknown[];
    queue[head] = queue[head + 1] = queue[head + 2] = undefined;
    head += 3;
    if (Atomics.compareExchange(slots!, slot, QUEUED, RUNNING) !== QUEUED) {
      scope.postMessage([JOB_SKIPPED, slot]);
      continue;
    }
    const pending = runJob(slot, known, args);
    if (pending !== undefined) {
      pending.then(drain);
      return;
    }
  }
  queue.length = head = 0;
  busy = false;
}

function runJob(
  slot: number,
  known: Known,
  args: unknown[],
): Promise<void> | undefined {
  const spec = known.spec;
  const fn = known.fn ??= resolvedFunction(spec);
  if (fn === undefined) {
    return resolveFunction(spec).then(
      (found) => settle(slot, spec, known.fn = found, args),
      (error) => fail(slot, spec, error),
    );
  }
  return settle(slot, spec, fn, args);
}

function settle(
  slot: number,
  spec: FunctionSpec,
  fn: (...args: unknown[]) => unknown,
  args: unknown[],
): Promise<void> | undefined {
  let result: unknown;
  try {
    result = fn(...args);
  } catch (error) {
    fail(slot, spec, error);
    return undefined;
  }
  if (
    result !== null && typeof result === "object" &&
    typeof (result as PromiseLike<unknown>).then === "function"
  ) {
    return Promise.resolve(result).then(
      (value) => succeed(slot, spec, value),
      (error) => fail(slot, spec, error),
    );
  }
  succeed(slot, spec, result);
  return undefined;
}

function succeed(slot: number, spec: FunctionSpec, value: unknown): void {
  try {
    checkSendable([value], `the result of ${describeSpec(spec)}`);
  } catch (error) {
    fail(slot, spec, error);
    return;
  }
  // DONE before the reply: once the pool reads DONE, the reply is on its
  // way (a slot marked after posting could be marked after the pool has
  // read the reply and reused the slot).
  Atomics.store(slots!, slot, DONE);
  try {
    scope.postMessage([JOB_DONE, slot, value], transferablesOf([value]));
  } catch (error) {
    fail(
      slot,
      spec,
      new TypeError(
        `the result of ${
          describeSpec(spec)
        } cannot be sent back from the Worker: ${
          error instanceof Error ? error.message : String(error)
        }`,
      ),
    );
  }
}

function fail(slot: number, spec: FunctionSpec, error: unknown): void {
  Atomics.store(slots!, slot, DONE);
  scope.postMessage([
    JOB_FAILED,
    slot,
    serializeError(explainJobError(spec, error)),
  ]);
}
