import { perfCounter, Queue, run, sleep, wait } from "../../mod.ts";
import { print, pyStr } from "../_print.ts";

// 我们对队列进行循环,然后await的时候,实际上有一个更加pythonic的写法,也就是async for
// asyncio的Queue不支持async for,教程里用的是tornado的Queue;
// 我们的Queue本身就是异步可迭代的,直接for await即可
// (和tornado一样,for await不会自动调用taskDone)

async function consumer(q: Queue<number | null>, n: number): Promise<void> {
  print(`消费者${n}号 开始`);
  for await (const item of q) {
    await sleep(1);
    if (item === null) {
      print(`生产者${n}号:消费元素${pyStr(item)}`);
      q.taskDone();
      break;
    }
    print(`生产者${n}号:消费元素${item}`);
    q.taskDone();
  }
}

async function producer(
  q: Queue<number | null>,
  consumerNum: number,
): Promise<void> {
  print(`生产者 开始`);
  for (let i = 1; i < 22; i++) {
    await q.put(i);
    print(`生产者: 生产元素${i},并放在了队列里`);
  }
  for (let i = 0; i < consumerNum; i++) {
    await q.put(null);
  }
  await q.join();
  print("生产者生产的东西全被消费者消费了");
}

async function main(consumerNum: number): Promise<void> {
  const q = new Queue<number | null>();
  const consumers = Array.from(
    { length: consumerNum },
    (_, i) => () => consumer(q, i),
  );
  // 协程函数会被wait包装成任务
  await wait([...consumers, () => producer(q, consumerNum)]);
}

const start = perfCounter();
await run(() => main(3));
print(`总用时:${(perfCounter() - start).toFixed(1)}`);
/*
消费者0号 开始
消费者1号 开始
消费者2号 开始
生产者 开始
生产者: 生产元素1,并放在了队列里
...
生产者: 生产元素21,并放在了队列里
生产者0号:消费元素1
生产者1号:消费元素2
生产者2号:消费元素3
...
生产者2号:消费元素21
生产者0号:消费元素None
生产者1号:消费元素None
生产者2号:消费元素None
生产者生产的东西全被消费者消费了
总用时:8.0
*/
