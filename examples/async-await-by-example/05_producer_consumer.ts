// 极客时间：Python核心技术与实战

import {
  createTask,
  gather,
  perfCounter,
  Queue,
  run,
  sleep,
} from "../../mod.ts";
import { print } from "../_print.ts";

// fixed instead of random.randint(1, 10) so the output is deterministic
const VALUES = [7, 4, 6, 1, 8, 1, 6, 4, 7, 8];
let nextValue = 0;

/** 消费者 */
async function consumer(queue: Queue<number>, id: string): Promise<void> {
  while (true) {
    const val = await queue.get();
    print(`${id} get a val : ${val}`);
    await sleep(1);
  }
}

/** 生产者 */
async function producer(queue: Queue<number>, id: string): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const val = VALUES[nextValue++]; // random.randint(1, 10)
    await queue.put(val);
    print(`${id} put a val: ${val}`);
    await sleep(1);
  }
}

async function main(): Promise<void> {
  const queue = new Queue<number>();

  const consumer1 = createTask(() => consumer(queue, "consumer_1"));
  const consumer2 = createTask(() => consumer(queue, "consumer_2"));

  const producer1 = createTask(() => producer(queue, "producer_1"));
  const producer2 = createTask(() => producer(queue, "producer_2"));

  await sleep(10);
  // cancel掉执行之间过长的consumer1、consumer2,while (true)
  consumer1.cancel();
  consumer2.cancel();

  // returnExceptions设为true,不让异常throw到执行层,影响后续任务的执行
  await gather(consumer1, consumer2, producer1, producer2, {
    returnExceptions: true,
  });
}

if (import.meta.main) {
  const start = perfCounter();

  await run(main);

  print(`Cost ${(perfCounter() - start).toFixed(1)} s`);
}
