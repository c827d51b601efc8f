/**
 * How a function is named to a Worker, and how values cross to it.
 *
 * JavaScript threads share no heap, so a function runs in a Worker either
 * by reference (an exported function of a module the Worker imports, the
 * analogue of pickling by module and name) or by source (a self-contained
 * function whose text is sent and compiled there).
 *
 * @module
 */

/**
 * A typed handle to an exported function of a module, run in a Worker by
 * importing that module. Made by {@link workerFunction} or
 * {@link workerModule}; pass it to `toThread`, `runInExecutor` or
 * `ThreadPoolExecutor.submit` in place of the function.
 *
 * @example
 * ```ts
 * import { WorkerFunction } from "@aio/asyncio";
 *
 * const add = new WorkerFunction<[number, number], number>(
 *   new URL("./jobs.ts", import.meta.url),
 *   "add",
 * );
 * console.log(add.name); // add
 * ```
 */
export class WorkerFunction<A extends unknown[], R> {
  /** The absolute URL of the module that exports the function. */
  readonly module: string;
  /** The export's name. */
  readonly name: string;
  /** Only carries the signature for the compiler. */
  declare readonly signature?: (...args: A) => R;

  /** Names `name` exported by `module` (an absolute URL). */
  constructor(module: URL | string, name: string) {
    this.module = absoluteModule(module, "WorkerFunction");
    if (typeof name !== "string" || name === "") {
      throw new TypeError(
        `WorkerFunction needs the name of an exported function, got ${
          String(name)
        }`,
      );
    }
    this.name = name;
  }

  /** `name (module)`, for messages. */
  toString(): string {
    return `${this.name} (${this.module})`;
  }
}

/**
 * What runs in a Worker: a plain self-contained function (sent by source)
 * or a {@link WorkerFunction} (by reference).
 *
 * @example
 * ```ts
 * import { type WorkerCallable, workerFunction } from "@aio/asyncio";
 *
 * const bySource: WorkerCallable<[number], number> = (x) => x * 2;
 * const byReference: WorkerCallable<[number], number> = workerFunction<
 *   (x: number) => number
 * >(new URL("./jobs.ts", import.meta.url), "double");
 * console.log(typeof bySource, byReference.name); // function double
 * ```
 */
export type WorkerCallable<A extends unknown[], R> =
  | WorkerFunction<A, R>
  | ((...args: A) => R);

/**
 * The typed handles of every function a module exports, for use as
 * `jobs.fib`: see {@link workerModule}.
 *
 * @example
 * ```ts
 * import { type WorkerModule, workerModule } from "@aio/asyncio";
 *
 * interface Jobs {
 *   fib(n: number): number;
 * }
 * const jobs: WorkerModule<Jobs> = workerModule<Jobs>(
 *   new URL("./jobs.ts", import.meta.url),
 * );
 * console.log(jobs.fib.name); // fib
 * ```
 */
export type WorkerModule<M> = {
  readonly [
    K in keyof M as M[K] extends (...args: never[]) => unknown ? K
      : never
  ]: M[K] extends (...args: infer A) => infer R ? WorkerFunction<A, R>
    : never;
};

/**
 * Typed handles to the exported functions of a module, checked by the
 * compiler against the module's own types: the by-reference way to run
 * a function in a Worker.
 *
 * @example
 * ```ts ignore
 * import { run, toThread, workerModule } from "@aio/asyncio";
 * import type * as Jobs from "./jobs.ts";
 *
 * const jobs = workerModule<typeof Jobs>(new URL("./jobs.ts", import.meta.url));
 * await run(async () => {
 *   console.log(await toThread(jobs.fib, 30)); // 832040
 * });
 * ```
 */
export function workerModule<M extends object>(
  module: URL | string,
): WorkerModule<M> {
  const url = absoluteModule(module, "workerModule()");
  const handles = new Map<string, WorkerFunction<unknown[], unknown>>();
  return new Proxy({}, {
    get(_target, name) {
      if (typeof name !== "string") return undefined;
      let handle = handles.get(name);
      if (handle === undefined) {
        handle = new WorkerFunction(url, name);
        handles.set(name, handle);
      }
      return handle;
    },
  }) as WorkerModule<M>;
}

/**
 * A typed handle to one exported function: `F` is its type, usually
 * `typeof import("./jobs.ts").name`.
 *
 * @example
 * ```ts
 * import { workerFunction } from "@aio/asyncio";
 *
 * const add = workerFunction<(a: number, b: number) => number>(
 *   new URL("./jobs.ts", import.meta.url),
 *   "add",
 * );
 * console.log(add.name); // add
 * ```
 */
export function workerFunction<
  F extends (...args: never[]) => unknown,
>(
  module: URL | string,
  name: string,
): WorkerFunction<Parameters<F>, ReturnType<F>> {
  return new WorkerFunction(module, name);
}

function absoluteModule(module: URL | string, caller: string): string {
  if (module instanceof URL) return module.href;
  if (typeof module === "string") {
    try {
      return new URL(module).href;
    } catch {
      // fall through to the error below
    }
  }
  throw new TypeError(
    `${caller} needs the module's absolute URL, such as new URL("./jobs.ts", import.meta.url); got ${
      JSON.stringify(String(module))
    }`,
  );
}

const transferables: WeakMap<object, Transferable[]> =
  ((globalThis as Record<symbol, unknown>)[
    Symbol.for("@aio/asyncio.transferables")
  ] ??= new WeakMap()) as WeakMap<object, Transferable[]>;

/**
 * Marks `value` to be moved, not copied, to the other thread when it is
 * passed as an argument or returned as a result: the buffers it names (an
 * ArrayBuffer or typed array on its own names its buffer) are transferred,
 * and the sender's copies become detached. Returns `value`. A typed array
 * must cover its whole buffer (`view.slice()` makes one that does).
 *
 * @example
 * ```ts ignore
 * import { run, toThread, transfer } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const data = new Float64Array(1_000_000);
 *   await toThread(jobs.sum, transfer(data));
 *   console.log(data.length); // 0: the buffer moved to the Worker
 * });
 * ```
 */
export function transfer<T>(value: T, buffers?: Transferable[]): T {
  if (value === null || typeof value !== "object") {
    throw new TypeError(
      `transfer() takes an object whose buffers move to the other thread, got ${
        String(value)
      }`,
    );
  }
  let list = buffers;
  if (list === undefined) {
    if (value instanceof ArrayBuffer) list = [value];
    else if (ArrayBuffer.isView(value)) {
      if (value.byteLength !== value.buffer.byteLength) {
        // Moving the buffer would take the rest of it away from its owner
        // (a StreamReader's reads are views of its buffer, for one).
        throw new TypeError(
          `transfer() of a view of ${value.byteLength} bytes would move its whole buffer of ${value.buffer.byteLength} bytes: transfer(view.slice()) moves a copy of just the view`,
        );
      }
      list = [value.buffer as ArrayBuffer];
    } else {
      throw new TypeError(
        "transfer(value) names the buffers to move when value is not an ArrayBuffer or typed array: transfer(value, [buffer, ...])",
      );
    }
  }
  transferables.set(value, list);
  return value;
}

/** The buffers marked for transfer among `values`. */
export function transferablesOf(values: readonly unknown[]): Transferable[] {
  let found: Transferable[] | undefined;
  for (const value of values) {
    if (value === null || typeof value !== "object") continue;
    const list = transferables.get(value);
    if (list !== undefined) {
      transferables.delete(value);
      (found ??= []).push(...list);
    }
  }
  return found ?? noTransferables;
}

const noTransferables: Transferable[] = [];

const TypedArray = Object.getPrototypeOf(Int8Array);
const plainPrototypes = new Set<unknown>([
  null,
  Object.prototype,
  Array.prototype,
  Date.prototype,
  RegExp.prototype,
  Map.prototype,
  Set.prototype,
  ArrayBuffer.prototype,
  SharedArrayBuffer.prototype,
  DataView.prototype,
  Boolean.prototype,
  Number.prototype,
  String.prototype,
  BigInt.prototype,
]);

/**
 * Rejects, at the call, an argument that cannot cross to a
 * Worker. Deno's postMessage sends some host objects (a URL, say) as `{}`
 * where structuredClone throws, so anything that is not plain data gets
 * the stricter check.
 */
export function checkSendable(args: readonly unknown[], caller: string): void {
  for (const arg of args) {
    if (arg === null || typeof arg !== "object") {
      if (typeof arg === "function" || typeof arg === "symbol") {
        throw new TypeError(
          `${caller}: a ${typeof arg} cannot cross to another thread (arguments and results are structured-cloned)`,
        );
      }
      continue;
    }
    const proto = Object.getPrototypeOf(arg);
    if (
      plainPrototypes.has(proto) || arg instanceof TypedArray ||
      arg instanceof Error
    ) continue;
    try {
      structuredClone(arg);
    } catch (error) {
      throw new TypeError(
        `${caller}: ${
          proto?.constructor?.name ?? "this object"
        } cannot cross to another thread (arguments and results are structured-cloned: ${
          error instanceof Error ? error.message : String(error)
        })${arg instanceof URL ? "; pass url.href instead" : ""}`,
        { cause: error },
      );
    }
  }
}

/** What a Worker needs to find the function. */
export type FunctionSpec =
  | { readonly module: string; readonly name: string }
  | { readonly source: string; readonly name: string };

const specs = new WeakMap<object, FunctionSpec>();

/**
 * Names `fn` for a Worker, or throws the error that explains
 * what can be sent.
 */
export function functionSpec(fn: unknown, caller: string): FunctionSpec {
  if (fn instanceof WorkerFunction) return fn;
  if (typeof fn !== "function") {
    throw new TypeError(
      `${caller} takes a function or a WorkerFunction, got ${
        fn === null ? "null" : typeof fn
      }`,
    );
  }
  const known = specs.get(fn);
  if (known !== undefined) return known;
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new TypeError(
      `${caller} cannot send ${
        fn.name || "this function"
      } to a Worker: it is built in or bound, so it has no source. Wrap it in a self-contained function, or export a function from a module and pass workerFunction(new URL("./module.ts", import.meta.url), "name")`,
    );
  }
  if (/^class\b/.test(source)) {
    throw new TypeError(`${caller} takes a function, got class ${fn.name}`);
  }
  const spec = { source, name: fn.name };
  specs.set(fn, spec);
  return spec;
}

/** Python-like name of a job's function, for messages. */
export function describeSpec(spec: FunctionSpec): string {
  return spec.name ? `${spec.name}()` : "an anonymous function";
}
