/**
 * A bare Worker for `bench.ts`, with none of this library: it
 * posts `"ready"` as soon as it has started (the start-up floor), then
 * answers each `[a, b]` message with `a + b` (the message floor of the
 * throughput workload: one `postMessage` per job each way) and each
 * number `n` with `fib(n)` (the floor of the CPU-bound workload).
 *
 * @module
 */

interface WorkerScope {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent<[number, number] | number>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

scope.onmessage = (event) => {
  const data = event.data;
  if (typeof data === "number") {
    scope.postMessage(fib(data));
    return;
  }
  scope.postMessage(data[0] + data[1]);
};
scope.postMessage("ready");
