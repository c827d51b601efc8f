/**
 * What the main thread and its Workers share: job slot states, errors as
 * messages, and finding a job's function inside a Worker.
 *
 * @module
 */
import { ExceptionGroup } from "../errors.ts";
import type { FunctionSpec } from "./functions.ts";

// A job sent to a Worker sits in a slot of a shared Int32Array. Whoever
// moves it out of QUEUED first decides its fate: the Worker (RUNNING) or
// the main thread (CANCELLED, or STOLEN by an idle Worker or from a Worker
// being terminated). A job the Worker finished is DONE (set before its
// reply is posted): its reply is on the way even if the Worker is gone.
export const FREE = 0;
export const QUEUED = 1;
export const RUNNING = 2;
export const CANCELLED = 3;
export const STOLEN = 4;
export const DONE = 5;

/** Jobs sent ahead to one Worker: the number of job slots. */
export const WINDOW = 32;
/**
 * The word after the slots: set by a Worker that is ending on its own
 * (error, self.close(), Deno.exit()) before it posts the message that
 * says why, so that the pool waits for that message.
 */
export const ENDING = WINDOW;

/** Job messages to a pool Worker: [slot, spec, args] triples. */
export type JobBatch = unknown[];

/** Replies from a pool Worker (on the MessagePort it was given). */
export const JOB_DONE = 0;
export const JOB_FAILED = 1;
export const JOB_SKIPPED = 2;
export const WORKER_CLOSING = 3;
export const WORKER_CRASHED = 4;
export const WORKER_EXITING = 5;
export const WORKER_READY = 6;

/** The part of the Web Locks API (Deno 2.9+) the pool uses. */
export interface LockManagerLike {
  request(name: string, callback: () => unknown): Promise<unknown>;
}

/** `navigator.locks`, where the runtime has it (Deno 2.9 and later). */
export function lockManager(): LockManagerLike | undefined {
  return (globalThis.navigator as { locks?: LockManagerLike } | undefined)
    ?.locks;
}

/** An error as it crosses threads: enough to rebuild it on the other side. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  props?: Record<string, unknown>;
  cause?: SerializedError;
  value?: unknown;
  errors?: SerializedError[];
  dom?: boolean;
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) {
    try {
      structuredClone(error);
      return { name: "", message: String(error), value: error };
    } catch {
      return { name: "Error", message: String(error) };
    }
  }
  const out: SerializedError = {
    name: error.name,
    message: error.message,
    stack: error.stack,
  };
  for (const key of Object.keys(error)) {
    if (
      key === "cause" || key === "name" || key === "message" ||
      key === "errors"
    ) continue;
    const value = (error as unknown as Record<string, unknown>)[key];
    try {
      structuredClone(value);
      (out.props ??= {})[key] = value;
    } catch {
      // a property that cannot cross threads is left behind
    }
  }
  if (error.cause !== undefined) out.cause = serializeError(error.cause);
  if (error instanceof AggregateError && Array.isArray(error.errors)) {
    out.errors = error.errors.map(serializeError);
  }
  if (error instanceof DOMException) out.dom = true;
  return out;
}

const builtinErrors: Record<string, ErrorConstructor> = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};

function rebuild(data: SerializedError): Error {
  if (data.dom) return new DOMException(data.message, data.name);
  if (data.errors !== undefined) {
    const errors = data.errors.map(deserializeError);
    if (data.name === "ExceptionGroup") {
      const group = new ExceptionGroup("", errors);
      group.message = data.message;
      return group;
    }
    return new AggregateError(errors, data.message);
  }
  return new (builtinErrors[data.name] ?? Error)(data.message);
}

export function deserializeError(data: SerializedError): unknown {
  if (data.name === "" && "value" in data) return data.value;
  const error = rebuild(data);
  if (error.name !== data.name) {
    Object.defineProperty(error, "name", {
      value: data.name,
      configurable: true,
      writable: true,
    });
  }
  if (data.stack !== undefined) error.stack = data.stack;
  if (data.props) Object.assign(error, data.props);
  if (data.cause) {
    Object.defineProperty(error, "cause", {
      value: deserializeError(data.cause),
      configurable: true,
      writable: true,
    });
  }
  return error;
}

// Inside a Worker: the functions found so far, by module+name or source.
const resolved = new Map<string, (...args: unknown[]) => unknown>();

/** Finds (imports or compiles) the function a spec names. */
export async function resolveFunction(
  spec: FunctionSpec,
): Promise<(...args: unknown[]) => unknown> {
  const key = "source" in spec ? spec.source : `${spec.module}#${spec.name}`;
  const known = resolved.get(key);
  if (known !== undefined) return known;
  const fn = "source" in spec
    ? compileSource(spec.source, spec.name)
    : await importFunction(spec.module, spec.name);
  resolved.set(key, fn);
  return fn;
}

/** The function when it is already known: jobs skip a promise. */
export function resolvedFunction(
  spec: FunctionSpec,
): ((...args: unknown[]) => unknown) | undefined {
  return resolved.get(
    "source" in spec ? spec.source : `${spec.module}#${spec.name}`,
  );
}

// The module is the caller's, named at run time: an import the publish
// step cannot analyze (and need not rewrite), so it is kept out of sight.
const importModule = new Function("url", "return import(url)") as (
  url: string,
) => Promise<Record<string, unknown>>;

async function importFunction(
  module: string,
  name: string,
): Promise<(...args: unknown[]) => unknown> {
  let namespace: Record<string, unknown>;
  try {
    namespace = await importModule(module);
  } catch (error) {
    throw new Error(
      `the Worker could not import ${module} to run ${name}(): ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
  const fn = namespace[name];
  if (typeof fn !== "function") {
    throw new TypeError(
      `${module} has no exported function named "${name}" (${
        fn === undefined ? "no such export" : `it is a ${typeof fn}`
      })`,
    );
  }
  return fn as (...args: unknown[]) => unknown;
}

const indirectEval = eval;

function compileSource(
  source: string,
  name: string,
): (...args: unknown[]) => unknown {
  let fn: unknown;
  try {
    fn = indirectEval(`(${source}\n)`);
  } catch (error) {
    // Method shorthand (`name(a) { ... }`, `async *name() {}`) is valid
    // only in an object literal, whatever its name.
    if (!(error instanceof SyntaxError)) throw error;
    let holder: object;
    try {
      holder = indirectEval(`({${source}\n})`);
    } catch {
      throw error;
    }
    fn = Object.values(Object.getOwnPropertyDescriptors(holder))[0]?.value;
  }
  if (typeof fn !== "function") {
    throw new TypeError(`the source of ${name}() is not a function`);
  }
  return fn as (...args: unknown[]) => unknown;
}

/**
 * A by-source function that used an outer variable fails with a
 * ReferenceError in the Worker; say why, and what to do instead.
 */
export function explainJobError(spec: FunctionSpec, error: unknown): unknown {
  if (!("source" in spec) || !(error instanceof ReferenceError)) return error;
  const name = spec.name || "the function";
  const explained = new ReferenceError(
    `${name} was sent to the Worker by source, where ${error.message}: a function sent by source must be self-contained (no outer variables, no imports). Export it from a module and pass it by reference instead: workerFunction(new URL("./module.ts", import.meta.url), "${
      spec.name || "name"
    }")`,
    { cause: error },
  );
  explained.stack = `${explained.name}: ${explained.message}\n${
    (error.stack ?? "").split("\n").slice(1).join("\n")
  }`;
  return explained;
}
