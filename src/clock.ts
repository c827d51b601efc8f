/**
 * Clocks: the real monotonic clock and the virtual clock that tests and
 * examples run on, plus Python's `time.perf_counter()` and `time.sleep()`
 * that follow whichever clock is in use.
 *
 * On the virtual clock, a loop that has nothing ready to run and no I/O in
 * flight jumps straight to its next timer instead of sleeping, so a
 * program that sleeps for minutes finishes at once and prints the same
 * lines in the same order as on the real clock. Turn it on for a whole
 * program with the environment variable `ASYNCIO_VIRTUAL_TIME=1`, or for
 * one loop with `newEventLoop({ virtualTime: true })` /
 * `run(main, { virtualTime: true })`.
 *
 * @module
 */
import { envFlag } from "./_env.ts";
import { checkDuration } from "./_validate.ts";

/**
 * A source of monotonic time in seconds.
 *
 * @example Read a loop's clock
 * ```ts
 * import { newEventLoop } from "@aio/asyncio";
 *
 * const loop = newEventLoop({ virtualTime: true });
 * console.log(loop.clock.virtual, loop.clock.now()); // true 0
 * loop.close();
 * ```
 */
export interface Clock {
  /** Seconds since an arbitrary origin; never goes backwards. */
  now(): number;
  /** True for a virtual clock, which the loop advances itself. */
  readonly virtual: boolean;
  /** Moves a virtual clock forward by `seconds` (a no-op on a real one). */
  advance(seconds: number): void;
}

/**
 * The real clock: `performance.now()` in seconds.
 *
 * @example
 * ```ts
 * import { RealClock } from "@aio/asyncio";
 *
 * const clock = new RealClock();
 * console.log(clock.now() >= 0); // true
 * ```
 */
export class RealClock implements Clock {
  /** Always false. */
  readonly virtual = false;
  /** Seconds since the process started. */
  now(): number {
    return performance.now() / 1000;
  }
  /** Does nothing: real time cannot be moved. */
  advance(_seconds: number): void {}
}

/**
 * A clock that only moves when told to: by the event loop jumping to its
 * next timer, or by {@link blockingSleep}.
 *
 * @example
 * ```ts
 * import { VirtualClock } from "@aio/asyncio";
 *
 * const clock = new VirtualClock();
 * clock.advance(1.5);
 * console.log(clock.now()); // 1.5
 * ```
 */
export class VirtualClock implements Clock {
  /** Always true. */
  readonly virtual = true;
  #now = 0;
  /** The virtual time in seconds (starts at 0). */
  now(): number {
    return this.#now;
  }
  /** Moves the clock forward. */
  advance(seconds: number): void {
    if (seconds > 0) this.#now += seconds;
  }
  /** Moves the clock to `when` if that is later than now. */
  advanceTo(when: number): void {
    if (when > this.#now) this.#now = when;
  }
}

const realClock = new RealClock();
let defaultClockValue: Clock | undefined;

/**
 * The clock new loops use by default: one shared virtual clock when
 * `ASYNCIO_VIRTUAL_TIME=1` is set, the real clock otherwise.
 *
 * @example
 * ```ts
 * import { defaultClock } from "@aio/asyncio";
 *
 * console.log(typeof defaultClock().now()); // "number"
 * ```
 */
export function defaultClock(): Clock {
  if (defaultClockValue === undefined) {
    defaultClockValue = envFlag("ASYNCIO_VIRTUAL_TIME")
      ? new VirtualClock()
      : realClock;
  }
  return defaultClockValue;
}

/**
 * Python's `time.perf_counter()`: seconds on the default clock, so that
 * elapsed times printed by a program are the same on the virtual clock.
 *
 * @example Time a program
 * ```ts
 * import { perfCounter, run, sleep } from "@aio/asyncio";
 *
 * const start = perfCounter();
 * await run(() => sleep(0.01));
 * console.log(`took ${(perfCounter() - start).toFixed(1)} s`);
 * ```
 */
export function perfCounter(): number {
  return defaultClock().now();
}

let runningClock: () => Clock | undefined = () => undefined;

/** The event loop tells the clock module which loop runs. */
export function setRunningClockSource(source: () => Clock | undefined): void {
  runningClock = source;
}

let sleepCell: Int32Array | undefined;

/**
 * Python's `time.sleep()`: blocks the whole thread for `seconds`, so no
 * callback or task runs meanwhile. Useful only to show what blocking does
 * to an event loop (or inside a Worker). On a virtual clock it advances
 * the clock instead of waiting.
 *
 * @example Block the loop for a moment
 * ```ts
 * import { blockingSleep, perfCounter } from "@aio/asyncio";
 *
 * const start = perfCounter();
 * blockingSleep(0.01);
 * console.log(perfCounter() - start >= 0.01); // true
 * ```
 */
export function blockingSleep(seconds: number): void {
  checkDuration("blockingSleep()", "seconds", seconds);
  const clock = runningClock() ?? defaultClock();
  if (clock.virtual) {
    clock.advance(seconds);
    return;
  }
  sleepCell ??= new Int32Array(new SharedArrayBuffer(4));
  const deadline = performance.now() + seconds * 1000;
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) return;
    Atomics.wait(sleepCell, 0, 0, left);
  }
}
