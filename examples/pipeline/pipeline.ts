/**
 * A worker pipeline: a producer cuts the numbers below 4,000,000 into 40
 * chunks and puts them on a bounded queue; one task per CPU takes chunks
 * off it and counts their primes in a Worker (`toThread`, the function
 * named by reference); a collector adds the results up as they come. The
 * producer shuts the queue down when it has put the last chunk, which ends
 * the workers' loops once the queue is drained; the workers' end shuts the
 * results queue down, which ends the collector; and the task group waits
 * for all of them. Then run() stops the Workers.
 *
 *     deno run --allow-read examples/pipeline/pipeline.ts
 *
 * @module
 */
import {
  gather,
  getRunningLoop,
  Queue,
  run,
  taskGroup,
  ThreadPoolExecutor,
  toThread,
  workerModule,
} from "../../mod.ts";
import type * as Jobs from "./jobs.ts";

const jobs = workerModule<typeof Jobs>(new URL("./jobs.ts", import.meta.url));

const LIMIT = 4_000_000; // count the primes below this
const CHUNKS = 40;
const WORKERS = navigator.hardwareConcurrency; // tasks, and Worker threads
const QUEUE_SIZE = 2 * WORKERS; // chunks waiting at most

interface Chunk {
  id: number;
  start: number;
  end: number;
}

interface Result {
  chunk: Chunk;
  primes: number;
  worker: string; // the task that took it
  thread: string; // the Worker that computed it
}

let startedAt = 0;

function elapsed(): string {
  return `${(getRunningLoop().time() - startedAt).toFixed(2)}s`;
}

/** Puts every chunk on the queue, then shuts it down. */
async function produce(chunks: Queue<Chunk>): Promise<number> {
  let waits = 0; // how often the queue was full: it keeps the producer in step
  for (let id = 0; id < CHUNKS; id++) {
    const size = LIMIT / CHUNKS;
    if (chunks.full()) waits++;
    await chunks.put({ id, start: id * size, end: (id + 1) * size });
  }
  chunks.shutdown(); // no more chunks: the workers stop once it is empty
  console.log(
    `${elapsed().padStart(6)}  producer: all ${CHUNKS} chunks queued`,
  );
  return waits;
}

/** Takes chunks until the queue is shut down and empty. */
async function work(
  worker: string,
  chunks: Queue<Chunk>,
  results: Queue<Result>,
): Promise<void> {
  for await (const chunk of chunks) {
    const { primes, thread } = await toThread(
      jobs.countPrimes,
      chunk.start,
      chunk.end,
    );
    await results.put({ chunk, primes, worker, thread });
  }
}

/** Adds the results up as they come, until the queue is shut down. */
async function collect(results: Queue<Result>): Promise<Result[]> {
  const done: Result[] = [];
  for await (const result of results) {
    done.push(result);
    const { chunk, primes, worker, thread } = result;
    const range = `[${chunk.start}, ${chunk.end})`;
    console.log(
      `${elapsed().padStart(6)}  chunk ${String(chunk.id).padStart(2)} ` +
        `${range.padEnd(20)} ${String(primes).padStart(5)} primes ` +
        `(${worker} on ${thread})`,
    );
  }
  return done;
}

async function main(): Promise<void> {
  startedAt = getRunningLoop().time();
  const chunks = new Queue<Chunk>(QUEUE_SIZE);
  const results = new Queue<Result>();
  console.log(
    `Counting the primes below ${LIMIT} in ${CHUNKS} chunks, ` +
      `${WORKERS} workers, a queue of ${QUEUE_SIZE}`,
  );

  const [waits, done] = await taskGroup(async (tg) => {
    const producer = tg.createTask(() => produce(chunks));
    const workers = Array.from(
      { length: WORKERS },
      (_, i) => tg.createTask(() => work(`worker-${i + 1}`, chunks, results)),
    );
    const collector = tg.createTask(() => collect(results));
    await gather(...workers);
    results.shutdown(); // every result is in: the collector stops once empty
    return [await producer, await collector];
  });

  const primes = done.reduce((sum, r) => sum + r.primes, 0);
  const threads = new Set(done.map((r) => r.thread));
  console.log(
    `\nSummary: ${done.length} of ${CHUNKS} chunks in ${elapsed()}, ` +
      `${primes} primes below ${LIMIT}, computed on ${threads.size} Worker ` +
      `threads; the producer waited for room ${waits} times`,
  );
}

// The default executor, sized to the workers: toThread() runs jobs on it,
// and run() shuts it down at the end.
const pool = new ThreadPoolExecutor({ maxWorkers: WORKERS });
await run(async () => {
  getRunningLoop().setDefaultExecutor(pool);
  await main();
});
console.log(`Workers still running: ${pool.statistics().workers}`);
