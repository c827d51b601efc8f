/**
 * Context variables, Python's `contextvars`: values that follow the task
 * (and the callback) they were set in. Each task runs in its own copy of
 * the context it was created in, so a `ContextVar` set in one task is not
 * seen by another; callbacks run in a copy of their scheduler's context.
 *
 * @module
 */
import { taskContext } from "./_context.ts";
import { describe } from "./_validate.ts";

type Vars = ReadonlyMap<ContextVar<unknown>, unknown>;
const EMPTY: Vars = new Map();

// How a task offers its context; how a context is changed; how a token is
// used up.
export const kContextOf: unique symbol = Symbol("context of a task");
const kSetVar: unique symbol = Symbol("set variable");
const kUseUp: unique symbol = Symbol("use token");

// Set once any variable is set or a context copied: until then nothing
// pays for contexts (no copy per task or callback).
let inUse = false;

/** Whether context variables were used at all (so contexts are worth copying). */
export function contextVarsInUse(): boolean {
  return inUse;
}

// The context `Context.run` entered, if any (innermost).
let entered: Context | null = null;
// The context of code outside tasks and callbacks.
let outside: Context | null = null;

/** What a task offers: the context its code runs in. */
export interface HasContext {
  [kContextOf](): Context;
}

/** The context the calling code runs in. */
function current(): Context {
  if (entered !== null) return entered;
  const task = taskContext.getStore() as Partial<HasContext> | undefined;
  const ofTask = task?.[kContextOf];
  if (ofTask !== undefined) return ofTask.call(task);
  return outside ??= new Context();
}

/**
 * A mapping of context variables to values, Python's
 * `contextvars.Context`: what a task or callback runs in. Copies share
 * nothing that a later `set` could change.
 *
 * @example Run a function in a copy of the context
 * ```ts
 * import { ContextVar, copyContext } from "@aio/asyncio";
 *
 * const user = new ContextVar<string>("user", { default: "nobody" });
 * const ctx = copyContext();
 * ctx.run(() => user.set("ada"));
 * console.log(ctx.get(user), user.get()); // ada nobody
 * ```
 */
export class Context implements Iterable<[ContextVar<unknown>, unknown]> {
  #vars: Vars;
  #entered = false;

  /** An empty context (`copyContext()` copies the current one). */
  constructor(vars: Vars = EMPTY) {
    this.#vars = vars;
  }

  /**
   * Runs `fn(...args)` with this context as the current one, Python's
   * `Context.run`. A context can be entered once at a time.
   */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
    if (this.#entered) {
      throw new Error(`cannot enter context: ${this} is already entered`);
    }
    const previous = entered;
    this.#entered = true;
    entered = this;
    try {
      return fn(...args);
    } finally {
      entered = previous;
      this.#entered = false;
    }
  }

  /** A copy: later changes to either are not seen by the other. */
  copy(): Context {
    return new Context(this.#vars);
  }

  /** The value of `variable` here, or `defaultValue` if it has none. */
  get<T>(variable: ContextVar<T>, defaultValue?: T): T | undefined {
    const vars = this.#vars as ReadonlyMap<ContextVar<T>, T>;
    return vars.has(variable) ? vars.get(variable) : defaultValue;
  }

  /** Whether `variable` has a value here. */
  has(variable: ContextVar<unknown>): boolean {
    return this.#vars.has(variable);
  }

  /** How many variables have a value here. */
  get size(): number {
    return this.#vars.size;
  }

  /** The variables that have a value here, and their values. */
  [Symbol.iterator](): Iterator<[ContextVar<unknown>, unknown]> {
    return this.#vars[Symbol.iterator]();
  }

  /** @ignore `variable` = `value` here (or unset with `missing`). */
  [kSetVar](
    variable: ContextVar<unknown>,
    value: unknown,
    missing: boolean,
  ): void {
    const vars = new Map(this.#vars);
    if (missing) vars.delete(variable);
    else vars.set(variable, value);
    this.#vars = vars;
  }

  /** Python's repr. */
  toString(): string {
    return `<Context vars=${this.#vars.size}>`;
  }
}

/**
 * What {@link ContextVar.set} returns: `reset(token)` restores the value
 * the variable had before.
 *
 * @example
 * ```ts
 * import { ContextVar } from "@aio/asyncio";
 *
 * const level = new ContextVar<number>("level", { default: 0 });
 * const token = level.set(1);
 * level.reset(token);
 * console.log(level.get()); // 0
 * ```
 */
export class Token<T> {
  #used = false;

  /** Made by `ContextVar.set`. */
  constructor(
    /** The variable that was set. */
    readonly variable: ContextVar<T>,
    /** The context it was set in. */
    readonly context: Context,
    /** Whether it had a value before, and which. */
    readonly oldValue: { value: T } | null,
  ) {}

  /** @ignore Marks it used by `reset`; false if it was already. */
  [kUseUp](): boolean {
    if (this.#used) return false;
    this.#used = true;
    return true;
  }
}

/**
 * A context variable, Python's `contextvars.ContextVar`: its value is the
 * one set in the current context (the task's own copy), else the default.
 *
 * @example One value per task
 * ```ts
 * import { ContextVar, gather, run, sleep } from "@aio/asyncio";
 *
 * const requestId = new ContextVar<number>("requestId");
 * async function handle(id: number) {
 *   requestId.set(id);
 *   await sleep(0.01);
 *   return requestId.get();
 * }
 * await run(async () => {
 *   console.log(await gather(() => handle(1), () => handle(2))); // [ 1, 2 ]
 * });
 * ```
 */
export class ContextVar<T> {
  /** The variable's name. */
  readonly name: string;
  #default: { value: T } | null;

  /** A variable named `name`, with `options.default` when given. */
  constructor(name: string, options: { default?: T } = {}) {
    if (typeof name !== "string") {
      throw new TypeError(
        `new ContextVar(): name must be a string, got ${describe(name)}`,
      );
    }
    this.name = name;
    this.#default = "default" in options
      ? { value: options.default as T }
      : null;
  }

  /**
   * The value in the current context; else `defaultValue`, else the
   * variable's default; else throws (Python's LookupError).
   */
  get(defaultValue?: T): T {
    const ctx = current();
    if (ctx.has(this as ContextVar<unknown>)) return ctx.get(this) as T;
    if (arguments.length > 0) return defaultValue as T;
    if (this.#default !== null) return this.#default.value;
    const error = new Error(`ContextVar '${this.name}' has no value`);
    error.name = "LookupError";
    throw error;
  }

  /** Sets the value in the current context; the token undoes it. */
  set(value: T): Token<T> {
    inUse = true;
    const ctx = current();
    const self = this as ContextVar<unknown>;
    const old = ctx.has(self) ? { value: ctx.get(this) as T } : null;
    ctx[kSetVar](self, value, false);
    return new Token(this, ctx, old);
  }

  /** Restores the value the variable had before `token`'s `set`. */
  reset(token: Token<T>): void {
    if (!(token instanceof Token) || token.variable !== this) {
      throw new RangeError(
        `reset(): token was created by a different ContextVar`,
      );
    }
    if (token.context !== current()) {
      throw new RangeError(
        `reset(): token was created in a different Context`,
      );
    }
    if (!token[kUseUp]()) {
      throw new Error(`reset(): token has already been used once`);
    }
    const self = this as ContextVar<unknown>;
    if (token.oldValue === null) token.context[kSetVar](self, undefined, true);
    else token.context[kSetVar](self, token.oldValue.value, false);
  }

  /** Python's repr. */
  toString(): string {
    return `<ContextVar name='${this.name}'>`;
  }
}

/**
 * A copy of the current context (the calling task's, or the one outside
 * tasks), Python's `contextvars.copy_context()`.
 *
 * @example
 * ```ts
 * import { ContextVar, copyContext } from "@aio/asyncio";
 *
 * const v = new ContextVar<number>("v", { default: 0 });
 * v.set(1);
 * const snapshot = copyContext();
 * v.set(2);
 * console.log(snapshot.get(v), v.get()); // 1 2
 * ```
 */
export function copyContext(): Context {
  inUse = true;
  return current().copy();
}
