// What a future stands for, for the task tree (tools.ts): "Queue.get" on
// that queue, a sleep's deadline, a read on that stream. Nothing is
// recorded per await: a waiter line's future and a sleep answer from what
// they hold anyway (a getter on their class), and the few futures made
// once per server, process, executor job or wrapped promise are labelled
// in a WeakMap.

/** What a future stands for. */
export interface WaitLabel {
  /** The operation: "Queue.get", "sleep", "executor job", ... */
  readonly operation: string;
  /** The object it waits on (a primitive, a stream, a job), if any. */
  readonly object?: unknown;
  /** For a timer: the loop time it fires at (null: it fired). */
  readonly deadline?: number | null;
  /** More about it, in words ("from 127.0.0.1:5000"). */
  readonly detail?: string;
}

/** A getter on a future class: what its futures stand for. */
export const kWaitLabel: unique symbol = Symbol("wait label");

const labels = new WeakMap<object, WaitLabel>();

/** Labels `future` (one made once per object, never per await). */
export function labelFuture<F extends object>(future: F, label: WaitLabel): F {
  labels.set(future, label);
  return future;
}

/** What `future` stands for, if anything says. */
export function waitLabelOf(future: object): WaitLabel | null {
  const own = (future as { [kWaitLabel]?: WaitLabel })[kWaitLabel];
  return own ?? labels.get(future) ?? null;
}
