// The API of issue 12 (and one beyond it) that the ports of CPython's
// test_taskgroups.py, test_timeouts.py and test_waitfor.py use and that
// mod.ts may not export yet, in one place.
//
// Each name is looked up in mod.ts when it is called: once mod.ts has it,
// the tests use it; until then, only the tests that call it fail, with an
// error that names what is missing (a static import of a missing export
// would fail every test of the file). To switch it all on once mod.ts
// exports these, replace this file's body with
//
//   export { ContextVar, copyContext, taskGroup, timeout, timeoutAt } from "../../mod.ts";
//   export type { Context } from "../../mod.ts";
//
// and the tests keep their imports.
import * as mod from "../../mod.ts";
import type { TaskGroup } from "../../mod.ts";

const exported = mod as unknown as Record<string, unknown>;

function missing(what: string): Error {
  return new Error(`${what} is not exported by mod.ts yet`);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function";
}

/**
 * `async with TaskGroup() as tg:` with the body as a function (issue 12):
 * resolves to the body's result; an error thrown by the body cancels the
 * children and joins the ExceptionGroup, as in Python.
 */
export function taskGroup<T>(
  body: (tg: TaskGroup) => PromiseLike<T>,
): Promise<T> {
  const fn = exported.taskGroup;
  if (typeof fn !== "function") throw missing("taskGroup(body)");
  return fn(body);
}

type Timeout = mod.Timeout;

/** Python's `asyncio.timeout(delay)`: a Timeout for `await using`. */
export function timeout(delay: number | null): Timeout;
/**
 * `async with asyncio.timeout(delay) as cm:` with the body as a function
 * (issue 12): resolves to the body's result.
 */
export function timeout<T>(
  delay: number | null,
  body: (cm: Timeout) => PromiseLike<T>,
): Promise<T>;
export function timeout<T>(
  delay: number | null,
  body?: (cm: Timeout) => PromiseLike<T>,
): Timeout | Promise<T> {
  if (body === undefined) return mod.timeout(delay);
  return functionForm("timeout(delay, body)", mod.timeout, delay, body);
}

/** Python's `asyncio.timeout_at(when)`: a Timeout for `await using`. */
export function timeoutAt(when: number | null): Timeout;
/**
 * `async with asyncio.timeout_at(when) as cm:` with the body as a function
 * (issue 12): resolves to the body's result.
 */
export function timeoutAt<T>(
  when: number | null,
  body: (cm: Timeout) => PromiseLike<T>,
): Promise<T>;
export function timeoutAt<T>(
  when: number | null,
  body?: (cm: Timeout) => PromiseLike<T>,
): Timeout | Promise<T> {
  if (body === undefined) return mod.timeoutAt(when);
  return functionForm("timeoutAt(when, body)", mod.timeoutAt, when, body);
}

// Today's timeout()/timeoutAt() ignore a second argument and return an
// entered Timeout without running the body: that Timeout is left at once
// (its timer cancelled) and the call fails, so that no test passes
// without its body having run.
function functionForm<T>(
  what: string,
  fn: (when: number | null) => Timeout,
  when: number | null,
  body: (cm: Timeout) => PromiseLike<T>,
): Promise<T> {
  const result: unknown = (fn as (...args: unknown[]) => unknown)(when, body);
  if (isThenable(result)) return result as Promise<T>;
  if (result instanceof mod.Timeout) void result[Symbol.asyncDispose]();
  throw missing(what);
}

// ------------------------------------------------------------ contextvars
//
// Not part of issue 12: Python's contextvars, as a Python user would
// expect them in TypeScript (`new ContextVar(name)`, `copyContext()`,
// `ctx.get(var)`, `createTask(fn, { context })`), for
// test_taskgroups.TestTaskGroup.test_taskgroup_task_context.

/** Python's `contextvars.ContextVar`. */
export interface ContextVar<T> {
  readonly name: string;
  get(defaultValue?: T): T;
  set(value: T): unknown;
}

/** Python's `contextvars.Context`. */
export interface Context {
  get<T>(variable: ContextVar<T>, defaultValue?: T): T | undefined;
  run<R>(fn: () => R): R;
}

type ContextVarClass = new <T>(name: string) => ContextVar<T>;

/** Python's `contextvars.ContextVar(name)`. */
export const ContextVar: ContextVarClass =
  (exported.ContextVar as ContextVarClass | undefined) ??
    class {
      constructor(_name: string) {
        throw missing("ContextVar");
      }
    } as unknown as ContextVarClass;

/** Python's `contextvars.copy_context()`. */
export function copyContext(): Context {
  const fn = exported.copyContext;
  if (typeof fn !== "function") throw missing("copyContext()");
  return fn();
}
