// One `then` call on a library awaitable that is not a native promise (a
// future, a `sleep(0)`): it calls the handlers given to `then` with the
// outcome once it comes, and it is itself what `then` returns, a
// PromiseLike whose promise is made only if someone chains on it (an
// `await` never does). It settles once; later outcomes are ignored.
export class Chain implements Promise<unknown> {
  // deno-lint-ignore no-explicit-any
  #chained: PromiseWithResolvers<any> | null = null;
  #outcome: 0 | 1 | 2 = 0; // pending, resolved with value, rejected
  #value: unknown = undefined;

  constructor(
    readonly onFulfilled: ((value: unknown) => unknown) | null | undefined,
    readonly onRejected: ((reason: unknown) => unknown) | null | undefined,
  ) {}

  /** Whether the outcome was delivered. */
  get settled(): boolean {
    return this.#outcome !== 0;
  }

  then<R1, R2>(
    onFulfilled?: ((value: unknown) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    if (this.#chained === null) {
      this.#chained = Promise.withResolvers();
      if (this.#outcome === 1) this.#chained.resolve(this.#value);
      else if (this.#outcome === 2) this.#chained.reject(this.#value);
    }
    return this.#chained.promise.then(onFulfilled, onRejected);
  }

  catch<R = never>(
    onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null,
  ): Promise<unknown> {
    return this.then(undefined, onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<unknown> {
    return this.then().finally(onFinally);
  }

  get [Symbol.toStringTag](): string {
    return "Promise";
  }

  /** Delivers `value` to the fulfilment handler. */
  succeed(value: unknown): void {
    if (this.#outcome === 0) this.callFulfilled(value);
  }

  /** Delivers `error` to the rejection handler. */
  fail(error: unknown): void {
    if (this.#outcome === 0) this.callRejected(error);
  }

  /** Calls the fulfilment handler with `value` (once settled, no more). */
  protected callFulfilled(value: unknown): void {
    const onFulfilled = this.onFulfilled;
    if (typeof onFulfilled !== "function") {
      this.#resolve(value);
      return;
    }
    try {
      this.#resolve(onFulfilled(value));
    } catch (e) {
      this.#reject(e);
    }
  }

  /** Calls the rejection handler with `error`. */
  protected callRejected(error: unknown): void {
    const onRejected = this.onRejected;
    if (typeof onRejected !== "function") {
      this.#reject(error);
      return;
    }
    try {
      this.#resolve(onRejected(error));
    } catch (e) {
      this.#reject(e);
    }
  }

  #resolve(value: unknown): void {
    this.#outcome = 1;
    this.#value = value;
    this.#chained?.resolve(value);
  }

  #reject(reason: unknown): void {
    this.#outcome = 2;
    this.#value = reason;
    this.#chained?.reject(reason);
  }
}
