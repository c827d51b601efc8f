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
  explainJobError,
  JOB_DONE,
  JOB_FAILED,
  JOB_SKIPPED,
  QUEUED,
  resolvedFunction,
  resolveFunction,
  RUNNING,
  serializeError,
  WORKER_CLOSING,
  WORKER_CRASHED,
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

// A job that calls self.close() ends this Worker: tell the pool first.
const close = scope.close.bind(scope);
scope.close = () => {
  scope.postMessage([WORKER_CLOSING, -1]);
  close();
};

// An error nobody catches kills this Worker: report it to the pool (which
// fails the running job with it) instead of letting Deno print it.
function crash(event: Event, error: unknown): void {
  event.preventDefault();
  scope.postMessage([WORKER_CRASHED, -1, serializeError(error)]);
  close();
}
addEventListener("error", (event) => crash(event, event.error));
addEventListener("unhandledrejection", (event) => crash(event, event.reason));

scope.onmessage = (event: MessageEvent) => {
  const data = event.data;
  if (data instanceof SharedArrayBuffer) {
    slots = new Int32Array(data);
    return;
  }
  for (let i = 0; i < (data as unknown[]).length; i++) {
    queue.push((data as unknown[])[i]);
  }
  if (!busy) drain();
};

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
  scope.postMessage([
    JOB_FAILED,
    slot,
    serializeError(explainJobError(spec, error)),
  ]);
}
