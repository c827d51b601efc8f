// Functions run in Workers by reference (workerModule / workerFunction) by
// tests/executor_test.ts and tests/worker_loop_test.ts. Not a test file.
//
// This module is imported by every Worker that runs one of its functions,
// and by the main thread (the tests, and parentLoop() calls coming back),
// so its module-level state is per thread: `reports` and `mainSide` below
// are the main thread's when a Worker calls back through parentLoop().
import process from "node:process";
import {
  type AbstractEventLoop,
  Barrier,
  blockingSleep,
  ExceptionGroup,
  getRunningLoop,
  parentLoop,
  type Queue,
  sleep,
  toThread,
  transfer,
  workerFunction,
} from "../mod.ts";

const here = new URL(import.meta.url);

// ---------------------------------------------------------------- plain jobs

export function add(a: number, b: number): number {
  return a + b;
}

export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** Blocks the thread (Python's time.sleep), then returns `seconds`. */
export function blockFor(seconds: number): number {
  blockingSleep(seconds);
  return seconds;
}

/** Returns its argument: the round trip is two structured clones. */
export function echo<T>(value: T): T {
  return value;
}

/** What the Worker received, seen from inside the Worker. */
export function inspect(value: unknown): {
  isMap: boolean;
  isDate: boolean;
  time: number | null;
  json: string;
} {
  return {
    isMap: value instanceof Map,
    isDate: value instanceof Date,
    time: value instanceof Date ? value.getTime() : null,
    json: JSON.stringify(value, (_k, v) => v instanceof Map ? [...v] : v),
  };
}

/** The name of the Worker running the job (the pool names its Workers). */
export function threadName(): string {
  return (globalThis as unknown as { name: string }).name;
}

export async function sleepAsync(
  seconds: number,
  value: string,
): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return value;
}

/** A result that cannot be structured-cloned. */
export function returnFunction(): () => number {
  return () => 1;
}

/** parentLoop() in a pool Worker (not a WorkerLoop's): it throws. */
export function callParentLoop(): string {
  parentLoop();
  return "unreachable";
}

// ---------------------------------------------------------------- errors

/** A custom error class with an own property, as a library would define. */
export class JobError extends Error {
  code: string;
  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "JobError";
    this.code = code;
  }
}

export function failWithCode(code: string): never {
  throw new JobError(`job failed with ${code}`, code, {
    cause: new RangeError("the root cause"),
  });
}

export function failWithTypeError(message: string): never {
  throw new TypeError(message);
}

/** Throws something that is not an Error. */
export function throwValue(value: unknown): never {
  throw value;
}

// ---------------------------------------------------------------- crashes

/** An error thrown in a timer: nobody catches it, the Worker dies. */
export function throwInTimer(message: string): Promise<never> {
  setTimeout(() => {
    throw new Error(message);
  }, 0);
  return new Promise<never>(() => {});
}

/** A rejection nobody handles: the Worker dies. */
export function rejectUnhandled(message: string): Promise<never> {
  void Promise.reject(new Error(message));
  return new Promise<never>(() => {});
}

/** Ends its own Worker. */
export function closeSelf(): string {
  (globalThis as unknown as { close(): void }).close();
  return "closed";
}

/** Ends its own Worker with Deno.exit(code). */
export function exitWorker(code: number): string {
  Deno.exit(code);
}

/** Ends its own Worker with Node's process.exit(code). */
export function exitProcess(code: number): string {
  process.exit(code);
}

/**
 * Ends its own Worker without a farewell: the pool's Worker says why it
 * ends (here, from the "unload" event Deno.exit() dispatches) with
 * postMessage(), which this job breaks first.
 */
export function exitWithoutFarewell(): string {
  (globalThis as unknown as { postMessage(): void }).postMessage = () => {
    throw new Error("no farewell");
  };
  Deno.exit(0);
}

// ---------------------------------------------------------------- buffers

/** A Float64Array [0, 1, ..., n-1], moved (not copied) back to the caller. */
export function makeFloats(n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return transfer(out);
}

/** The length and sum of a Float64Array, as the Worker sees it. */
export function sumFloats(values: Float64Array): [number, number] {
  let sum = 0;
  for (const v of values) sum += v;
  return [values.length, sum];
}

/**
 * Records that it ran: adds 1 to cell `index` of the shared counters, so a
 * test can prove that a dropped job never ran. Blocks `seconds` first.
 */
export function recordRun(
  counters: SharedArrayBuffer,
  index: number,
  seconds = 0,
): number {
  if (seconds > 0) blockingSleep(seconds);
  Atomics.add(new Int32Array(counters), index, 1);
  return index;
}

/** Blocks `seconds`, and only then records that it ran (cell `index`). */
export function blockThenRecord(
  counters: SharedArrayBuffer,
  index: number,
  seconds: number,
): number {
  blockingSleep(seconds);
  Atomics.add(new Int32Array(counters), index, 1);
  return index;
}

/**
 * Sets cell 0 of `flags` once it started, blocks `seconds`, then sets
 * cell 1: a test can wait until it runs, and see that it never finished.
 */
export function startThenBlock(
  flags: SharedArrayBuffer,
  seconds: number,
): string {
  const cells = new Int32Array(flags);
  Atomics.store(cells, 0, 1);
  blockingSleep(seconds);
  Atomics.store(cells, 1, 1);
  return "finished";
}

/**
 * Sets cell 0 of `flags` once it started, then waits (up to `seconds`)
 * until the main thread sets cell 1: a job that ends when the test says.
 */
export function startThenWait(
  flags: SharedArrayBuffer,
  seconds: number,
): string {
  const cells = new Int32Array(flags);
  Atomics.store(cells, 0, 1);
  Atomics.wait(cells, 1, 0, seconds * 1000);
  return "released";
}

/**
 * Appends `id` to the shared log: cell 0 counts the entries, the ids
 * follow in the order the jobs ran.
 */
export function recordOrder(log: SharedArrayBuffer, id: number): number {
  const cells = new Int32Array(log);
  const at = Atomics.add(cells, 0, 1);
  Atomics.store(cells, 1 + at, id);
  return id;
}

// ---------------------------------------------------------------- WorkerLoop

export async function asyncAdd(a: number, b: number): Promise<number> {
  await sleep(0.001);
  return a + b;
}

export async function asyncFail(message: string): Promise<never> {
  await sleep(0.001);
  throw new JobError(message, "E_ASYNC");
}

/**
 * Waits forever; sets cell 0 of `flags` to 1 once it started, and cell 1
 * to 1 when it is cancelled (its `finally` runs).
 */
export async function waitForever(flags: SharedArrayBuffer): Promise<never> {
  const cells = new Int32Array(flags);
  Atomics.store(cells, 0, 1);
  try {
    await sleep(3600);
    throw new Error("slept an hour");
  } finally {
    Atomics.store(cells, 1, 1);
  }
}

/**
 * Like waitForever, but reports its cancellation back on the main thread
 * through parentLoop().
 */
export async function waitForeverThenReport(tag: string): Promise<never> {
  try {
    await sleep(3600);
    throw new Error("slept an hour");
  } catch (error) {
    parentLoop().callSoonThreadsafe(
      reportHandle,
      `${tag}: ${(error as Error).name}`,
    );
    throw error;
  }
}

// The Worker loop's own log, kept on globalThis so that a function sent by
// source can read it too.
const workerLog: unknown[] =
  ((globalThis as { aioTestLog?: unknown[] }).aioTestLog ??= []);

export function appendLog(entry: unknown): void {
  workerLog.push(entry);
}

export function readLog(): unknown[] {
  return workerLog.slice();
}

export async function readLogAsync(): Promise<unknown[]> {
  await sleep(0);
  return workerLog.slice();
}

let barrier: Barrier | undefined;

/**
 * Returns once `parties` calls are waiting together: only possible if
 * they run concurrently on the loop.
 */
export async function meetAt(parties: number): Promise<string> {
  barrier ??= new Barrier(parties);
  await barrier.wait();
  return "met";
}

/** True if this thread's loop is the one running the call. */
export function isWorkerThread(): boolean {
  return typeof (globalThis as { WorkerGlobalScope?: unknown })
    .WorkerGlobalScope !== "undefined";
}

// ------------------------------------------- called back on the main thread

/** What parentLoop() callbacks recorded (on the main thread). */
export const reports: string[] = [];

/** Main-thread state a test sets up, shared with the callbacks. */
export const mainSide: {
  queue: Queue<string> | null;
  loops: AbstractEventLoop[];
} = { queue: null, loops: [] };

/** Runs on the main thread (scheduled by a Worker through parentLoop()). */
export function report(message: string): void {
  mainSide.loops.push(getRunningLoop());
  reports.push(`${message} (worker thread: ${isWorkerThread()})`);
}

const reportHandle = workerFunction<typeof report>(here, "report");

/** Runs on the main thread: puts `item` on the test's queue. */
export async function putOnMainQueue(item: string): Promise<number> {
  await mainSide.queue!.put(item);
  return mainSide.queue!.qsize();
}

/** Runs on the main thread: adds, and tells where it ran. */
export async function mainAdd(
  a: number,
  b: number,
): Promise<[number, boolean]> {
  await sleep(0);
  return [a + b, isWorkerThread()];
}

/** In a WorkerLoop: schedules report(message) on the main loop. */
export function callBack(message: string): void {
  parentLoop().callSoonThreadsafe(reportHandle, message);
}

/** In a WorkerLoop: awaits mainAdd(a, b) run on the main loop. */
export async function askMain(
  a: number,
  b: number,
): Promise<[number, boolean]> {
  const fut = parentLoop().runCoroutineThreadsafe(
    workerFunction<typeof mainAdd>(here, "mainAdd"),
    a,
    b,
  );
  return await fut;
}

/** In a WorkerLoop: puts items on the main thread's queue, in order. */
export async function feedMainQueue(items: string[]): Promise<number> {
  let size = 0;
  for (const item of items) {
    size = await parentLoop().runCoroutineThreadsafe(
      workerFunction<typeof putOnMainQueue>(here, "putOnMainQueue"),
      item,
    );
  }
  return size;
}

/** In a WorkerLoop: is that loop on a virtual clock? */
export function loopClockIsVirtual(): boolean {
  return getRunningLoop().clock.virtual;
}

/** In a WorkerLoop: runs fib(n) in a pool Worker of that loop. */
export async function fibInPool(n: number): Promise<number> {
  return await toThread(workerFunction<typeof fib>(here, "fib"), n);
}

/** Sleeps on the running loop; returns the loop's time after. */
export async function sleepOnLoop(seconds: number): Promise<number> {
  await sleep(seconds);
  return getRunningLoop().time();
}

/** A host object as the result: Deno would send it as {}. */
export function returnUrl(): URL {
  return new URL("https://example.com/");
}

/** A plain object holding a function: only postMessage finds out. */
export function returnObjectWithFunction(): { f: () => number } {
  return { f: () => 1 };
}

/** Throws an ExceptionGroup as a TaskGroup would. */
export function throwExceptionGroup(): never {
  throw new ExceptionGroup("unhandled errors in a TaskGroup", [
    new RangeError("child failed"),
  ]);
}
