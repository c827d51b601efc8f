// The model the property tests (properties_test.ts) check runs against:
// what asyncio guarantees of its locks and queues, stated over what a run
// recorded.

/** One call that may wait: an acquire, a put or a get. */
export interface WaitRecord {
  /** The (logical) task that made the call. */
  who: number;
  /** What was called: "acquire", "put", "get". */
  what: string;
  /** Its number, in the order the calls were made (for the trace). */
  id: number;
  /** When the call was made, in the run's order of events. */
  start: number;
  /** When it returned or threw (null: it has not). */
  end: number | null;
  /** Whether it returned (got what it waited for). */
  ok: boolean;
}

/** The state after an event: whether it is idle with work to do. */
export interface Snapshot {
  /** Loop time (s). */
  time: number;
  /**
   * Why the state is "idle with work to do" (the resource is free, or
   * has room or items, while a call waits for it), or null if it is not.
   */
  idle: string | null;
  /** Where in the trace the event was logged. */
  at: number;
}

/**
 * FIFO: among the calls of kind `what` that got what they waited for, the
 * one made first got it first. (Calls that were cancelled or timed out are
 * left out.)
 */
export function checkFifo(
  records: WaitRecord[],
  what: string,
  fail: (message: string) => void,
): void {
  const ok = records
    .filter((r) => r.what === what && r.ok)
    .sort((a, b) => a.start - b.start);
  for (let i = 1; i < ok.length; i++) {
    const a = ok[i - 1];
    const b = ok[i];
    if (a.end! > b.end!) {
      fail(
        `not FIFO: T${b.who}'s ${what} #${b.id} got through before ` +
          `T${a.who}'s ${what} #${a.id}, which was made earlier`,
      );
      return;
    }
  }
}

/**
 * No waiter waits while what it waits for is there: whenever virtual time
 * moves on (the loop had nothing left to run), the state must not be idle
 * with work to do. A woken waiter runs in the same instant, so the state
 * may be so only between events at one time.
 */
export function checkWorkConserving(
  snapshots: Snapshot[],
  fail: (message: string) => void,
): void {
  for (let i = 0; i < snapshots.length; i++) {
    const s = snapshots[i];
    if (s.idle === null) continue;
    const next = snapshots[i + 1];
    if (next === undefined || next.time > s.time) {
      const until = next === undefined
        ? "for good"
        : `until ${Math.round(next.time * 1e6) / 1e3}ms`;
      fail(
        `${s.idle}, from ${
          Math.round(s.time * 1e6) / 1e3
        }ms ${until} (trace line ${s.at})`,
      );
      return;
    }
  }
}
