/**
 * Python's asyncio for Deno: an event loop, futures and tasks with real
 * cancellation, `gather`/`wait`/`waitFor`/`asCompleted`/`shield`,
 * timeouts and task groups, with Python's semantics and TypeScript idioms
 * (`await using`, `for await`, `AbortSignal`).
 *
 * Where Python takes a coroutine object to start it (`run`, `createTask`,
 * `runUntilComplete`, `ensureFuture`), pass a coroutine function:
 * `createTask(() => work(1))`.
 *
 * @example
 * ```ts
 * import { gather, run, sleep } from "@aio/asyncio";
 *
 * async function func(delay: number) {
 *   console.log(`start ${delay}`);
 *   await sleep(delay / 100);
 *   console.log(`done ${delay}`);
 * }
 *
 * await run(async () => {
 *   await gather(() => func(1), () => func(2), () => func(3));
 * });
 * ```
 *
 * @module
 */
export * from "./src/errors.ts";
export * from "./src/clock.ts";
export * from "./src/events.ts";
export * from "./src/futures.ts";
export * from "./src/tasks.ts";
export * from "./src/timeouts.ts";
export * from "./src/taskgroups.ts";
export * from "./src/runners.ts";
export * from "./src/contextlib.ts";
