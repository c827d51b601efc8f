/**
 * The Worker of `breakdown_messages.ts`, with none of this library. It
 * starts by posting `"ready"`; its first message sets how it answers:
 *
 * - `"each"`: the jobs come as flat `[a, b, a, b, ...]` batches; one message
 *   `a + b` per job.
 * - `"batch"`: the same jobs; one message per batch, `[sum, sum, ...]`.
 * - `"pool"`: batches of `[slot, spec id, args]` triples as the pool sends
 *   them (`args` an array); one message `[0, slot, args[0] + args[1]]`
 *   per job, as a pool Worker answers.
 *
 * @module
 */

interface WorkerScope {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

let mode = "";

scope.onmessage = (event) => {
  const data = event.data;
  if (typeof data === "string") {
    mode = data;
    return;
  }
  if (mode === "each") {
    for (let i = 0; i < data.length; i += 2) {
      scope.postMessage(data[i] + data[i + 1]);
    }
  } else if (mode === "batch") {
    const out = new Array(data.length >> 1);
    for (let i = 0; i < data.length; i += 2) {
      out[i >> 1] = data[i] + data[i + 1];
    }
    scope.postMessage(out);
  } else {
    for (let i = 0; i < data.length; i += 3) {
      const args = data[i + 2] as number[];
      scope.postMessage([0, data[i], args[0] + args[1]]);
    }
  }
};
scope.postMessage("ready");
