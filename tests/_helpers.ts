// Shared helpers for the test suite.
import assert from "node:assert/strict";
import {
  type AbstractEventLoop,
  type EventLoopOptions,
  type ExceptionContext,
  newEventLoop,
  sleep,
} from "../mod.ts";

/**
 * Runs `fn` with a fresh loop (on the virtual clock unless told otherwise)
 * and closes the loop afterwards, whatever happens.
 */
export async function withLoop<T>(
  fn: (loop: AbstractEventLoop) => Promise<T> | T,
  options: EventLoopOptions = { virtualTime: true },
): Promise<T> {
  const loop = newEventLoop(options);
  try {
    return await fn(loop);
  } finally {
    if (!loop.isClosed()) loop.close();
  }
}

/** Records every context passed to the loop's exception handler. */
export function recordExceptions(loop: AbstractEventLoop): ExceptionContext[] {
  const seen: ExceptionContext[] = [];
  loop.setExceptionHandler((_loop, context) => {
    seen.push(context);
  });
  return seen;
}

type ConsoleMethod = "log" | "warn" | "error";

/**
 * Replaces `console[method]` while `fn` runs and returns what was printed
 * through it (one string per call, arguments joined by spaces).
 */
export async function captureConsole<T>(
  method: ConsoleMethod,
  fn: () => Promise<T> | T,
): Promise<{ value: T; lines: string[] }> {
  const original = console[method];
  const lines: string[] = [];
  console[method] = (...args: unknown[]) => {
    lines.push(args.map(String).join(" "));
  };
  try {
    const value = await fn();
    return { value, lines };
  } finally {
    console[method] = original;
  }
}

/** A promise that is already running, for the bad-input tests. */
export function startedPromise(): Promise<number> {
  return Promise.resolve(1);
}

/** Lets the other tasks run for a few loop iterations. */
export async function tick(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await sleep(0);
}

/** Awaits `task` and returns the error it failed with. */
export async function errorOf(
  awaitable: PromiseLike<unknown>,
): Promise<unknown> {
  try {
    await awaitable;
  } catch (e) {
    return e;
  }
  assert.fail("expected a failure, got a result");
}

/** Shared Int32 cells a Worker job can write to. */
export function cells(
  n: number,
): { buffer: SharedArrayBuffer; view: Int32Array } {
  const buffer = new SharedArrayBuffer(4 * n);
  return { buffer, view: new Int32Array(buffer) };
}

// ------------------------------------------------------------ live Workers
//
// Deno 2.9's test sanitizers do not notice a Worker left running, so the
// Worker tests count them: globalThis.Worker is replaced (once, when the
// first workerTest starts) by a subclass that counts constructions and
// terminate() calls. The library terminates every Worker it ends, even one
// that closed itself, so a Worker never terminated is a leak.

let constructedWorkers = 0;
let terminatedWorkers = 0;
let trackerInstalled = false;

function installWorkerTracker(): void {
  if (trackerInstalled) return;
  trackerInstalled = true;
  const Base = globalThis.Worker;
  class TrackedWorker extends Base {
    #terminated = false;
    constructor(specifier: string | URL, options?: WorkerOptions) {
      super(specifier, options);
      constructedWorkers++;
    }
    override terminate(): void {
      if (!this.#terminated) {
        this.#terminated = true;
        terminatedWorkers++;
      }
      super.terminate();
    }
  }
  globalThis.Worker = TrackedWorker;
}

/** Workers constructed on this thread and not terminated yet. */
export function liveWorkers(): number {
  installWorkerTracker();
  return constructedWorkers - terminatedWorkers;
}

/** Workers constructed on this thread so far. */
export function workersStarted(): number {
  installWorkerTracker();
  return constructedWorkers;
}

/**
 * `Deno.test(name, fn)` for tests that start Workers: fails the test if a
 * Worker it started is still alive when it ends (sanitizers stay on).
 */
export function workerTest(
  name: string,
  fn: () => Promise<void>,
  options: { ignore?: boolean } = {},
): void {
  Deno.test({
    name,
    ignore: options.ignore ?? false,
    async fn() {
      const before = liveWorkers();
      await fn();
      assert.equal(
        liveWorkers(),
        before,
        `the test left ${liveWorkers() - before} Worker(s) running`,
      );
    },
  });
}

/**
 * Polls `condition` every few milliseconds (on host timers, so it works
 * with or without a running loop) until it holds; fails after `seconds`.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string | (() => string),
  seconds = 20,
): Promise<void> {
  const deadline = performance.now() + seconds * 1000;
  while (!await condition()) {
    if (performance.now() > deadline) {
      const waitedFor = typeof what === "function" ? what() : what;
      assert.fail(`timed out after ${seconds} s waiting for ${waitedFor}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
