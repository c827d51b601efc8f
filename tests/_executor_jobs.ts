// Functions run by the RedisExecutor tests (tests/redis_executor_test.ts,
// tests/redis_executor_fault_test.ts) on consumers, by reference. Not a
// test file.
import { sleep } from "../mod.ts";

/** The n-th Fibonacci number, the slow way (CPU work). */
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** Returns its argument: what crosses both ways. */
export function echo<T>(value: T): T {
  return value;
}

/** Adds two numbers. */
export function add(a: number, b: number): number {
  return a + b;
}

/** Sleeps `seconds` on the consumer's loop, then returns `value`. */
export async function nap<T>(seconds: number, value: T): Promise<T> {
  await sleep(seconds);
  return value;
}

/** Throws `error` (crossing back to the producer). */
export function raise(error: unknown): never {
  throw error;
}

/** Returns what cannot be sent back: a function. */
export function unsendable(): unknown {
  return { f: () => 1 };
}

/**
 * Sleeps `seconds` and records in Redis (through `url`) that it started
 * and how it ended: RPUSH `key` "started <tag>", then "done <tag>" or
 * "cancelled <tag>". For tests that must see a job start and stop on
 * another process.
 */
export async function tracked(
  url: string,
  key: string,
  tag: string,
  seconds: number,
): Promise<string> {
  const { RespConnection } = await import("../src/_resp.ts");
  const redis = new RespConnection(url);
  try {
    await redis.command(["RPUSH", key, `started ${tag}`]);
    try {
      await sleep(seconds);
    } catch (error) {
      await redis.command(["RPUSH", key, `cancelled ${tag}`]);
      throw error;
    }
    await redis.command(["RPUSH", key, `done ${tag}`]);
    return tag;
  } finally {
    await redis.close();
  }
}

/** Blocks its thread for `seconds` (a CPU-bound job), then returns `tag`. */
export function spin(seconds: number, tag: string): string {
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) { /* busy */ }
  return tag;
}

const runs = new Map<string, number>();

/** Fails its first `k` runs in this process, then returns the run number. */
export function flaky(key: string, k: number): number {
  const n = (runs.get(key) ?? 0) + 1;
  runs.set(key, n);
  if (n <= k) throw new Error(`run ${n} of ${key} failed`);
  return n;
}

/** Throws a RangeError made here, on the consumer. */
export function boom(message: string): never {
  throw new RangeError(message);
}

/** `text` repeated `n` times (a big result). */
export function repeat(text: string, n: number): string {
  return text.repeat(n);
}

/**
 * Waits `seconds`, prints "ran <i>" on the consumer's stdout (the fault
 * tests count these lines: a job that ran twice prints twice), returns i.
 */
export async function logged(i: number, seconds: number): Promise<number> {
  // A host timer: the same job runs on a consumer's loop and, with
  // threads, in a pool Worker, where no event loop runs.
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  console.log(`ran ${i}`);
  return i;
}
