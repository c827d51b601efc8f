// The program the trace tests record (tests/trace_test.ts), also run as a
// script with ASYNCIO_TRACE set: tasks, a lock, a queue, timers, a gather
// and an executor job on a real Worker. Not a test file.
import {
  createTask,
  gather,
  getRunningLoop,
  Lock,
  Queue,
  run,
  sleep,
  toThread,
  workerModule,
} from "../mod.ts";
import type * as Jobs from "./_jobs.ts";

const jobs = workerModule<typeof Jobs>(new URL("./_jobs.ts", import.meta.url));

/** Three producers share a lock and feed a consumer; then a Worker adds. */
export async function program(): Promise<number> {
  const lock = new Lock();
  const queue = new Queue<number>();
  let ticks = 0;
  getRunningLoop().callLater(0.005, function tick() {
    ticks++;
  });
  async function producer(i: number): Promise<void> {
    using _held = await lock.acquire();
    await sleep(0.01);
    await queue.put(i);
  }
  async function consumer(): Promise<number> {
    let sum = 0;
    for (let i = 0; i < 3; i++) sum += await queue.get();
    return sum;
  }
  const total = createTask(consumer, { name: "consumer" });
  await gather(() => producer(1), () => producer(2), () => producer(3));
  const sum = await total;
  return sum + ticks + await toThread(jobs.add, 1, 2);
}

if (import.meta.main) console.log(await run(program, { virtualTime: true }));
