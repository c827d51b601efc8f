/**
 * `asyncContextManager`: Python's `contextlib.asynccontextmanager` for
 * `await using`.
 *
 * @module
 */
import { typeError } from "./_validate.ts";

/**
 * The value an async context manager yields, disposable with `await using`.
 *
 * @example Hold a resource for a scope
 * ```ts
 * import { type AsyncContext, asyncContextManager } from "@aio/asyncio";
 *
 * const resource = asyncContextManager(async function* () {
 *   yield "resource";
 *   console.log("released");
 * });
 * {
 *   await using cm: AsyncContext<string> = await resource();
 *   console.log(cm.value); // resource
 * } // prints "released"
 * ```
 */
export interface AsyncContext<T> extends AsyncDisposable {
  /** What the generator yielded. */
  readonly value: T;
}

/**
 * Turns an async generator function that yields once into a function that
 * enters the context: code before the `yield` runs on entry, code after it
 * when the `await using` scope ends.
 *
 * @example
 * ```ts
 * import { asyncContextManager } from "@aio/asyncio";
 *
 * const foo = asyncContextManager(async function* () {
 *   console.log("xxx");
 *   const l: number[] = [];
 *   yield l;
 *   console.log(l);
 * });
 *
 * {
 *   await using cm = await foo();
 *   cm.value.push(1, 2, 3);
 * } // prints [ 1, 2, 3 ]
 * ```
 */
export function asyncContextManager<A extends unknown[], T>(
  generatorFunction: (...args: A) => AsyncGenerator<T, void, undefined>,
): (...args: A) => Promise<AsyncContext<T>> {
  if (typeof generatorFunction !== "function") {
    throw typeError(
      "asyncContextManager()",
      "generatorFunction",
      "an async generator function",
      generatorFunction,
    );
  }
  return async (...args: A): Promise<AsyncContext<T>> => {
    const gen = generatorFunction(...args);
    const first = await gen.next();
    if (first.done) throw new Error("generator didn't yield");
    return {
      value: first.value,
      async [Symbol.asyncDispose]() {
        const next = await gen.next();
        if (!next.done) {
          await gen.return();
          throw new Error("generator didn't stop");
        }
      },
    };
  };
}
